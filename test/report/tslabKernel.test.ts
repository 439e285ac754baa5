/**
 * The kernel launcher (src/report/tslabKernel.ts). The race is played with tslab's real ZmqServer and
 * real zeromq sockets in this process: iopub's bind is held back, a kernel_info_request is sent on
 * the shell socket, and we record when tslab handles it. Plain tslab handles it before iopub is bound
 * (the state in which a send on iopub hits EBUSY). With bindBeforeServing, tslab waits for the bind.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type * as Zmq from "zeromq";
import { encodeMessage, freePorts, decodeMessage } from "../../src/report/wire.js";
import { bindBeforeServing, KERNEL_LAUNCHER, parseKernelArgs, tslabFor, type TslabServerClass } from "../../src/report/tslabKernel.js";
import { resolveTslab } from "../../src/report/optional.js";

const zmq = require("zeromq") as typeof Zmq;
const tslabDist = path.join(path.dirname(resolveTslab()), "dist");
type Server = { bindSocket(sock: unknown, port: number): Promise<void>; publishStatus(status: string, parent: unknown): void; init(): Promise<void>; handleShellMessage(...args: unknown[]): Promise<void>; close(): void; iopub: unknown };
const { ZmqServer } = require(path.join(tslabDist, "jupyter.js")) as { ZmqServer: TslabServerClass & (new (handler: object, configPath: string) => Server) };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** What happened, in order: "iopub bound", "status busy (iopub bound: …)", "reply kernel_info_reply". */
async function playRace(Server: new (handler: object, configPath: string) => Server): Promise<string[]> {
  const [shell_port, iopub_port, stdin_port, control_port, hb_port] = await freePorts(5);
  const key = "race-key";
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pa-tslab-race-"));
  const config = path.join(dir, "connection.json");
  fs.writeFileSync(config, JSON.stringify({ shell_port, iopub_port, stdin_port, control_port, hb_port, ip: "127.0.0.1", key, transport: "tcp", signature_scheme: "hmac-sha256" }));
  const events: string[] = [];
  let iopubBound = false;
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const handler = { handleKernel: () => ({ protocol_version: "5.3", implementation: "race" }), close() {} };
  const server = new Server(handler, config);
  const bind = server.bindSocket;
  server.bindSocket = async function (sock, port) {
    if (port !== iopub_port) return bind.call(this, sock, port);
    await gate;
    await bind.call(this, sock, port);
    iopubBound = true;
    events.push("iopub bound");
  };
  const publish = server.publishStatus;
  server.publishStatus = function (status, parent) {
    events.push(`status ${status} (iopub bound: ${iopubBound})`);
    publish.call(this, status, parent);
  };
  const dealer = new zmq.Dealer();
  try {
    const started = server.init();
    dealer.connect(`tcp://127.0.0.1:${shell_port}`);
    const header = { msg_id: "m1", msg_type: "kernel_info_request", session: "s", username: "u", date: new Date().toISOString(), version: "5.3" };
    await dealer.send(encodeMessage(key, { header, parent_header: {}, metadata: {}, content: {} }));
    const reply = dealer.receive().then((frames) => events.push(`reply ${decodeMessage(key, frames).header.msg_type}`));
    await sleep(600); // the shell socket is bound and connected; iopub is held
    events.push("release");
    release();
    await started;
    await reply;
    await sleep(50);
    return events;
  } finally {
    dealer.close();
    server.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

test("plain tslab handles a request that comes while iopub is still binding (the race), bindBeforeServing holds it until every socket is bound", async () => {
  const plain = await playRace(ZmqServer);
  // The precondition of the EBUSY crash seen in CI: a status sent on iopub before its bind was done.
  // (The kernel records its statuses as it sends them; the reply is recorded when the client receives it.)
  assert.deepEqual(plain, ["status busy (iopub bound: false)", "status idle (iopub bound: false)", "reply kernel_info_reply", "release", "iopub bound"], plain.join(" | "));

  class Held extends ZmqServer {}
  bindBeforeServing(Held);
  bindBeforeServing(Held); // idempotent: one wrap
  const held = await playRace(Held);
  assert.deepEqual(held, ["release", "iopub bound", "status busy (iopub bound: true)", "status idle (iopub bound: true)", "reply kernel_info_reply"], held.join(" | "));
});

test("bindBeforeServing keeps the order of requests that arrive while the sockets bind, and serves later ones at once", async () => {
  // A stand-in with tslab's two methods, so the bind can be finished by hand.
  class Stand {
    seen: string[] = [];
    finish!: () => void;
    init(): Promise<void> { return new Promise<void>((r) => (this.finish = r)); }
    async handleShellMessage(_sock: unknown, id: unknown): Promise<void> { this.seen.push(String(id)); }
  }
  bindBeforeServing(Stand as unknown as TslabServerClass);
  const s = new Stand();
  const started = s.init();
  const early = ["a", "b", "c"].map((id) => s.handleShellMessage(null, id));
  await sleep(20);
  assert.deepEqual(s.seen, []);
  s.finish();
  await started;
  await Promise.all(early);
  assert.deepEqual(s.seen, ["a", "b", "c"]);
  await s.handleShellMessage(null, "d");
  assert.deepEqual(s.seen, ["a", "b", "c", "d"]);
});

test("bindBeforeServing names a tslab without the methods it wraps", () => {
  class Other { init() { return Promise.resolve(); } }
  assert.throws(() => bindBeforeServing(Other as unknown as TslabServerClass), /no init or handleShellMessage; install the tslab version in package\.json/);
});

test("parseKernelArgs reads tslab's kernel command line and names what is wrong", () => {
  assert.deepEqual(parseKernelArgs(["--config-path", "/tmp/c.json"]), { configPath: "/tmp/c.json", jsKernel: false });
  assert.deepEqual(parseKernelArgs(["--config-path=/tmp/c.json", "--js"]), { configPath: "/tmp/c.json", jsKernel: true });
  assert.throws(() => parseKernelArgs([]), /--config-path <connection file> is missing/);
  assert.throws(() => parseKernelArgs(["--config-path", "/tmp/c.json", "--debug"]), /unknown argument "--debug"/);
});

test("tslabFor picks the nearest node_modules/tslab from the notebook's folder up, else this package's", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pa-tslab-for-"));
  try {
    const project = path.join(dir, "project");
    fs.mkdirSync(path.join(project, "node_modules", "tslab", "dist"), { recursive: true });
    fs.writeFileSync(path.join(project, "node_modules", "tslab", "dist", "main.js"), "");
    fs.mkdirSync(path.join(project, "notebooks", "deep"), { recursive: true });
    assert.equal(tslabFor(path.join(project, "notebooks", "deep")), path.join(project, "node_modules", "tslab"));
    assert.equal(tslabFor(project), path.join(project, "node_modules", "tslab"));
    // inside node_modules itself, as tslab's own lookup does, that folder is skipped
    assert.equal(tslabFor(path.join(project, "node_modules")), path.join(project, "node_modules", "tslab"));
    assert.equal(tslabFor(dir), path.dirname(resolveTslab()));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test("artefacts-tslab install registers tslab and jslab kernelspecs that run this launcher; bad use exits 2 with the usage", () => {
  const prefix = fs.mkdtempSync(path.join(os.tmpdir(), "pa-tslab-install-"));
  try {
    const r = spawnSync(process.execPath, [KERNEL_LAUNCHER, "install", "--python=/usr/bin/python3", `--prefix=${prefix}`], { encoding: "utf8" });
    assert.equal(r.status, 0, r.stderr);
    const spec = (name: string) => JSON.parse(fs.readFileSync(path.join(prefix, "share", "jupyter", "kernels", name, "kernel.json"), "utf8"));
    assert.deepEqual(spec("tslab").argv, [fs.realpathSync(KERNEL_LAUNCHER), "kernel", "--config-path", "{connection_file}"]);
    assert.equal(spec("tslab").language, "typescript");
    assert.deepEqual(spec("jslab").argv, [fs.realpathSync(KERNEL_LAUNCHER), "kernel", "--config-path", "{connection_file}", "--js"]);
    const binary = spawnSync(process.execPath, [KERNEL_LAUNCHER, "install", "--binary=/bin/true", `--prefix=${prefix}`], { encoding: "utf8" });
    assert.equal(binary.status, 2);
    assert.match(binary.stderr, /--binary is this launcher and cannot be changed/);
    const none = spawnSync(process.execPath, [KERNEL_LAUNCHER], { encoding: "utf8" });
    assert.equal(none.status, 2);
    assert.match(none.stderr, /usage: artefacts-tslab install/);
    const missing = spawnSync(process.execPath, [KERNEL_LAUNCHER, "kernel"], { encoding: "utf8" });
    assert.equal(missing.status, 2);
    assert.match(missing.stderr, /--config-path <connection file> is missing/);
  } finally {
    fs.rmSync(prefix, { recursive: true, force: true });
  }
});
