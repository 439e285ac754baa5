/**
 * bench/threadCpu.ts: per-thread CPU from /proc (Linux only; the paper bench runs there), and its
 * summary. The live tests burn CPU on a known thread and check that thread's seconds grow.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import { Worker } from "node:worker_threads";
import { summariseThreads, threadCpuSeconds } from "../../bench/threadCpu.js";

const linux = fs.existsSync("/proc/self/task");

/** Spins this thread until its own /proc seconds grew by `by`, or `limitMs` of wall time passed. */
function burnUntil(tid: number, by: number, limitMs = 10000): number {
  const start = threadCpuSeconds().get(tid) ?? 0, t0 = Date.now();
  let x = 0, now = start;
  while (now - start < by && Date.now() - t0 < limitMs) {
    for (let i = 0; i < 1e6; ++i) x += Math.sqrt(i);
    now = threadCpuSeconds().get(tid) ?? 0;
  }
  assert.ok(Number.isFinite(x));
  return now - start;
}

test("threadCpuSeconds: the calling thread is listed under the process id and its seconds grow while it works", { skip: !linux && "no /proc here" }, () => {
  const before = threadCpuSeconds();
  assert.ok(before.has(process.pid), `thread ids ${[...before.keys()].join(", ")} lack the process id ${process.pid}`);
  for (const s of before.values()) assert.ok(Number.isFinite(s) && s >= 0);
  assert.ok(burnUntil(process.pid, 0.2) >= 0.2);
});

test("threadCpuSeconds: a busy worker thread is another thread, and its seconds are the ones it reads itself", { skip: !linux && "no /proc here" }, async () => {
  // the worker spins until its own /proc seconds grew by 0.3 (not for a fixed time: on a loaded machine it gets less of a core)
  const mod = JSON.stringify(require.resolve("../../bench/threadCpu.js"));
  const w = new Worker(`
    const { threadCpuSeconds } = require(${mod});
    const tid = Number(require("node:fs").readlinkSync("/proc/thread-self").split("/").pop());
    const start = threadCpuSeconds().get(tid), t0 = Date.now();
    let x = 0, now = start;
    while (now - start < 0.3 && Date.now() - t0 < 60000) { for (let i = 0; i < 1e6; ++i) x += Math.sqrt(i); now = threadCpuSeconds().get(tid); }
    require("node:worker_threads").parentPort.postMessage({ tid, start, now, x });
    setInterval(() => {}, 1000);`, { eval: true });
  try {
    const { tid, start, now } = await new Promise<{ tid: number; start: number; now: number }>((resolve, reject) => {
      w.once("message", resolve);
      w.once("error", reject);
    });
    assert.notEqual(tid, process.pid);
    assert.ok(now - start >= 0.3, `the worker's thread gained ${now - start} CPU-s in 60 s of spinning`);
    assert.ok((threadCpuSeconds().get(tid) ?? -1) >= now, "this thread does not see the worker's thread with at least the seconds it saw itself");
  } finally {
    await w.terminate();
  }
});

test("threadCpuSeconds: a process that does not exist gives an empty map", () => {
  assert.equal(threadCpuSeconds(2 ** 31 - 1).size, 0);
});

test("summariseThreads: the calling thread apart, the others largest first, the rest unseen", () => {
  const seen = new Map([[10, 5.04], [11, 1.26], [12, 3], [13, 0.01]]);
  assert.deepEqual(summariseThreads(seen, 10, 12), { total_s: 12, calling_thread_s: 5, other_threads_s: [3, 1.3], unseen_s: 2.7 });
  assert.deepEqual(summariseThreads(new Map(), 1, 0.5), { total_s: 0.5, calling_thread_s: 0, other_threads_s: [], unseen_s: 0.5 });
});
