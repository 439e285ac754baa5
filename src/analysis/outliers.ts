import { firstNonFinite } from "../model/finite.js";
import { sameDim, type LayerBatch } from "./batch.js";
import { extentRows, kernelsFor, scanRows } from "./kernels/index.js";
import type { PositionProfile } from "./positions.js";
import { toJsonArray, round6 } from "../numerics/json.js";
import { integer, keyword, number } from "../numerics/options.js";
import { decodeArray, encodeArray, type EncodedArray } from "../numerics/arrays.js";

/** Options of {@link OutlierCounter}. */
export interface OutlierOptions {
  /** Count special tokens ([CLS], [SEP], <s>, </s>) too; default false (DESIGN.md §2). */
  includeSpecial?: boolean;
  /**
   * A dimension is an outlier in a layer when it is the argmin (or argmax) of at least this share of
   * the layer's tokens; default 0.25. Uniform is 1/dim (0.0026 at 384), so 0.25 is about 100× chance,
   * yet far below the 88-97% the paper reports for BERT/RoBERTa-base.
   */
  minShare?: number;
  /**
   * A persistent outlier must pass `minShare` in at least this many of layers 1..L; default half of
   * L rounded up (null), so a dimension that dominates only one or two layers of a deep model is
   * listed per layer but not as persistent (the large models' dims come and go with depth).
   */
  minLayers?: number | null;
  /**
   * "auto" (default): the WebAssembly SIMD scan of kernels.ts where it runs and the width is a
   * multiple of 4, else the JavaScript loop; "js": always the JavaScript loop. Both give the same
   * bits (tested); the scan is 3-4 times faster.
   */
  kernel?: "auto" | "js";
}

/** Per-layer counts: how often each dimension was a token's argmin/argmax, and the mean vector. */
export interface OutlierLayer {
  layer: number;
  tokens: number;
  argmin: number[];
  argmax: number[];
  /** argmin / tokens per dimension; null when the layer had no tokens. */
  minShare: number[] | null;
  maxShare: number[] | null;
  /** Mean token vector (Figs 1-2, 7-10); null when the layer had no tokens. */
  mean: number[] | null;
  /** Dimensions passing minShare in this layer, largest share first. */
  outliers: { dim: number; kind: "min" | "max"; share: number }[];
}

/** One persistent outlier dimension. */
export interface OutlierDimension {
  dim: number;
  kind: "min" | "max";
  /** Share pooled over layers 1..L (all their tokens together), as the paper counts. */
  share: number;
  /** The layers (0..L) where the dimension passes minShare. */
  layers: number[];
}

export interface OutlierResult {
  analysis: "outliers";
  settings: { includeSpecial: boolean; minShare: number; minLayers: number; tokens: "all" | "non-special" };
  dim: number;
  /** Layers covered, ascending. */
  layerIndices: number[];
  layers: OutlierLayer[];
  /** Counts pooled over layers 1..L (layer 0, the embedding output, is reported only per layer). */
  pooled: { layers: number[]; tokens: number; argmin: number[]; argmax: number[]; minShare: number[] | null; maxShare: number[] | null };
  /** Persistent outliers, sorted by pooled share descending, then dim. */
  dimensions: OutlierDimension[];
}

interface LayerState { tokens: number; argmax: Uint32Array; argmin: Uint32Array; sum: Float64Array }

/**
 * Counts, per layer, how often each dimension holds a token's largest and smallest value, and sums
 * token vectors for the mean (paper §3.1). Exact merge: counts and float64 sums add.
 */
export class OutlierCounter {
  readonly #includeSpecial: boolean;
  readonly #minShare: number;
  readonly #minLayers: number | null;
  readonly #kernel: "auto" | "js";
  readonly #layers = new Map<number, LayerState>();
  #dim = -1;
  #poisoned: string | undefined;

  constructor({ includeSpecial = false, minShare = 0.25, minLayers = null, kernel = "auto" }: OutlierOptions = {}) {
    this.#kernel = keyword(kernel, "kernel", ["auto", "js"] as const);
    this.#includeSpecial = includeSpecial;
    this.#minShare = number(minShare, "minShare", 0, 1);
    this.#minLayers = minLayers === null ? null : integer(minLayers, "minLayers", 1);
  }

  add({ layer, dim, data, special }: LayerBatch): this {
    const s = this.#state(layer, dim);
    checkRows(layer, dim, data, special);
    if (this.#kernel === "auto" && kernelsFor(dim)) {
      const rows = new Int32Array(special.length);
      let n = 0;
      for (let r = 0; r < special.length; ++r) if (this.#includeSpecial || !special[r]) rows[n++] = r;
      extentRows(data, dim, rows.subarray(0, n), s.argmin, s.argmax, s.sum);
      s.tokens += n;
      return this.#checkFinite(layer, s);
    }
    // Two kept rows per pass over the dims, locals only: each sum still adds the tokens one by one in
    // batch order ((a + x) + y), and each row's argmin/argmax makes argExtent's comparisons.
    const { argmin, argmax, sum } = s, includeSpecial = this.#includeSpecial;
    let tokens = 0, pending = -1;
    for (let r = 0, n = special.length; r < n; ++r) {
      if (special[r] && !includeSpecial) continue;
      tokens++;
      if (pending < 0) {
        pending = r;
        continue;
      }
      const o = pending * dim, q = r * dim;
      pending = -1;
      let lo = 0, hi = 0, vlo = data[o], vhi = vlo;
      let lo2 = 0, hi2 = 0, vlo2 = data[q], vhi2 = vlo2;
      sum[0] = sum[0] + vlo + vlo2;
      for (let i = 1; i < dim; ++i) {
        const x = data[o + i], y = data[q + i];
        sum[i] = sum[i] + x + y;
        // most values lie inside the running range: one test skips both comparisons (NaN fails it
        // and then both comparisons, as in argExtent)
        if (!(x >= vlo && x <= vhi)) {
          if (x < vlo) { vlo = x; lo = i; }
          else if (x > vhi) { vhi = x; hi = i; }
        }
        if (!(y >= vlo2 && y <= vhi2)) {
          if (y < vlo2) { vlo2 = y; lo2 = i; }
          else if (y > vhi2) { vhi2 = y; hi2 = i; }
        }
      }
      argmin[lo]++;
      argmax[hi]++;
      argmin[lo2]++;
      argmax[hi2]++;
    }
    if (pending >= 0) {
      const o = pending * dim;
      let lo = 0, hi = 0, vlo = data[o], vhi = vlo;
      sum[0] += vlo;
      for (let i = 1; i < dim; ++i) {
        const x = data[o + i];
        sum[i] += x;
        if (x >= vlo && x <= vhi) continue;
        if (x < vlo) { vlo = x; lo = i; }
        else if (x > vhi) { vhi = x; hi = i; }
      }
      argmin[lo]++;
      argmax[hi]++;
    }
    s.tokens += tokens;
    return this.#checkFinite(layer, s);
  }

  /**
   * this.add(batch) and positions.add(batch) in one read of each kept row (the fused kernel of
   * kernels.ts, the same bits as the two calls) where both run the kernel and count the same tokens;
   * else the two calls.
   */
  addWith(positions: PositionProfile, batch: LayerBatch): this {
    const { layer, dim, data, special } = batch;
    if (!(this.#kernel === "auto" && kernelsFor(dim)) || !positions.kernelFor(dim) || positions.includeSpecial !== this.#includeSpecial) {
      this.add(batch);
      positions.add(batch);
      return this;
    }
    const s = this.#state(layer, dim);
    checkRows(layer, dim, data, special);
    positions.addFused(batch, (rows, pos, sums, maxPositions, sxx) => {
      scanRows(data, dim, rows, s.argmin, s.argmax, s.sum, pos, sums, maxPositions, sxx);
      s.tokens += rows.length;
    });
    return this.#checkFinite(layer, s);
  }

  merge(other: OutlierCounter): this {
    if (other.#includeSpecial !== this.#includeSpecial) throw new Error(`OutlierCounter.merge: includeSpecial differs (${other.#includeSpecial} vs ${this.#includeSpecial}); merge counters built with the same options`);
    for (const [layer, o] of other.#layers) {
      const s = this.#state(layer, o.argmin.length);
      s.tokens += o.tokens;
      for (let i = 0; i < o.argmin.length; ++i) {
        s.argmin[i] += o.argmin[i];
        s.argmax[i] += o.argmax[i];
        s.sum[i] += o.sum[i];
      }
    }
    return this;
  }

  /** The options a state must share to merge (state.ts). */
  settings(): { includeSpecial: boolean; minShare: number; minLayers: number | null } {
    return { includeSpecial: this.#includeSpecial, minShare: this.#minShare, minLayers: this.#minLayers };
  }

  /** The counts and float64 sums per layer (plain JSON; typed arrays in base64): what mergeState adds. */
  state(): { layers: { layer: number; tokens: number; argmin: EncodedArray; argmax: EncodedArray; sum: EncodedArray }[] } {
    return {
      layers: [...this.#layers].sort(([a], [b]) => a - b).map(([layer, s]) => ({ layer, tokens: s.tokens, argmin: encodeArray(s.argmin), argmax: encodeArray(s.argmax), sum: encodeArray(s.sum) })),
    };
  }

  /** Adds a state() of a counter with the same settings (as merge does). */
  mergeState(state: ReturnType<OutlierCounter["state"]>): this {
    for (const l of state.layers) {
      const argmin = decodeArray(l.argmin, "uint32", `outliers layer ${l.layer} argmin`);
      const s = this.#state(l.layer, argmin.length);
      const argmax = decodeArray(l.argmax, "uint32", `outliers layer ${l.layer} argmax`, argmin.length), sum = decodeArray(l.sum, "float64", `outliers layer ${l.layer} sum`, argmin.length);
      s.tokens += integer(l.tokens, `state outliers layer ${l.layer} tokens`, 0);
      for (let i = 0; i < argmin.length; ++i) {
        s.argmin[i] += argmin[i];
        s.argmax[i] += argmax[i];
        s.sum[i] += sum[i];
      }
    }
    return this;
  }

  /**
   * A NaN anywhere in a kept row leaves that layer's float64 sum NaN (an infinity leaves it infinite),
   * so one look at the sums after each batch (O(dim)) finds what the argmin/argmax comparisons cannot:
   * over NaN they fall back to index 0, a fake outlier. The counter is then unusable, and says so.
   */
  #checkFinite(layer: number, s: LayerState): this {
    const d = firstNonFinite(s.sum);
    if (d >= 0) {
      this.#poisoned ??= `layer ${layer} received a non-finite value (dimension ${d} sums to ${s.sum[d]})`;
      throw new RangeError(`OutlierCounter: ${this.#poisoned}; argmin/argmax over NaN or infinity would report a fake outlier. The encoder refuses non-finite activations (or excludes them with nonFinite: "exclude"); check the vectors passed to add()`);
    }
    return this;
  }

  #state(layer: number, dim: number): LayerState {
    integer(layer, "layer", 0);
    integer(dim, "dim", 1);
    this.#dim = sameDim(layer, dim, this.#dim);
    let s = this.#layers.get(layer);
    if (!s) this.#layers.set(layer, (s = { tokens: 0, argmax: new Uint32Array(dim), argmin: new Uint32Array(dim), sum: new Float64Array(dim) }));
    return s;
  }

  result(): OutlierResult {
    if (this.#poisoned) throw new RangeError(`OutlierCounter: ${this.#poisoned}; its counts are meaningless, start a new counter`);
    const minShare = this.#minShare, dim = Math.max(this.#dim, 0);
    const layerIndices = [...this.#layers.keys()].sort((a, b) => a - b);
    const upper = layerIndices.filter((l) => l > 0);
    const minLayers = this.#minLayers ?? Math.max(1, Math.ceil(upper.length / 2));
    const layers: OutlierLayer[] = layerIndices.map((layer) => {
      const s = this.#layers.get(layer)!;
      const minS = s.tokens ? Array.from(s.argmin, (c) => c / s.tokens) : null;
      const maxS = s.tokens ? Array.from(s.argmax, (c) => c / s.tokens) : null;
      const outliers: OutlierLayer["outliers"] = [];
      for (let i = 0; i < dim; ++i) {
        if (minS && minS[i] >= minShare) outliers.push({ dim: i, kind: "min", share: round6(minS[i]) });
        if (maxS && maxS[i] >= minShare) outliers.push({ dim: i, kind: "max", share: round6(maxS[i]) });
      }
      outliers.sort((a, b) => b.share - a.share || a.dim - b.dim);
      return {
        layer, tokens: s.tokens, argmin: Array.from(s.argmin), argmax: Array.from(s.argmax),
        minShare: minS && toJsonArray(minS), maxShare: maxS && toJsonArray(maxS),
        mean: s.tokens ? Array.from(s.sum, (x) => round6(x / s.tokens)) : null, outliers,
      };
    });
    const pmin = new Array<number>(dim).fill(0), pmax = new Array<number>(dim).fill(0);
    let ptokens = 0;
    for (const l of upper) {
      const s = this.#layers.get(l)!;
      ptokens += s.tokens;
      for (let i = 0; i < dim; ++i) { pmin[i] += s.argmin[i]; pmax[i] += s.argmax[i]; }
    }
    const dimensions: OutlierDimension[] = [];
    for (const kind of ["min", "max"] as const) {
      for (let i = 0; i < dim; ++i) {
        const inLayers = layers.filter((l) => l.outliers.some((o) => o.dim === i && o.kind === kind)).map((l) => l.layer);
        if (inLayers.filter((l) => l > 0).length < minLayers || upper.length === 0) continue;
        dimensions.push({ dim: i, kind, share: round6((kind === "min" ? pmin[i] : pmax[i]) / ptokens), layers: inLayers });
      }
    }
    dimensions.sort((a, b) => b.share - a.share || a.dim - b.dim || a.kind.localeCompare(b.kind));
    return {
      analysis: "outliers",
      settings: { includeSpecial: this.#includeSpecial, minShare, minLayers, tokens: this.#includeSpecial ? "all" : "non-special" },
      dim, layerIndices, layers,
      pooled: {
        layers: upper, tokens: ptokens, argmin: pmin, argmax: pmax,
        minShare: ptokens ? pmin.map((c) => round6(c / ptokens)) : null,
        maxShare: ptokens ? pmax.map((c) => round6(c / ptokens)) : null,
      },
      dimensions,
    };
  }
}

/** The batch's data must hold one row per token. */
function checkRows(layer: number, dim: number, data: Float32Array, special: Uint8Array): void {
  if (data.length !== special.length * dim) {
    throw new RangeError(`layer ${layer}: data has ${data.length} values for ${special.length} tokens of dim ${dim}; pass a LayerBatch from toLayerBatches`);
  }
}

/** Positions of the smallest and largest of data[offset, offset + n); ties go to the lower index. */
export function argExtent(data: ArrayLike<number>, offset: number, n: number): [number, number] {
  let lo = offset, hi = offset;
  for (let i = offset + 1; i < offset + n; ++i) {
    if (data[i] < data[lo]) lo = i;
    else if (data[i] > data[hi]) hi = i;
  }
  return [lo - offset, hi - offset];
}

/** One-shot: counts outliers over an iterable of layer batches. */
export function countOutliers(batches: Iterable<LayerBatch>, options?: OutlierOptions): OutlierResult {
  const c = new OutlierCounter(options);
  for (const b of batches) c.add(b);
  return c.result();
}

/** The persistent outlier dims of a result, unique and ascending (what clipping zeroes by default). */
export function outlierDims(result: OutlierResult): number[] {
  return [...new Set(result.dimensions.map((d) => d.dim))].sort((a, b) => a - b);
}
