import { performance } from "node:perf_hooks";
import type { Encoder } from "../model/encoder.js";
import type { EncodedBatch } from "../model/types.js";
import { Anisotropy, type AnisotropyOptions, type AnisotropyResult } from "./anisotropy.js";
import { toLayerBatches, type LayerBatch } from "./batch.js";
import { cosineContributions, type ContributionResult } from "./contributions.js";
import { outlierOrigins, type OriginOptions, type OriginResult } from "./origins.js";
import { OutlierCounter, outlierDims, type OutlierOptions, type OutlierResult } from "./outliers.js";
import { PositionProfile, type PositionResult } from "./positions.js";
import {
  LayerMoments, allButTheTop, clipper, whitener, zscorer, type AllButTheTopOptions, type Postprocessor, type WhiteningOptions,
} from "./postprocess.js";
import { createOrtLinalg } from "../model/linalg.js";
import { jsLinalg, type Linalg } from "./linalg.js";
import { PositionProbe, type ProbeOptions, type ProbeResult } from "./probe.js";
import { SelfSimilarity, type SelfSimResult } from "./selfsim.js";
import { VectorSlots, stageLayer, unstageLayer } from "./kernels.js";
import { integer } from "./stats.js";

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
  onProgress?: (p: RunProgress) => void;
  /**
   * When given, seconds spent per phase are added to it (for `npm run bench`): "encode" (waiting for
   * the encoder), "split" (toLayerBatches and word keys), "add.NAME" (each accumulator's add, the
   * fit-sample moments included; "add.outliers" includes the position profile, fused with it in one
   * pass), "fit" (picking the clipped dims and replaying the fit sample into the
   * clipped self-similarity), "result.NAME" (each result-time computation).
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
  const positions = want("positions") ? new PositionProfile({ includeSpecial, maxPositions: encoder.maxLength }) : null;
  const probe = want("probe") ? new PositionProbe({ ...opts.probe, includeSpecial, seed }) : null;
  const aniso = needsAnisotropy ? new Anisotropy({ ...opts.anisotropy, includeSpecial, seed }) : null;
  const moments = want("postprocess") ? new LayerMoments({ includeSpecial }) : null;
  let words: Map<number, string[]> = new Map();
  const wordKey = (s: number, w: number) => words.get(s)?.[w] ?? null;
  const selfsimOpts = { wordKey, seed, minOccurrences: opts.selfsim?.minOccurrences ?? 5, maxWords: opts.selfsim?.maxWords ?? 1000 };
  const eligible = want("selfsim") ? frequentWords(sentences, selfsimOpts.minOccurrences) : null;
  // raw and clipped sums share one pool, so SelfSimilarity.addPair reads each token vector once for both
  const pool = want("selfsim") ? new VectorSlots(encoder.hidden) : null;
  const selfRaw = want("selfsim") ? new SelfSimilarity({ ...selfsimOpts, words: eligible, slots: pool }) : null;
  const ownLinalg = opts.linalg === undefined || opts.linalg === "onnxruntime";
  const linalg: Linalg = ownLinalg ? await createOrtLinalg({ threads: encoderThreads(encoder) }) : opts.linalg === "js" ? jsLinalg : (opts.linalg as Linalg);

  let clip: AnalysisResults["clip"] = { dims: [], source: "none", fitSentences, matchesOutliers: null };
  if (needsClip && clipDims) clip = { dims: [...clipDims].sort((a, b) => a - b), source: "option", fitSentences, matchesOutliers: null };
  let clipping = clipper(clip.dims);
  // zeroDims: the clipped self-similarity zeroes the clipped dims itself, without a copy of every batch
  let selfClip = want("selfsim") ? new SelfSimilarity({ ...selfsimOpts, words: eligible, zeroDims: clip.dims, slots: pool }) : null;
  // The fit sentences' layer batches wait here until their stage ends (memory bounded by the fit
  // sample, not the corpus): the moments are then fitted on all of them at once, in an order that does
  // not depend on batching, and the clipped self-similarity, which needs the clipped dims before it
  // sees a vector, replays them.
  const deferClipped = selfClip !== null && needsClip && !clipDims;
  const keepFit = moments !== null || deferClipped;
  const fitBatches: { batches: LayerBatch[]; words: Map<number, string[]> }[] = [];

  let tokens = 0, truncated = 0;
  const scratch: Float32Array[] = [];
  try {
    // One pass over the sample in two calls: the fit sentences first, then the rest (sentence indices
    // offset so every row keeps its index in `sentences`).
    for (const [from, to, stage] of [[0, fitSentences, "fit"], [fitSentences, sentences.length, "encode"]] as const) {
      if (from >= to) continue;
      clock.start();
      const part = from === 0 && to === sentences.length ? sentences : sentences.slice(from, to);
      for await (const raw of encoder.encode(part, { batchSize, onProgress: (done) => onProgress?.({ stage, done: from + done, total: sentences.length }) })) {
        clock.lap("encode");
        const enc = from === 0 ? raw : { ...raw, sentenceIndex: raw.sentenceIndex.map((i) => i + from) };
        if (selfRaw) words = wordTable(enc);
        for (let b = 0; b < enc.batch; ++b) if (enc.truncated[b]) truncated++;
        for (const t of enc.tokenCounts) tokens += t;
        // Batches kept for the fit stage get their own buffers; the others reuse `scratch` (every
        // accumulator copies what it keeps, so a batch's vectors are dead once the next one arrives).
        const layerBatches = toLayerBatches(enc, keepFit && stage === "fit" ? undefined : scratch);
        clock.lap("split");
        if (keepFit && stage === "fit") fitBatches.push({ batches: layerBatches, words });
        for (const lb of layerBatches) {
          // the outlier scan and the position profile read the layer from the kernels' memory: one copy
          stageLayer(lb.data, lb.dim);
          // outliers and positions in one read of each row
          if (positions) outliers.addWith(positions, lb);
          else outliers.add(lb);
          clock.lap("add.outliers");
          unstageLayer();
          if (probe) {
            probe.add(lb);
            clock.lap("add.probe");
          }
          if (aniso) {
            aniso.add(lb);
            clock.lap("add.anisotropy");
          }
          if (selfRaw && selfClip) {
            if (deferClipped && stage === "fit") selfRaw.add(lb);
            else SelfSimilarity.addPair(selfRaw, selfClip, lb);
            clock.lap("add.selfsim");
          }
        }
      }
      clock.lap("encode");
      if (stage !== "fit") continue;
      if (moments) {
        await moments.addWith(linalg, fitBatches.flatMap((f) => f.batches));
        clock.lap("add.moments");
      }
      if (needsClip && !clipDims) {
        // The fit sample's persistent outliers are what clipping zeroes.
        clip = { dims: outlierDims(outliers.result()), source: "fit-sample", fitSentences, matchesOutliers: null };
        clipping = clipper(clip.dims);
        if (selfClip) selfClip = new SelfSimilarity({ ...selfsimOpts, words: eligible, zeroDims: clip.dims, slots: pool }); // no adds yet under deferClipped
        if (deferClipped) {
          for (const f of fitBatches) {
            words = f.words;
            for (const lb of f.batches) selfClip!.add(lb);
          }
        }
        clock.lap("fit");
      }
      fitBatches.length = 0;
    }
    const step = (analysis: string, done: number, total: number) => {
      clock.start();
      onProgress?.({ stage: "result", done, total, analysis });
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
    if (probe) {
      step("probe", 2, total);
      results.probe = await probe.resultWith(linalg, dims);
      clock.lap("result.probe");
    }
    if (aniso) {
      step("anisotropy", 3, total);
      const post: Postprocessor[] = [clipping];
      if (moments) {
        post.push(zscorer(moments), allButTheTop(moments, opts.allButTheTop), whitener(moments, opts.whitening));
        clock.lap("result.postprocessFit");
      }
      const a = await aniso.resultWith(linalg, post);
      clock.lap("result.anisotropy");
      if (want("anisotropy") || want("postprocess") || want("selfsim")) results.anisotropy = a;
      if (selfRaw && selfClip) {
        step("selfsim", 4, total);
        const raw = new Map(a.layers.map((l) => [l.layer, l.raw]));
        const clipped = new Map(a.layers.map((l) => [l.layer, l.clipped ?? null]));
        results.selfsim = { raw: selfRaw.result(raw), clipped: selfClip.result(clipped) };
        clock.lap("result.selfsim");
      }
      if (want("contributions")) {
        step("contributions", 5, total);
        results.contributions = cosineContributions(aniso, [clipping], { pairs: a.settings.pairs });
        clock.lap("result.contributions");
      }
    }
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
    if (ownLinalg) await linalg.release();
  }
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

/** batchWords as sentence -> words by word index (no string keys: what runAnalyses looks words up in). */
function wordTable(enc: EncodedBatch): Map<number, string[]> {
  const out = new Map<number, string[]>();
  for (let b = 0; b < enc.batch; ++b) {
    const toks = enc.tokens[b], words: string[] = [];
    for (let i = 0; i < toks.length; ++i) {
      const w = enc.wordIds[b * enc.length + i];
      if (w < 0) continue;
      const piece = toks[i].replace(/^##/, "").replace(/^[\u0120\u2581]/, "");
      words[w] = (words[w] ?? "") + piece;
    }
    out.set(enc.sentenceIndex[b], words);
  }
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
