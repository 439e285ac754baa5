import { performance } from "node:perf_hooks";
import type { Encoder } from "../model/encoder.js";
import type { EncodedBatch } from "../model/types.js";
import { Anisotropy, type AnisotropyOptions, type AnisotropyResult } from "./anisotropy.js";
import { toLayerBatches, wordTable, type LayerBatch } from "./batch.js";
import { cosineContributions, type ContributionResult } from "./contributions.js";
import { outlierOrigins, type OriginOptions, type OriginResult } from "./origins.js";
import { OutlierCounter, outlierDims, type OutlierOptions, type OutlierResult } from "./outliers.js";
import { PositionProfile, type PositionResult } from "./positions.js";
import {
  LayerMoments, allButTheTop, clipper, whitener, zscorer, type AllButTheTopOptions, type Postprocessor, type WhiteningOptions,
} from "./postprocess.js";
import { createOrtLinalg } from "../model/linalg.js";
import { jsLinalg, type Linalg } from "./linalg.js";
import type { ProbeOptions, ProbeResult } from "./probe.js";
import type { SelfSimResult } from "./selfsim.js";
import { stageLayer, unstageLayer } from "./kernels.js";
import { localSide, workerSide, type Side, type SideSettings } from "./side.js";
import { integer } from "./stats.js";
import { availableParallelism } from "node:os";

/** The analyses runAnalyses can run; "postprocess" adds the z-score, all-but-the-top and whitening anisotropy variants. */
export const ANALYSIS_NAMES = ["outliers", "origins", "positions", "probe", "anisotropy", "selfsim", "contributions", "postprocess"] as const;
export type AnalysisName = (typeof ANALYSIS_NAMES)[number];

export interface RunProgress {
  /** "fit" (encoding the first fitSentences sentences, which fit the clipped dims and the transforms), "encode" (the rest) or "result". */
  stage: "fit" | "encode" | "result";
  /** Sentences encoded so far out of the whole sample (for "result": analyses done out of all). */
  done: number;
  total: number;
  /** For stage "result": the analysis being finished. */
  analysis?: string;
  /** Whether the probe and self-similarity run in the side worker (RunOptions.worker resolved). */
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
  /** Clip these dims (every layer) instead of the fit sample's persistent outliers. */
  clipDims?: readonly number[] | null;
  /** Sentences per encoder batch; default 32. */
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
   * When given, seconds spent per phase are added to it (for `npm run bench`): "encode" (waiting for
   * the encoder), "split" (toLayerBatches), "add.NAME" (each accumulator's add, the fit-sample moments
   * included; "add.outliers" includes the position profile, fused with it in one pass), "fit" (picking
   * the clipped dims and replaying the fit sample into the clipped self-similarity), "result.NAME"
   * (each result-time computation). With the side worker (`worker`), the probe's and
   * self-similarity's phases are the worker's, keyed "side.split", "side.add.probe", "side.add.selfsim",
   * "side.fit", "side.result.probe", "side.result.selfsim", and this thread's waits for the worker
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
}

export interface AnalysisResults {
  provenance: Record<string, unknown>;
  settings: {
    only: AnalysisName[];
    seed: number;
    includeSpecial: boolean;
    tokens: "all" | "non-special";
    fitSentences: number;
    batchSize: number;
    linalg: "js" | "onnxruntime";
  };
  sample: { sentences: number; tokens: number; truncated: number; layers: number[] };
  clip: { dims: number[]; source: "option" | "fit-sample" | "none"; fitSentences: number; matchesOutliers: boolean | null };
  outliers: OutlierResult;
  origins?: OriginResult;
  positions?: PositionResult;
  probe?: ProbeResult;
  anisotropy?: AnisotropyResult;
  selfsim?: { raw: SelfSimResult; clipped: SelfSimResult };
  contributions?: ContributionResult;
}

/**
 * Runs the chosen analyses on `sentences` with one streaming pass over the encoder (the first
 * `fitSentences` first: they choose the clipped dims and fit the post-processings), feeding every
 * accumulator the same LayerBatches; dense linear algebra goes through `opts.linalg`. Returns plain
 * JSON; the same inputs, seed and backend give byte-identical JSON, whatever the batch size.
 */
export async function runAnalyses(encoder: Encoder, sentences: string[], opts: RunOptions = {}): Promise<AnalysisResults> {
  const { seed = 0, includeSpecial = false, batchSize = 32, onProgress, clipDims = null, timings } = opts;
  const clock = stopwatch(timings);
  integer(seed, "seed", 0, 0xffffffff);
  integer(batchSize, "batchSize", 1);
  if (!Array.isArray(sentences) || sentences.length === 0) throw new RangeError("sentences: the sample is empty; pass at least two sentences (anisotropy pairs tokens from different sentences)");
  const only = resolveOnly(opts.only);
  const want = (n: AnalysisName) => only.includes(n);
  const fitSentences = Math.min(integer(opts.fitSentences ?? 200, "fitSentences", 1), sentences.length);
  const needsClip = want("anisotropy") || want("selfsim") || want("contributions") || want("postprocess");
  const needsAnisotropy = want("anisotropy") || want("selfsim") || want("contributions") || want("postprocess");
  if (clipDims) for (const d of clipDims) if (!Number.isInteger(d) || d < 0 || d >= encoder.hidden) throw new RangeError(`invalid clip dimension: ${JSON.stringify(d)}; expected an integer in [0, ${encoder.hidden - 1}] (hidden size ${encoder.hidden})`);

  const outliers = new OutlierCounter({ ...opts.outliers, includeSpecial });
  const positions = want("positions") ? new PositionProfile({ includeSpecial, maxPositions: Number.isFinite(encoder.maxLength) ? encoder.maxLength : undefined }) : null;
  const aniso = needsAnisotropy ? new Anisotropy({ ...opts.anisotropy, includeSpecial, seed }) : null;
  const moments = want("postprocess") ? new LayerMoments({ includeSpecial }) : null;
  let clip: AnalysisResults["clip"] = { dims: [], source: "none", fitSentences, matchesOutliers: null };
  if (needsClip && clipDims) clip = { dims: [...clipDims].sort((a, b) => a - b), source: "option", fitSentences, matchesOutliers: null };
  let clipping = clipper(clip.dims);

  // The probe and self-similarity (side.ts): in a worker beside this thread's accumulators, or here.
  // The clipped self-similarity zeroes the clipped dims itself (no clipped copy of each batch); when
  // they come from the fit sample it replays the fit stage's batches once they are known.
  const minOccurrences = opts.selfsim?.minOccurrences ?? 5;
  const sideSettings: SideSettings = {
    dim: encoder.hidden, seed, includeSpecial,
    probe: want("probe") ? { ...opts.probe } : null,
    selfsim: want("selfsim")
      ? { minOccurrences, maxWords: opts.selfsim?.maxWords ?? 1000, words: [...frequentWords(sentences, minOccurrences)], clipDims: clipDims ? clip.dims : null }
      : null,
  };
  const hasSide = sideSettings.probe !== null || sideSettings.selfsim !== null;
  const linalgKind = opts.linalg === undefined ? "onnxruntime" : typeof opts.linalg === "string" ? opts.linalg : null;
  const inWorker = useWorker(opts.worker ?? "auto", sentences.length, linalgKind) && hasSide;
  // the side checks its options here, before anything is started that would need releasing
  const side: Side | null = !hasSide ? null
    : inWorker ? workerSide(sideSettings, linalgKind!, encoderThreads(encoder), timings)
    : localSide(sideSettings, () => linalg, (phase) => clock.lap(phase));
  const ownLinalg = opts.linalg === undefined || opts.linalg === "onnxruntime";
  let linalg: Linalg;
  try {
    linalg = ownLinalg ? await createOrtLinalg({ threads: encoderThreads(encoder) }) : opts.linalg === "js" ? jsLinalg : (opts.linalg as Linalg);
  } catch (err) {
    await side?.close();
    throw err;
  }
  // The fit sentences' layer batches wait here until their stage ends (memory bounded by the fit
  // sample, not the corpus): the moments are then fitted on all of them at once, in an order that does
  // not depend on batching, and the clipped self-similarity, which needs the clipped dims before it
  // sees a vector, replays them.
  const keepFit = moments !== null || (side?.keepsFitBatches ?? false);
  const fitBatches: LayerBatch[] = [];
  // the side worker's unfinished batches
  const inflight: Promise<void>[] = [];

  let tokens = 0, truncated = 0;
  const scratch: Float32Array[] = [];
  try {
    // One pass over the sample in two calls: the fit sentences first, then the rest (sentence indices
    // offset so every row keeps its index in `sentences`).
    for (const [from, to, stage] of [[0, fitSentences, "fit"], [fitSentences, sentences.length, "encode"]] as const) {
      if (from >= to) continue;
      clock.start();
      const part = from === 0 && to === sentences.length ? sentences : sentences.slice(from, to);
      for await (const raw of encoder.encode(part, { batchSize, onProgress: (done) => onProgress?.({ stage, done: from + done, total: sentences.length, worker: inWorker }) })) {
        clock.lap("encode");
        const enc = from === 0 ? raw : { ...raw, sentenceIndex: raw.sentenceIndex.map((i) => i + from) };
        for (let b = 0; b < enc.batch; ++b) if (enc.truncated[b]) truncated++;
        for (const t of enc.tokenCounts) tokens += t;
        // Batches kept for the fit stage get their own buffers; the others reuse `scratch` (every
        // accumulator copies what it keeps, so a batch's vectors are dead once the next one arrives).
        // With the side worker every layer is copied (copy: true): the encoder's buffers go to the worker.
        const layerBatches = toLayerBatches(enc, keepFit && stage === "fit" ? undefined : scratch, inWorker);
        clock.lap("split");
        if (moments && stage === "fit") fitBatches.push(...layerBatches);
        // in a worker the side runs now, beside the loop below; in this thread, after it
        if (inWorker) inflight.push(later(side!.add(stage, enc, layerBatches)));
        for (const lb of layerBatches) {
          // the outlier scan and the position profile read the layer from the kernels' memory: one copy
          stageLayer(lb.data, lb.dim);
          // outliers and positions in one read of each row
          if (positions) outliers.addWith(positions, lb);
          else outliers.add(lb);
          clock.lap("add.outliers");
          unstageLayer();
          if (aniso) {
            aniso.add(lb);
            clock.lap("add.anisotropy");
          }
        }
        if (!inWorker && side) await side.add(stage, enc, layerBatches);
        // the worker may finish the batch while the encoder runs the next one, no further behind
        while (inflight.length > SIDE_LAG) await inflight.shift();
        if (inWorker) clock.lap("wait");
      }
      clock.lap("encode");
      while (inflight.length) await inflight.shift();
      if (inWorker) clock.lap("wait");
      if (stage !== "fit") continue;
      let sideFit: Promise<void> | null = null;
      if (needsClip && !clipDims) {
        // The fit sample's persistent outliers are what clipping zeroes.
        clip = { dims: outlierDims(outliers.result()), source: "fit-sample", fitSentences, matchesOutliers: null };
        clipping = clipper(clip.dims);
        clock.lap("fit");
        // the clipped self-similarity replays the fit sample (in the worker: while the moments are fitted here)
        if (side) sideFit = side.fit(clip.dims);
      }
      if (moments) {
        await moments.addWith(linalg, fitBatches);
        clock.lap("add.moments");
      }
      if (sideFit) {
        await sideFit;
        clock.lap(inWorker ? "wait" : "fit");
      }
      fitBatches.length = 0;
    }
    const step = (analysis: string, done: number, total: number) => {
      clock.start();
      onProgress?.({ stage: "result", done, total, analysis, worker: inWorker });
    };
    const outlierResult = outliers.result();
    const dims = outlierDims(outlierResult);
    if (clip.source === "fit-sample") clip.matchesOutliers = JSON.stringify(clip.dims) === JSON.stringify(dims);
    const results: AnalysisResults = {
      provenance: {},
      settings: { only, seed, includeSpecial, tokens: includeSpecial ? "all" : "non-special", fitSentences, batchSize, linalg: linalg.backend },
      sample: { sentences: sentences.length, tokens, truncated, layers: outlierResult.layerIndices },
      clip,
      outliers: outlierResult,
    };
    const total = only.length;
    if (want("origins")) {
      step("origins", 0, total);
      results.origins = outlierOrigins(encoder.staticTensors(), outlierResult.dimensions.map(({ dim, kind }) => ({ dim, kind })), opts.origins);
      clock.lap("result.origins");
    }
    if (positions) {
      step("positions", 1, total);
      results.positions = positions.result(dims);
      clock.lap("result.positions");
    }
    let probeDone: ProbeResult | null = null;
    if (side && sideSettings.probe) {
      step("probe", 2, total);
      // (the side worker trains it after anisotropy, below)
      if (!inWorker) probeDone = await side.probeResult(dims);
    }
    let anisotropyDone: AnisotropyResult | null = null;
    let probeResult: Promise<ProbeResult | null> | null = null;
    let contributionsDone: ContributionResult | null = null;
    let selfsimDone: Promise<{ raw: SelfSimResult; clipped: SelfSimResult } | null> | null = null;
    if (aniso) {
      step("anisotropy", 3, total);
      const post: Postprocessor[] = [clipping];
      if (moments) {
        post.push(zscorer(moments), allButTheTop(moments, opts.allButTheTop), whitener(moments, opts.whitening));
        clock.lap("result.postprocessFit");
      }
      const a = await aniso.resultWith(linalg, post);
      clock.lap("result.anisotropy");
      // in a worker the probe trains now, beside the rest; not earlier, when its onnxruntime threads
      // would compete with those of the fits and anisotropy above
      if (inWorker && sideSettings.probe) probeResult = later(side!.probeResult(dims));
      if (want("anisotropy") || want("postprocess") || want("selfsim")) anisotropyDone = a;
      if (side && sideSettings.selfsim) {
        step("selfsim", 4, total);
        const raw = new Map(a.layers.map((l) => [l.layer, l.raw]));
        const clipped = new Map(a.layers.map((l) => [l.layer, l.clipped ?? null]));
        selfsimDone = later(side.selfsimResult(raw, clipped));
      }
      if (want("contributions")) {
        step("contributions", 5, total);
        contributionsDone = cosineContributions(aniso, [clipping], { pairs: a.settings.pairs });
        clock.lap("result.contributions");
      }
    }
    // the worker's results (awaited last: they were computed meanwhile), then every result in the
    // same key order whichever thread computed it
    if (inWorker && sideSettings.probe && !probeResult) probeResult = later(side!.probeResult(dims));
    if (probeResult) probeDone = await probeResult;
    const selfsimResult = selfsimDone ? await selfsimDone : null;
    if (inWorker) clock.lap("result.wait");
    if (probeDone) results.probe = probeDone;
    if (anisotropyDone) results.anisotropy = anisotropyDone;
    if (selfsimResult) results.selfsim = selfsimResult;
    if (contributionsDone) results.contributions = contributionsDone;
    results.provenance = {
      ...encoder.provenance(),
      package: packageVersions(),
      node: process.version,
      seed,
      settings: results.settings,
      sampleSizes: { sentences: sentences.length, tokens, fitSentences },
    };
    return results;
  } finally {
    unstageLayer();
    if (side) await side.close();
    if (ownLinalg) await linalg.release();
  }
}

/**
 * A promise awaited later: marked handled now, so that if it fails while this thread fails first
 * (and never awaits it) Node does not also report an unhandled rejection; awaiting it still throws.
 */
function later<T>(p: Promise<T>): Promise<T> {
  p.catch(() => {});
  return p;
}

/**
 * Batches the side worker may still be working on when the encoder starts the next one. 1 (rather
 * than 0, waiting for it before every encode) measured +2.8% and +3.8% against +4.6% on the default
 * sample (all-MiniLM-L6-v2, 2 cores): the worker's tail overlaps the encoder instead of idling it.
 */
const SIDE_LAG = 1;

/** RunOptions.worker resolved: whether the side runs in a worker thread. */
function useWorker(worker: boolean | "auto", sentences: number, linalg: "onnxruntime" | "js" | null): boolean {
  if (worker !== true && worker !== false && worker !== "auto") throw new RangeError(`invalid worker: ${JSON.stringify(worker)}; expected true, false or "auto"`);
  if (worker === true && linalg === null) throw new RangeError('worker: true needs linalg "onnxruntime" or "js" (a Linalg instance cannot move to a worker thread); pass worker: false');
  if (worker !== "auto") return worker;
  return linalg !== null && sentences >= 500 && availableParallelism() > 1;
}

/** Validates `only`; default all analyses. */
export function resolveOnly(only?: readonly string[]): AnalysisName[] {
  if (!only || only.length === 0) return [...ANALYSIS_NAMES];
  for (const n of only) {
    if (!(ANALYSIS_NAMES as readonly string[]).includes(n)) throw new RangeError(`invalid analysis: ${JSON.stringify(n)}; expected one of ${ANALYSIS_NAMES.join(", ")}`);
  }
  return ANALYSIS_NAMES.filter((n) => n === "outliers" || only.includes(n));
}

/**
 * Word keys of one encoded batch: "sentence:word" -> the word's subword tokens joined, with the
 * WordPiece "##" and byte-level "Ġ" / SentencePiece "▁" markers removed.
 */
export function batchWords(enc: EncodedBatch): Map<string, string> {
  const out = new Map<string, string>();
  for (const [s, words] of wordTable(enc)) words.forEach((w, i) => { if (w !== undefined) out.set(`${s}:${i}`, w); });
  return out;
}

/**
 * Lower-cased letter/digit words occurring in at least `min` distinct sentences: the self-similarity
 * candidates (a cheap text pass, so no word vectors are kept for words that cannot qualify).
 */
export function frequentWords(sentences: readonly string[], min: number): Set<string> {
  const counts = new Map<string, number>();
  for (const s of sentences) {
    for (const w of new Set(s.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [])) counts.set(w, (counts.get(w) ?? 0) + 1);
  }
  return new Set([...counts].filter(([, c]) => c >= min).map(([w]) => w));
}

/** Adds the seconds since the last start or lap to `timings[phase]`; does nothing without timings. */
function stopwatch(timings: Record<string, number> | undefined): { start(): void; lap(phase: string): void } {
  let t = 0;
  if (!timings) return { start() {}, lap() {} };
  return {
    start() {
      t = performance.now();
    },
    lap(phase) {
      const now = performance.now();
      timings[phase] = (timings[phase] ?? 0) + (now - t) / 1000;
      t = now;
    },
  };
}

/** The encoder's ORT thread count (its provenance), so the linear algebra uses the same. */
function encoderThreads(encoder: Encoder): number | undefined {
  const t = encoder.provenance().threads;
  return typeof t === "number" ? t : undefined;
}

function packageVersions(): Record<string, string | null> {
  const version = (name: string): string | null => {
    try {
      return (require(`${name}/package.json`) as { version: string }).version;
    } catch {
      return null;
    }
  };
  let own: string | null = null;
  try {
    own = (require("../../../package.json") as { version: string }).version;
  } catch {
    own = null;
  }
  return { "positional-artefacts": own, "onnxruntime-node": version("onnxruntime-node"), "@huggingface/transformers": version("@huggingface/transformers") };
}
