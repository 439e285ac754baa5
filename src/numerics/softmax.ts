import { createRandom } from "./random.js";
import { integer, number } from "./options.js";

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
  // Z: the mini-batch's probabilities minus the one-hot labels, row-major [batchSize x classes]
  const Z = new Float64Array(Math.min(batchSize, n) * classes);
  const order = Int32Array.from({ length: n }, (_, i) => i);
  const losses: number[] = [];
  let step = 0;
  for (let epoch = 0; epoch < epochs; ++epoch) {
    rng.shuffle(order);
    let loss = 0;
    for (let start = 0; start < n; start += batchSize) {
      const end = Math.min(n, start + batchSize), m = end - start;
      gW.fill(0);
      gb.fill(0);
      // forward: every row's softmax, then the gradient of its cross-entropy wrt the logits
      let t = start;
      for (; t + 2 <= end; t += 2) softmaxPair(W, b, x, order[t] * dim, order[t + 1] * dim, dim, classes, Z, (t - start) * classes);
      for (; t < end; ++t) softmaxInto(W, b, x, order[t] * dim, dim, classes, Z, (t - start) * classes);
      for (let t = start; t < end; ++t) {
        const r = order[t], zo = (t - start) * classes;
        loss -= Math.log(Math.max(Z[zo + y[r]], 1e-300));
        Z[zo + y[r]] -= 1;
      }
      addGradients(gW, gb, Z, x, order, start, m, dim, classes);
      step++;
      adamStep(W, b, gW, gb, mW, vW, mb, vb, m, { l2, lr, step });
    }
    losses.push(loss / n);
  }
  return { W, b, classes, dim, losses, settings: { bias, epochs, batchSize, lr, seed, l2, initScale } };
}

/**
 * Writes softmax(W x + b) of row x[xo, xo+dim) into z[zo, zo+classes) (max-shifted, so exp never
 * overflows). Four classes share each pass over x; each logit is still summed in index order.
 */
function softmaxInto(W: Float32Array, b: Float32Array | null, x: ArrayLike<number>, xo: number, dim: number, classes: number, z: Float64Array, zo: number): void {
  let c = 0;
  for (; c + 4 <= classes; c += 4) {
    const w0 = c * dim, w1 = w0 + dim, w2 = w1 + dim, w3 = w2 + dim;
    let s0 = b ? b[c] : 0, s1 = b ? b[c + 1] : 0, s2 = b ? b[c + 2] : 0, s3 = b ? b[c + 3] : 0;
    for (let i = 0; i < dim; ++i) {
      const v = x[xo + i];
      s0 += W[w0 + i] * v;
      s1 += W[w1 + i] * v;
      s2 += W[w2 + i] * v;
      s3 += W[w3 + i] * v;
    }
    z[zo + c] = s0;
    z[zo + c + 1] = s1;
    z[zo + c + 2] = s2;
    z[zo + c + 3] = s3;
  }
  for (; c < classes; ++c) {
    let s = b ? b[c] : 0;
    const wo = c * dim;
    for (let i = 0; i < dim; ++i) s += W[wo + i] * x[xo + i];
    z[zo + c] = s;
  }
  normalise(z, zo, classes);
}

/**
 * softmaxInto for two rows at once (rows at xa and xb, outputs at zo and zo + classes): four classes
 * and two rows share each pass, so every W value loaded serves two rows. Same sums, same order.
 */
function softmaxPair(W: Float32Array, b: Float32Array | null, x: ArrayLike<number>, xa: number, xb: number, dim: number, classes: number, z: Float64Array, zo: number): void {
  const zb = zo + classes;
  let c = 0;
  for (; c + 4 <= classes; c += 4) {
    const w0 = c * dim, w1 = w0 + dim, w2 = w1 + dim, w3 = w2 + dim;
    let a0 = b ? b[c] : 0, a1 = b ? b[c + 1] : 0, a2 = b ? b[c + 2] : 0, a3 = b ? b[c + 3] : 0;
    let b0 = a0, b1 = a1, b2 = a2, b3 = a3;
    for (let i = 0; i < dim; ++i) {
      const u = x[xa + i], v = x[xb + i];
      const k0 = W[w0 + i], k1 = W[w1 + i], k2 = W[w2 + i], k3 = W[w3 + i];
      a0 += k0 * u;
      a1 += k1 * u;
      a2 += k2 * u;
      a3 += k3 * u;
      b0 += k0 * v;
      b1 += k1 * v;
      b2 += k2 * v;
      b3 += k3 * v;
    }
    z[zo + c] = a0;
    z[zo + c + 1] = a1;
    z[zo + c + 2] = a2;
    z[zo + c + 3] = a3;
    z[zb + c] = b0;
    z[zb + c + 1] = b1;
    z[zb + c + 2] = b2;
    z[zb + c + 3] = b3;
  }
  for (; c < classes; ++c) {
    const wo = c * dim;
    let sa = b ? b[c] : 0, sb = sa;
    for (let i = 0; i < dim; ++i) {
      sa += W[wo + i] * x[xa + i];
      sb += W[wo + i] * x[xb + i];
    }
    z[zo + c] = sa;
    z[zb + c] = sb;
  }
  normalise(z, zo, classes);
  normalise(z, zb, classes);
}

/** Turns the logits z[zo, zo+classes) into probabilities in place (max-shifted softmax). */
function normalise(z: Float64Array, zo: number, classes: number): void {
  let max = -Infinity;
  for (let k = zo; k < zo + classes; ++k) if (z[k] > max) max = z[k];
  let sum = 0;
  for (let k = zo; k < zo + classes; ++k) sum += z[k] = Math.exp(z[k] - max);
  for (let k = zo; k < zo + classes; ++k) z[k] /= sum;
}

/** Class probabilities of each row of x: row-major [n x classes]. */
export function predictProba(model: SoftmaxModel, x: Float32Array, n: number): Float64Array {
  const { W, b, classes, dim } = model;
  if (x.length !== n * dim) throw new RangeError(`predictProba: x has ${x.length} values; expected n x dim = ${n} x ${dim}`);
  const out = new Float64Array(n * classes);
  for (let r = 0; r < n; ++r) {
    softmaxInto(W, b, x, r * dim, dim, classes, out, r * classes);
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

/**
 * gW[c] += Z[t, c] x_t and gb[c] += Z[t, c] over the batch's rows in order (the same sums, in the same
 * order, as one row at a time; four rows per pass over gW[c]).
 */
function addGradients(gW: Float64Array, gb: Float64Array, Z: Float64Array, x: Float32Array, order: Int32Array, start: number, m: number, dim: number, classes: number): void {
  let c = 0;
  for (; c + 2 <= classes; c += 2) {
    // two classes at once: each x value loaded serves both rows of gW
    const wa = c * dim, wb = wa + dim;
    let t = 0;
    for (; t + 4 <= m; t += 4) {
      const z0 = t * classes + c, z1 = z0 + classes, z2 = z1 + classes, z3 = z2 + classes;
      const g0 = Z[z0], g1 = Z[z1], g2 = Z[z2], g3 = Z[z3], h0 = Z[z0 + 1], h1 = Z[z1 + 1], h2 = Z[z2 + 1], h3 = Z[z3 + 1];
      const x0 = order[start + t] * dim, x1 = order[start + t + 1] * dim, x2 = order[start + t + 2] * dim, x3 = order[start + t + 3] * dim;
      for (let i = 0; i < dim; ++i) {
        const v0 = x[x0 + i], v1 = x[x1 + i], v2 = x[x2 + i], v3 = x[x3 + i];
        gW[wa + i] = gW[wa + i] + g0 * v0 + g1 * v1 + g2 * v2 + g3 * v3;
        gW[wb + i] = gW[wb + i] + h0 * v0 + h1 * v1 + h2 * v2 + h3 * v3;
      }
      gb[c] = gb[c] + g0 + g1 + g2 + g3;
      gb[c + 1] = gb[c + 1] + h0 + h1 + h2 + h3;
    }
    for (; t < m; ++t) {
      const g = Z[t * classes + c], h = Z[t * classes + c + 1], xo = order[start + t] * dim;
      for (let i = 0; i < dim; ++i) {
        gW[wa + i] += g * x[xo + i];
        gW[wb + i] += h * x[xo + i];
      }
      gb[c] += g;
      gb[c + 1] += h;
    }
  }
  for (; c < classes; ++c) {
    const wo = c * dim;
    let t = 0;
    for (; t + 4 <= m; t += 4) {
      const g0 = Z[t * classes + c], g1 = Z[(t + 1) * classes + c], g2 = Z[(t + 2) * classes + c], g3 = Z[(t + 3) * classes + c];
      const x0 = order[start + t] * dim, x1 = order[start + t + 1] * dim, x2 = order[start + t + 2] * dim, x3 = order[start + t + 3] * dim;
      for (let i = 0; i < dim; ++i) gW[wo + i] = gW[wo + i] + g0 * x[x0 + i] + g1 * x[x1 + i] + g2 * x[x2 + i] + g3 * x[x3 + i];
      gb[c] = gb[c] + g0 + g1 + g2 + g3;
    }
    for (; t < m; ++t) {
      const g = Z[t * classes + c], xo = order[start + t] * dim;
      for (let i = 0; i < dim; ++i) gW[wo + i] += g * x[xo + i];
      gb[c] += g;
    }
  }
}

const beta1 = 0.9, beta2 = 0.999, eps = 1e-8;

/** One Adam step on W (and b) from the batch's summed gradients (m rows), with L2 on W. */
function adamStep(
  W: Float32Array, b: Float32Array | null, gW: Float64Array, gb: Float64Array, mW: Float64Array, vW: Float64Array, mb: Float64Array, vb: Float64Array,
  m: number, { l2, lr, step }: { l2: number; lr: number; step: number },
): void {
  const classes = gb.length;
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
