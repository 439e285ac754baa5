/**
 * `npm run bench -- gemm` (issue 23 item 3c): how near the machine's limit the encoder runs. In one run,
 * interleaved: (i) a GEMM peak, onnxruntime's MatMul of two N x N float32 matrices (N = --gemm-size,
 * default 2048; the fastest of --gemm-calls calls) on the encoder's session options and thread count, and (ii) our encoder (createEncoder
 * + encode, tokenising included) on batches of equal-length sentences (every sentence exactly T tokens,
 * specials included, T = --gemm-lengths), as achieved GFLOP/s of the encoder forward and its share of
 * the peak. The FLOP count is encoderFlops() below; the medians of the repeats are reported.
 */
import * as ort from "onnxruntime-node";
import { performance } from "node:perf_hooks";
import { buildMatmulGraph } from "../src/model/linalg.js";
import { createEncoder } from "../src/model/encoder.js";
import { sessionOptions } from "../src/model/session.js";
import type { ModelConfig } from "../src/model/types.js";
import { round1, round3 } from "./round.js";
import { benchSentences } from "./sentences.js";
import type { ModelPlan } from "./models.js";

/**
 * Multiply-add FLOPs (2 per multiply-accumulate) of one encoder forward over a sentence of T tokens:
 *   L x [ 2T(4H^2 + 2HF)  +  4T^2 H ]
 * the Q, K, V and output projections (4 x T x H x H), the two FFN matrices (2 x T x H x F), and the
 * attention scores QK^T and probabilities x V (2 x T x T x H). Biases, LayerNorm, softmax, GELU, the
 * embedding sums and MPNet's relative bias are left out (O(T H) per layer: under 1% at BERT-base).
 */
export function encoderFlops(config: Pick<ModelConfig, "layers" | "hidden" | "intermediate">, T: number): number {
  const { layers: L, hidden: H, intermediate: F } = config;
  return L * (2 * T * (4 * H * H + 2 * H * F) + 4 * T * T * H);
}

/** The FLOP formula as printed in the bench's output. */
export const FLOP_FORMULA = "L x [2T(4H^2 + 2HF) + 4T^2 H] per sentence of T tokens (matmuls only, 2 FLOPs per multiply-add)";

/** GFLOP/s of the fastest of `calls` timed MatMuls of N x N float32 matrices (a peak is the best the machine does), after one warm-up call. */
async function gemmOnce(session: ort.InferenceSession, n: number, calls: number): Promise<number> {
  const a = new Float32Array(n * n), b = new Float32Array(n * n);
  for (let i = 0; i < a.length; ++i) {
    a[i] = ((i * 7919) % 1000) / 1000 - 0.5; // fixed, finite, no denormals
    b[i] = ((i * 104729) % 1000) / 1000 - 0.5;
  }
  const feeds = { A: new ort.Tensor("float32", a, [n, n]), B: new ort.Tensor("float32", b, [n, n]) };
  await session.run(feeds);
  let best = Infinity;
  for (let k = 0; k < calls; ++k) {
    const t0 = performance.now();
    await session.run(feeds);
    best = Math.min(best, (performance.now() - t0) / 1000);
  }
  return (2 * n ** 3) / best / 1e9;
}

const median = (xs: number[]) => [...xs].sort((p, q) => p - q)[Math.floor((xs.length - 1) / 2)];

export interface GemmOptions {
  threads: number;
  repeats: number;
  size: number;
  calls: number;
  lengths: number[];
  sentences: number;
}

/** One JSON line per model and length: peak GFLOP/s, our achieved GFLOP/s, the share. */
export async function gemmMode(plan: ModelPlan, o: GemmOptions, write: (line: unknown) => void, log: (m: string) => void): Promise<void> {
  const session = await ort.InferenceSession.create(buildMatmulGraph(), sessionOptions(o.threads, "cpu"));
  const encoder = await createEncoder(plan.dir, { threads: o.threads });
  try {
    for (const T of o.lengths) {
      const sentences = await benchSentences(plan.dir, { n: o.sentences, minTokens: T, maxTokens: T, draw: 100_000 });
      const flops = sentences.length * encoderFlops(encoder.config, T);
      const peak: number[] = [], ours: number[] = [];
      for await (const _ of encoder.encode(sentences)); // warm-up
      for (let r = 0; r < o.repeats; ++r) {
        // interleaved, so drift on a shared machine hits both alike
        peak.push(await gemmOnce(session, o.size, o.calls));
        const t0 = performance.now();
        let batches = 0;
        for await (const b of encoder.encode(sentences)) {
          if (b.length !== T) throw new Error(`bench gemm: a batch of length ${b.length}; expected every sentence at ${T} tokens`);
          batches++;
        }
        ours.push(flops / ((performance.now() - t0) / 1000) / 1e9);
        log(`gemm ${plan.label} T=${T}: repeat ${r + 1}/${o.repeats}: peak ${peak[r].toFixed(1)} GFLOP/s, ours ${ours[r].toFixed(1)} GFLOP/s (${batches} batches)`);
      }
      const p = median(peak), a = median(ours);
      write({
        gemm: {
          model: plan.label, synthetic: plan.synthetic, threads: o.threads, length: T, sentences: sentences.length,
          tokens: sentences.length * T, padded_over_real: 1,
          peak_gflops: round1(p), peak_what: `onnxruntime MatMul ${o.size} x ${o.size} float32, the fastest of ${o.calls} calls a repeat, median over repeats`,
          ours_gflops: round1(a), ours_share_of_peak: round3(a / p), target_share: 0.85, meets: a / p >= 0.85,
          ours_tps: Math.round(((a * 1e9) / encoderFlops(encoder.config, T)) * T), flops_per_sentence: encoderFlops(encoder.config, T),
          flop_formula: FLOP_FORMULA, repeats: o.repeats, peak_runs: peak.map(round1), ours_runs: ours.map(round1),
        },
      });
    }
  } finally {
    await encoder.dispose();
    await session.release();
  }
}

