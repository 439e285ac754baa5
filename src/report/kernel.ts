/**
 * A Jupyter kernel client (messaging protocol v5.3) over zeromq, so notebooks run from Node alone.
 * It writes a connection file, spawns the kernel (tslab by default), connects the shell, iopub,
 * control, stdin and heartbeat sockets, signs and verifies every message with HMAC-SHA256, and
 * collects each execution's outputs in nbformat 4 shape. zeromq and tslab load on first use (optional.ts).
 * Protocol: https://jupyter-client.readthedocs.io/en/stable/messaging.html
 */
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes, randomUUID } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type * as Zmq from "zeromq";
import { loadOptional, NOTEBOOK_PURPOSE, resolveTslab } from "./optional.js";
import { KERNEL_LAUNCHER } from "./tslabKernel.js";
import { decodeMessage, encodeMessage, freePorts, type Message } from "./wire.js";

export { decodeMessage, encodeMessage, freePorts, sign } from "./wire.js";

/** One output in nbformat 4 shape. */
export type Output =
  | { output_type: "stream"; name: "stdout" | "stderr"; text: string }
  | { output_type: "display_data"; data: MimeBundle; metadata: Record<string, unknown> }
  | { output_type: "execute_result"; data: MimeBundle; metadata: Record<string, unknown>; execution_count: number | null }
  | { output_type: "error"; ename: string; evalue: string; traceback: string[] };

/** mime type -> data (a string, or any JSON value for JSON mime types). */
export type MimeBundle = Record<string, unknown>;

export interface ExecuteResult {
  /** The execute_reply status: "ok", "error" or "aborted". */
  status: string;
  executionCount: number | null;
  outputs: Output[];
  /** From the execute_reply, or from the error output; tslab sends neither, see execute.ts. */
  ename?: string;
  evalue?: string;
}

export interface KernelOptions {
  /** The kernel's working directory (Jupyter uses the notebook's folder). */
  cwd: string;
  /**
   * The command; `{connection_file}` is replaced by the connection file's path.
   * Defaults to tslab through this package's launcher (tslabArgv): node .../bin/artefacts-tslab.js kernel --config-path {connection_file}.
   */
  argv?: string[];
  /** How long to wait for the first kernel_info_reply, in ms (default 60000). */
  startTimeoutMs?: number;
  /** Extra environment variables for the kernel process. */
  env?: Record<string, string>;
}

let zeromq: typeof Zmq | undefined;
/** zeromq, loaded on first use (an optional dependency; the type import above is erased). */
const loadZeromq = (): typeof Zmq => (zeromq ??= loadOptional("zeromq", NOTEBOOK_PURPOSE, () => require("zeromq") as typeof Zmq));

/**
 * The default command: tslab through this package's launcher, which holds each request until the
 * kernel's sockets are bound (tslabKernel.ts). It checks here that tslab is installed, so a missing
 * tslab is a MissingOptionalError before any process starts.
 */
export function tslabArgv(): string[] {
  resolveTslab();
  return [process.execPath, KERNEL_LAUNCHER, "kernel", "--config-path", "{connection_file}"];
}

interface Pending {
  outputs: Output[];
  reply?: Message;
  idle: boolean;
  displays: Map<string, number[]>;
  resolve(): void;
  reject(err: Error): void;
}

/** A running kernel. Start with `Kernel.start`, end with `shutdown()` (or `kill()`). */
export class Kernel {
  readonly #key: string;
  readonly #session = randomUUID();
  readonly #child: ChildProcess;
  readonly #connectionFile: string;
  readonly #shell = new (loadZeromq().Dealer)({ linger: 0 });
  readonly #control = new (loadZeromq().Dealer)({ linger: 0 });
  readonly #stdin = new (loadZeromq().Dealer)({ linger: 0 });
  readonly #iopub = new (loadZeromq().Subscriber)({ linger: 0 });
  readonly #hb = new (loadZeromq().Request)({ linger: 0, receiveTimeout: 2000 });
  readonly #pending = new Map<string, Pending>();
  readonly #replies = new Map<string, (m: Message) => void>();
  #iopubSeen = false;
  #exited: { code: number | null; signal: string | null } | null = null;
  #exitWaiters: (() => void)[] = [];
  #log = "";
  #closed = false;
  #protocolError: Error | null = null;

  private constructor(key: string, child: ChildProcess, connectionFile: string) {
    this.#key = key;
    this.#child = child;
    this.#connectionFile = connectionFile;
    const keep = (b: Buffer) => { this.#log = (this.#log + b.toString()).slice(-4000); };
    child.stdout?.on("data", keep);
    child.stderr?.on("data", keep);
    child.on("exit", (code, signal) => {
      this.#exited = { code, signal };
      for (const w of this.#exitWaiters) w();
      this.#failAll(new Error(`kernel: process ${child.pid} exited (code ${code}, signal ${signal}) while running; its last output: ${JSON.stringify(this.#log.slice(-800))}`));
    });
  }

  /**
   * Spawns a kernel in `cwd`, connects, and waits until it answers kernel_info_request. The default
   * launcher cannot lose the race between tslab's binds and that request (tslabKernel.ts); a plain
   * tslab given as `argv` can, and then never replies (its EBUSY "Socket is blocked by a bind"):
   * that start is killed and tried again, up to 3 times.
   */
  static async start(options: KernelOptions): Promise<Kernel> {
    for (let attempt = 1; ; ++attempt) {
      try {
        return await Kernel.#startOnce(options);
      } catch (e) {
        if (attempt >= 3 || !(e instanceof BindRaceError)) throw e;
      }
    }
  }

  static async #startOnce({ cwd, argv = tslabArgv(), startTimeoutMs = 60000, env = {} }: KernelOptions): Promise<Kernel> {
    if (!fs.existsSync(cwd)) throw new Error(`kernel: working directory ${JSON.stringify(cwd)} does not exist; pass an existing folder`);
    loadZeromq(); // before the kernel process starts, so a missing zeromq leaves nothing running
    const [shell_port, iopub_port, stdin_port, control_port, hb_port] = await freePorts(5);
    const key = randomBytes(32).toString("hex");
    const info = { shell_port, iopub_port, stdin_port, control_port, hb_port, ip: "127.0.0.1", key, transport: "tcp", signature_scheme: "hmac-sha256", kernel_name: "tslab" };
    const connectionFile = path.join(os.tmpdir(), `pa-kernel-${process.pid}-${randomBytes(6).toString("hex")}.json`);
    fs.writeFileSync(connectionFile, JSON.stringify(info), { mode: 0o600 });
    const args = argv.map((a) => a.replaceAll("{connection_file}", connectionFile));
    const child = spawn(args[0], args.slice(1), { cwd, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
    const kernel = new Kernel(key, child, connectionFile);
    liveKernels.add(kernel);
    try {
      await new Promise<void>((resolve, reject) => {
        child.once("spawn", resolve);
        child.once("error", (e) => reject(new Error(`kernel: cannot start ${JSON.stringify(args[0])}: ${e.message}; check the kernel command`, { cause: e })));
      });
      const url = (port: number) => `tcp://127.0.0.1:${port}`;
      kernel.#shell.connect(url(shell_port));
      kernel.#control.connect(url(control_port));
      kernel.#stdin.connect(url(stdin_port));
      kernel.#iopub.connect(url(iopub_port));
      kernel.#iopub.subscribe();
      kernel.#hb.connect(url(hb_port));
      kernel.#listen(kernel.#shell);
      kernel.#listen(kernel.#control);
      kernel.#listen(kernel.#stdin);
      kernel.#listenIopub();
      await kernel.#waitReady(startTimeoutMs);
      return kernel;
    } catch (e) {
      await kernel.kill();
      throw e;
    }
  }

  /** The kernel's process id. */
  get pid(): number | undefined { return this.#child.pid; }

  /** Whether the kernel process has exited. */
  get exited(): boolean { return this.#exited !== null; }

  /** Sends one ping on the heartbeat socket; resolves true when the kernel echoes it within 2 s. */
  async heartbeat(): Promise<boolean> {
    try {
      const ping = Buffer.from(randomUUID());
      await this.#hb.send(ping);
      const [echo] = await this.#hb.receive();
      return echo.equals(ping);
    } catch {
      return false;
    }
  }

  /** Sends a request on the shell (or control) socket and resolves with its reply. */
  async request(msgType: string, content: Record<string, unknown>, { channel = "shell", timeoutMs = 30000 }: { channel?: "shell" | "control"; timeoutMs?: number } = {}): Promise<Record<string, any>> {
    const msg = this.#message(msgType, content);
    const reply = new Promise<Message>((resolve, reject) => {
      const timer = setTimeout(() => { this.#replies.delete(msg.header.msg_id); reject(new Error(`kernel: no ${msgType} reply within ${timeoutMs} ms`)); }, timeoutMs);
      this.#replies.set(msg.header.msg_id, (m) => { clearTimeout(timer); resolve(m); });
    });
    await (channel === "shell" ? this.#shell : this.#control).send(encodeMessage(this.#key, msg));
    return (await reply).content;
  }

  /**
   * Runs `code` and resolves once the execute_reply has arrived and iopub reported idle for it,
   * with every stream, display_data, update_display_data, execute_result and error output.
   * On timeout the kernel is killed (its state is unknown) and the promise rejects.
   */
  async execute(code: string, { timeoutMs = 600000 }: { timeoutMs?: number } = {}): Promise<ExecuteResult> {
    if (this.#closed || this.#exited) throw new Error(`kernel: process ${this.pid} is not running; start a new kernel`);
    const msg = this.#message("execute_request", { code, silent: false, store_history: true, user_expressions: {}, allow_stdin: false, stop_on_error: true });
    const id = msg.header.msg_id;
    const p: Partial<Pending> = { outputs: [], idle: false, displays: new Map() };
    const done = new Promise<void>((resolve, reject) => { p.resolve = resolve; p.reject = reject; });
    const pending = p as Pending;
    this.#pending.set(id, pending);
    this.#replies.set(id, (m) => { pending.reply = m; if (pending.idle) pending.resolve(); });
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`kernel: cell did not finish within ${timeoutMs} ms; the kernel was stopped (raise the cell timeout if the work is expected to take longer)`)), timeoutMs);
    });
    try {
      await this.#shell.send(encodeMessage(this.#key, msg));
      await Promise.race([done, timeout]);
    } catch (e) {
      if (!this.#exited) await this.kill();
      throw e;
    } finally {
      clearTimeout(timer);
      this.#pending.delete(id);
      this.#replies.delete(id);
    }
    const content = pending.reply!.content;
    const error = pending.outputs.find((o) => o.output_type === "error") as Extract<Output, { output_type: "error" }> | undefined;
    return {
      status: String(content.status),
      executionCount: typeof content.execution_count === "number" ? content.execution_count : null,
      outputs: pending.outputs,
      ename: content.ename ?? error?.ename,
      evalue: content.evalue ?? error?.evalue,
    };
  }

  /** Asks the kernel to shut down (control channel), waits up to `timeoutMs`, then kills it. */
  async shutdown({ timeoutMs = 5000 }: { timeoutMs?: number } = {}): Promise<void> {
    if (!this.#closed && !this.#exited) {
      try {
        await this.request("shutdown_request", { restart: false }, { channel: "control", timeoutMs });
        await this.#waitExit(timeoutMs);
      } catch {
        // fall through to kill: a kernel that does not answer must not outlive us
      }
    }
    await this.kill();
  }

  /** Kills the kernel process (SIGKILL) if it still runs, closes the sockets and removes the connection file. */
  async kill(): Promise<void> {
    if (!this.#exited) {
      this.#child.kill("SIGKILL");
      await this.#waitExit(5000).catch(() => undefined);
    }
    this.#close();
  }

  #close(): void {
    if (this.#closed) return;
    this.#closed = true;
    liveKernels.delete(this);
    for (const s of [this.#shell, this.#control, this.#stdin, this.#iopub, this.#hb]) s.close();
    fs.rmSync(this.#connectionFile, { force: true });
    this.#failAll(new Error(`kernel: closed while a request was pending`));
  }

  #waitExit(timeoutMs: number): Promise<void> {
    if (this.#exited) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`kernel: process ${this.pid} did not exit within ${timeoutMs} ms`)), timeoutMs);
      this.#exitWaiters.push(() => { clearTimeout(timer); resolve(); });
    });
  }

  async #waitReady(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    // Repeat kernel_info_request until a reply came back and iopub delivered a message, so no output is lost to a late subscription.
    while (true) {
      if (/Socket is blocked by a bind/.test(this.#log)) throw new BindRaceError(`kernel: the kernel got a request while binding its sockets and stopped answering; its output: ${JSON.stringify(this.#log.slice(-800))}`);
      if (this.#exited) throw new Error(`kernel: process exited during start (code ${this.#exited.code}); its output: ${JSON.stringify(this.#log.slice(-800))}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`kernel: no kernel_info_reply within ${timeoutMs} ms; its output: ${JSON.stringify(this.#log.slice(-800))}`);
      try {
        const info = await this.request("kernel_info_request", {}, { timeoutMs: Math.min(1000, left) });
        if (this.#iopubSeen) {
          if (!String(info.protocol_version ?? "").startsWith("5.")) throw new Error(`kernel: protocol_version ${JSON.stringify(info.protocol_version)}; expected 5.x`);
          return;
        }
      } catch (e) {
        if ((e as Error).message.startsWith("kernel: protocol_version")) throw e;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  #message(msgType: string, content: Record<string, unknown>): Message {
    return {
      header: { msg_id: randomUUID(), msg_type: msgType, session: this.#session, username: "positional-artefacts", date: new Date().toISOString(), version: "5.3" },
      parent_header: {},
      metadata: {},
      content,
    };
  }

  async #listen(socket: Zmq.Dealer): Promise<void> {
    try {
      for await (const frames of socket) {
        const m = this.#decode(frames);
        if (!m) continue;
        const cb = this.#replies.get(m.parent_header.msg_id ?? "");
        if (cb) {
          this.#replies.delete(m.parent_header.msg_id!);
          cb(m);
        }
      }
    } catch (e) {
      if (!this.#closed) this.#failAll(new Error(`kernel: socket failed: ${(e as Error).message}`, { cause: e }));
    }
  }

  async #listenIopub(): Promise<void> {
    try {
      for await (const frames of this.#iopub) {
        const m = this.#decode(frames);
        if (!m) continue;
        this.#iopubSeen = true;
        const p = this.#pending.get(m.parent_header.msg_id ?? "");
        if (p) collect(p, m);
      }
    } catch (e) {
      if (!this.#closed) this.#failAll(new Error(`kernel: iopub socket failed: ${(e as Error).message}`, { cause: e }));
    }
  }

  #decode(frames: Buffer[]): Message | null {
    try {
      return decodeMessage(this.#key, frames);
    } catch (e) {
      // A forged or corrupt message must not be trusted; fail what is running.
      this.#protocolError = e as Error;
      this.#failAll(e as Error);
      return null;
    }
  }

  #failAll(err: Error): void {
    for (const p of this.#pending.values()) p.reject(err);
    this.#pending.clear();
  }

  /** The last protocol error seen (a bad signature), if any. */
  get protocolError(): Error | null { return this.#protocolError; }
}

/** tslab lost the race between its socket binds and our first request (see Kernel.start). */
class BindRaceError extends Error {}

/** Applies one iopub message to the outputs of the execution it answers. */
function collect(p: Pending, m: Message): void {
  const c = m.content;
  switch (m.header.msg_type) {
    case "status":
      if (c.execution_state === "idle") {
        p.idle = true;
        if (p.reply) p.resolve();
      }
      return;
    case "stream": {
      const last = p.outputs[p.outputs.length - 1];
      // Consecutive chunks of one stream form one output, as Jupyter stores them.
      if (last?.output_type === "stream" && last.name === c.name) last.text += String(c.text);
      else p.outputs.push({ output_type: "stream", name: c.name === "stderr" ? "stderr" : "stdout", text: String(c.text) });
      return;
    }
    case "display_data":
    case "execute_result": {
      const out: Output = m.header.msg_type === "display_data"
        ? { output_type: "display_data", data: c.data ?? {}, metadata: c.metadata ?? {} }
        : { output_type: "execute_result", data: c.data ?? {}, metadata: c.metadata ?? {}, execution_count: c.execution_count ?? null };
      const id = c.transient?.display_id;
      if (typeof id === "string") p.displays.set(id, [...(p.displays.get(id) ?? []), p.outputs.length]);
      p.outputs.push(out);
      return;
    }
    case "update_display_data": {
      for (const i of p.displays.get(c.transient?.display_id) ?? []) {
        const o = p.outputs[i];
        if (o.output_type === "display_data" || o.output_type === "execute_result") { o.data = c.data ?? {}; o.metadata = c.metadata ?? {}; }
      }
      return;
    }
    case "clear_output":
      p.outputs.length = 0;
      p.displays.clear();
      return;
    case "error":
      p.outputs.push({ output_type: "error", ename: String(c.ename), evalue: String(c.evalue), traceback: (c.traceback ?? []).map(String) });
      return;
  }
}

// Kernels still running when this process exits are killed, so none is orphaned. One set and one
// exit handler per process, also when this module is evaluated again (a reused report kernel reloads the toolkit).
const LIVE = Symbol.for("positional-artefacts.liveKernels");
const registry = globalThis as { [LIVE]?: Set<Kernel> };
const liveKernels: Set<Kernel> = (registry[LIVE] ??= killedAtExit(new Set<Kernel>()));

function killedAtExit(live: Set<Kernel>): Set<Kernel> {
  process.on("exit", () => {
    for (const k of live) if (k.pid && !k.exited) try { process.kill(k.pid, "SIGKILL"); } catch { /* already gone */ }
  });
  return live;
}
