/**
 * `npm run bench -- memory`: peak RSS, and memory retained after a forced GC, of child processes
 * (bench/memory.ts) running every analysis (runAnalyses) on N sentences, at each count of --memory
 * (default 2,000 and 20,000; issue 23 asks 2,000, 20,000 and 200,000), for the --memory-model models:
 * all-MiniLM-L6-v2 (default), the embedded mlm-pos (4 x 128, trained by this project) and a SYNTHETIC
 * tiny BERT (2 x 64, seeded random weights: fast enough for 200,000 sentences). "Flat" means the
 * ratios, largest count over smallest, stay near 1. --memory-extraction streams the batches without
 * the analyses instead.
 */
import * as child from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { cacheRoot } from "../src/model/files.js";
import { synthesize } from "../src/model/synth.js";
import { MINILM_DIR } from "./models.js";
import { cycleRule } from "./sentences.js";

const r3 = (x: number) => Math.round(x * 1000) / 1000;

export const MEMORY_MODELS = ["minilm", "embedded", "tiny"] as const;
export type MemoryModel = (typeof MEMORY_MODELS)[number];

/** The folder and label of a --memory-model (the tiny SYNTHETIC one is written once into the cache). */
export async function memoryModel(key: string): Promise<{ dir: string; label: string }> {
  if (key === "minilm") return { dir: MINILM_DIR, label: "all-MiniLM-L6-v2" };
  if (key === "embedded") return { dir: path.join(__dirname, "..", "..", "models", "mlm-pos"), label: "mlm-pos (embedded, 4 x 128, self-trained)" };
  if (key !== "tiny") throw new RangeError(`invalid memory-model: ${JSON.stringify(key)}; expected ${MEMORY_MODELS.join(", ")}`);
  const dir = path.join(cacheRoot(), "bench", "synth-bert-2x64-seed5");
  if (!fs.existsSync(path.join(dir, "model.safetensors"))) {
    fs.mkdirSync(path.dirname(dir), { recursive: true });
    const tmp = `${dir}.tmp-${process.pid}`;
    fs.rmSync(tmp, { recursive: true, force: true });
    await synthesize({ arch: "bert", layers: 2, hidden: 64, heads: 2, seed: 5, out: tmp });
    fs.rmSync(dir, { recursive: true, force: true });
    fs.renameSync(tmp, dir);
  }
  return { dir, label: "synthetic-bert-2x64 (SYNTHETIC, seeded random weights, synthetic tokenizer)" };
}

/** Runs dist/bench/memory.js in a child process; returns its JSON line. */
function memoryRun(dir: string, n: number, threads: number, analyses: boolean, log: (m: string) => void): Record<string, unknown> {
  log(`memory: ${n} sentences${analyses ? " with every analysis" : " (extraction only)"} of ${dir} in a child process`);
  const args = [path.join(__dirname, "memory.js"), "--model", dir, "--n", String(n), "--threads", String(threads)];
  if (analyses) args.push("--analyses");
  const r = child.spawnSync(process.execPath, args, { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"], maxBuffer: 1 << 24 });
  if (r.status !== 0) throw new Error(`bench/memory.js --n ${n}: exited with ${r.status ?? r.signal}; see its message above`);
  return JSON.parse(r.stdout.trim().split("\n").pop()!);
}

/**
 * One {memory|analyses_memory: ...} line over the counts: per count the sentences, tokens, peak and
 * retained MiB, and the ratios of the largest count's over the smallest's.
 */
export function memoryLine(key: "memory" | "analyses_memory", dir: string, label: string, counts: number[], threads: number, analyses: boolean, log: (m: string) => void): Record<string, unknown> {
  const runs = counts.map((n) => memoryRun(dir, n, threads, analyses, log));
  const out: Record<string, unknown> = { model: label, threads, analyses, sample: cycleRule() };
  out.table = runs.map((r) => ({ sentences: r.n, distinct: r.distinct, tokens: r.tokens, blocks: r.blocks, seconds: r.seconds, peak_mb: r.peak_mb, retained_mb: r.retained_end_mb }));
  const first = runs[0], last = runs[runs.length - 1];
  out.ratio_label = `${last.n} / ${first.n} sentences`;
  out.ratio = r3((last.peak_mb as number) / (first.peak_mb as number));
  // memory still reachable after a forced GC at the end of the main pass
  out.retained_ratio = r3((last.retained_end_mb as number) / (first.retained_end_mb as number));
  out.runs = runs;
  return { [key]: out };
}
