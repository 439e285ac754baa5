/**
 * Small synthetic results for the figure tests (labelled synthetic: no model produced them).
 * Built with the real accumulators from hand-made token vectors, so the figures see the exact
 * shapes the analyses return.
 */
import { OutlierCounter, type OutlierResult } from "../../src/analysis/outliers.js";
import type { LayerBatch } from "../../src/analysis/batch.js";
import type { StaticTensors } from "../../src/model/types.js";

/** A LayerBatch of `rows` tokens (none special) from row-major values. */
export function layerBatch(layer: number, dim: number, values: number[]): LayerBatch {
  const n = values.length / dim;
  return {
    layer, dim, data: Float32Array.from(values), special: new Uint8Array(n),
    position: Int32Array.from({ length: n }, (_, i) => i), sentence: new Int32Array(n), word: Int32Array.from({ length: n }, (_, i) => i),
  };
}

/**
 * Synthetic outlier result: dim 4, layers 0..2, 4 tokens per layer. In layers 1 and 2 dimension 2
 * is the minimum of every token (value -5), so it is a persistent "min" outlier; layer 0 has none.
 */
export function syntheticOutliers(): OutlierResult {
  // minShare 0.6: with 4 tokens a share of 0.25 is a single token, so the default would flag noise.
  const c = new OutlierCounter({ minShare: 0.6 });
  c.add(layerBatch(0, 4, [0.1, 0.2, 0.3, 0.4, 0.4, 0.3, 0.2, 0.1, 0, 1, 0, 0, 1, 0, 0, 0]));
  for (const layer of [1, 2]) c.add(layerBatch(layer, 4, [1, 0, -5, 0, 0, 1, -5, 0, 0.5, 0, -5, 2, 0, 0, -5, 1]));
  return c.result();
}

/** Synthetic static tensors: hidden 4, 3 position rows, row 0 has a spike at dim 1 (-0.9). */
export function syntheticTensors(positionOffset = 0): StaticTensors {
  return {
    architecture: "bert", hidden: 4,
    positionEmbeddings: { rows: 3, data: Float32Array.from([0.1, -0.9, 0.05, 0.2, 0.0, 0.1, -0.1, 0.3, 0.2, 0.1, 0.0, 0.5]) },
    positionOffset,
    tokenTypeEmbeddings: { rows: 1, data: Float32Array.from([0, 0, 0, 0]) },
    layerNorms: [
      { layer: 0, which: "embeddings", gamma: Float32Array.from([1, 1, 1, 1]), beta: Float32Array.from([0, 0, 0, 0]) },
      { layer: 1, which: "attention", gamma: Float32Array.from([1, 3, 2, 1]), beta: Float32Array.from([0, -1, 0.5, 0]) },
      { layer: 1, which: "output", gamma: Float32Array.from([1, 0.5, 2, 1]), beta: Float32Array.from([0.2, 0.1, 0, 0]) },
    ],
  };
}
