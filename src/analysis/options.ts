/** The options of runAnalyses (run.ts); its results are registry/results.ts. */
import type { AnisotropyOptions } from "./anisotropy.js";
import type { IsotropyOptions } from "./isotropy.js";
import type { MassiveOptions } from "./massive.js";
import type { NormsOptions } from "./norms.js";
import type { SinkOptions } from "./sinks.js";
import type { OriginOptions } from "./origins.js";
import type { OutlierOptions } from "./outliers.js";
import type { AllButTheTopOptions, WhiteningOptions } from "./postprocess.js";
import type { Linalg } from "../numerics/linalg.js";
import type { ProbeOptions } from "./probe.js";
import type { StateEnvelope } from "./state.js";

export interface RunProgress {
  /** "fit" (encoding the first fitSentences sentences, which fit the clipped dims and the transforms), "encode" (the rest) or "result". */
  stage: "fit" | "encode" | "result";
  /** Sentences encoded so far out of the whole sample (for "result": analyses done out of all). */
  done: number;
  total: number;
  /** For stage "result": the analysis being finished. */
  analysis?: string;
  /** Whether the side parts (probe, self-similarity, massive, norms) run in the side worker (RunOptions.worker resolved). */
  worker: boolean;
}

/** Options of {@link runAnalyses}. */
export interface RunOptions {
  /** Analyses to run; default all. Outliers are always counted (the others need them) and always reported. */
  only?: readonly string[];
  /** Seed of every random choice (token samples, pairs, probe split and training, word choice); default 0. */
  seed?: number;
  /** Include special tokens in every statistic; default false (DESIGN.md §2). */
  includeSpecial?: boolean;
  /**
   * The first N sentences form the fit sample: they are encoded first (in the same single pass over
   * the sample, never twice), their persistent outliers decide what clipping zeroes, and their tokens
   * fit the z-score, all-but-the-top and whitening transforms. Every statistic still covers the whole
   * sample. Default 200 (capped at the sample size).
   */
  fitSentences?: number;
  /**
   * Sentences per block after the fit sample (blocks.ts): each block is analysed on its own and block
   * states combine in a fixed tree, so a single run and any number of shards merged give the same
   * bytes. Results depend on it (float sums are grouped by block); recorded in settings. Default
   * 4096 (the encoder's length-sort window): a 20,000-sentence sample is 6 blocks. Each pending tree
   * node holds a full state set (188 MB as JSON for all-MiniLM-L6-v2 at 2,000 sentences), so fewer,
   * larger blocks keep the tree small; smaller ones allow more shards.
   */
  blockSentences?: number;
  /** Clip these dims (every layer) instead of the fit sample's persistent outliers. */
  clipDims?: readonly number[] | null;
  /**
   * Most padded tokens (sentences x longest length) per encoder batch; default the encoder's
   * (DEFAULT_TOKEN_BUDGET, 1024). Batching never changes a result (test/model/batching-exact.test.ts).
   */
  tokenBudget?: number;
  /** Most sentences per encoder batch, on top of the token budget; default none. */
  batchSize?: number;
  /**
   * Backend of the dense linear algebra (covariance Gram matrices, whitening, probe training):
   * "onnxruntime" (default: MLAS kernels, float32 sums, the encoder's thread count), "js" (the exact
   * float64 reference loops, several times slower than the extraction itself), or a Linalg instance.
   */
  linalg?: "onnxruntime" | "js" | Linalg;
  /**
   * Where the position probe and the raw and clipped self-similarity run (side.ts): true = in a
   * worker thread, on the same batches at the same time as the outlier scan, the position profile and
   * anisotropy in this thread; false = in this thread, after them; "auto" (default) = the worker when
   * the sample has at least 500 sentences, the machine has more than one CPU and linalg is
   * "onnxruntime" or "js" (the worker builds its own backend; a Linalg instance stays in this thread).
   * The results are the same bits either way (tested); the worker saves wall time only. With the
   * worker, each batch's layer buffers are transferred to it (detached in this thread once split), so
   * an Encoder that reuses its output buffers across batches needs `worker: false`.
   */
  worker?: boolean | "auto";
  onProgress?: (p: RunProgress) => void;
  /**
   * Called once after the pass over the sample (the fit stage done), before the results, with every
   * running accumulator's state in a versioned envelope (state.ts): what shard-and-merge and
   * a results cache write, read (readState checks model, version and settings) and merge.
   */
  onStates?: (states: StateEnvelope[]) => void | Promise<void>;
  /**
   * When given, seconds spent per phase are added to it (for `npm run bench`): "encode" (waiting for
   * the encoder), "split" (toLayerBatches), "add.NAME" (each accumulator's add, the fit-sample moments
   * included; "add.outliers" includes the position profile, fused with it in one pass), "fit" (picking
   * the clipped dims and replaying the fit sample into the clipped self-similarity), "result.NAME"
   * (each result-time computation), "blocks" (taking each block's states, combining them in the block
   * tree, loading the root into fresh accumulators). With the side worker (`worker`), the side parts'
   * phases are the worker's, keyed "side.split", "side.add.probe", "side.add.selfsim", "side.add.reduce"
   * (the site reductions), "side.add.massive", "side.add.norms", "side.fit", "side.result.NAME", and this thread's waits for the worker
   * are "wait" (per batch) and "result.wait" (for its results): the wall time is encode + split +
   * add.* + fit + wait + result.*.
   */
  timings?: Record<string, number>;
  outliers?: Omit<OutlierOptions, "includeSpecial">;
  origins?: OriginOptions;
  anisotropy?: Omit<AnisotropyOptions, "includeSpecial" | "seed">;
  probe?: Omit<ProbeOptions, "includeSpecial" | "seed">;
  selfsim?: { minOccurrences?: number; maxWords?: number };
  allButTheTop?: AllButTheTopOptions;
  whitening?: WhiteningOptions;
  /** IsoScore*'s shrinkage, the covariance's block size and its sentence subset (isotropy.ts). */
  isotropy?: IsotropyOptions;
  /** Massive activations (Sun et al. 2024): thresholds (absolute 100, ratio 1000), top-k, candidate cap. */
  massive?: MassiveOptions;
  /** Outlier norms (Bondarenko et al. 2021): dims listed. */
  norms?: NormsOptions;
  /** Attention sinks (Gu et al. 2025): epsilon (default 0.3). Opt-in: needs the attn_probs site. */
  sinks?: SinkOptions;
}
