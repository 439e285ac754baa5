import { test } from "node:test";
import assert from "node:assert/strict";
import { trainSoftmax, predict, predictProba, accuracy } from "../../src/numerics/softmax.js";
import { createRandom } from "../../src/numerics/random.js";

const close = (actual: number, expected: number, tol: number) =>
  assert.ok(Math.abs(actual - expected) <= tol, `expected ${expected}, actual ${actual}, delta ${Math.abs(actual - expected)}, tolerance ${tol}`);

test("trainSoftmax takes one Adam step of size lr·sign(gradient) from zero weights", () => {
  // W = 0 so p = (0.5, 0.5); gradient row 0 = (0.5 - 1)·x = (-0.5, -1), row 1 = (0.5, 1).
  // Adam's first bias-corrected step is lr·g/(|g| + ε) ≈ lr·sign(g); the loss is ln 2.
  const m = trainSoftmax(Float32Array.from([1, 2]), Int32Array.from([0]), 1, 2, 2, { epochs: 1, batchSize: 1, lr: 0.1, initScale: 0 });
  for (const [i, v] of [0.1, 0.1, -0.1, -0.1].entries()) close(m.W[i], v, 1e-6);
  close(m.losses[0], Math.LN2, 1e-12);
  assert.equal(m.b, null);
});

test("trainSoftmax pins its defaults (bias-free, 10 epochs, batch 128, lr 1e-3, seed 0)", () => {
  const m = trainSoftmax(Float32Array.from([1, 0]), Int32Array.from([0]), 1, 2, 2);
  assert.deepEqual(m.settings, { bias: false, epochs: 10, batchSize: 128, lr: 1e-3, seed: 0, l2: 0, initScale: 0.01 });
  assert.equal(m.losses.length, 10);
});

test("trainSoftmax separates three linearly separable classes and is deterministic per seed", () => {
  // Class c sits around the unit vector e_c (3 dims): a bias-free linear map separates them.
  const g = createRandom(11), n = 300, dim = 3, x = new Float32Array(n * dim), y = new Int32Array(n);
  for (let r = 0; r < n; ++r) {
    y[r] = r % 3;
    for (let i = 0; i < dim; ++i) x[r * dim + i] = (i === y[r] ? 2 : 0) + 0.2 * g.normal();
  }
  const opts = { epochs: 30, batchSize: 16, lr: 0.05, seed: 4 };
  const m = trainSoftmax(x, y, n, dim, 3, opts);
  assert.equal(accuracy(m, x, y, n), 1);
  assert.ok(m.losses[29] < m.losses[0]);
  assert.deepEqual(trainSoftmax(x, y, n, dim, 3, opts).W, m.W);
  assert.notDeepEqual(trainSoftmax(x, y, n, dim, 3, { ...opts, seed: 5 }).W, m.W);
  const p = predictProba(m, x.subarray(0, 3), 1);
  close(p[0] + p[1] + p[2], 1, 1e-12);
  assert.deepEqual(Array.from(predict(m, x.subarray(0, 6), 2)), [0, 1]);
});

test("trainSoftmax with bias learns the majority class of zero inputs", () => {
  // x = 0 carries no information, so only a bias can prefer class 1 (3 of 4 labels).
  const m = trainSoftmax(new Float32Array(4), Int32Array.from([1, 1, 1, 0]), 4, 1, 2, { bias: true, epochs: 200, lr: 0.05 });
  assert.deepEqual(Array.from(predict(m, new Float32Array(1), 1)), [1]);
  close(predictProba(m, new Float32Array(1), 1)[1], 0.75, 0.01);
  assert.equal(accuracy(m, new Float32Array(0), new Int32Array(0), 0), null);
});

test("trainSoftmax rejects bad shapes, labels and options", () => {
  assert.throws(() => trainSoftmax(new Float32Array(3), Int32Array.from([0]), 1, 2, 2), /x has 3 values; expected n x dim = 1 x 2/);
  assert.throws(() => trainSoftmax(new Float32Array(2), Int32Array.from([2]), 1, 2, 2), /label y\[0\] = 2 is outside \[0, 2\)/);
  assert.throws(() => trainSoftmax(new Float32Array(0), new Int32Array(0), 0, 2, 2), /invalid n: 0/);
  assert.throws(() => trainSoftmax(new Float32Array(2), Int32Array.from([0]), 1, 2, 2, { batchSize: 0 }), /invalid batchSize: 0/);
});
