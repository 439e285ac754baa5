import { test } from "node:test";
import assert from "node:assert/strict";
import {
  keyword, integer, dot, cosine, RunningStats, meanInterval, normalQuantile, VectorMoments, rankOf, pearsonFromSums, symmetricEigen, round6,
} from "../../src/analysis/stats.js";
import { createRandom } from "../../src/analysis/random.js";

const close = (actual: number, expected: number, tol = 1e-9) =>
  assert.ok(Math.abs(actual - expected) <= tol, `expected ${expected}, actual ${actual}, delta ${Math.abs(actual - expected)}, tolerance ${tol}`);

test("keyword and integer accept allowed values and name the bad one", () => {
  assert.equal(keyword("a", "mode", ["a", "b"]), "a");
  assert.throws(() => keyword("c", "mode", ["a", "b"]), /^RangeError: invalid mode: "c"; expected one of a, b$/);
  assert.equal(integer(3, "k", 1), 3);
  assert.throws(() => integer(0, "k", 1), /invalid k: 0; expected an integer >= 1/);
  assert.throws(() => integer(2.5, "k", 1, 4), /invalid k: 2.5; expected an integer >= 1 and <= 4/);
});

test("dot and cosine work on views; cosine of a zero vector is null", () => {
  const a = Float32Array.from([9, 1, 2, 3, 4]);
  assert.equal(dot(a, 1, a, 3, 2), 1 * 3 + 2 * 4);
  close(cosine([1, 0], 0, [1, 1], 0, 2)!, Math.SQRT1_2);
  assert.equal(cosine([0, 0], 0, [1, 1], 0, 2), null);
});

test("RunningStats gives the mean and sample variance of 1..5, and merging splits is exact", () => {
  const all = new RunningStats();
  [1, 2, 3, 4, 5].forEach((x) => all.add(x));
  assert.equal(all.mean, 3);
  assert.equal(all.variance(), 2.5);
  const a = new RunningStats().add(1).add(2), b = new RunningStats().add(3).add(4).add(5);
  a.merge(b);
  assert.equal(a.count, 5);
  close(a.mean, 3);
  close(a.variance()!, 2.5);
  assert.equal(new RunningStats().add(1).variance(), null);
});

test("meanInterval uses the normal quantile 1.959964 at 95%", () => {
  close(normalQuantile(0.975), 1.959963984540054, 1e-8);
  close(normalQuantile(0.01), -2.326347874040841, 1e-8);
  const s = new RunningStats();
  [1, 2, 3, 4, 5].forEach((x) => s.add(x));
  const ci = meanInterval(s)!;
  // half width = 1.959964 * sqrt(2.5 / 5)
  close(ci.high - 3, 1.959963984540054 * Math.sqrt(0.5), 1e-8);
  assert.equal(meanInterval(new RunningStats()), null);
});

test("VectorMoments matches a naive covariance and merges exactly", () => {
  const rows = [[1, 2], [3, 0], [5, 4], [-1, 1]];
  const m = new VectorMoments(2);
  rows.forEach((r) => m.add(r, 0));
  // mean (2, 1.75); population covariance by hand: var x = (1+1+9+9)/4 = 5, var y = (0.0625+3.0625+5.0625+0.5625)/4 = 2.1875,
  // cov = ((-1)(0.25)+(1)(-1.75)+(3)(2.25)+(-3)(-0.75))/4 = 7/4 = 1.75
  assert.deepEqual(Array.from(m.mean), [2, 1.75]);
  const c = m.covariance()!;
  close(c[0], 5); close(c[1], 1.75); close(c[2], 1.75); close(c[3], 2.1875);
  const a = new VectorMoments(2).add(rows[0], 0), b = new VectorMoments(2);
  rows.slice(1).forEach((r) => b.add(r, 0));
  const cm = a.merge(b).covariance()!;
  for (let i = 0; i < 4; ++i) close(cm[i], c[i], 1e-12);
  assert.equal(new VectorMoments(3).covariance(), null);
  assert.throws(() => new VectorMoments(2).merge(new VectorMoments(3)), /dim 3 differs from 2/);
});

test("rankOf ranks descending with ties sharing the better rank; pearsonFromSums of a line is 1", () => {
  assert.equal(rankOf([3, 9, 3, 1], 0), 2);
  assert.equal(rankOf([3, -9, 3, 1], 1, Math.abs), 1);
  close(pearsonFromSums(3, 6, 12, 14, 56, 28)!, 1); // x = 1,2,3; y = 2x
  assert.equal(pearsonFromSums(3, 3, 6, 3, 14, 6), null); // x constant
});

test("symmetricEigen: [[2,1],[1,2]] has eigenvalues 3 and 1 with vectors (1,1)/√2 and (1,-1)/√2", () => {
  const { values, vectors } = symmetricEigen([2, 1, 1, 2], 2);
  close(values[0], 3); close(values[1], 1);
  close(Math.abs(vectors[0]), Math.SQRT1_2); close(vectors[0] * vectors[1], 0.5);
  close(vectors[2] * vectors[3], -0.5);
});

test("symmetricEigen reconstructs a random 12x12 symmetric matrix (A v = λ v, orthonormal)", () => {
  const n = 12, g = createRandom(5), a = new Float64Array(n * n);
  for (let i = 0; i < n; ++i) for (let j = i; j < n; ++j) a[i * n + j] = a[j * n + i] = g.normal();
  const { values, vectors } = symmetricEigen(a, n);
  for (let j = 0; j < n; ++j) {
    if (j > 0) assert.ok(values[j] <= values[j - 1]);
    for (let i = 0; i < n; ++i) {
      let av = 0;
      for (let k = 0; k < n; ++k) av += a[i * n + k] * vectors[j * n + k];
      close(av, values[j] * vectors[j * n + i], 1e-10);
    }
    for (let k = 0; k < n; ++k) close(dot(vectors, j * n, vectors, k * n, n), j === k ? 1 : 0, 1e-10);
  }
});

test("symmetricEigen on a random 120x120 symmetric matrix: A v = λ v and orthonormal vectors to 1e-9", () => {
  // a size where the tridiagonal QL needs many sweeps and the transposed storage covers every loop
  const n = 120, g = createRandom(17), a = new Float64Array(n * n);
  for (let i = 0; i < n; ++i) for (let j = i; j < n; ++j) a[i * n + j] = a[j * n + i] = g.normal() + (i === j ? 3 : 0);
  const { values, vectors } = symmetricEigen(a, n);
  for (let j = 0; j < n; ++j) {
    if (j > 0) assert.ok(values[j] <= values[j - 1], `values[${j}] = ${values[j]} > values[${j - 1}] = ${values[j - 1]}`);
    for (let i = 0; i < n; ++i) close(dot(a, i * n, vectors, j * n, n), values[j] * vectors[j * n + i], 1e-9);
    for (let k = j; k < n; ++k) close(dot(vectors, j * n, vectors, k * n, n), j === k ? 1 : 0, 1e-9);
  }
});

test("VectorMoments.addRows equals add() row by row, for chunks of 64 and a remainder", () => {
  // 150 rows = chunks of 64, 64 and 22; every third row skipped via the row list
  const dim = 5, g = createRandom(9), data = new Float64Array(240 * dim);
  for (let i = 0; i < data.length; ++i) data[i] = g.normal() * (1 + (i % dim)) + (i % dim === 2 ? 40 : 0);
  const rows = Int32Array.from({ length: 240 }, (_, i) => i).filter((r) => r % 3 !== 1).slice(0, 150);
  const a = new VectorMoments(dim), b = new VectorMoments(dim);
  for (const r of rows) a.add(data, r * dim);
  b.addRows(data, rows.subarray(0, 40)).addRows(data, rows.subarray(40), 110);
  assert.equal(b.count, 150);
  for (let i = 0; i < dim; ++i) close(b.mean[i], a.mean[i], 1e-12);
  const ca = a.covariance()!, cb = b.covariance()!;
  for (let i = 0; i < ca.length; ++i) close(cb[i], ca[i], 1e-10 * Math.max(1, Math.abs(ca[i])));
  assert.equal(new VectorMoments(dim).addRows(data, rows, 0).covariance(), null);
});

test("round6 keeps 7 significant digits", () => {
  assert.equal(round6(0.123456789), 0.1234568);
  assert.equal(round6(-12345678.9), -12345680);
});
