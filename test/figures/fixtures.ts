/**
 * Small synthetic results for the figure tests (labelled synthetic: no model produced them).
 * Outlier, position and origin results come from the real accumulators fed hand-made vectors; the
 * others are hand-written objects of the analyses' result types, small enough to check by hand.
 */
import { OutlierCounter, type OutlierResult } from "../../src/analysis/outliers.js";
import type { LayerBatch } from "../../src/analysis/batch.js";
import type { StaticTensors } from "../../src/model/types.js";
import type { AnisotropyResult } from "../../src/analysis/anisotropy.js";
import type { ProbeResult } from "../../src/analysis/probe.js";
import type { SelfSimResult } from "../../src/analysis/selfsim.js";
import type { WicResult } from "../../src/analysis/senses.js";
import type { StsResult } from "../../src/analysis/sts.js";
import type { SupervisedResult } from "../../src/analysis/supervised.js";
import type { ContributionResult } from "../../src/analysis/contributions.js";

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

/** Synthetic anisotropy: layers 0-1, raw 0.5 / 0.8, clipped 0.1 / 0.2, intervals ±0.05. */
export function syntheticAnisotropy(): AnisotropyResult {
  const ci = (m: number) => ({ mean: m, low: m - 0.05, high: m + 0.05, pairs: 10 });
  return {
    analysis: "anisotropy",
    settings: { sampleSize: 20, pairs: 10, seed: 3, includeSpecial: false, level: 0.95, tokens: "non-special", pairing: "synthetic", interval: "synthetic", variants: ["raw", "clipped", "whitening"], postprocessing: {} },
    layerIndices: [0, 1],
    layers: [
      { layer: 0, sampled: 20, seen: 20, pairs: 10, raw: 0.5, clipped: 0.1, whitening: 0.0, ci: { raw: ci(0.5), clipped: ci(0.1), whitening: ci(0) } },
      { layer: 1, sampled: 20, seen: 20, pairs: 10, raw: 0.8, clipped: 0.2, whitening: 0.01, ci: { raw: ci(0.8), clipped: ci(0.2), whitening: ci(0.01) } },
    ],
  };
}

/** Synthetic self-similarity: layers 0-1, adjusted 0.6 / 0.3 (clipped 0.7 / 0.5). */
export function syntheticSelfSim(adjusted: [number, number]): SelfSimResult {
  return {
    analysis: "selfsim",
    settings: { minOccurrences: 5, maxWords: 1000, seed: 0, restricted: true, tokens: "non-special", wordVector: "mean of subwords", formula: "synthetic" },
    layerIndices: [0, 1],
    layers: adjusted.map((a, layer) => ({ layer, words: 12, occurrences: 80, selfSimilarity: a + 0.2, anisotropy: 0.2, adjusted: a })),
  };
}

/** Synthetic cosine contributions: dim 3 of 4 carries 0.6 of a 0.8 raw mean cosine in layer 1. */
export function syntheticContributions(): ContributionResult {
  const layer = (l: number, variant: "raw" | "clipped", c: number[]) => {
    const total = c.reduce((a, b) => a + b, 0);
    return { layer: l, variant, pairs: 10, total, contributions: c, top: [{ dim: c.indexOf(Math.max(...c)), value: Math.max(...c), share: Math.max(...c) / total }] };
  };
  return {
    analysis: "contributions",
    settings: { pairs: 10, seed: 3, top: 1, sampleSize: 20, tokens: "non-special", variants: ["raw", "clipped"] },
    layers: [layer(0, "raw", [0.1, 0.1, 0.1, 0.2]), layer(0, "clipped", [0.1, 0.1, 0.1, 0]), layer(1, "raw", [0.05, 0.05, 0.1, 0.6]), layer(1, "clipped", [0.05, 0.05, 0.1, 0])],
  };
}

/** Synthetic probe: 4 dims, layers 0-2, outlier dim 3; positions 0-2 with 2 held-out tokens each. */
export function syntheticProbe(): ProbeResult {
  const layer = (l: number, accuracy: number, c3: number) => ({
    layer: l, trainTokens: 12, testTokens: 6, classes: 3, droppedTrain: 0, unseenTest: 0, accuracy, loss: 0.5,
    contributions: [0.1, 0.1, 0.2, c3], meanContribution: (0.4 + c3) / 4, dims: [{ dim: 3, contribution: c3, rank: 1 }],
    heatmap: { counts: [2, 2, 2], byPosition: [{ dim: 3, mean: [c3, c3 / 2, null] }], highestOther: [{ dim: 2, mean: 0.3 }, { dim: 1, mean: 0.1 }, { dim: null, mean: null }] },
  });
  return {
    analysis: "probe",
    settings: {
      includeSpecial: false, testFraction: 0.2, seed: 0, maxTrainTokens: 4000, maxTestTokens: 1000, maxClasses: 300, epochs: 10, batchSize: 128, lr: 0.001,
      contribution: "true-row", tokens: "non-special", bias: false, split: "synthetic", dims: [3],
    },
    layerIndices: [0, 1, 2],
    layers: [layer(0, 1, 1), layer(1, 0.9, 2), layer(2, 0.5, 4)],
  };
}

/** Synthetic WiC result: 2 layers x 2 thresholds; best raw 0.6 at (1, 0.5), clipped 0.7 at (1, 0.3). */
export function syntheticWic(): WicResult {
  return {
    source: "synthetic pairs", units: "accuracy (fraction of pairs)",
    sizes: { pairs: 10, same: 5, different: 5, selection: 5, evaluation: 5 }, baseline: 0.5, thresholds: [0.3, 0.5],
    raw: { table: [[0.5, 0.5], [0.55, 0.6]], best: { layer: 1, threshold: 0.5, accuracy: 0.6 }, heldOut: { selection: { layer: 1, threshold: 0.5, accuracy: 0.6 }, evaluation: 0.4 } },
    clipped: { table: [[0.5, 0.5], [0.7, 0.6]], best: { layer: 1, threshold: 0.3, accuracy: 0.7 }, heldOut: null },
    settings: { searchLayers: [1], heldOut: { seed: 0, selectionFraction: 0.5 }, rule: "same sense when cosine > threshold" },
  };
}

/** Synthetic STS result: layers 0-1; best raw 40 at layer 1, clipped 45 at layer 1. */
export function syntheticSts(): StsResult {
  const scores = (s: number) => ({ all: { spearman: s, pearson: s }, wmean: { spearman: s, pearson: s }, subsets: [{ name: "a", pairs: 8, spearman: s, pearson: s }] });
  return {
    units: "correlation x 100", sizes: { pairs: 8, subsets: [{ name: "a", pairs: 8, skipped: 0 }] },
    layers: [{ layer: 0, raw: scores(30), clipped: scores(31) }, { layer: 1, raw: scores(40), clipped: scores(45) }],
    best: { raw: { all: { layer: 1, spearman: 40 }, wmean: { layer: 1, spearman: 40 } }, clipped: { all: { layer: 1, spearman: 45 }, wmean: { layer: 1, spearman: 45 } } },
    settings: { searchLayers: [1] },
  };
}

/** Synthetic supervised result: layers 0-1, best raw 0.8 (layer 1), clipped 0.75 (layer 1). */
export function syntheticSupervised(): SupervisedResult {
  const acc = (a: number) => ({ accuracy: a, trainAccuracy: a, loss: 0.4 });
  return {
    task: "SST-2", units: "accuracy (fraction of test examples)", sizes: { train: 16, test: 4, classes: 2, emptyTexts: 0 }, majorityBaseline: 0.5,
    layers: [{ layer: 0, raw: acc(0.6), clipped: acc(0.6) }, { layer: 1, raw: acc(0.8), clipped: acc(0.75) }],
    best: { raw: { layer: 1, accuracy: 0.8 }, clipped: { layer: 1, accuracy: 0.75 } }, settings: {},
  };
}
