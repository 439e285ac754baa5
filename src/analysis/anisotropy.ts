import type { LayerBatch } from "./batch.js";
import type { Linalg } from "../numerics/linalg.js";
import { applyRowsWith, type Postprocessor, type PostprocessName } from "./postprocess.js";
import { createRandom } from "../numerics/random.js";
import { round6 } from "../numerics/json.js";
import { RunningStats, meanInterval } from "../numerics/moments.js";
import { integer, number } from "../numerics/options.js";
import { cosine } from "../numerics/vectors.js";
import { TokenSample, type LayerSample } from "./tokenSample.js";

/** Options of {@link Anisotropy}. */
export interface AnisotropyOptions {
  /** Token vectors sampled per layer (uniformly, the same tokens in every layer); default 2000. */
  sampleSize?: number;
  /** Random pairs of sampled tokens from different sentences; default 1000 (the paper's 1000 pairs). */
  pairs?: number;
  /** Seed of the token sample and of the pair draw; default 0. */
  seed?: number;
  /** Let special tokens be sampled; default false (DESIGN.md §2). */
  includeSpecial?: boolean;
  /** Confidence level of the normal interval around each mean; default 0.95. */
  level?: number;
}

/** Mean cosine with its confidence interval. */
export interface CosineSummary {
  mean: number | null;
  low: number | null;
  high: number | null;
  /** Pairs with a defined cosine (a zero vector, e.g. fully clipped, has none). */
  pairs: number;
}

export interface AnisotropyLayer {
  layer: number;
  /** Tokens in the layer's sample, and eligible tokens seen. */
  sampled: number;
  seen: number;
  /** Pairs drawn (the same pairs for every variant). */
  pairs: number;
  /** Mean cosine of the raw vectors (null without pairs). */
  raw: number | null;
  clipped?: number | null;
  zscore?: number | null;
  allButTheTop?: number | null;
  whitening?: number | null;
  /** Mean and interval per variant ("raw" and each post-processing). */
  ci: Partial<Record<"raw" | PostprocessName, CosineSummary>>;
}

export interface AnisotropyResult {
  analysis: "anisotropy";
  settings: Required<AnisotropyOptions> & { tokens: "all" | "non-special"; pairing: string; interval: string; variants: ("raw" | PostprocessName)[]; postprocessing: Record<string, unknown> };
  layerIndices: number[];
  layers: AnisotropyLayer[];
}

/**
 * Anisotropy (Ethayarajh 2019; paper §4.1, Fig 6 left): the mean cosine of random token pairs from
 * different sentences, per layer, raw and after each given post-processing, all on the same pairs.
 * Streaming: keeps a seeded uniform sample of token vectors (TokenSample, exact merge); pairs are
 * drawn from the sample at result time.
 */
export class Anisotropy {
  readonly sample: TokenSample;
  readonly #pairs: number;
  readonly #level: number;

  constructor({ sampleSize = 2000, pairs = 1000, seed = 0, includeSpecial = false, level = 0.95 }: AnisotropyOptions = {}) {
    this.sample = new TokenSample({ size: sampleSize, seed, includeSpecial });
    this.#pairs = integer(pairs, "pairs", 1);
    this.#level = number(level, "level", 0.5, 0.999);
  }

  add(batch: LayerBatch): this {
    this.sample.add(batch);
    return this;
  }

  merge(other: Anisotropy): this {
    this.sample.merge(other.sample);
    return this;
  }

  /** The options a state must share to merge (state.ts). */
  settings(): Record<string, unknown> {
    return { ...this.sample.settings(), pairs: this.#pairs, level: this.#level };
  }

  /** The token sample's state (TokenSample.state). */
  state(): ReturnType<TokenSample["state"]> {
    return this.sample.state();
  }

  mergeState(state: ReturnType<TokenSample["state"]>): this {
    this.sample.mergeState(state);
    return this;
  }

  result(postprocessors: readonly Postprocessor[] = []): AnisotropyResult {
    return this.#result(postprocessors, (p, layer, data, dim) => p.applyRows(layer, data, dim), new Map());
  }

  /**
   * result() with each dense post-processing (whitening) applied through `linalg` (one matrix product
   * per layer instead of O(dim²) JS loops per row); with jsLinalg it equals result().
   */
  async resultWith(linalg: Linalg, postprocessors: readonly Postprocessor[] = []): Promise<AnisotropyResult> {
    const done = new Map<string, Float32Array>(), paired = new Map<number, Paired>();
    for (const layer of this.sample.layers()) {
      const pl = this.#paired(layer), { used, dim } = pl;
      paired.set(layer, pl);
      for (const p of postprocessors) if (p.linear) done.set(`${p.name}\u0000${layer}`, await applyRowsWith(linalg, p, layer, used.data, dim));
    }
    return this.#result(postprocessors, (p, layer, data, dim) => done.get(`${p.name}\u0000${layer}`) ?? p.applyRows(layer, data, dim), paired);
  }

  /** The layer's sample, its pairs, and the rows those pairs use. */
  #paired(layer: number): Paired {
    const s = this.sample.layer(layer);
    const drawn = drawPairs(s.sentence, this.#pairs, this.sample.seed);
    return { s, dim: s.dim, drawn, used: pairedRows(s.data, s.dim, drawn) };
  }

  /** `paired`: layers whose sample and pairs the caller already drew (the rest are drawn here). */
  #result(postprocessors: readonly Postprocessor[], apply: (p: Postprocessor, layer: number, data: Float32Array, dim: number) => Float32Array, paired: Map<number, Paired>): AnisotropyResult {
    const { size, seed, includeSpecial } = this.sample;
    const layerIndices = this.sample.layers();
    const layers = layerIndices.map((layer): AnisotropyLayer => {
      const { s, drawn, used } = paired.get(layer) ?? this.#paired(layer);
      const out = { layer, sampled: s.n, seen: s.seen, pairs: drawn.length / 2, raw: null } as Omit<AnisotropyLayer, "ci"> & { ci?: AnisotropyLayer["ci"] };
      const ci: AnisotropyLayer["ci"] = {};
      // Post-processings transform each row on its own, so only the rows in some pair are transformed.
      const pairs = used.pairs;
      const variants: ["raw" | PostprocessName, Float32Array][] = [["raw", used.data]];
      for (const p of postprocessors) variants.push([p.name, apply(p, layer, used.data, s.dim)]);
      for (const [name, data] of variants) {
        const summary = summarise(pairCosines(data, s.dim, pairs), this.#level);
        out[name] = summary.mean;
        ci[name] = summary;
      }
      // ci last, so the JSON reads layer, sizes, raw, clipped, ... then the intervals
      out.ci = ci;
      return out as AnisotropyLayer;
    });
    return {
      analysis: "anisotropy",
      settings: {
        sampleSize: size, pairs: this.#pairs, seed, includeSpecial, level: this.#level, tokens: includeSpecial ? "all" : "non-special",
        pairing: "tokens drawn uniformly with replacement from the layer's sample; a pair from one sentence is redrawn",
        interval: "normal approximation: mean ± z·sd/√pairs",
        variants: ["raw", ...postprocessors.map((p) => p.name)],
        postprocessing: Object.fromEntries(postprocessors.map((p) => [p.name, p.settings])),
      },
      layerIndices, layers,
    };
  }
}

/** One layer's token sample, its drawn pairs, and the rows those pairs use. */
interface Paired {
  s: LayerSample;
  dim: number;
  drawn: Int32Array;
  used: { data: Float32Array; pairs: Int32Array };
}

/**
 * Draws `count` index pairs (i, j) into a sample whose token k belongs to sentence[k], uniformly with
 * replacement, redrawing any pair from one sentence. Deterministic in (seed, sentence array), so every
 * layer of one TokenSample gets the same pairs. Returns [count x 2]; throws when every token comes
 * from one sentence.
 */
export function drawPairs(sentence: Int32Array, count: number, seed: number): Int32Array {
  const n = sentence.length;
  const out = new Int32Array(count * 2);
  if (count === 0) return out;
  let distinct = false;
  for (let i = 1; i < n && !distinct; ++i) distinct = sentence[i] !== sentence[0];
  if (!distinct) throw new RangeError(`anisotropy: the token sample holds ${n} tokens from ${n ? "one sentence" : "no sentence"}; pairs need tokens from at least two sentences (add sentences or raise sampleSize)`);
  const rng = createRandom(seed);
  for (let k = 0; k < count; ++k) {
    let i: number, j: number;
    do {
      i = rng.int(n);
      j = rng.int(n);
    } while (sentence[i] === sentence[j]);
    out[2 * k] = i;
    out[2 * k + 1] = j;
  }
  return out;
}

/**
 * The rows of `data` ([n x dim], row-major) that occur in `pairs`, compacted in order of first
 * occurrence, and the pairs renumbered to index them: the same cosines at a fraction of the cost of
 * transforming every row (1000 pairs touch about 1,260 of 2,000 sampled rows).
 */
export function pairedRows(data: Float32Array, dim: number, pairs: Int32Array): { data: Float32Array; pairs: Int32Array } {
  const index = new Map<number, number>(), out = new Int32Array(pairs.length);
  for (let k = 0; k < pairs.length; ++k) {
    let j = index.get(pairs[k]);
    if (j === undefined) index.set(pairs[k], (j = index.size));
    out[k] = j;
  }
  const rows = new Float32Array(index.size * dim);
  for (const [r, j] of index) rows.set(data.subarray(r * dim, (r + 1) * dim), j * dim);
  return { data: rows, pairs: out };
}

/** Cosine of each pair of rows (null where a row has zero norm). */
export function pairCosines(data: Float32Array, dim: number, pairs: Int32Array): (number | null)[] {
  const out: (number | null)[] = [];
  for (let k = 0; k < pairs.length; k += 2) out.push(cosine(data, pairs[k] * dim, data, pairs[k + 1] * dim, dim));
  return out;
}

function summarise(cosines: (number | null)[], level: number): CosineSummary {
  const s = new RunningStats();
  for (const c of cosines) if (c !== null) s.add(c);
  const ci = meanInterval(s, level);
  return {
    mean: s.count ? round6(s.mean) : null,
    low: ci ? round6(ci.low) : null, high: ci ? round6(ci.high) : null, pairs: s.count,
  };
}

/** One-shot: anisotropy of an iterable of layer batches. */
export function anisotropy(batches: Iterable<LayerBatch>, options?: AnisotropyOptions, postprocessors?: readonly Postprocessor[]): AnisotropyResult {
  const a = new Anisotropy(options);
  for (const b of batches) a.add(b);
  return a.result(postprocessors);
}

export type { LayerSample };
