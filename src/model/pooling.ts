/**
 * Sentence vectors from one layer of an EncodedBatch: mean over a row's tokens (sentence-transformers'
 * pooling), the first token ([CLS] / <s>), and L2 normalisation. Padding never enters a vector.
 */
import type { EncodedBatch } from "./types.js";

export interface MeanPoolOptions {
  /** Include special tokens ([CLS], [SEP], <s>, </s>) in the mean; default true, as sentence-transformers does. */
  includeSpecial?: boolean;
}

function layerData(batch: EncodedBatch, layer: number): Float32Array {
  if (!Number.isInteger(layer) || layer < 0 || layer >= batch.layers.length) {
    throw new RangeError(`invalid layer: ${JSON.stringify(layer)}; expected an integer in 0..${batch.layers.length - 1}`);
  }
  return batch.layers[layer];
}

/**
 * Mean of each row's non-padding token vectors at `layer`: returns [batch x hidden], row-major,
 * summed in float64. A row with no token left (all special, includeSpecial false) is all zeros.
 */
export function meanPool(batch: EncodedBatch, layer: number, { includeSpecial = true }: MeanPoolOptions = {}): Float32Array {
  const data = layerData(batch, layer); // [batch x length x hidden]
  const { batch: B, length: T, hidden: H, attentionMask, specialMask } = batch;
  const out = new Float32Array(B * H);
  const sum = new Float64Array(H);
  for (let b = 0; b < B; ++b) {
    sum.fill(0);
    let n = 0;
    for (let t = 0; t < T; ++t) {
      const k = b * T + t;
      if (!attentionMask[k] || (!includeSpecial && specialMask[k])) continue;
      for (let d = 0, o = k * H; d < H; ++d) sum[d] += data[o + d];
      ++n;
    }
    if (n) for (let d = 0; d < H; ++d) out[b * H + d] = sum[d] / n;
  }
  return out;
}

/** Each row's first token vector ([CLS] for BERT, <s> for RoBERTa) at `layer`: [batch x hidden]. */
export function clsPool(batch: EncodedBatch, layer: number): Float32Array {
  const data = layerData(batch, layer);
  const { batch: B, length: T, hidden: H } = batch;
  const out = new Float32Array(B * H);
  for (let b = 0; b < B; ++b) out.set(data.subarray(b * T * H, b * T * H + H), b * H);
  return out;
}

/** Scales each row of a row-major [n x dim] array to unit L2 norm, in place; zero rows stay zero. Returns `rows`. */
export function l2normalize(rows: Float32Array, dim: number): Float32Array {
  if (!Number.isInteger(dim) || dim < 1 || rows.length % dim !== 0) {
    throw new RangeError(`invalid dim: ${JSON.stringify(dim)}; expected a positive integer dividing the array length ${rows.length}`);
  }
  for (let o = 0; o < rows.length; o += dim) {
    let ss = 0;
    for (let d = 0; d < dim; ++d) ss += rows[o + d] * rows[o + d];
    if (ss === 0) continue;
    // sentence-transformers' Normalize divides by max(norm, 1e-12)
    const inv = 1 / Math.max(Math.sqrt(ss), 1e-12);
    for (let d = 0; d < dim; ++d) rows[o + d] *= inv;
  }
  return rows;
}
