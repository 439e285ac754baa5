import { sameValues, type LayerBatch } from "./batch.js";
import type { Linalg } from "../numerics/linalg.js";
import { hashUniform } from "../numerics/random.js";
import { trainSoftmax, predict, type SoftmaxModel } from "../numerics/softmax.js";
import { round6, toJsonArray } from "../numerics/json.js";
import { integer, keyword, number } from "../numerics/options.js";
import { TokenSample, type LayerSample } from "./tokenSample.js";

/** Which row of W gives w_i in the contribution c_i = |w_i · v_i| (the paper does not say; paper.md §3.3). */
export type ContributionRow = "true-row" | "predicted-row";
export const CONTRIBUTION_ROWS: readonly ContributionRow[] = ["true-row", "predicted-row"];

/** Options of {@link PositionProbe}. */
export interface ProbeOptions {
  /** Probe special tokens too; default false (DESIGN.md §2). */
  includeSpecial?: boolean;
  /** Share of SENTENCES held out for testing (seeded hash of the sentence index); default 0.2. */
  testFraction?: number;
  /** Seed of the split, the token samples and the training; default 0. */
  seed?: number;
  /** Training tokens kept per layer (a seeded uniform sample of the training sentences' tokens); default 4000. */
  maxTrainTokens?: number;
  /** Held-out tokens kept per layer; default 1000. */
  maxTestTokens?: number;
  /** Position classes: min(maxClasses, largest training position + 1); default 300 (paper). */
  maxClasses?: number;
  /** Adam settings (paper: batch 128, 10 epochs; the learning rate is ours: 1e-3). */
  epochs?: number;
  batchSize?: number;
  lr?: number;
  /**
   * W row used for w_i: "true-row" (default) = the token's true position y, c_i = |W[y, i] v_i|,
   * i.e. how much neuron i adds to the logit of the right answer; "predicted-row" = the argmax class.
   * Contributions are averaged over the held-out tokens of the layer (and per position for heatmaps).
   */
  contribution?: ContributionRow;
}

export interface ProbeLayer {
  layer: number;
  trainTokens: number;
  testTokens: number;
  classes: number;
  /** Training tokens dropped because their position is >= classes (only when maxClasses cuts). */
  droppedTrain: number;
  /** Held-out tokens whose position the probe cannot output (>= classes): scored as wrong. */
  unseenTest: number;
  /** Held-out accuracy; null without held-out tokens. */
  accuracy: number | null;
  /** Final epoch's mean training cross-entropy (nats). */
  loss: number | null;
  /** Per dimension: mean over held-out tokens of |w_i v_i|. */
  contributions: number[];
  /** Mean over all dimensions of `contributions` (the paper's "mean value of all neurons"). */
  meanContribution: number | null;
  /** The requested dims: contribution and 1-based rank among all dims (largest first). */
  dims: { dim: number; contribution: number; rank: number }[];
  /** Heatmap data (Figs 11-12): held-out tokens per position, each requested dim's mean contribution by position, and the largest other dim's. */
  heatmap: {
    counts: number[];
    byPosition: { dim: number; mean: (number | null)[] }[];
    highestOther: { dim: number | null; mean: number | null }[];
  };
}

export interface ProbeResult {
  analysis: "probe";
  settings: Required<ProbeOptions> & { tokens: "all" | "non-special"; bias: false; split: string; dims: number[] };
  layerIndices: number[];
  layers: ProbeLayer[];
}

/**
 * The position probe (paper §3.3, Figs 5, 11-15): per layer, a bias-free softmax regression from
 * token vectors to token positions, trained with Adam on held-in sentences and scored on held-out
 * ones, with each neuron's contribution |w_i v_i|. Streaming: keeps seeded uniform token samples of
 * the two splits (exact merge); training happens in result().
 */
export class PositionProbe {
  readonly #o: Required<ProbeOptions>;
  readonly #train: TokenSample;
  readonly #test: TokenSample;
  #lastSplit: { sentence: Int32Array; mask: Uint8Array; tests: number } | null = null;

  constructor({
    includeSpecial = false, testFraction = 0.2, seed = 0, maxTrainTokens = 4000, maxTestTokens = 1000, maxClasses = 300,
    epochs = 10, batchSize = 128, lr = 1e-3, contribution = "true-row",
  }: ProbeOptions = {}) {
    this.#o = {
      includeSpecial, testFraction: number(testFraction, "testFraction", 0, 1), seed: integer(seed, "seed", 0, 0xffffffff),
      maxTrainTokens: integer(maxTrainTokens, "maxTrainTokens", 1), maxTestTokens: integer(maxTestTokens, "maxTestTokens", 1),
      maxClasses: integer(maxClasses, "maxClasses", 1), epochs: integer(epochs, "epochs", 1), batchSize: integer(batchSize, "batchSize", 1),
      lr: number(lr, "lr", 0), contribution: keyword(contribution, "contribution", CONTRIBUTION_ROWS),
    };
    this.#train = new TokenSample({ size: maxTrainTokens, seed: this.#o.seed, includeSpecial });
    this.#test = new TokenSample({ size: maxTestTokens, seed: (this.#o.seed + 1) >>> 0, includeSpecial });
  }

  /** True when sentence `s` is held out (seeded, independent of batching). */
  isTest(s: number): boolean {
    return hashUniform(this.#o.seed ^ 0x5eed, s, 0x7e57) < this.#o.testFraction;
  }

  add(batch: LayerBatch): this {
    const n = batch.special.length, { mask, tests } = this.#split(batch.sentence);
    if (tests === 0) this.#train.add(batch);
    else if (tests === n) this.#test.add(batch);
    else {
      // the two splits read their rows of the batch in place (no subset copies)
      this.#train.add(batch, mask, 0);
      this.#test.add(batch, mask, 1);
    }
    return this;
  }

  /** The batch's test mask (1 = held out), computed once for the layers of a batch (same sentence values). */
  #split(sentence: Int32Array): { mask: Uint8Array; tests: number } {
    const last = this.#lastSplit;
    if (last && sameValues(last.sentence, sentence)) return last;
    const mask = new Uint8Array(sentence.length);
    let tests = 0;
    for (let r = 0; r < sentence.length; ++r) tests += mask[r] = this.isTest(sentence[r]) ? 1 : 0;
    this.#lastSplit = { sentence: Int32Array.from(sentence), mask, tests };
    return this.#lastSplit;
  }

  merge(other: PositionProbe): this {
    this.#train.merge(other.#train);
    this.#test.merge(other.#test);
    return this;
  }

  /** The options a state must share to merge (state.ts). */
  settings(): Required<ProbeOptions> {
    return { ...this.#o };
  }

  /** The train and test samples' states (TokenSample.state). */
  state(): { train: ReturnType<TokenSample["state"]>; test: ReturnType<TokenSample["state"]> } {
    return { train: this.#train.state(), test: this.#test.state() };
  }

  mergeState(state: ReturnType<PositionProbe["state"]>): this {
    this.#train.mergeState(state.train);
    this.#test.mergeState(state.test);
    return this;
  }

  /** Trains one probe per layer; `dims` (e.g. the outliers) get ranks and heatmaps. */
  result(dims: readonly number[] = []): ProbeResult {
    const layerIndices = this.#train.layers();
    const layers = layerIndices.map((layer) => {
      const p = this.#prepare(layer, dims);
      return this.#finish(p, trainSoftmax(this.#inputs(p), p.y, p.keep.length, p.dim, p.classes, { bias: false, ...this.#trainOptions() }), dims);
    });
    return this.#assemble(layerIndices, layers, dims);
  }

  /**
   * result() with the probes trained by `linalg`: every layer's probe in ONE trainSoftmaxStack call
   * when the layers hold the same training tokens (the sample key hashes (seed, sentence, position),
   * so they do whenever every layer saw the same batches), else one call per layer. With jsLinalg it
   * equals result() exactly; with onnxruntime, to float32 rounding of the training.
   */
  async resultWith(linalg: Linalg, dims: readonly number[] = []): Promise<ProbeResult> {
    const layerIndices = this.#train.layers();
    const prepared = layerIndices.map((layer) => this.#prepare(layer, dims));
    const opts = this.#trainOptions(), models: SoftmaxModel[] = [];
    const first = prepared[0];
    if (first && prepared.every((p) => sameTokens(p, first))) {
      const n = first.keep.length, size = n * first.dim;
      const x = new Float32Array(prepared.length * size);
      prepared.forEach((p, k) => this.#inputs(p, x, k * size));
      models.push(...await linalg.trainSoftmaxStack(x, first.y, prepared.length, n, first.dim, first.classes, opts));
    } else {
      for (const p of prepared) models.push(...await linalg.trainSoftmaxStack(this.#inputs(p), p.y, 1, p.keep.length, p.dim, p.classes, opts));
    }
    // Held-out predictions: logits = X Wᵀ through linalg (argmax of the logits = argmax of the softmax);
    // with jsLinalg, predict() itself, so resultWith(jsLinalg) equals result().
    const layers: ProbeLayer[] = [];
    for (const [k, p] of prepared.entries()) {
      const test = this.#test.layers().includes(p.layer) ? this.#test.layer(p.layer) : null;
      const pred = linalg.backend === "js" || !test || test.n === 0 ? undefined : await predictWith(linalg, models[k], test.data, test.n);
      layers.push(this.#finish(p, models[k], dims, { test, pred }));
    }
    return this.#assemble(layerIndices, layers, dims);
  }

  #trainOptions(): { epochs: number; batchSize: number; lr: number; seed: number } {
    const o = this.#o;
    return { epochs: o.epochs, batchSize: o.batchSize, lr: o.lr, seed: o.seed };
  }

  #assemble(layerIndices: number[], layers: ProbeLayer[], dims: readonly number[]): ProbeResult {
    const o = this.#o;
    return {
      analysis: "probe",
      settings: {
        ...o, tokens: o.includeSpecial ? "all" : "non-special", bias: false, dims: [...dims],
        split: "held-out by sentence: a sentence is held out when a seeded hash of its index is below testFraction",
      },
      layerIndices, layers,
    };
  }

  /** One layer's training set: the kept tokens (position < classes) and their labels. */
  #prepare(layer: number, dims: readonly number[]): Prepared {
    const o = this.#o, train = this.#train.layer(layer);
    const dim = train.dim;
    for (const d of dims) if (!Number.isInteger(d) || d < 0 || d >= dim) throw new RangeError(`invalid dimension: ${JSON.stringify(d)}; expected an integer in [0, ${dim - 1}]`);
    let maxPos = 0;
    for (let i = 0; i < train.n; ++i) maxPos = Math.max(maxPos, train.position[i]);
    const classes = Math.min(o.maxClasses, maxPos + 1);
    const keep: number[] = [];
    for (let i = 0; i < train.n; ++i) if (train.position[i] < classes) keep.push(i);
    const y = Int32Array.from(keep, (i) => train.position[i]);
    return { layer, dim, trainN: train.n, sentence: train.sentence, position: train.position, data: train.data, keep, classes, y };
  }

  /** Copies the kept rows of p into out at offset (then drops p's sample data, which is no longer needed). */
  #inputs(p: Prepared, out = new Float32Array(p.keep.length * p.dim), offset = 0): Float32Array {
    const { keep, dim, data } = p;
    if (!data) throw new Error(`probe layer ${p.layer}: training inputs were already taken`);
    if (keep.length === p.trainN) out.set(data, offset);
    else keep.forEach((i, k) => out.set(data.subarray(i * dim, (i + 1) * dim), offset + k * dim));
    p.data = null;
    return out;
  }

  /** Scores one layer's trained probe on the held-out tokens. */
  #finish(p: Prepared, model: SoftmaxModel, dims: readonly number[], held?: { test: LayerSample | null; pred?: Int32Array }): ProbeLayer {
    const o = this.#o, { layer, dim, classes, keep } = p;
    // the held-out sample (sorted and copied by TokenSample.layer) is taken once per layer
    const test: LayerSample | null = held ? held.test : this.#test.layers().includes(layer) ? this.#test.layer(layer) : null;
    const nt = test ? test.n : 0;
    const pred = held?.pred ?? (test ? predict(model, test.data, nt) : new Int32Array(0));
    let right = 0, unseen = 0;
    const sums = new Float64Array(dim);
    let maxTestPos = -1;
    for (let t = 0; t < nt; ++t) maxTestPos = Math.max(maxTestPos, test!.position[t]);
    const P = maxTestPos + 1, counts = new Float64Array(P), byPos = new Float64Array(P * dim);
    let used = 0;
    const c = new Float64Array(dim);
    for (let t = 0; t < nt; ++t) {
      const p = test!.position[t];
      if (p >= classes) unseen++;
      else if (pred[t] === p) right++;
      const row = o.contribution === "true-row" ? p : pred[t];
      // Under "true-row" a token whose position the probe lacks has no row: it is left out of contributions.
      if (row >= classes) continue;
      used++;
      counts[p]++;
      neuronContributions(model.W, dim, row, test!.data, t * dim, c);
      for (let i = 0; i < dim; ++i) {
        sums[i] += c[i];
        byPos[p * dim + i] += c[i];
      }
    }
    const contributions = Array.from(sums, (s) => (used ? s / used : 0));
    const meanContribution = used ? contributions.reduce((a, b) => a + b, 0) / dim : null;
    const order = Array.from({ length: dim }, (_, i) => i).sort((a, b) => contributions[b] - contributions[a] || a - b);
    const rank = new Int32Array(dim);
    order.forEach((d, k) => (rank[d] = k + 1));
    const dimSet = new Set(dims);
    const highestOther = Array.from({ length: P }, (_, p) => {
      if (!counts[p]) return { dim: null, mean: null };
      let best = -1;
      for (let i = 0; i < dim; ++i) if (!dimSet.has(i) && (best < 0 || byPos[p * dim + i] > byPos[p * dim + best])) best = i;
      return best < 0 ? { dim: null, mean: null } : { dim: best, mean: round6(byPos[p * dim + best] / counts[p]) };
    });
    return {
      layer, trainTokens: keep.length, testTokens: nt, classes, droppedTrain: p.trainN - keep.length, unseenTest: unseen,
      accuracy: nt ? round6(right / nt) : null, loss: model.losses.length ? round6(model.losses[model.losses.length - 1]) : null,
      contributions: toJsonArray(contributions), meanContribution: meanContribution === null ? null : round6(meanContribution),
      dims: dims.map((d) => ({ dim: d, contribution: round6(contributions[d]), rank: rank[d] })),
      heatmap: {
        counts: Array.from(counts),
        byPosition: dims.map((d) => ({ dim: d, mean: Array.from(counts, (c, p) => (c ? round6(byPos[p * dim + d] / c) : null)) })),
        highestOther,
      },
    };
  }
}

/** One layer's prepared training set (see PositionProbe.#prepare). */
interface Prepared {
  layer: number;
  dim: number;
  /** Tokens in the layer's training sample (kept or not). */
  trainN: number;
  sentence: Int32Array;
  position: Int32Array;
  /** The sample's [trainN x dim] vectors; null once copied into the training inputs. */
  data: Float32Array | null;
  /** Indices of the kept tokens (position < classes). */
  keep: number[];
  classes: number;
  y: Int32Array;
}

/** True when a and b hold the same tokens (sentence and position) in the same order. */
function sameTokens(a: Prepared, b: Prepared): boolean {
  if (a.trainN !== b.trainN || a.dim !== b.dim) return false;
  for (let i = 0; i < a.trainN; ++i) if (a.sentence[i] !== b.sentence[i] || a.position[i] !== b.position[i]) return false;
  return true;
}

/** Writes c_i = |W[row, i] · v_i| for the vector v = data[offset, offset + dim) into out (paper §3.3). */
export function neuronContributions(W: Float32Array, dim: number, row: number, data: ArrayLike<number>, offset: number, out: Float64Array): Float64Array {
  for (let i = 0; i < dim; ++i) out[i] = Math.abs(W[row * dim + i] * data[offset + i]);
  return out;
}

/** predict() for a bias-free model through linalg: the argmax of each row of X Wᵀ (ties to the lower class). */
export async function predictWith(linalg: Linalg, model: SoftmaxModel, x: Float32Array, n: number): Promise<Int32Array> {
  const { W, classes, dim } = model;
  if (model.b) throw new RangeError("predictWith: the model has a bias; use predict()");
  if (x.length !== n * dim) throw new RangeError(`predictWith: x has ${x.length} values; expected n x dim = ${n} x ${dim}`);
  const Wt = new Float32Array(dim * classes);
  for (let c = 0; c < classes; ++c) for (let i = 0; i < dim; ++i) Wt[i * classes + c] = W[c * dim + i];
  const logits = await linalg.matmul(x, Wt, n, dim, classes), out = new Int32Array(n);
  for (let r = 0; r < n; ++r) {
    let best = 0;
    for (let c = 1; c < classes; ++c) if (logits[r * classes + c] > logits[r * classes + best]) best = c;
    out[r] = best;
  }
  return out;
}
