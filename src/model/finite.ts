/**
 * Finite or refused (DESIGN.md §2, issue 20): a NaN or an infinity in a weight or an activation makes
 * argmin/argmax and every mean meaningless, so weights are checked when loaded and activations per
 * batch, and the first offending value is named.
 */
import type { EncodedBatch } from "./types.js";

/**
 * Index of the first NaN or ±Infinity in `data` at or after `from`, or -1. A branch-free pass first
 * (v * 0 is ±0 for every finite v and NaN otherwise; four sums, so no add waits on the last): 0.66
 * against 1.1 ns per value for the search alone, which then runs only where that sum is not 0.
 */
export function firstNonFinite(data: Float32Array | Float64Array, from = 0, to = data.length): number {
  return allFinite(data, from, to) ? -1 : searchNonFinite(data, from, to);
}

/** True when data[from, to) holds no NaN and no ±Infinity. */
function allFinite(data: Float32Array | Float64Array, from: number, to: number): boolean {
  let a = 0, b = 0, c = 0, d = 0, i = from;
  for (; i + 4 <= to; i += 4) {
    a += data[i] * 0;
    b += data[i + 1] * 0;
    c += data[i + 2] * 0;
    d += data[i + 3] * 0;
  }
  for (; i < to; ++i) a += data[i] * 0;
  return a + b + c + d === 0;
}

/** The first index in [from, to) whose value is not finite (`v - v` is 0 for every finite v and NaN otherwise), or -1. */
function searchNonFinite(data: Float32Array | Float64Array, from: number, to: number): number {
  for (let i = from; i < to; ++i) {
    const v = data[i];
    if (v - v !== 0) return i;
  }
  return -1;
}

/** A flat index as a multi-index of `shape`, e.g. 7 in [2, 4] -> "[1, 3]". */
export function multiIndex(flat: number, shape: readonly number[]): string {
  const out: number[] = [];
  for (let k = shape.length - 1; k >= 0; --k) {
    out.unshift(shape[k] > 0 ? flat % shape[k] : 0);
    flat = shape[k] > 0 ? Math.floor(flat / shape[k]) : 0;
  }
  return `[${out.join(", ")}]`;
}

/** What a non-finite activation does: stop the run (default), or drop the sentence and count it. */
export type NonFinitePolicy = "error" | "exclude";

/** Counts kept when non-finite activations are excluded (reported in provenance.nonFinite). */
export interface NonFiniteCount {
  policy: NonFinitePolicy;
  /** Sentences dropped because some layer of theirs held a non-finite value. */
  sentences: number;
  /** Real (non-padding) tokens of those sentences. */
  tokens: number;
  /** The first one: its input index, layer and token position. */
  first: { sentence: number; layer: number; token: number } | null;
}

/** Checks a policy option; names it in the error. */
export function nonFinitePolicy(value: unknown, name = "nonFinite"): NonFinitePolicy {
  if (value === undefined) return "error";
  if (value !== "error" && value !== "exclude") throw new RangeError(`invalid ${name}: ${JSON.stringify(value)}; expected "error" or "exclude"`);
  return value;
}

/**
 * Where each row of a batch first holds a non-finite value: null, or the lowest layer that has one
 * (where it arose) and that layer's first such token. layers are [batch x length x hidden]; tokens past tokenCounts[b] are padding.
 */
export function nonFiniteRows(layers: readonly Float32Array[], batch: number, length: number, hidden: number, tokenCounts: readonly number[]): ({ layer: number; token: number } | null)[] {
  const out: ({ layer: number; token: number } | null)[] = new Array(batch).fill(null);
  for (let l = 0; l < layers.length; ++l) {
    const data = layers[l];
    for (let b = 0; b < batch; ++b) {
      if (out[b]) continue;
      const from = b * length * hidden;
      const i = firstNonFinite(data, from, from + tokenCounts[b] * hidden);
      if (i < 0) continue;
      if (!out[b]) out[b] = { layer: l, token: Math.floor((i - from) / hidden) };
    }
  }
  return out;
}

/** The batch without the rows where `drop[b]` is true (new arrays; the kept rows' values unchanged). */
export function dropRows(batch: EncodedBatch, drop: readonly boolean[]): EncodedBatch {
  const keep = batch.sentenceIndex.map((_, b) => b).filter((b) => !drop[b]);
  const { length: T, hidden: H } = batch;
  const rows = <A extends Float32Array | Int32Array | Uint8Array>(src: A, width: number, make: (n: number) => A): A => {
    const out = make(keep.length * width);
    keep.forEach((b, k) => out.set(src.subarray(b * width, (b + 1) * width), k * width));
    return out;
  };
  return {
    sentenceIndex: keep.map((b) => batch.sentenceIndex[b]),
    batch: keep.length, length: T, hidden: H,
    layers: batch.layers.map((l) => rows(l, T * H, (n) => new Float32Array(n))),
    inputIds: rows(batch.inputIds, T, (n) => new Int32Array(n)),
    attentionMask: rows(batch.attentionMask, T, (n) => new Uint8Array(n)),
    positionIds: rows(batch.positionIds, T, (n) => new Int32Array(n)),
    specialMask: rows(batch.specialMask, T, (n) => new Uint8Array(n)),
    wordIds: rows(batch.wordIds, T, (n) => new Int32Array(n)),
    tokenCounts: keep.map((b) => batch.tokenCounts[b]),
    tokens: keep.map((b) => batch.tokens[b]),
    truncated: keep.map((b) => batch.truncated[b]),
    ...(batch.sites ? { sites: Object.fromEntries(Object.entries(batch.sites).map(([name, v]) => [name, rows(v, v.length / batch.batch, (n) => new Float32Array(n))])) } : {}),
  };
}
