import { sameDim, type LayerBatch } from "./batch.js";
import type { Linalg } from "../numerics/linalg.js";
import { choleskyInverse } from "../numerics/cholesky.js";
import { topEigen } from "../numerics/eigen/lanczos.js";
import { symmetricEigen } from "../numerics/eigen/symmetric.js";
import { toJsonArray } from "../numerics/json.js";
import { centredRows, VectorMoments } from "../numerics/moments.js";
import { integer, number } from "../numerics/options.js";
import { decodeArray, encodeArray, type EncodedArray } from "../numerics/arrays.js";
import { linearCovariance, maskCovariance, projectOutCovariance, scaleCovariance } from "./postprocessCovariance.js";

/** The post-processings compared with clipping (DESIGN.md §2: beside it, never instead of it). */
export type PostprocessName = "clipped" | "zscore" | "allButTheTop" | "whitening";
export const POSTPROCESS_NAMES: readonly PostprocessName[] = ["clipped", "zscore", "allButTheTop", "whitening"];

/** A fitted, per-layer vector transform applied to batches while streaming. */
export interface Postprocessor {
  readonly name: PostprocessName;
  /** Layers it can transform, ascending (clipping: every layer, also unlisted ones, when dims are global). */
  readonly layers: number[] | "all";
  /** Plain-JSON description of what was fitted (dims zeroed, components removed, sample size). */
  readonly settings: Record<string, unknown>;
  /** Transforms rows of data ([n x dim], row-major) of `layer` into a new array. */
  applyRows(layer: number, data: Float32Array, dim: number): Float32Array;
  /**
   * For a dense linear map, its form x' = (x - mean) · matrix ([dim x dim] row-major), so a caller
   * with a fast matrix product ({@link Linalg}) can apply it to many rows at once; absent when the
   * transform is cheap in applyRows (clipping, z-scoring, all-but-the-top's few components).
   */
  linear?(layer: number, dim: number): { mean: Float64Array; matrix: Float32Array };
  /**
   * The covariance of the transformed vectors of `layer` from the inputs' covariance ([dim x dim]):
   * every post-processing here is affine, x' = A (x - mean), so it is A Σ Aᵀ (postprocessCovariance.ts).
   */
  covariance?(layer: number, cov: ArrayLike<number>, dim: number): Float64Array;
}

/**
 * Transforms rows like p.applyRows, but through linalg.matmul when p is a dense linear map (whitening:
 * O(dim²) per row, the costly one); float32 sums there, so results match applyRows to float32 rounding.
 */
export async function applyRowsWith(linalg: Linalg, p: Postprocessor, layer: number, data: Float32Array, dim: number): Promise<Float32Array> {
  if (!p.linear || linalg.backend === "js") return p.applyRows(layer, data, dim);
  const { mean, matrix } = p.linear(layer, dim);
  const rows = data.length / dim, centred = new Float32Array(data.length);
  for (let o = 0; o < data.length; o += dim) for (let i = 0; i < dim; ++i) centred[o + i] = data[o + i] - mean[i];
  return linalg.matmul(centred, matrix, rows, dim, dim);
}

/** Returns a copy of the batch with its vectors transformed (the index arrays are shared). */
export function applyPostprocessor(p: Postprocessor, batch: LayerBatch): LayerBatch {
  return { ...batch, data: p.applyRows(batch.layer, batch.data, batch.dim) };
}

/**
 * Clipping (paper §4): sets the chosen dimensions to 0. `dims` is one list for every layer, or a
 * map layer -> list (layers missing from the map are left unchanged, as the paper leaves BERT-large's
 * layer 24).
 */
export function clipper(dims: readonly number[] | Readonly<Record<number, readonly number[]>>): Postprocessor {
  const global = Array.isArray(dims);
  const perLayer = new Map<number, number[]>();
  if (!global) for (const [k, v] of Object.entries(dims)) perLayer.set(integer(Number(k), "clip layer", 0), [...(v as number[])].sort((a, b) => a - b));
  const globalDims = global ? [...(dims as number[])].sort((a, b) => a - b) : [];
  for (const d of global ? globalDims : [...perLayer.values()].flat()) integer(d, "clip dimension", 0);
  return {
    name: "clipped",
    layers: global ? "all" : [...perLayer.keys()].sort((a, b) => a - b),
    settings: global ? { dims: globalDims, layers: "all" } : { dims: Object.fromEntries([...perLayer].sort((a, b) => a[0] - b[0])) },
    applyRows(layer, data, dim) {
      const zero = global ? globalDims : perLayer.get(layer) ?? [];
      for (const d of zero) if (d >= dim) throw new RangeError(`invalid clip dimension: ${d}; layer ${layer} has dim ${dim}`);
      const out = data.slice();
      for (let o = 0; o < out.length; o += dim) for (const d of zero) out[o + d] = 0;
      return out;
    },
    covariance: (layer, cov, dim) => maskCovariance(cov, dim, global ? globalDims : perLayer.get(layer) ?? []),
  };
}

/** Options of {@link LayerMoments}. */
export interface MomentOptions {
  /** Fit on special tokens too; default false (DESIGN.md §2). */
  includeSpecial?: boolean;
}

/** Streaming per-layer mean and covariance (float64, exact merge): what the fitted post-processings need. */
export class LayerMoments {
  readonly includeSpecial: boolean;
  readonly #layers = new Map<number, VectorMoments>();
  /** Eigen-decompositions of each layer's covariance, cached until the next add or merge. */
  readonly #eigen = new Map<number, { values: Float64Array; vectors: Float64Array }>();
  /** topEigen results by "layer:k", dropped with #eigen. */
  readonly #top = new Map<string, { values: Float64Array; vectors: Float64Array }>();

  constructor({ includeSpecial = false }: MomentOptions = {}) {
    this.includeSpecial = includeSpecial;
  }

  add({ layer, dim, data, special }: LayerBatch): this {
    integer(layer, "layer", 0);
    let m = this.#layers.get(layer);
    const first = this.#layers.values().next().value as VectorMoments | undefined;
    sameDim(layer, dim, first?.dim ?? -1);
    if (!m) this.#layers.set(layer, (m = new VectorMoments(dim)));
    this.#forget(layer);
    const rows = new Int32Array(special.length);
    let count = 0;
    for (let r = 0; r < special.length; ++r) if (!special[r] || this.includeSpecial) rows[count++] = r;
    m.addRows(data, rows, count);
    return this;
  }

  /**
   * Adds a set of batches (any layers, any split into batches) with each layer's scatter computed by
   * one `linalg.gram` call: the layer's rows are put in (sentence, position) order, so the result does
   * not depend on how they were batched; they are centred on their exact float64 mean, their Gram
   * matrix is summed by the backend (float32 on onnxruntime, accurate once centred) and merged into
   * what was added before by Chan's formula.
   */
  async addWith(linalg: Linalg, batches: readonly LayerBatch[]): Promise<this> {
    const byLayer = new Map<number, LayerBatch[]>();
    const first = (this.#layers.values().next().value as VectorMoments | undefined)?.dim ?? batches[0]?.dim ?? -1;
    for (const b of batches) {
      integer(b.layer, "layer", 0);
      sameDim(b.layer, b.dim, first);
      const list = byLayer.get(b.layer);
      if (list) list.push(b);
      else byLayer.set(b.layer, [b]);
    }
    for (const [layer, list] of [...byLayer].sort((x, y) => x[0] - y[0])) {
      const dim = list[0].dim;
      // the rows as (batch, row) index pairs, sorted by (sentence, position) through an index array (no object per row: isotropy sends ~10^5 rows)
      let n = 0;
      for (const b of list) for (let r = 0; r < b.special.length; ++r) if (!b.special[r] || this.includeSpecial) n++;
      if (n === 0) continue;
      const from = new Int32Array(n), row = new Int32Array(n), sentence = new Int32Array(n), position = new Int32Array(n);
      let w = 0;
      list.forEach((b, j) => {
        for (let r = 0; r < b.special.length; ++r) {
          if (b.special[r] && !this.includeSpecial) continue;
          from[w] = j;
          row[w] = r;
          sentence[w] = b.sentence[r];
          position[w++] = b.position[r];
        }
      });
      const order = new Int32Array(n);
      for (let i = 0; i < n; ++i) order[i] = i;
      order.sort((x, y) => sentence[x] - sentence[y] || position[x] - position[y]);
      const { mean, x } = centredRows(list, from, row, order, dim);
      const chunk = new VectorMoments(dim);
      chunk.count = n;
      chunk.mean.set(mean);
      chunk.scatter.set(await linalg.gram(x, 1, n, dim));
      const m = this.#layers.get(layer);
      if (m) m.merge(chunk);
      else this.#layers.set(layer, chunk);
      this.#forget(layer);
    }
    return this;
  }

  merge(other: LayerMoments): this {
    for (const [layer, o] of other.#layers) {
      this.#forget(layer);
      const m = this.#layers.get(layer);
      if (m) m.merge(o);
      else this.#layers.set(layer, new VectorMoments(o.dim).merge(o));
    }
    return this;
  }

  /** The options a state must share to merge (state.ts). */
  settings(): { includeSpecial: boolean } {
    return { includeSpecial: this.includeSpecial };
  }

  /** Per layer: the count, float64 mean and scatter matrix (plain JSON; arrays in base64). */
  state(): { layers: { layer: number; dim: number; count: number; mean: EncodedArray; scatter: EncodedArray }[] } {
    return {
      layers: this.layers().map((layer) => {
        const m = this.#layers.get(layer)!;
        return { layer, dim: m.dim, count: m.count, mean: encodeArray(m.mean), scatter: encodeArray(m.scatter) };
      }),
    };
  }

  /** Merges a state() of moments with the same includeSpecial (Chan et al., as merge does). */
  mergeState(state: ReturnType<LayerMoments["state"]>): this {
    for (const l of state.layers) {
      const o = new VectorMoments(integer(l.dim, `state moments layer ${l.layer} dim`, 1));
      o.count = integer(l.count, `state moments layer ${l.layer} count`, 0);
      o.mean.set(decodeArray(l.mean, "float64", `moments layer ${l.layer} mean`, l.dim));
      o.scatter.set(decodeArray(l.scatter, "float64", `moments layer ${l.layer} scatter`, l.dim * l.dim));
      this.#forget(l.layer);
      const m = this.#layers.get(l.layer);
      if (m) m.merge(o);
      else this.#layers.set(l.layer, new VectorMoments(o.dim).merge(o));
    }
    return this;
  }

  layers(): number[] {
    return [...this.#layers.keys()].sort((a, b) => a - b);
  }

  #forget(layer: number): void {
    this.#eigen.delete(layer);
    for (const key of [...this.#top.keys()]) if (key.startsWith(`${layer}:`)) this.#top.delete(key);
  }

  /**
   * The k largest eigenvalues (descending) and their eigenvectors (rows) of the layer's covariance
   * (Lanczos, stats.ts topEigen: the top of `eigen` without its O(n³) cost); computed once per k.
   */
  top(layer: number, k: number): { values: Float64Array; vectors: Float64Array } {
    const key = `${layer}:${k}`;
    let e = this.#top.get(key);
    if (!e) {
      // a wider top of the same layer already holds it
      for (const [other, wide] of this.#top) {
        if (other.startsWith(`${layer}:`) && wide.values.length > k) {
          const dim = wide.vectors.length / wide.values.length;
          return { values: wide.values.slice(0, k), vectors: wide.vectors.slice(0, k * dim) };
        }
      }
      const m = this.get(layer);
      this.#top.set(key, (e = topEigen(m.covariance()!, m.dim, k)));
    }
    return e;
  }

  /** Eigenvalues (descending) and eigenvectors (rows) of the layer's covariance; computed once. */
  eigen(layer: number): { values: Float64Array; vectors: Float64Array } {
    let e = this.#eigen.get(layer);
    if (!e) {
      const m = this.get(layer);
      this.#eigen.set(layer, (e = symmetricEigen(m.covariance()!, m.dim)));
    }
    return e;
  }

  /** The layer's moments; throws when the layer was never added or saw no token. */
  get(layer: number): VectorMoments {
    const m = this.#layers.get(layer);
    if (!m || m.count === 0) throw new RangeError(`invalid layer: ${JSON.stringify(layer)}; no tokens were fitted for it (fitted layers: ${this.layers().join(", ") || "none"})`);
    return m;
  }
}

/** Per-dimension z-scoring: (x - mean) / sd with the fit's population sd; a constant dimension maps to 0. */
export function zscorer(moments: LayerMoments): Postprocessor {
  const fits = new Map<number, { mean: Float64Array; inv: Float64Array }>();
  for (const layer of moments.layers()) {
    const m = moments.get(layer), inv = new Float64Array(m.dim);
    for (let i = 0; i < m.dim; ++i) {
      const v = m.scatter[i * m.dim + i] / m.count;
      inv[i] = v > 0 ? 1 / Math.sqrt(v) : 0;
    }
    fits.set(layer, { mean: Float64Array.from(m.mean), inv });
  }
  return {
    name: "zscore", layers: moments.layers(), settings: { tokens: tokenCounts(moments) },
    applyRows(layer, data, dim) {
      const f = fitted(fits, layer, dim, "zscore");
      const out = new Float32Array(data.length);
      for (let o = 0; o < data.length; o += dim) for (let i = 0; i < dim; ++i) out[o + i] = (data[o + i] - f.mean[i]) * f.inv[i];
      return out;
    },
    covariance: (layer, cov, dim) => scaleCovariance(cov, dim, fitted(fits, layer, dim, "zscore").inv),
  };
}

/** Options of {@link allButTheTop}. */
export interface AllButTheTopOptions {
  /** Principal components removed; default max(1, round(dim / 100)) (Mu & Viswanath 2018 suggest about d/100). */
  components?: number | null;
}

/**
 * All-but-the-top (Mu & Viswanath 2018): subtract the mean, then remove the projections on the top
 * D principal directions of the fitted covariance.
 */
export function allButTheTop(moments: LayerMoments, { components = null }: AllButTheTopOptions = {}): Postprocessor {
  const fits = new Map<number, { mean: Float64Array; top: Float64Array; k: number }>();
  let used = 0;
  for (const layer of moments.layers()) {
    const m = moments.get(layer);
    const k = components === null ? Math.max(1, Math.round(m.dim / 100)) : integer(components, "components", 0, m.dim);
    used = k;
    const { vectors } = moments.top(layer, k);
    fits.set(layer, { mean: Float64Array.from(m.mean), top: vectors.slice(0, k * m.dim), k });
  }
  return {
    name: "allButTheTop", layers: moments.layers(), settings: { components: used, tokens: tokenCounts(moments) },
    applyRows(layer, data, dim) {
      const f = fitted(fits, layer, dim, "allButTheTop");
      const out = new Float32Array(data.length), x = new Float64Array(dim);
      for (let o = 0; o < data.length; o += dim) {
        for (let i = 0; i < dim; ++i) x[i] = data[o + i] - f.mean[i];
        for (let c = 0; c < f.k; ++c) {
          let p = 0;
          for (let i = 0; i < dim; ++i) p += f.top[c * dim + i] * x[i];
          for (let i = 0; i < dim; ++i) x[i] -= p * f.top[c * dim + i];
        }
        for (let i = 0; i < dim; ++i) out[o + i] = x[i];
      }
      return out;
    },
    covariance(layer, cov, dim) {
      const f = fitted(fits, layer, dim, "allButTheTop");
      return projectOutCovariance(cov, dim, f.top, f.k);
    },
  };
}

/** Options of {@link whitener}. */
export interface WhiteningOptions {
  /** Added to each eigenvalue as a fraction of the largest, so near-null directions do not explode; default 1e-6. */
  eps?: number;
}

/**
 * Whitening (Su et al. 2021): x' = R (x - mean) with Rᵀ R = (Σ + floor I)⁻¹, floor = eps × the largest
 * eigenvalue of the fitted covariance Σ, so cosines (and norms) are those of ZCA whitening
 * U Λ^(-1/2) Uᵀ: whitenings differ by a rotation. R is the inverse Cholesky factor of Σ + floor I
 * (O(n³/2) against the eigen-decomposition's several times that); where that matrix is not positive
 * definite (eps = 0 on a singular fit), R = Λ^(-1/2) Uᵀ from the eigen-decomposition, with the
 * null directions mapped to 0. `settings.method` says which was used.
 */
export function whitener(moments: LayerMoments, { eps = 1e-6 }: WhiteningOptions = {}): Postprocessor {
  number(eps, "eps", 0);
  // R row-major: x'_c = Σ_i R[c, i] (x_i - mean_i); `lower`: R[c, i] = 0 for i > c
  const fits = new Map<number, { mean: Float64Array; R: Float64Array; lower: boolean }>();
  const methods = new Set<string>();
  for (const layer of moments.layers()) {
    const m = moments.get(layer), dim = m.dim, cov = m.covariance()!;
    const floor = eps * Math.max(moments.top(layer, 1).values[0], 0);
    let R = choleskyInverse(cov, dim, floor), lower = true;
    if (!R) {
      const { values, vectors } = moments.eigen(layer);
      const top = eps * Math.max(values[0], 0);
      R = new Float64Array(dim * dim);
      lower = false;
      for (let c = 0; c < dim; ++c) {
        const v = Math.max(values[c], 0) + top, scale = v > 0 ? 1 / Math.sqrt(v) : 0;
        for (let i = 0; i < dim; ++i) R[c * dim + i] = vectors[c * dim + i] * scale;
      }
    }
    methods.add(lower ? "cholesky" : "eigen");
    fits.set(layer, { mean: Float64Array.from(m.mean), R, lower });
  }
  const matrices = new Map<number, Float32Array>();
  return {
    name: "whitening", layers: moments.layers(), settings: { eps, tokens: tokenCounts(moments), method: [...methods].sort().join("+") || "none" },
    linear(layer, dim) {
      const f = fitted(fits, layer, dim, "whitening");
      let matrix = matrices.get(layer);
      if (!matrix) {
        // x' = (x - mean) · matrix, so matrix[i, c] = R[c, i]
        matrix = new Float32Array(dim * dim);
        for (let c = 0; c < dim; ++c) for (let i = 0; i < dim; ++i) matrix[i * dim + c] = f.R[c * dim + i];
        matrices.set(layer, matrix);
      }
      return { mean: f.mean, matrix };
    },
    applyRows(layer, data, dim) {
      const f = fitted(fits, layer, dim, "whitening");
      const out = new Float32Array(data.length), x = new Float64Array(dim);
      for (let o = 0; o < data.length; o += dim) {
        for (let i = 0; i < dim; ++i) x[i] = data[o + i] - f.mean[i];
        for (let c = 0; c < dim; ++c) {
          let p = 0;
          const ro = c * dim, stop = f.lower ? c + 1 : dim;
          for (let i = 0; i < stop; ++i) p += f.R[ro + i] * x[i];
          out[o + c] = p;
        }
      }
      return out;
    },
    covariance(layer, cov, dim) {
      const f = fitted(fits, layer, dim, "whitening");
      return linearCovariance(cov, dim, f.R, f.lower);
    },
  };
}

function fitted<T extends { mean: Float64Array }>(fits: Map<number, T>, layer: number, dim: number, name: string): T {
  const f = fits.get(layer);
  if (!f) throw new RangeError(`${name}: layer ${layer} was not fitted (fitted layers: ${[...fits.keys()].join(", ") || "none"}); fit on batches of every layer you apply it to`);
  if (f.mean.length !== dim) throw new RangeError(`${name}: layer ${layer} has dim ${dim}, but the fit had dim ${f.mean.length}`);
  return f;
}

function tokenCounts(moments: LayerMoments): Record<string, number> {
  return Object.fromEntries(moments.layers().map((l) => [String(l), moments.get(l).count]));
}

/** The fitted mean of a layer as plain numbers (for reports). */
export function fittedMean(moments: LayerMoments, layer: number): number[] {
  return toJsonArray(moments.get(layer).mean);
}
