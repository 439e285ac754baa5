/**
 * `npm run bench -- memory`: peak RSS, and memory retained after a forced GC, of child processes
 * (bench/memory.ts) streaming N sentences through all-MiniLM-L6-v2, with or without every analysis,
 * at each count of --memory / --analyses-memory; "flat" means the ratios stay near 1.
 */
import * as child from "node:child_process";
import * as path from "node:path";

const r3 = (x: number) => Math.round(x * 1000) / 1000;

/** Runs dist/bench/memory.js in a child process; returns its JSON line. */
function memoryRun(dir: string, n: number, threads: number, analyses: boolean, log: (m: string) => void): Record<string, unknown> {
  log(`memory: streaming ${n} sentences${analyses ? " with the analyses" : ""} in a child process`);
  const args = [path.join(__dirname, "memory.js"), "--model", dir, "--n", String(n), "--threads", String(threads)];
  if (analyses) args.push("--analyses");
  const r = child.spawnSync(process.execPath, args, { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"], maxBuffer: 1 << 24 });
  if (r.status !== 0) throw new Error(`bench/memory.js --n ${n}: exited with ${r.status ?? r.signal}; see its message above`);
  return JSON.parse(r.stdout.trim().split("\n").pop()!);
}

/** One {memory|analyses_memory: ...} line over the counts: peak and retained MiB per count, and their last/first ratios. */
export function memoryLine(key: "memory" | "analyses_memory", dir: string, label: string, counts: number[], threads: number, analyses: boolean, log: (m: string) => void): Record<string, unknown> {
  const runs = counts.map((n) => memoryRun(dir, n, threads, analyses, log));
  const out: Record<string, unknown> = { model: label, threads };
  for (const r of runs) out[`n${r.n}_mb`] = r.peak_mb;
  out.ratio = r3((runs[runs.length - 1].peak_mb as number) / (runs[0].peak_mb as number));
  // memory still reachable after a forced GC at the end of the main pass: what "flat" is about
  for (const r of runs) out[`n${r.n}_retained_mb`] = r.retained_end_mb;
  out.retained_ratio = r3((runs[runs.length - 1].retained_end_mb as number) / (runs[0].retained_end_mb as number));
  out.runs = runs;
  return { [key]: out };
}
