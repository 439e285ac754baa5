import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { lockOwner, tryLock, withLock } from "../../src/report/lock.js";

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "pa-lock-test-"));
process.on("exit", () => fs.rmSync(tmp, { recursive: true, force: true }));

test("withLock: two callers for one entry compute it once; the second waits and reads it", async () => {
  const lock = path.join(tmp, "a.lock");
  let entry: string | null = null;
  let computed = 0;
  const waits: (number | null)[] = [];
  const work = async () => {
    computed++;
    await new Promise((r) => setTimeout(r, 300));
    return (entry = "result");
  };
  const [x, y] = await Promise.all([
    withLock(lock, () => entry, work, { pollMs: 20 }),
    withLock(lock, () => entry, work, { pollMs: 20, onWait: (pid) => waits.push(pid) }),
  ]);
  assert.deepEqual([x, y, computed], ["result", "result", 1]);
  // taking a free lock still looks first: the entry may have appeared since the caller's own read
  assert.equal(await withLock(lock, () => entry, work), "result");
  assert.equal(computed, 1);
  assert.deepEqual(waits, [process.pid], "the waiter names the process holding the lock");
  assert.ok(!fs.existsSync(lock), "the lock is removed");
});

test("withLock removes the lock of a process that died and computes; a failed work releases the lock", async () => {
  const lock = path.join(tmp, "b.lock");
  const dead = spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"], { encoding: "utf8" });
  fs.writeFileSync(lock, dead.stdout);
  assert.equal(lockOwner(lock), "dead");
  assert.equal(await withLock(lock, () => null, async () => 7, { pollMs: 20 }), 7);
  assert.ok(!fs.existsSync(lock));
  await assert.rejects(withLock(lock, () => null, async () => { throw new Error("planted"); }), /planted/);
  assert.ok(!fs.existsSync(lock), "released after a failure");
  // an empty lock file is a process between creating and writing it: not dead until it is old
  fs.writeFileSync(lock, "");
  assert.equal(lockOwner(lock), null);
  const old = new Date(Date.now() - 60000);
  fs.utimesSync(lock, old, old);
  assert.equal(lockOwner(lock), "dead");
  assert.equal(tryLock(lock), false);
  fs.rmSync(lock);
  assert.equal(tryLock(lock), true);
  assert.equal(lockOwner(lock), process.pid);
  fs.rmSync(lock);
});
