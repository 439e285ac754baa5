import { sameDim, type LayerBatch } from "./batch.js";
import { kernelsFor, profileRows } from "./kernels/index.js";
import { round6 } from "../numerics/json.js";
import { integer, keyword, number } from "../numerics/options.js";
import { pearsonFromSums } from "../numerics/vectors.js";
import { decodeArray, encodeArray } from "../numerics/arrays.js";

/** Options of {@link PositionProfile}. */
export interface PositionOptions {
  /** Count special tokens too; default false (DESIGN.md §2). [CLS] always sits at position 0. */
  includeSpecial?: boolean;
  /** Token positions kept for the by-position means, 0..maxPositions-1; default 512. Later tokens still enter the correlation. */
  maxPositions?: number;
  /**
   * "auto" (default): the WebAssembly SIMD pass of kernels.ts where it runs and the width is a
   * multiple of 4, else the JavaScript loop; "js": always the JavaScript loop. Same bits (tested).
   */
  kernel?: "auto" | "js";
}

export interface PositionLayer {
  layer: number;
  tokens: number;
  /** Tokens at position >= maxPositions (in the correlation, not in byPosition). */
  beyond: number;
  /** Tokens per position 0..maxSeen. */
  counts: number[];
  /** Pearson r between each dimension's value and the token position; null where undefined. */
  correlation: (number | null)[];
  /** For each requested dim: mean value by position 0..maxSeen (null where no token), the heatmap row. */
  byPosition: { dim: number; mean: (number | null)[] }[];
}

export interface PositionResult {
  analysis: "positions";
  settings: { includeSpecial: boolean; maxPositions: number; tokens: "all" | "non-special"; dims: number[] };
  dim: number;
  layerIndices: number[];
  layers: PositionLayer[];
}

interface LayerState {
  tokens: number;
  counts: Float64Array;
  sums: Float64Array;
  /** Σx², and Σx and Σx·p of the tokens beyond maxPositions only (the others are in `sums`). */
  sxx: Float64Array; bx: Float64Array; bxp: Float64Array;
  sp: number; spp: number; beyond: number;
}

/** The per-layer arrays of a profile's state, summed by merge. */
const SUMS = ["counts", "sums", "sxx", "bx", "bxp"] as const;

/**
 * Each dimension's mean value by token position and layer (heatmap data), and its Pearson
 * correlation with position over tokens (paper §3.3's claim that the outliers encode position).
 * All state is float64 sums, so merge is exact.
 */
export class PositionProfile {
  readonly #includeSpecial: boolean;
  readonly #maxPositions: number;
  readonly #kernel: "auto" | "js";
  readonly #layers = new Map<number, LayerState>();
  #dim = -1;

  constructor({ includeSpecial = false, maxPositions = 512, kernel = "auto" }: PositionOptions = {}) {
    this.#kernel = keyword(kernel, "kernel", ["auto", "js"] as const);
    this.#includeSpecial = includeSpecial;
    this.#maxPositions = integer(maxPositions, "maxPositions", 1);
  }

  add(batch: LayerBatch): this {
    return this.#add(batch, null);
  }

  /** Whether add() runs the WebAssembly kernel for this width (what OutlierCounter.addWith needs). */
  kernelFor(dim: number): boolean {
    return this.#kernel === "auto" && kernelsFor(dim);
  }

  get includeSpecial(): boolean {
    return this.#includeSpecial;
  }

  /**
   * For OutlierCounter.addWith: add(batch), with `profile` called in place of the kernel's
   * profileRows (same arguments), so the caller can fuse it with its own pass over the rows.
   * Requires kernelFor(dim).
   */
  addFused(batch: LayerBatch, profile: (rows: Int32Array, pos: Int32Array, sums: Float64Array, positions: number, sxx: Float64Array) => void): this {
    if (!this.kernelFor(batch.dim)) throw new Error(`PositionProfile.addFused: no kernel for dim ${batch.dim} here; call add()`);
    return this.#add(batch, profile);
  }

  #add({ layer, dim, data, special, position }: LayerBatch, fused: Parameters<PositionProfile["addFused"]>[1] | null): this {
    const s = this.#state(layer, dim);
    const { counts, sums, sxx } = s, includeSpecial = this.#includeSpecial, maxPositions = this.#maxPositions;
    const rows = keptRows(special, includeSpecial);
    let sp = s.sp, spp = s.spp, beyond = 0;
    for (let k = 0; k < rows.length; ++k) {
      const p = position[rows[k]];
      sp += p;
      spp += p * p;
      if (p < maxPositions) counts[p]++;
      else beyond++;
    }
    // Per token: its per-position sum row (below maxPositions) and Σx², rows in batch order. Σx and
    // Σx·p are read off the per-position sums at result time; only tokens beyond maxPositions keep
    // their own (bx, bxp).
    let k = 0;
    if (this.kernelFor(dim)) {
      const pos = new Int32Array(rows.length);
      for (let j = 0; j < rows.length; ++j) pos[j] = position[rows[j]];
      if (fused) fused(rows, pos, sums, maxPositions, sxx);
      else profileRows(data, dim, rows, pos, sums, maxPositions, sxx);
      if (beyond > 0) for (let j = 0; j < rows.length; ++j) if (pos[j] >= maxPositions) addBeyond(data, rows[j] * dim, dim, pos[j], s.bx, s.bxp);
      k = rows.length;
    }
    // the JavaScript loop: four rows at a time, each sum still adding the tokens one by one in batch
    // order (a + x + y is (a + x) + y)
    for (; k + 3 < rows.length; k += 4) {
      const r0 = rows[k], r1 = rows[k + 1], r2 = rows[k + 2], r3 = rows[k + 3];
      const p0 = position[r0], p1 = position[r1], p2 = position[r2], p3 = position[r3];
      if (p0 >= maxPositions || p1 >= maxPositions || p2 >= maxPositions || p3 >= maxPositions) {
        for (const r of [r0, r1, r2, r3]) addRow(data, r * dim, dim, position[r], maxPositions, sums, sxx, s.bx, s.bxp);
        continue;
      }
      const o0 = r0 * dim, o1 = r1 * dim, o2 = r2 * dim, o3 = r3 * dim;
      const q0 = p0 * dim, q1 = p1 * dim, q2 = p2 * dim, q3 = p3 * dim;
      for (let i = 0; i < dim; ++i) {
        const x0 = data[o0 + i], x1 = data[o1 + i], x2 = data[o2 + i], x3 = data[o3 + i];
        sxx[i] = sxx[i] + x0 * x0 + x1 * x1 + x2 * x2 + x3 * x3;
        sums[q0 + i] += x0;
        sums[q1 + i] += x1;
        sums[q2 + i] += x2;
        sums[q3 + i] += x3;
      }
    }
    for (; k < rows.length; ++k) addRow(data, rows[k] * dim, dim, position[rows[k]], maxPositions, sums, sxx, s.bx, s.bxp);
    s.tokens += rows.length;
    s.sp = sp;
    s.spp = spp;
    s.beyond += beyond;
    return this;
  }

  merge(other: PositionProfile): this {
    if (other.#maxPositions !== this.#maxPositions || other.#includeSpecial !== this.#includeSpecial) {
      throw new Error("PositionProfile.merge: options differ; merge profiles built with the same options");
    }
    for (const [layer, o] of other.#layers) {
      const s = this.#state(layer, o.sxx.length);
      s.tokens += o.tokens;
      s.sp += o.sp;
      s.spp += o.spp;
      s.beyond += o.beyond;
      for (const k of ["counts", "sums", "sxx", "bx", "bxp"] as const) for (let i = 0; i < s[k].length; ++i) s[k][i] += o[k][i];
    }
    return this;
  }

  /** The options a state must share to merge (state.ts). */
  settings(): { includeSpecial: boolean; maxPositions: number } {
    return { includeSpecial: this.#includeSpecial, maxPositions: this.#maxPositions };
  }

  /** The float64 sums per layer (plain JSON; typed arrays in base64): what mergeState adds. */
  state(): { layers: Record<string, unknown>[] } {
    return {
      layers: [...this.#layers].sort(([a], [b]) => a - b).map(([layer, s]) => ({
        layer, tokens: s.tokens, sp: s.sp, spp: s.spp, beyond: s.beyond,
        ...Object.fromEntries(SUMS.map((k) => [k, encodeArray(s[k])])),
      })),
    };
  }

  /** Adds a state() of a profile with the same settings (as merge does). */
  mergeState(state: ReturnType<PositionProfile["state"]>): this {
    for (const l of state.layers) {
      const layer = l.layer as number, sxx = decodeArray(l.sxx, "float64", `positions layer ${layer} sxx`);
      const s = this.#state(layer, sxx.length);
      for (const k of ["tokens", "sp", "spp", "beyond"] as const) s[k] += number(l[k], `state positions layer ${layer} ${k}`);
      for (const k of SUMS) {
        const o = decodeArray(l[k], "float64", `positions layer ${layer} ${k}`, s[k].length);
        for (let i = 0; i < o.length; ++i) s[k][i] += o[i];
      }
    }
    return this;
  }

  #state(layer: number, dim: number): LayerState {
    integer(layer, "layer", 0);
    integer(dim, "dim", 1);
    this.#dim = sameDim(layer, dim, this.#dim);
    let s = this.#layers.get(layer);
    if (!s) {
      const P = this.#maxPositions;
      s = { tokens: 0, counts: new Float64Array(P), sums: new Float64Array(P * dim), sxx: new Float64Array(dim), bx: new Float64Array(dim), bxp: new Float64Array(dim), sp: 0, spp: 0, beyond: 0 };
      this.#layers.set(layer, s);
    }
    return s;
  }

  /** Results for the requested dims (by-position means); correlations are given for every dim. */
  result(dims: readonly number[] = []): PositionResult {
    const dim = Math.max(this.#dim, 0);
    for (const d of dims) {
      if (!Number.isInteger(d) || d < 0 || (this.#dim >= 0 && d >= dim)) throw new RangeError(`invalid dimension: ${JSON.stringify(d)}; expected an integer in [0, ${dim - 1}]`);
    }
    const layerIndices = [...this.#layers.keys()].sort((a, b) => a - b);
    const layers = layerIndices.map((layer): PositionLayer => {
      const s = this.#layers.get(layer)!;
      let last = -1;
      for (let p = 0; p < s.counts.length; ++p) if (s.counts[p] > 0) last = p;
      const counts = Array.from(s.counts.subarray(0, last + 1));
      // Σx and Σx·p from the per-position sums (positions ascending), plus the tokens beyond them
      const sx = Float64Array.from(s.bx), sxp = Float64Array.from(s.bxp);
      for (let p = 0; p <= last; ++p) {
        if (s.counts[p] === 0) continue;
        for (let i = 0, o = p * dim; i < dim; ++i) {
          sx[i] += s.sums[o + i];
          sxp[i] += p * s.sums[o + i];
        }
      }
      const correlation = Array.from({ length: dim }, (_, i) => {
        const r = pearsonFromSums(s.tokens, sx[i], s.sp, s.sxx[i], s.spp, sxp[i]);
        return r === null ? null : round6(r);
      });
      const byPosition = dims.map((d) => ({ dim: d, mean: counts.map((c, p) => (c > 0 ? round6(s.sums[p * dim + d] / c) : null)) }));
      return { layer, tokens: s.tokens, beyond: s.beyond, counts, correlation, byPosition };
    });
    return {
      analysis: "positions",
      settings: { includeSpecial: this.#includeSpecial, maxPositions: this.#maxPositions, tokens: this.#includeSpecial ? "all" : "non-special", dims: [...dims] },
      dim, layerIndices, layers,
    };
  }
}

/** Indices of the rows to count: all, or the non-special ones. */
function keptRows(special: Uint8Array, includeSpecial: boolean): Int32Array {
  const rows = new Int32Array(special.length);
  let n = 0;
  for (let r = 0; r < special.length; ++r) if (includeSpecial || !special[r]) rows[n++] = r;
  return rows.subarray(0, n);
}

/** Adds one token vector (at position p): to `sums` row p below maxPositions, else to bx and bxp; always to sxx. */
function addRow(data: Float32Array, o: number, dim: number, p: number, maxPositions: number, sums: Float64Array, sxx: Float64Array, bx: Float64Array, bxp: Float64Array): void {
  for (let i = 0; i < dim; ++i) sxx[i] += data[o + i] * data[o + i];
  if (p < maxPositions) for (let i = 0, po = p * dim; i < dim; ++i) sums[po + i] += data[o + i];
  else addBeyond(data, o, dim, p, bx, bxp);
}

/** A token beyond maxPositions: its own Σx and Σx·p. */
function addBeyond(data: Float32Array, o: number, dim: number, p: number, bx: Float64Array, bxp: Float64Array): void {
  for (let i = 0; i < dim; ++i) {
    bx[i] += data[o + i];
    bxp[i] += data[o + i] * p;
  }
}
