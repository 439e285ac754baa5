import type { Postprocessor, PostprocessName } from "./postprocess.js";
import { drawPairs, pairedRows, type Anisotropy } from "./anisotropy.js";
import { round6, toJsonArray } from "../numerics/json.js";
import { integer } from "../numerics/options.js";
import type { LayerSample } from "./tokenSample.js";

/** Options of {@link cosineContributions}. */
export interface ContributionOptions {
  /** Random pairs (the anisotropy's own pairs when the same count and seed); default 1000. */
  pairs?: number;
  /** Pair seed; default: the sample's seed (so the pairs are the anisotropy's). */
  seed?: number | null;
  /** Dimensions listed in `top` per layer and variant; default 10. */
  top?: number;
}

export interface ContributionLayer {
  layer: number;
  variant: "raw" | PostprocessName;
  pairs: number;
  /** Mean cosine: the sum of `contributions` (equal to the anisotropy on the same pairs). */
  total: number | null;
  /** Per dimension: mean over pairs of u_i v_i / (|u| |v|). */
  contributions: number[];
  /** Largest |contribution| first: dim, value, and value / total. */
  top: { dim: number; value: number; share: number | null }[];
}

export interface ContributionResult {
  analysis: "contributions";
  settings: { pairs: number; seed: number; top: number; sampleSize: number; tokens: "all" | "non-special"; variants: ("raw" | PostprocessName)[] };
  layers: ContributionLayer[];
}

/**
 * Each dimension's contribution to the mean cosine of random pairs: for a pair (u, v) the cosine is
 * Σ_i u_i v_i / (|u||v|), so the mean over pairs splits exactly into one term per dimension. A reader
 * sees how much of the anisotropy one outlier carries, and why clipping it lowers the mean.
 */
export function cosineContributions(anisotropy: Anisotropy, postprocessors: readonly Postprocessor[] = [], { pairs = 1000, seed = null, top = 10 }: ContributionOptions = {}): ContributionResult {
  integer(pairs, "pairs", 1);
  integer(top, "top", 0);
  const sample = anisotropy.sample;
  const pairSeed = seed === null ? sample.seed : integer(seed, "seed", 0, 0xffffffff);
  const layers: ContributionLayer[] = [];
  for (const layer of sample.layers()) {
    const s = sample.layer(layer);
    // only the rows in some pair are (copied and) transformed; the sums are the same
    const used = pairedRows(s.data, s.dim, drawPairs(s.sentence, pairs, pairSeed));
    layers.push(layerContributions(s, used.data, used.pairs, "raw", top));
    for (const p of postprocessors) layers.push(layerContributions(s, p.applyRows(layer, used.data, s.dim), used.pairs, p.name, top));
  }
  return {
    analysis: "contributions",
    settings: { pairs, seed: pairSeed, top, sampleSize: sample.size, tokens: sample.includeSpecial ? "all" : "non-special", variants: ["raw", ...postprocessors.map((p) => p.name)] },
    layers,
  };
}

/** Contributions of one layer's sample (data may be a post-processed copy of sample.data) on the given pairs. */
export function layerContributions(s: LayerSample, data: Float32Array, pairs: Int32Array, variant: ContributionLayer["variant"], top = 10): ContributionLayer {
  const dim = s.dim, sums = new Float64Array(dim);
  let used = 0;
  for (let k = 0; k < pairs.length; k += 2) {
    const a = pairs[k] * dim, b = pairs[k + 1] * dim;
    let na = 0, nb = 0;
    for (let i = 0; i < dim; ++i) {
      na += data[a + i] * data[a + i];
      nb += data[b + i] * data[b + i];
    }
    // A zero vector has no cosine; it is left out, as in the anisotropy.
    if (!(na > 0 && nb > 0)) continue;
    const inv = 1 / Math.sqrt(na * nb);
    for (let i = 0; i < dim; ++i) sums[i] += data[a + i] * data[b + i] * inv;
    used++;
  }
  let total = 0;
  for (let i = 0; i < dim; ++i) total += sums[i] /= used || 1;
  const order = Array.from({ length: dim }, (_, i) => i).sort((x, y) => Math.abs(sums[y]) - Math.abs(sums[x]) || x - y);
  return {
    layer: s.layer, variant, pairs: used, total: used ? round6(total) : null, contributions: toJsonArray(sums),
    top: used ? order.slice(0, top).map((d) => ({ dim: d, value: round6(sums[d]), share: total !== 0 ? round6(sums[d] / total) : null })) : [],
  };
}
