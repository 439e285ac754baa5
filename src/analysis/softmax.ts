import { createRandom } from "./random.js";
import { integer, number } from "./stats.js";

/** Options of {@link trainSoftmax}; every default is the position probe's (paper §3.3). */
export interface SoftmaxOptions {
  /** Learn a per-class bias; default false (the paper's probe is bias-free). */
  bias?: boolean;
  /** Passes over the data; default 10 (paper). */
  epochs?: number;
  /** Mini-batch size; default 128 (paper). */
  batchSize?: number;
  /** Adam learning rate; default 1e-3 (Adam's usual default; the paper does not state one). */
  lr?: number;
  /** Seed for the initial weights and the per-epoch shuffles; default 0. */
  seed?: number;
  /** L2 penalty coefficient added to the mean cross-entropy (0.5·l2·|W|²); default 0. */
  l2?: number;
  /** Standard deviation of the normal initial weights; default 0.01. */
  initScale?: number;
}

/** A trained softmax regression: logits = W x (+ b). */
export interface SoftmaxModel {
  /** Row-major [classes x dim]. */
  W: Float32Array;
  /** [classes], or null when trained without bias. */
  b: Float32Array | null;
  classes: number;
  dim: number;
  /** Mean training cross-entropy (nats) of each epoch, measured during the epoch. */
  losses: number[];
  settings: Required<SoftmaxOptions>;
}

/**
 * Trains a multinomial logistic (softmax) regression with Adam (Kingma & Ba 2015; β1 0.9, β2 0.999,
 * ε 1e-8) on mini-batches reshuffled every epoch with a seeded generator.
 * x: row-major [n x dim]; y: [n] class labels in [0, classes). Deterministic for a given seed.
 */
export function trainSoftmax(x: Float32Array, y: Int32Array, n: number, dim: number, classes: number, opts: SoftmaxOptions = {}): SoftmaxModel {
  const {
    bias = false, epochs = 10, batchSize = 128, lr = 1e-3, seed = 0, l2 = 0, initScale = 0.01,
  } = opts;
  integer(n, "n", 1);
  integer(dim, "dim", 1);
  integer(classes, "classes", 1);
  integer(epochs, "epochs", 0);
  integer(batchSize, "batchSize", 1);
  number(lr, "lr", 0);
  number(l2, "l2", 0);
  number(initScale, "initScale", 0);
  if (x.length !== n * dim) throw new RangeError(`trainSoftmax: x has ${x.length} values; expected n x dim = ${n} x ${dim}`);
  if (y.length !== n) throw new RangeError(`trainSoftmax: y has ${y.length} labels; expected n = ${n}`);
  for (let i = 0; i < n; ++i) {
    if (!(y[i] >= 0 && y[i] < classes)) throw new RangeError(`trainSoftmax: label y[${i}] = ${y[i]} is outside [0, ${classes}); raise classes or drop the token`);
  }
  const rng = createRandom(seed);
  const W = new Float32Array(classes * dim);
  for (let i = 0; i < W.length; ++i) W[i] = rng.normal() * initScale;
  const b = bias ? new Float32Array(classes) : null;
  const gW = new Float64Array(W.length), mW = new Float64Array(W.length), vW = new Float64Array(W.length);
  const gb = new Float64Array(classes), mb = new Float64Array(classes), vb = new Float64Array(classes);
  const z = new Float64Array(classes);
  const order = Int32Array.from({ length: n }, (_, i) => i);
  const beta1 = 0.9, beta2 = 0.999, eps = 1e-8;
  const losses: number[] = [];
  let step = 0;
  for (let epoch = 0; epoch < epochs; ++epoch) {
    rng.shuffle(order);
    let loss = 0;
    for (let start = 0; start < n; start += batchSize) {
      const end = Math.min(n, start + batchSize), m = end - start;
      gW.fill(0);
      gb.fill(0);
      for (let t = start; t < end; ++t) {
        const r = order[t], xo = r * dim;
        softmaxRow(W, b, x, xo, dim, classes, z);
        loss -= Math.log(Math.max(z[y[r]], 1e-300));
        z[y[r]] -= 1;
        for (let c = 0; c < classes; ++c) {
          const g = z[c];
          if (g === 0) continue;
          const wo = c * dim;
          for (let i = 0; i < dim; ++i) gW[wo + i] += g * x[xo + i];
          gb[c] += g;
        }
      }
      step++;
      const c1 = 1 - beta1 ** step, c2 = 1 - beta2 ** step;
      for (let i = 0; i < W.length; ++i) {
        const g = gW[i] / m + l2 * W[i];
        mW[i] = beta1 * mW[i] + (1 - beta1) * g;
        vW[i] = beta2 * vW[i] + (1 - beta2) * g * g;
        W[i] -= (lr * (mW[i] / c1)) / (Math.sqrt(vW[i] / c2) + eps);
      }
      if (b) {
        for (let c = 0; c < classes; ++c) {
          const g = gb[c] / m;
          mb[c] = beta1 * mb[c] + (1 - beta1) * g;
          vb[c] = beta2 * vb[c] + (1 - beta2) * g * g;
          b[c] -= (lr * (mb[c] / c1)) / (Math.sqrt(vb[c] / c2) + eps);
        }
      }
    }
    losses.push(loss / n);
  }
  return { W, b, classes, dim, losses, settings: { bias, epochs, batchSize, lr, seed, l2, initScale } };
}

/** Writes softmax(W x + b) of row x[xo, xo+dim) into z (max-shifted, so exp never overflows). */
function softmaxRow(W: Float32Array, b: Float32Array | null, x: ArrayLike<number>, xo: number, dim: number, classes: number, z: Float64Array): void {
  let max = -Infinity;
  for (let c = 0; c < classes; ++c) {
    let s = b ? b[c] : 0;
    const wo = c * dim;
    for (let i = 0; i < dim; ++i) s += W[wo + i] * x[xo + i];
    z[c] = s;
    if (s > max) max = s;
  }
  let sum = 0;
  for (let c = 0; c < classes; ++c) sum += z[c] = Math.exp(z[c] - max);
  for (let c = 0; c < classes; ++c) z[c] /= sum;
}

/** Class probabilities of each row of x: row-major [n x classes]. */
export function predictProba(model: SoftmaxModel, x: Float32Array, n: number): Float64Array {
  const { W, b, classes, dim } = model;
  if (x.length !== n * dim) throw new RangeError(`predictProba: x has ${x.length} values; expected n x dim = ${n} x ${dim}`);
  const out = new Float64Array(n * classes), z = new Float64Array(classes);
  for (let r = 0; r < n; ++r) {
    softmaxRow(W, b, x, r * dim, dim, classes, z);
    out.set(z, r * classes);
  }
  return out;
}

/** The most probable class of each row of x (ties go to the lower class). */
export function predict(model: SoftmaxModel, x: Float32Array, n: number): Int32Array {
  const p = predictProba(model, x, n), k = model.classes, out = new Int32Array(n);
  for (let r = 0; r < n; ++r) {
    let best = 0;
    for (let c = 1; c < k; ++c) if (p[r * k + c] > p[r * k + best]) best = c;
    out[r] = best;
  }
  return out;
}

/** Share of rows whose predicted class equals y; null when n is 0. */
export function accuracy(model: SoftmaxModel, x: Float32Array, y: Int32Array, n: number): number | null {
  if (n === 0) return null;
  const p = predict(model, x, n);
  let right = 0;
  for (let r = 0; r < n; ++r) if (p[r] === y[r]) right++;
  return right / n;
}
