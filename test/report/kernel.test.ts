import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { decodeMessage, encodeMessage, freePorts, Kernel, sign } from "../../src/report/kernel.js";

const fixtures = path.resolve(__dirname, "..", "..", "..", "test", "fixtures", "notebooks");
const message = {
  header: { msg_id: "1", msg_type: "execute_request", session: "s", username: "u", date: "2020-01-01T00:00:00.000Z", version: "5.3" },
  parent_header: {},
  metadata: {},
  content: { code: "1 + 1" },
};
const alive = (pid: number) => { try { process.kill(pid, 0); return true; } catch { return false; } };
const connectionFiles = () => fs.readdirSync(os.tmpdir()).filter((f) => f.startsWith(`pa-kernel-${process.pid}-`));

test("sign is HMAC-SHA256 over the frames in order (RFC 4231 test case 2)", () => {
  // HMAC-SHA256(key "Jefe", "what do ya want for nothing?"), split across two frames.
  assert.equal(sign("Jefe", ["what do ya want ", "for nothing?"]), "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
});

test("encodeMessage and decodeMessage round-trip, with a routing prefix before the delimiter", () => {
  const frames = encodeMessage("k", message);
  assert.equal(frames[0].toString(), "<IDS|MSG>");
  assert.deepEqual(decodeMessage("k", [Buffer.from("router-id"), ...frames]), message);
});

test("decodeMessage rejects a wrong key, a tampered body and frames without a delimiter", () => {
  const frames = encodeMessage("k", message);
  assert.throws(() => decodeMessage("other", frames), /bad HMAC signature/);
  const tampered = [...frames];
  tampered[5] = Buffer.from(JSON.stringify({ code: "evil()" }));
  assert.throws(() => decodeMessage("k", tampered), /bad HMAC signature/);
  assert.throws(() => decodeMessage("k", frames.slice(1)), /without a complete <IDS\|MSG> part/);
});

test("freePorts returns distinct ports that can be listened on", async () => {
  const ports = await freePorts(5);
  assert.equal(new Set(ports).size, 5);
  for (const p of ports) assert.ok(p > 0 && p < 65536);
});

test("Kernel runs cells in a real tslab kernel: streams, displays, updates, errors, then shuts down", async () => {
  const kernel = await Kernel.start({ cwd: fixtures });
  const pid = kernel.pid!;
  try {
    assert.equal(await kernel.heartbeat(), true);
    const info = await kernel.request("kernel_info_request", {});
    assert.equal(info.implementation, "tslab");

    const a = await kernel.execute(`console.log("out " + (20 + 22)); console.error("err"); console.log(process.cwd());`);
    assert.equal(a.status, "ok");
    assert.equal(a.executionCount, 1);
    assert.deepEqual(a.outputs, [
      { output_type: "stream", name: "stdout", text: "out 42\n" },
      { output_type: "stream", name: "stderr", text: "err\n" },
      { output_type: "stream", name: "stdout", text: fixtures + "\n" },
    ]);

    // A display that is updated later in the same cell shows its last content only.
    const b = await kernel.execute(`const tslab = require("tslab"); const d = tslab.newDisplay(); d.text("first"); tslab.display.markdown("# m"); d.text("second");`);
    assert.deepEqual(b.outputs.map((o) => o.output_type === "display_data" ? o.data : o), [{ "text/plain": "second" }, { "text/markdown": "# m" }]);

    const c = await kernel.execute(`throw new TypeError("no such thing")`);
    assert.equal(c.status, "error");
    assert.match((c.outputs[0] as { text: string }).text, /TypeError: no such thing/);
  } finally {
    await kernel.shutdown();
  }
  assert.equal(kernel.exited, true);
  assert.equal(alive(pid), false);
  assert.deepEqual(connectionFiles(), []);
});

test("Kernel.execute stops a cell that runs past its timeout and kills the kernel", async () => {
  const kernel = await Kernel.start({ cwd: fixtures });
  const pid = kernel.pid!;
  await assert.rejects(kernel.execute("for (;;) {}", { timeoutMs: 1500 }), /cell did not finish within 1500 ms; the kernel was stopped/);
  assert.equal(kernel.exited, true);
  assert.equal(alive(pid), false);
  await assert.rejects(kernel.execute("1"), /is not running; start a new kernel/);
  assert.deepEqual(connectionFiles(), []);
});

test("Kernel.execute rejects, with the exit code, when the kernel process dies in a cell", async () => {
  const kernel = await Kernel.start({ cwd: fixtures });
  await assert.rejects(kernel.execute(`console.error("dying"); process.exit(7);`), /exited \(code 7, signal null\) while running/);
  await kernel.shutdown();
  assert.equal(kernel.exited, true);
  assert.deepEqual(connectionFiles(), []);
});

test("Kernel.start fails with the kernel's output when the command exits at once", async () => {
  await assert.rejects(
    Kernel.start({ cwd: fixtures, argv: [process.execPath, "-e", "console.error('no kernel here'); process.exit(3)"], startTimeoutMs: 10000 }),
    /exited during start \(code 3\).*no kernel here/,
  );
  assert.deepEqual(connectionFiles(), []);
});

test("Kernel.start retries a kernel that lost the bind race (tslab's EBUSY) and gives up after 3 tries, naming it", async () => {
  // a stand-in kernel that only prints tslab's message and waits, counting its starts
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pa-bindrace-"));
  try {
    const count = path.join(dir, "starts");
    const script = `require("fs").appendFileSync(${JSON.stringify(count)}, "x"); console.error("UnhandledPromiseRejection: Error: Socket is blocked by a bind or unbind operation"); setTimeout(() => {}, 60000);`;
    const t0 = Date.now();
    await assert.rejects(Kernel.start({ cwd: dir, argv: [process.execPath, "-e", script], startTimeoutMs: 20000 }), /got a request while binding its sockets/);
    assert.equal(fs.readFileSync(count, "utf8"), "xxx");
    assert.ok(Date.now() - t0 < 20000, "detected at once, not at the start timeout");
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
