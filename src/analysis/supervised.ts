/**
 * Supervised probes on frozen sentence vectors (paper §4.4; Table 3): each sentence is the mean of
 * its token vectors at one layer (as in sts.ts, special tokens excluded unless includeSpecial),
 * raw or clipped; one linear softmax classifier per layer is trained with Adam on the training
 * sentences and scored on held-out sentences. The split is the one supplied (a separate test set)
 * or a seeded shuffle of one set.
 *
 * Defaults follow the paper where it says (10 epochs, cross-entropy, Adam) and are stated where it
 * does not: learning rate 1e-3, a bias term, batch size 128 (the paper used 768 / 128 / 1536 for
 * SST-2 / IMDB / SST-5: pass batchSize to match). Memory: sentences x searched layers x hidden floats.
 */
import type { LabelledTexts } from "../data/formats/sentiment.js";
import { createRandom } from "../numerics/random.js";
import { accuracy, trainSoftmax, type SoftmaxOptions } from "../numerics/softmax.js";
import { checkClipLayers, clipDimsFor, meanPoolBatch, resolveLayers, type ClipSpec, type SentenceEncoder } from "./sts.js";

/** A seeded split of 0..n-1: the first round(n * testFraction) of a shuffle are test; both sorted. */
export function splitTrainTest(n: number, testFraction: number, seed: number): { train: number[]; test: number[] } {
  if (!(testFraction > 0 && testFraction < 1)) throw new RangeError(`invalid testFraction: ${JSON.stringify(testFraction)}; expected a number in (0, 1)`);
  const order = createRandom(seed).shuffle(Array.from({ length: n }, (_, i) => i));
  const k = Math.round(n * testFraction);
  if (k < 1 || k >= n) throw new RangeError(`invalid testFraction: ${testFraction} of ${n} examples leaves an empty train or test part; supply more examples or a test set`);
  return { test: order.slice(0, k).sort((a, b) => a - b), train: order.slice(k).sort((a, b) => a - b) };
}

/** Copies rows `indices` of a row-major [n x dim] matrix, zeroing the dims in `zero`. */
export function selectRows(x: Float32Array, dim: number, indices: readonly number[], zero: readonly number[] = []): Float32Array {
  const out = new Float32Array(indices.length * dim);
  indices.forEach((r, i) => {
    out.set(x.subarray(r * dim, (r + 1) * dim), i * dim);
    for (const d of zero) out[i * dim + d] = 0;
  });
  return out;
}

/** Trains one softmax probe and returns its test and train accuracy (fractions) and last epoch's loss. */
export function probeLayer(
  train: { x: Float32Array; y: Int32Array }, test: { x: Float32Array; y: Int32Array }, dim: number, classes: number, opts: SoftmaxOptions,
): { accuracy: number | null; trainAccuracy: number | null; loss: number | null } {
  const model = trainSoftmax(train.x, train.y, train.y.length, dim, classes, opts);
  return {
    accuracy: accuracy(model, test.x, test.y, test.y.length),
    trainAccuracy: accuracy(model, train.x, train.y, train.y.length),
    loss: model.losses.length ? model.losses[model.losses.length - 1] : null,
  };
}

/** Mean-pooled vectors of `texts` at the given layers: one row-major [texts x hidden] array per layer. */
export async function poolTexts(encoder: SentenceEncoder, texts: readonly string[], { layers, includeSpecial = false, batchSize = 32, clip }: { layers?: number[]; includeSpecial?: boolean; batchSize?: number; clip?: ClipSpec } = {}): Promise<{ hidden: number; modelLayers: number; layers: number[]; vectors: Map<number, Float32Array>; emptyTexts: number }> {
  let L = -1, hidden = 0, emptyTexts = 0;
  let keep: number[] = [];
  const vectors = new Map<number, Float32Array>();
  const seen = new Uint8Array(texts.length);
  for await (const encoded of encoder.encode([...texts], { batchSize })) {
    if (L < 0) {
      L = encoded.layers.length - 1;
      hidden = encoded.hidden;
      keep = resolveLayers(layers, L);
      checkClipLayers(clip, L);
      for (const l of keep) {
        clipDimsFor(clip, l, hidden);
        vectors.set(l, new Float32Array(texts.length * hidden));
      }
    }
    const { vectors: rows, counts } = meanPoolBatch(encoded, includeSpecial);
    encoded.sentenceIndex.forEach((si, r) => {
      seen[si] = 1;
      if (counts[r] === 0) ++emptyTexts;
      for (const l of keep) vectors.get(l)!.set(rows[r].subarray(l * hidden, (l + 1) * hidden), si * hidden);
    });
  }
  const missing = seen.indexOf(0);
  if (missing >= 0) throw new Error(`encoder: text ${missing} was not encoded; the encoder must yield every sentence once`);
  return { hidden, modelLayers: L, layers: keep, vectors, emptyTexts };
}

export interface SupervisedOptions extends Omit<SoftmaxOptions, "initScale"> {
  /** Dimensions to zero for the clipped probes; default none (clipped results are null). */
  clip?: ClipSpec;
  /** Include [CLS]/[SEP] in the mean; default false. */
  includeSpecial?: boolean;
  /** Layers probed; default 1..L. */
  layers?: number[];
  /** Share of `train` held out when no test set is supplied; default 0.2. */
  testFraction?: number;
  /** Sentences per encoder batch; default 32. */
  encodeBatchSize?: number;
}

export interface SupervisedLayer {
  layer: number;
  raw: { accuracy: number | null; trainAccuracy: number | null; loss: number | null };
  clipped: { accuracy: number | null; trainAccuracy: number | null; loss: number | null } | null;
}

export interface SupervisedResult {
  task: string;
  units: "accuracy (fraction of test examples)";
  sizes: { train: number; test: number; classes: number; emptyTexts: number };
  /** Accuracy of always predicting the training set's most frequent class. */
  majorityBaseline: number;
  layers: SupervisedLayer[];
  /** Best layer by test accuracy; ties go to the lower layer. */
  best: { raw: { layer: number; accuracy: number } | null; clipped: { layer: number; accuracy: number } | null };
  settings: Record<string, unknown>;
}

/**
 * Probes every requested layer with a linear classifier on frozen mean-pooled vectors, raw and
 * clipped. `data.test` is the held-out set when given; otherwise `data.train` is split (seeded).
 */
export async function evaluateSupervised(encoder: SentenceEncoder, data: { train: LabelledTexts; test?: LabelledTexts; task?: string }, options: SupervisedOptions = {}): Promise<SupervisedResult> {
  const {
    clip, includeSpecial = false, layers, testFraction = 0.2, encodeBatchSize = 32,
    bias = true, epochs = 10, batchSize = 128, lr = 1e-3, seed = 0, l2 = 0,
  } = options;
  const { train, test } = data;
  if (train.texts.length === 0) throw new RangeError("invalid train: no examples; load a data file with labelled sentences");
  if (test && test.classes !== train.classes) throw new RangeError(`invalid test: ${test.classes} classes, train has ${train.classes}; pass splits of the same task`);
  const texts = test ? [...train.texts, ...test.texts] : train.texts;
  const labels = test ? Int32Array.from([...train.labels, ...test.labels]) : train.labels;
  const split = test
    ? { train: train.texts.map((_, i) => i), test: test.texts.map((_, i) => train.texts.length + i) }
    : splitTrainTest(train.texts.length, testFraction, seed);
  const pooledSet = await poolTexts(encoder, texts, { layers, includeSpecial, batchSize: encodeBatchSize, clip });
  const { hidden } = pooledSet;
  const yTrain = Int32Array.from(split.train, (i) => labels[i]), yTest = Int32Array.from(split.test, (i) => labels[i]);
  const softmax: SoftmaxOptions = { bias, epochs, batchSize, lr, seed, l2 };
  const out: SupervisedLayer[] = [];
  for (const l of pooledSet.layers) {
    const x = pooledSet.vectors.get(l)!;
    const raw = probeLayer({ x: selectRows(x, hidden, split.train), y: yTrain }, { x: selectRows(x, hidden, split.test), y: yTest }, hidden, train.classes, softmax);
    let clipped = null;
    if (clip) {
      const zero = clipDimsFor(clip, l, hidden);
      clipped = probeLayer({ x: selectRows(x, hidden, split.train, zero), y: yTrain }, { x: selectRows(x, hidden, split.test, zero), y: yTest }, hidden, train.classes, softmax);
    }
    out.push({ layer: l, raw, clipped });
  }
  const counts = new Array<number>(train.classes).fill(0);
  for (const y of yTrain) counts[y]++;
  const majority = counts.indexOf(Math.max(...counts));
  const pick = (get: (x: SupervisedLayer) => number | null | undefined) => {
    let best: { layer: number; accuracy: number } | null = null;
    for (const x of out) {
      const v = get(x);
      if (v !== null && v !== undefined && (!best || v > best.accuracy)) best = { layer: x.layer, accuracy: v };
    }
    return best;
  };
  return {
    task: data.task ?? train.format,
    units: "accuracy (fraction of test examples)",
    sizes: { train: split.train.length, test: split.test.length, classes: train.classes, emptyTexts: pooledSet.emptyTexts },
    majorityBaseline: yTest.filter((y) => y === majority).length / yTest.length,
    layers: out,
    best: { raw: pick((x) => x.raw.accuracy), clipped: clip ? pick((x) => x.clipped?.accuracy) : null },
    settings: {
      pooling: "mean", includeSpecial, classifier: "linear softmax, cross-entropy, Adam", bias, epochs, batchSize, lr, seed, l2,
      split: test ? "supplied" : { testFraction, seed }, layers: pooledSet.layers, layersInModel: pooledSet.modelLayers,
      clip: clip ? (Array.isArray(clip) ? [...clip] : { ...clip }) : null, trainFile: train.file, testFile: test?.file ?? null,
    },
  };
}
