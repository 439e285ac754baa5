/**
 * Sentence embeddings for semantic textual similarity (paper §4.3; Tables 2, 6, 7): a sentence's
 * vector is the mean of its token vectors at one layer, raw or clipped; each pair is scored by cosine
 * and compared with the gold scores by Spearman's rho (tie-aware) and Pearson's r, both x 100, per
 * layer. For sets with several subsets (SentEval STS12-16) it reports the pooled correlation ("all"),
 * the subset-size-weighted mean ("wmean") and each subset, as SentEval does.
 *
 * Special tokens: the paper says "the mean of all subword vectors"; DESIGN.md excludes [CLS]/[SEP]
 * from statistics by default, so the default mean covers the sentence's own tokens only, and
 * `includeSpecial: true` adds [CLS] and [SEP] (the sentence-transformers mean). Padding never enters.
 */
import { PairCosines } from "./pairCosines.js";
import type { EncodedBatch } from "../model/types.js";
import type { StsSet } from "../data/formats/sts.js";
import { pearson, spearman } from "./correlation.js";
import { cosine } from "../numerics/vectors.js";

/** Dimensions to zero: one list for every layer, or a map layer -> list (unlisted layers unchanged). */
export type ClipSpec = readonly number[] | Readonly<Record<number, readonly number[]>>;

/** What the sentence analyses need from an encoder (src/model/encoder.ts provides it). */
export interface SentenceEncoder {
  encode(sentences: string[], options?: { batchSize?: number }): AsyncIterable<EncodedBatch>;
}

/** The dimensions `clip` zeroes at `layer`, checked against the hidden size. */
export function clipDimsFor(clip: ClipSpec | undefined, layer: number, hidden: number): number[] {
  if (!clip) return [];
  const dims = Array.isArray(clip) ? (clip as readonly number[]) : ((clip as Readonly<Record<number, readonly number[]>>)[layer] ?? []);
  for (const d of dims) {
    if (!Number.isInteger(d) || d < 0 || d >= hidden) {
      throw new RangeError(`invalid clip dimension: ${JSON.stringify(d)} at layer ${layer}; expected an integer in [0, ${hidden - 1}] (hidden size ${hidden})`);
    }
  }
  return [...dims];
}

/** Checks that every layer named in a per-layer clip map exists (0..layers). */
export function checkClipLayers(clip: ClipSpec | undefined, layers: number): void {
  if (!clip || Array.isArray(clip)) return;
  for (const k of Object.keys(clip)) {
    const l = Number(k);
    if (!Number.isInteger(l) || l < 0 || l > layers) throw new RangeError(`invalid clip layer: ${JSON.stringify(k)}; the model has layers 0..${layers}`);
  }
}

/** Checks that requested layers exist; returns them sorted, or 1..layers when none are given. */
export function resolveLayers(requested: readonly number[] | undefined, layers: number): number[] {
  if (!requested) return Array.from({ length: layers }, (_, i) => i + 1);
  if (requested.length === 0) throw new RangeError("invalid layers: []; give at least one layer");
  for (const l of requested) {
    if (!Number.isInteger(l) || l < 0 || l > layers) throw new RangeError(`invalid layer: ${JSON.stringify(l)}; the model has layers 0..${layers}`);
  }
  return [...new Set(requested)].sort((a, b) => a - b);
}

/**
 * Mean-pools every row of an EncodedBatch at every layer. Returns, per row, a Float64Array of
 * [(L+1) x hidden] (layer-major). Tokens with attentionMask 0 never count; special tokens count only
 * when includeSpecial. A row without counted tokens gives zeros and count 0.
 */
export function meanPoolBatch(encoded: EncodedBatch, includeSpecial: boolean): { vectors: Float64Array[]; counts: number[] } {
  const { batch, length, hidden, layers, attentionMask, specialMask } = encoded;
  const vectors: Float64Array[] = [], counts: number[] = [];
  for (let b = 0; b < batch; ++b) {
    const out = new Float64Array(layers.length * hidden);
    let count = 0;
    for (let t = 0; t < length; ++t) {
      const k = b * length + t;
      if (!attentionMask[k] || (specialMask[k] && !includeSpecial)) continue;
      ++count;
      for (let l = 0; l < layers.length; ++l) {
        const src = layers[l], so = k * hidden, oo = l * hidden;
        for (let d = 0; d < hidden; ++d) out[oo + d] += src[so + d];
      }
    }
    if (count > 0) for (let i = 0; i < out.length; ++i) out[i] /= count;
    vectors.push(out);
    counts.push(count);
  }
  return { vectors, counts };
}

/** Cosine of a[ao, ao+n) and b[bo, bo+n) with the dims in `zero` treated as 0; 0 when a norm is 0. */
export function clippedCosine(a: ArrayLike<number>, ao: number, b: ArrayLike<number>, bo: number, n: number, zero: readonly number[]): number {
  if (zero.length === 0) return cosine(a, ao, b, bo, n) ?? 0;
  let ab = 0, aa = 0, bb = 0;
  const skip = new Set(zero);
  for (let i = 0; i < n; ++i) {
    if (skip.has(i)) continue;
    const x = a[ao + i], y = b[bo + i];
    ab += x * y;
    aa += x * x;
    bb += y * y;
  }
  return aa > 0 && bb > 0 ? ab / Math.sqrt(aa * bb) : 0;
}

/** Correlations x 100; null where undefined (fewer than 2 pairs, or constant scores). */
export interface Correlations {
  spearman: number | null;
  pearson: number | null;
}

export interface StsScores {
  /** All pairs pooled (SentEval "all"). */
  all: Correlations;
  /** Mean of the subsets' correlations weighted by subset size (SentEval "wmean"); null if any subset's is null. */
  wmean: Correlations;
  subsets: ({ name: string; pairs: number } & Correlations)[];
}

export interface StsLayer {
  layer: number;
  raw: StsScores;
  /** Null when no clipping was requested. */
  clipped: StsScores | null;
}

export interface StsBest {
  layer: number;
  spearman: number;
}

export interface StsResult {
  /** Always "correlation x 100". */
  units: string;
  sizes: { pairs: number; subsets: { name: string; pairs: number; skipped: number }[] };
  /** Every layer 0..L. */
  layers: StsLayer[];
  /** Best layer by Spearman among settings.searchLayers, by "all" and by "wmean"; ties go to the lower layer. */
  best: { raw: { all: StsBest | null; wmean: StsBest | null }; clipped: { all: StsBest | null; wmean: StsBest | null } | null };
  settings: Record<string, unknown> & { searchLayers: number[] };
}

/**
 * Collects per-pair cosines (one per layer, raw and optionally clipped) with gold scores and subset
 * ids, and turns them into per-layer correlations. Cosines are kept (Spearman needs every value):
 * memory is pairs x layers x 2 numbers.
 */
export class StsScorer {
  readonly #subsets: string[];
  readonly #skipped: number[];
  readonly #gold: number[] = [];
  readonly #subset: number[] = [];
  readonly #cos = new PairCosines();

  constructor(subsets: readonly string[], skipped: readonly number[] = subsets.map(() => 0)) {
    if (subsets.length === 0) throw new RangeError("invalid subsets: []; name at least one subset");
    this.#subsets = [...subsets];
    this.#skipped = [...skipped];
  }

  /** Adds one pair: its subset index, gold score and cosine per layer (index = layer). */
  add({ subset, gold, raw, clipped = null }: { subset: number; gold: number; raw: ArrayLike<number>; clipped?: ArrayLike<number> | null }): this {
    if (!Number.isInteger(subset) || subset < 0 || subset >= this.#subsets.length) {
      throw new RangeError(`invalid subset: ${JSON.stringify(subset)}; expected 0..${this.#subsets.length - 1}`);
    }
    this.#cos.push(raw, clipped);
    this.#gold.push(gold);
    this.#subset.push(subset);
    return this;
  }

  /** Appends another scorer's pairs after this one's (shards of one set, in order); exact. Subset names must match. */
  merge(other: StsScorer): this {
    if (other.#subsets.join("\u0000") !== this.#subsets.join("\u0000")) {
      throw new RangeError(`invalid merge: subsets ${JSON.stringify(other.#subsets)} differ from ${JSON.stringify(this.#subsets)}; merge shards of the same set`);
    }
    other.#gold.forEach((gold, i) => this.add({ subset: other.#subset[i], gold, raw: other.#cos.raw[i], clipped: other.#cos.clippedAt(i) }));
    return this;
  }

  /** Per-layer correlations; searchLayers (default 1..L) limits the best-layer search. */
  result({ searchLayers, settings = {} }: { searchLayers?: number[]; settings?: Record<string, unknown> } = {}): StsResult {
    const n = this.#gold.length;
    const L = this.#cos.layers;
    const search = searchLayers ?? Array.from({ length: Math.max(L - 1, 0) }, (_, i) => i + 1);
    const perSubset = this.#subsets.map((_, s) => this.#subset.reduce<number[]>((acc, x, i) => (x === s ? (acc.push(i), acc) : acc), []));
    const layers: StsLayer[] = [];
    for (let l = 0; l < L; ++l) {
      layers.push({ layer: l, raw: this.#scores(this.#cos.raw, l, perSubset), clipped: this.#cos.hasClipped ? this.#scores(this.#cos.clipped, l, perSubset) : null });
    }
    const pick = (get: (x: StsLayer) => number | null | undefined): StsBest | null => {
      let best: StsBest | null = null;
      for (const x of layers) {
        const v = get(x);
        if (!search.includes(x.layer) || v === null || v === undefined) continue;
        if (!best || v > best.spearman) best = { layer: x.layer, spearman: v };
      }
      return best;
    };
    return {
      units: "correlation x 100",
      sizes: { pairs: n, subsets: this.#subsets.map((name, s) => ({ name, pairs: perSubset[s].length, skipped: this.#skipped[s] ?? 0 })) },
      layers,
      best: {
        raw: { all: pick((x) => x.raw.all.spearman), wmean: pick((x) => x.raw.wmean.spearman) },
        clipped: this.#cos.hasClipped ? { all: pick((x) => x.clipped?.all.spearman), wmean: pick((x) => x.clipped?.wmean.spearman) } : null,
      },
      settings: { ...settings, searchLayers: search },
    };
  }

  #scores(cos: number[][], layer: number, perSubset: number[][]): StsScores {
    const x = cos.map((c) => c[layer]);
    const subsets = this.#subsets.map((name, s) => {
      const idx = perSubset[s];
      return { name, pairs: idx.length, ...correlations(idx.map((i) => x[i]), idx.map((i) => this.#gold[i])) };
    });
    const wmean = (key: "spearman" | "pearson"): number | null => {
      let sum = 0, w = 0;
      for (const s of subsets) {
        if (s.pairs === 0) continue;
        const v = s[key];
        if (v === null) return null;
        sum += s.pairs * v;
        w += s.pairs;
      }
      return w > 0 ? sum / w : null;
    };
    return { all: correlations(x, this.#gold), wmean: { spearman: wmean("spearman"), pearson: wmean("pearson") }, subsets };
  }
}

function correlations(x: number[], y: number[]): Correlations {
  const s = spearman(x, y), p = pearson(x, y);
  return { spearman: s === null ? null : 100 * s, pearson: p === null ? null : 100 * p };
}

export interface StsOptions {
  /** Dimensions to zero for the clipped scores; default none (clipped results are null). */
  clip?: ClipSpec;
  /** Include [CLS]/[SEP] in the mean; default false (see the file comment). */
  includeSpecial?: boolean;
  /** Layers searched for the best score; default 1..L (every layer is still reported). */
  layers?: number[];
  /** Sentences per encoder batch; default 32. */
  batchSize?: number;
}

/**
 * Encodes both sentences of every pair of `set` and scores them per layer (see the file comment).
 * Each pair's pooled vectors are kept only until its partner sentence arrives.
 */
export async function evaluateSts(encoder: SentenceEncoder, set: StsSet, { clip, includeSpecial = false, layers, batchSize = 32 }: StsOptions = {}): Promise<StsResult> {
  const gold: number[] = [], subsetOf: number[] = [], sentences: string[] = [];
  set.subsets.forEach((s, si) => {
    for (let i = 0; i < s.a.length; ++i) {
      sentences.push(s.a[i], s.b[i]);
      gold.push(s.scores[i]);
      subsetOf.push(si);
    }
  });
  if (gold.length === 0) throw new RangeError(`invalid set ${JSON.stringify(set.name)}: no sentence pairs; load a file with scored pairs`);
  const scorer = new StsScorer(set.subsets.map((s) => s.name), set.subsets.map((s) => s.skipped));
  const results = new Array<{ raw: Float64Array; clipped: Float64Array | null } | undefined>(gold.length);
  const pending = new Map<number, Float64Array>();
  let L = -1, hidden = 0, emptySentences = 0;
  let clipDims: number[][] = [];
  for await (const encoded of encoder.encode(sentences, { batchSize })) {
    if (L < 0) {
      L = encoded.layers.length - 1;
      hidden = encoded.hidden;
      checkClipLayers(clip, L);
      clipDims = encoded.layers.map((_, l) => clipDimsFor(clip, l, hidden));
    }
    const { vectors, counts } = meanPoolBatch(encoded, includeSpecial);
    encoded.sentenceIndex.forEach((si, row) => {
      if (counts[row] === 0) ++emptySentences;
      const pair = si >> 1;
      const other = pending.get(pair);
      if (!other) { pending.set(pair, vectors[row]); return; }
      pending.delete(pair);
      const raw = new Float64Array(L + 1), clipped = clip ? new Float64Array(L + 1) : null;
      for (let l = 0; l <= L; ++l) {
        raw[l] = cosine(other, l * hidden, vectors[row], l * hidden, hidden) ?? 0;
        if (clipped) clipped[l] = clippedCosine(other, l * hidden, vectors[row], l * hidden, hidden, clipDims[l]);
      }
      results[pair] = { raw, clipped };
    });
  }
  for (let i = 0; i < gold.length; ++i) {
    const r = results[i];
    if (!r) throw new Error(`encoder: pair ${i} of ${JSON.stringify(set.name)} was not fully encoded; the encoder must yield every sentence once`);
    scorer.add({ subset: subsetOf[i], gold: gold[i], raw: r.raw, clipped: r.clipped });
  }
  const search = resolveLayers(layers, L);
  return scorer.result({
    searchLayers: search,
    settings: {
      set: set.name, format: set.format, scale: set.scale, pooling: "mean", includeSpecial, similarity: "cosine",
      clip: clip ? (Array.isArray(clip) ? [...clip] : { ...clip }) : null, emptySentences, layersInModel: L,
    },
  });
}
