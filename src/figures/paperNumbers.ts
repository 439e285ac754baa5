/**
 * The paper's published numbers (Luo, Kulmizev & Mao, ACL 2021), used as reference rows labelled
 * "paper" in the tables and quoted in the notebooks' narratives. Values are from the v3 text and
 * tables [T] as transcribed in paper.md; nothing here is a result of this project.
 */

/** Table 1 (base) and Table 5 (distil, large): WiC train set, best (layer, threshold); accuracy in %. */
export const paperWic: readonly { model: string; layer: number; threshold: number; accuracy: number; clipped: { layer: number; threshold: number; accuracy: number } }[] = [
  { model: "BERT-base", layer: 7, threshold: 0.7, accuracy: 67.5, clipped: { layer: 10, threshold: 0.5, accuracy: 68.4 } },
  { model: "RoBERTa-base", layer: 10, threshold: 0.9, accuracy: 69.0, clipped: { layer: 11, threshold: 0.6, accuracy: 69.9 } },
  { model: "BERT-distil", layer: 5, threshold: 0.9, accuracy: 66.5, clipped: { layer: 6, threshold: 0.6, accuracy: 67.3 } },
  { model: "RoBERTa-distil", layer: 5, threshold: 0.9, accuracy: 63.7, clipped: { layer: 5, threshold: 0.6, accuracy: 66.7 } },
  { model: "BERT-large", layer: 12, threshold: 0.7, accuracy: 70.2, clipped: { layer: 12, threshold: 0.6, accuracy: 70.3 } },
  { model: "RoBERTa-large", layer: 10, threshold: 0.9, accuracy: 70.4, clipped: { layer: 16, threshold: 0.6, accuracy: 71.3 } },
];

/** The WiC baseline that labels every pair True (accuracy in %). */
export const paperWicBaseline = 50.0;

/** The seven STS sets, in the paper's order. */
export const stsSets = ["STS-B", "SICK-R", "STS-12", "STS-13", "STS-14", "STS-15", "STS-16"] as const;

/** Averaged GloVe (Table 2, from Reimers & Gurevych 2019): Spearman x 100 per STS set. */
export const paperGloveSts: Readonly<Record<string, number>> = {
  "STS-B": 58.02, "SICK-R": 53.76, "STS-12": 55.14, "STS-13": 70.66, "STS-14": 59.73, "STS-15": 68.25, "STS-16": 63.66,
};

type StsCell = [score: number, layer: number];
/** Tables 2, 6, 7: Spearman x 100 (best layer) per model, raw then clipped, per set in stsSets order. */
export const paperSts: readonly { model: string; raw: StsCell[]; clipped: StsCell[] }[] = [
  { model: "BERT-base", raw: [[58.61, 3], [60.78, 2], [48.0, 1], [61.19, 12], [50.1, 12], [61.15, 1], [62.38, 12]],
    clipped: [[63.06, 2], [61.74, 2], [50.4, 1], [61.44, 1], [54.52, 2], [67.0, 2], [64.18, 2]] },
  { model: "RoBERTa-base", raw: [[56.6, 11], [64.68, 11], [40.0, 1], [58.33, 11], [49.79, 8], [64.39, 9], [64.82, 11]],
    clipped: [[60.61, 11], [64.82, 11], [43.44, 1], [59.72, 11], [51.92, 3], [66.15, 3], [67.14, 11]] },
  { model: "BERT-distil", raw: [[59.65, 6], [62.64, 6], [42.96, 1], [59.33, 1], [53.81, 6], [61.4, 6], [61.43, 6]],
    clipped: [[56.62, 6], [62.42, 6], [46.47, 1], [55.74, 1], [50.57, 1], [61.48, 1], [60.75, 6]] },
  { model: "RoBERTa-distil", raw: [[56.06, 5], [62.63, 5], [40.19, 1], [56.42, 5], [49.59, 6], [65.1, 5], [62.9, 5]],
    clipped: [[58.47, 5], [62.73, 6], [42.36, 1], [60.64, 6], [52.51, 2], [65.93, 2], [64.49, 5]] },
  { model: "BERT-large", raw: [[62.56, 1], [64.47, 24], [54.05, 1], [68.8, 2], [60.46, 1], [73.91, 1], [66.35, 17]],
    clipped: [[66.43, 3], [65.72, 23], [56.44, 3], [71.07, 2], [63.35, 1], [76.51, 1], [71.41, 3]] },
  { model: "RoBERTa-large", raw: [[59.71, 19], [63.08, 14], [44.72, 1], [61.68, 8], [51.39, 8], [65.98, 7], [66.5, 14]],
    clipped: [[62.01, 23], [63.5, 16], [49.69, 1], [62.82, 10], [57.33, 1], [69.71, 1], [68.25, 11]] },
];

/** Table 3: frozen linear probes on mean-pooled layers; best accuracy % (layer), raw then clipped. */
export const paperSupervised: readonly { model: string; task: string; raw: [number, number]; clipped: [number, number] }[] = [
  { model: "BERT-base", task: "SST-2", raw: [85.9, 12], clipped: [85.4, 12] },
  { model: "BERT-base", task: "IMDB", raw: [86.8, 10], clipped: [86.4, 10] },
  { model: "BERT-base", task: "SST-5", raw: [46.2, 10], clipped: [46.1, 12] },
  { model: "RoBERTa-base", task: "SST-2", raw: [88.4, 8], clipped: [88.7, 8] },
  { model: "RoBERTa-base", task: "IMDB", raw: [91.5, 9], clipped: [91.6, 9] },
  { model: "RoBERTa-base", task: "SST-5", raw: [46.9, 7], clipped: [47.0, 7] },
];

/** Table 4: the paper's pre-training settings for its RoBERTa-base with and without PE (fairseq). */
export const paperPretraining: readonly [setting: string, value: string][] = [
  ["layers", "12"], ["hidden size", "768"], ["FFN inner size", "3072"], ["attention heads", "12"], ["head size", "64"],
  ["dropout", "0.1"], ["warmup", "10k steps"], ["max steps", "200k"], ["learning rate", "1e-4"], ["batch size", "256"],
  ["weight decay", "0.01"], ["learning-rate decay", "polynomial"], ["Adam (ε, β1, β2)", "(1e-6, 0.9, 0.98)"],
  ["gradient clipping", "0.5"],
];

/** §3.4: validation perplexity of the paper's pre-trained models. */
export const paperPerplexity = { withPositions: 4.3, withoutPositions: 354.0 } as const;

/** §3.1 and §3.4: outlier shares the paper states (% of token vectors). */
export const paperOutlierShares: readonly { model: string; dim: number; extreme: "min" | "max"; percent: number | null }[] = [
  { model: "BERT-base", dim: 557, extreme: "min", percent: 96.6 },
  { model: "RoBERTa-base", dim: 588, extreme: "max", percent: null },
  { model: "RoBERTa-base", dim: 77, extreme: "min", percent: 88.19 },
  { model: "RoBERTa-base with PE (own)", dim: 81, extreme: "max", percent: 82.56 },
];
