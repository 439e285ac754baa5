/**
 * The onnxruntime Linalg backend (real onnxruntime-node sessions) against jsLinalg, the float64
 * reference, on seeded random inputs, plus hand-computed products.
 */
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { jsLinalg } from "../../src/numerics/linalg.js";
import { createRandom } from "../../src/numerics/random.js";
import { predict } from "../../src/numerics/softmax.js";
import { createOrtLinalg } from "../../src/model/linalg.js";

const ortP = createOrtLinalg({ threads: 1 });
after(async () => (await ortP).release());

function normals(seed: number, length: number): Float32Array {
  const g = createRandom(seed);
  return Float32Array.from({ length }, () => g.normal());
}

/** Largest |a_i - b_i| relative to the largest |a_i|. */
function relError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length);
  let diff = 0, scale = 0;
  for (let i = 0; i < a.length; ++i) {
    diff = Math.max(diff, Math.abs(a[i] - b[i]));
    scale = Math.max(scale, Math.abs(a[i]));
  }
  return diff / scale;
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length);
  let d = 0;
  for (let i = 0; i < a.length; ++i) d = Math.max(d, Math.abs(a[i] - b[i]));
  return d;
}

test("ORT gram is XᵀX per stacked matrix (by hand, and against jsLinalg)", async () => {
  const ort = await ortP;
  assert.equal(ort.backend, "onnxruntime");
  // X0 = [[1, 2], [3, 4]] -> [[10, 14], [14, 20]]; X1 = [[0, 1], [-2, 0.5]] -> [[4, -1], [-1, 1.25]]
  const g = await ort.gram(Float32Array.from([1, 2, 3, 4, 0, 1, -2, 0.5]), 2, 2, 2);
  assert.ok(g instanceof Float64Array);
  assert.deepEqual(Array.from(g), [10, 14, 14, 20, 4, -1, -1, 1.25]);
  const x = normals(1, 3 * 40 * 9);
  assert.ok(relError(await jsLinalg.gram(x, 3, 40, 9), await ort.gram(x, 3, 40, 9)) < 1e-5);
  assert.deepEqual(Array.from(await ort.gram(new Float32Array(0), 2, 0, 3)), new Array(18).fill(0));
});

test("ORT matmul is A·B (by hand, and against jsLinalg)", async () => {
  const ort = await ortP;
  // [[1, 2, 3], [4, 5, 6]] · [[1, 0], [0, 1], [2, -1]] = [[7, -1], [16, -1]]
  assert.deepEqual(Array.from(await ort.matmul(Float32Array.from([1, 2, 3, 4, 5, 6]), Float32Array.from([1, 0, 0, 1, 2, -1]), 2, 3, 2)), [7, -1, 16, -1]);
  const a = normals(2, 13 * 17), b = normals(3, 17 * 5);
  const got = await ort.matmul(a, b, 13, 17, 5);
  assert.ok(got instanceof Float32Array);
  assert.ok(relError(await jsLinalg.matmul(a, b, 13, 17, 5), got) < 1e-5);
  assert.equal((await ort.matmul(new Float32Array(0), b, 0, 17, 5)).length, 0);
});

// SYNTHETIC: 3 stacked problems of 50 rows x 7 dims, 4 classes; batch 16 leaves a partial last batch of 2.
const count = 3, n = 50, dim = 7, classes = 4;
const opts = { epochs: 4, batchSize: 16, lr: 0.01, seed: 5 };
const xs = normals(4, count * n * dim);
const ys = (() => {
  const g = createRandom(6);
  return Int32Array.from({ length: n }, () => g.int(classes));
})();

test("ORT trainSoftmaxStack reproduces trainSoftmax per problem (weights, losses, settings)", async () => {
  const ort = await ortP;
  const ref = await jsLinalg.trainSoftmaxStack(xs, ys, count, n, dim, classes, opts);
  const got = await ort.trainSoftmaxStack(xs, ys, count, n, dim, classes, opts);
  assert.equal(got.length, count);
  for (let p = 0; p < count; ++p) {
    assert.equal(got[p].W.length, classes * dim);
    assert.ok(maxAbsDiff(ref[p].W, got[p].W) < 1e-4, `problem ${p}: weights differ by ${maxAbsDiff(ref[p].W, got[p].W)}`);
    assert.equal(got[p].losses.length, opts.epochs);
    assert.ok(maxAbsDiff(ref[p].losses, got[p].losses) < 1e-5, `problem ${p}: losses ${got[p].losses} vs ${ref[p].losses}`);
    assert.deepEqual(got[p].settings, ref[p].settings);
    assert.deepEqual([got[p].b, got[p].classes, got[p].dim], [null, classes, dim]);
  }
  // the problems really differ (each used its own slice of x)
  assert.ok(maxAbsDiff(got[0].W, got[1].W) > 1e-3);
});

test("ORT trainSoftmaxStack with 0 epochs returns trainSoftmax's seeded initial weights", async () => {
  const ort = await ortP;
  const ref = await jsLinalg.trainSoftmaxStack(xs, ys, count, n, dim, classes, { ...opts, epochs: 0 });
  const got = await ort.trainSoftmaxStack(xs, ys, count, n, dim, classes, { ...opts, epochs: 0 });
  for (let p = 0; p < count; ++p) {
    assert.deepEqual(got[p].W, ref[p].W);
    assert.deepEqual(got[p].losses, []);
  }
  assert.deepEqual(await ort.trainSoftmaxStack(new Float32Array(0), ys, 0, n, dim, classes, opts), []);
});

test("ORT trainSoftmaxStack learns a separable problem with the same predictions as trainSoftmax", async () => {
  const ort = await ortP;
  // SYNTHETIC: class k puts 4 at dim k (plus noise); problem 1 uses the negated code.
  const g = createRandom(8), N = 120, D = 5, K = 3;
  const y = Int32Array.from({ length: N }, (_, i) => i % K);
  const x = new Float32Array(2 * N * D);
  for (let p = 0; p < 2; ++p) for (let i = 0; i < N; ++i) for (let d = 0; d < D; ++d) x[(p * N + i) * D + d] = (d === y[i] ? (p ? -4 : 4) : 0) + 0.3 * g.normal();
  const o = { epochs: 15, batchSize: 32, lr: 0.05, seed: 1 };
  const ref = await jsLinalg.trainSoftmaxStack(x, y, 2, N, D, K, o);
  const got = await ort.trainSoftmaxStack(x, y, 2, N, D, K, o);
  for (let p = 0; p < 2; ++p) {
    const xp = x.subarray(p * N * D, (p + 1) * N * D);
    assert.deepEqual(predict(got[p], xp, N), y);
    assert.deepEqual(predict(got[p], xp, N), predict(ref[p], xp, N));
  }
});

test("ORT trainSoftmaxStack is deterministic: two runs are byte-identical", async () => {
  const ort = await ortP;
  const a = await ort.trainSoftmaxStack(xs, ys, count, n, dim, classes, opts);
  const b = await ort.trainSoftmaxStack(xs, ys, count, n, dim, classes, opts);
  for (let p = 0; p < count; ++p) {
    assert.deepEqual(Buffer.from(a[p].W.buffer, a[p].W.byteOffset, a[p].W.byteLength), Buffer.from(b[p].W.buffer, b[p].W.byteOffset, b[p].W.byteLength));
    assert.deepEqual(a[p].losses, b[p].losses);
  }
});

test("ORT linalg rejects bad shapes and labels with the reference's errors", async () => {
  const ort = await ortP;
  await assert.rejects(ort.gram(new Float32Array(7), 2, 2, 2), /gram: x has 7 values; expected 8/);
  await assert.rejects(ort.matmul(new Float32Array(6), new Float32Array(5), 2, 3, 2), /matmul: b has 5 values; expected 6/);
  await assert.rejects(ort.matmul(new Float32Array(6), new Float32Array(6), 2, 0, 2), /matmul: k/);
  await assert.rejects(ort.trainSoftmaxStack(xs, ys.subarray(1), count, n, dim, classes, opts), /trainSoftmaxStack: y has 49 values; expected 50/);
  const bad = Int32Array.from(ys);
  bad[3] = classes;
  await assert.rejects(ort.trainSoftmaxStack(xs, bad, count, n, dim, classes, opts), /label y\[3\] = 4 is outside \[0, 4\)/);
  await assert.rejects(jsLinalg.trainSoftmaxStack(xs, bad, count, n, dim, classes, opts), /label y\[3\] = 4 is outside \[0, 4\)/);
});

test("a feed in a SharedArrayBuffer is refused by name with the fix (KernelSession.run), not with onnxruntime-node's bare Invalid argument", async () => {
  const ort = await ortP;
  const x = new Float32Array(new SharedArrayBuffer(8 * 4));
  x.set([1, 2, 3, 4, 0, 1, -2, 0.5]);
  await assert.rejects(ort.gram(x, 2, 2, 2), /onnxruntime linalg gram graph: input X lies in a SharedArrayBuffer, which onnxruntime-node refuses as a feed; copy it into an ordinary typed array first/);
});

test("ORT linalg refuses use after release()", async () => {
  const ort = await createOrtLinalg({ threads: 1 });
  assert.equal((await ort.gram(Float32Array.from([2]), 1, 1, 1))[0], 4);
  await ort.release();
  await assert.rejects(ort.gram(Float32Array.from([2]), 1, 1, 1), /after release\(\)/);
});
