/**
 * The tslab kernel, started so that it cannot lose the race between its socket binds and its first
 * request. `bin/artefacts-tslab.js` runs it; the report's kernels (kernel.ts) and the kernelspec that
 * `artefacts-tslab install` registers for Jupyter both use it.
 *
 * tslab 1.0.22's `ZmqServer.init` starts reading the shell and control sockets before it awaits the
 * binds of all five. A front-end that connects early (Jupyter Notebook sends kernel_info_request as
 * soon as the kernel starts) can have its request handled while iopub is still binding. The "busy"
 * status then meets zeromq's EBUSY, "Socket is blocked by a bind or unbind operation". The handler
 * throws before it replies, so the front-end waits for a kernel_info_reply that never comes: Jupyter
 * Notebook shows a kernel that never connects (seen in CI, stop 34). A 2-core machine under load
 * makes the binds slow enough for this.
 *
 * The fix holds each shell and control message until every bind is done (`bindBeforeServing`).
 * Messages keep their order, since all of them wait on the same promise. We wrap two methods
 * instead of forking tslab or carrying a patched copy in the package: the wrap is a few lines and
 * changes nothing else in tslab. It throws at start if a tslab release no longer has these methods.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { packageRoot } from "../model/files.js";
import { resolveTslab } from "./optional.js";

/** This package's kernel launcher. */
export const KERNEL_LAUNCHER = path.join(packageRoot(), "bin", "artefacts-tslab.js");

/** The part of tslab's `ZmqServer` (dist/jupyter.js) that the wrap touches. */
export interface TslabServerClass {
  prototype: {
    init(this: object): Promise<void>;
    handleShellMessage(this: object, ...args: unknown[]): Promise<void>;
  };
}

const BOUND = Symbol.for("positional-artefacts.tslabBound");
const WRAPPED = Symbol.for("positional-artefacts.tslabWrapped");

/**
 * Makes tslab's ZmqServer handle shell and control messages only after `init` has bound every
 * socket, so nothing is sent on a socket while it binds. Idempotent. Throws when `server` lacks
 * `init` or `handleShellMessage` (a tslab this was not written for).
 */
export function bindBeforeServing(server: TslabServerClass): void {
  const proto = server.prototype as TslabServerClass["prototype"] & { [WRAPPED]?: true };
  if (proto[WRAPPED]) return;
  const { init, handleShellMessage } = proto;
  if (typeof init !== "function" || typeof handleShellMessage !== "function") {
    throw new TypeError("artefacts-tslab: this tslab's ZmqServer has no init or handleShellMessage; install the tslab version in package.json (1.0.x)");
  }
  proto.init = function (this: { [BOUND]?: Promise<void> }) {
    return (this[BOUND] = init.call(this));
  };
  proto.handleShellMessage = async function (this: { [BOUND]?: Promise<void> }, ...args: unknown[]) {
    await this[BOUND];
    return handleShellMessage.apply(this, args);
  };
  proto[WRAPPED] = true;
}

/**
 * The tslab folder a kernel in `cwd` runs: the nearest `node_modules/tslab` from `cwd` upwards,
 * as tslab's own `kernel` command picks (so a project's own tslab wins), else this package's.
 */
export function tslabFor(cwd: string): string {
  for (let dir = path.resolve(cwd); ; dir = path.dirname(dir)) {
    if (path.basename(dir) !== "node_modules") {
      const local = path.join(dir, "node_modules", "tslab");
      if (fs.existsSync(path.join(local, "dist", "main.js"))) return local;
    }
    if (path.dirname(dir) === dir) return path.dirname(resolveTslab());
  }
}

interface KernelArgs { configPath: string; jsKernel: boolean }

/** Parses `kernel --config-path <file> [--js]` (tslab's kernel command line, as kernelspecs pass it). */
export function parseKernelArgs(args: readonly string[]): KernelArgs {
  let configPath = "";
  let jsKernel = false;
  for (let i = 0; i < args.length; ++i) {
    const a = args[i];
    if (a === "--js") jsKernel = true;
    else if (a === "--config-path" && i + 1 < args.length) configPath = args[++i];
    else if (a.startsWith("--config-path=")) configPath = a.slice("--config-path=".length);
    else throw new RangeError(`artefacts-tslab kernel: unknown argument ${JSON.stringify(a)}; the command is: artefacts-tslab kernel --config-path <connection file> [--js]`);
  }
  if (!configPath) throw new RangeError("artefacts-tslab kernel: --config-path <connection file> is missing (Jupyter passes it from the kernelspec's {connection_file})");
  return { configPath, jsKernel };
}

/** Starts the tslab kernel for `cwd` with `bindBeforeServing`; it runs until Jupyter shuts it down. */
export function startKernel(args: readonly string[], cwd = process.cwd()): void {
  const { configPath, jsKernel } = parseKernelArgs(args);
  const tslab = tslabFor(cwd);
  const dist = path.join(tslab, "dist");
  bindBeforeServing((require(path.join(dist, "jupyter.js")) as { ZmqServer: TslabServerClass }).ZmqServer);
  const main = require(path.join(dist, "main.js")) as { startKernel(o: { configPath: string; enableFindLocal: boolean; jsKernel: boolean }): void };
  // enableFindLocal: false, since tslabFor already chose the tslab that tslab's own lookup would
  // (tslab's globalVersion only goes on to that lookup's find, so it is left out).
  main.startKernel({ configPath, enableFindLocal: false, jsKernel });
}

const USAGE = `usage: artefacts-tslab install [--python PY] [--user | --sys-prefix | --prefix DIR]
         registers the TypeScript (tslab) and JavaScript (jslab) kernels for Jupyter, started by this launcher
       artefacts-tslab kernel --config-path FILE [--js]
         the kernel itself (Jupyter runs this from the kernelspec)`;

/**
 * `install` runs tslab's own installer (its Python script, through jupyter_client) with this
 * launcher as the kernel command; the kernelspecs keep tslab's names, `tslab` and `jslab`, so the
 * notebooks' kernelspec finds them. Returns the exit status.
 */
export function install(args: readonly string[]): number {
  const binary = fs.realpathSync(KERNEL_LAUNCHER);
  if (args.some((a) => a === "--binary" || a.startsWith("--binary="))) {
    throw new RangeError("artefacts-tslab install: --binary is this launcher and cannot be changed; to register plain tslab, run npx tslab install");
  }
  const tslabBin = path.join(path.dirname(resolveTslab()), "bin", "tslab");
  const r = spawnSync(process.execPath, [tslabBin, "install", ...args, `--binary=${binary}`], { stdio: "inherit" });
  if (r.error) throw new Error(`artefacts-tslab install: cannot run ${tslabBin}: ${r.error.message}`);
  return r.status ?? 1;
}

/** The launcher's entry: `install ...`, `kernel ...`, or usage. Returns an exit status, or null while a kernel runs. */
export function main(args: readonly string[]): number | null {
  const [command, ...rest] = args;
  if (command === "kernel") {
    startKernel(rest);
    return null;
  }
  if (command === "install") return install(rest);
  const help = command === "--help" || command === "-h" || command === "help";
  (help ? process.stdout : process.stderr).write(`${USAGE}\n`);
  return help ? 0 : 2;
}
