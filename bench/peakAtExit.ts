/**
 * Preloaded by the paper mode (`node -r dist/bench/peakAtExit.js bin/artefacts.js analyze ...`): at
 * exit, writes the process's peak resident memory (bench/memory.ts peakMiB: maxRSS and VmHWM, MiB) and
 * its CPU by thread (threadCpu.ts, sampled once a second, as threads end before the process does) as
 * JSON to the file PA_BENCH_PEAK_FILE names, so the CLI runs exactly as a user runs it.
 */
import * as fs from "node:fs";
import { peakMiB } from "./memory.js";
import { processCpuSeconds, summariseThreads, threadCpuSeconds } from "./threadCpu.js";

const file = process.env.PA_BENCH_PEAK_FILE;
if (file) {
  const seen = new Map<number, number>();
  const sample = () => {
    for (const [tid, s] of threadCpuSeconds()) seen.set(tid, s);
  };
  // unref: the sampling never keeps the CLI alive; it runs between the encoder's batches
  setInterval(sample, 1000).unref();
  process.on("exit", () => {
    sample();
    fs.writeFileSync(file, JSON.stringify({ ...peakMiB(), cpu: summariseThreads(seen, process.pid, processCpuSeconds()) }));
  });
}
