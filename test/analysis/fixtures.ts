/** Test helpers: build LayerBatch values by hand (synthetic data, for exact ground truth). */
import type { LayerBatch } from "../../src/analysis/batch.js";

export interface BatchSpec {
  layer?: number;
  dim: number;
  data: number[];
  special?: number[];
  position?: number[];
  sentence?: number[];
  word?: number[];
}

/** A LayerBatch from plain arrays; defaults: layer 0, no special tokens, positions 0..n-1, one sentence 0, word = position. */
export function lb({ layer = 0, dim, data, special, position, sentence, word }: BatchSpec): LayerBatch {
  const n = data.length / dim;
  return {
    layer, dim, data: Float32Array.from(data),
    special: Uint8Array.from(special ?? new Array(n).fill(0)),
    position: Int32Array.from(position ?? Array.from({ length: n }, (_, i) => i)),
    sentence: Int32Array.from(sentence ?? new Array(n).fill(0)),
    word: Int32Array.from(word ?? Array.from({ length: n }, (_, i) => i)),
  };
}

/** Splits a batch into row ranges [0, a), [a, b), ... (same tokens, uneven shards). */
export function split(b: LayerBatch, ...cuts: number[]): LayerBatch[] {
  const edges = [0, ...cuts, b.special.length];
  const out: LayerBatch[] = [];
  for (let k = 0; k + 1 < edges.length; ++k) {
    const [s, e] = [edges[k], edges[k + 1]];
    out.push({
      layer: b.layer, dim: b.dim, data: b.data.slice(s * b.dim, e * b.dim), special: b.special.slice(s, e),
      position: b.position.slice(s, e), sentence: b.sentence.slice(s, e), word: b.word.slice(s, e),
    });
  }
  return out;
}

export const close = (actual: number | null, expected: number, tol = 1e-9): void => {
  if (actual === null || !(Math.abs(actual - expected) <= tol)) {
    throw new Error(`expected ${expected}, actual ${actual}, delta ${actual === null ? "n/a" : Math.abs(actual - expected)}, tolerance ${tol}`);
  }
};
