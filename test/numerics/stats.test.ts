import { test } from "node:test";
import assert from "node:assert/strict";
import { choleskyInverse } from "../../src/numerics/cholesky.js";
import { topEigen } from "../../src/numerics/eigen/lanczos.js";
import { symmetricEigen } from "../../src/numerics/eigen/symmetric.js";
import { round6 } from "../../src/numerics/json.js";
import { RunningStats, meanInterval, normalQuantile, VectorMoments } from "../../src/numerics/moments.js";
import { keyword, integer } from "../../src/numerics/options.js";
import { dot, cosine, rankOf, pearsonFromSums } from "../../src/numerics/vectors.js";
import { createRandom } from "../../src/numerics/random.js";

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

// ---------------------------------------------------------------------------------------------------------
// symmetricEigen against the reference: the plain JAMA translation it replaced (row-transposed V, one
// Givens rotation at a time on two rows, Math.hypot), kept verbatim as the oracle. The fast version does
// the same floating-point operations in the same order, so today the two agree bit for bit; the checks
// below allow 1e-12 (values, relative) and 1e-10 (vectors), and compare eigenspaces of clusters of equal
// eigenvalues by their projectors, where the basis inside the cluster is arbitrary.

function referenceEigen(a: ArrayLike<number>, n: number): { values: Float64Array; vectors: Float64Array } {
  if (a.length !== n * n) throw new RangeError(`symmetricEigen: matrix has ${a.length} entries; expected ${n}x${n}`);
  // A is symmetric, so A transposed is A: W starts as a copy.
  const W = Float64Array.from(a);
  const d = new Float64Array(n), e = new Float64Array(n);
  // tred2 (V[r][c] is W[c*n + r] throughout)
  for (let j = 0; j < n; ++j) d[j] = W[j * n + n - 1];
  for (let i = n - 1; i > 0; --i) {
    let scale = 0, h = 0;
    for (let k = 0; k < i; ++k) scale += Math.abs(d[k]);
    if (scale === 0) {
      e[i] = d[i - 1];
      for (let j = 0; j < i; ++j) {
        d[j] = W[j * n + i - 1];
        W[j * n + i] = 0;
        W[i * n + j] = 0;
      }
    } else {
      for (let k = 0; k < i; ++k) {
        d[k] /= scale;
        h += d[k] * d[k];
      }
      let f = d[i - 1], g = Math.sqrt(h);
      if (f > 0) g = -g;
      e[i] = scale * g;
      h -= f * g;
      d[i - 1] = f - g;
      for (let j = 0; j < i; ++j) e[j] = 0;
      for (let j = 0; j < i; ++j) {
        f = d[j];
        W[i * n + j] = f;
        const row = j * n;
        g = e[j] + W[row + j] * f;
        for (let k = j + 1; k <= i - 1; ++k) {
          const w = W[row + k];
          g += w * d[k];
          e[k] += w * f;
        }
        e[j] = g;
      }
      f = 0;
      for (let j = 0; j < i; ++j) {
        e[j] /= h;
        f += e[j] * d[j];
      }
      const hh = f / (h + h);
      for (let j = 0; j < i; ++j) e[j] -= hh * d[j];
      for (let j = 0; j < i; ++j) {
        f = d[j];
        g = e[j];
        const row = j * n;
        for (let k = j; k <= i - 1; ++k) W[row + k] -= f * e[k] + g * d[k];
        d[j] = W[row + i - 1];
        W[row + i] = 0;
      }
    }
    d[i] = h;
  }
  // Accumulate the transformations.
  for (let i = 0; i < n - 1; ++i) {
    W[i * n + n - 1] = W[i * n + i];
    W[i * n + i] = 1;
    const h = d[i + 1], next = (i + 1) * n;
    if (h !== 0) {
      for (let k = 0; k <= i; ++k) d[k] = W[next + k] / h;
      for (let j = 0; j <= i; ++j) {
        const row = j * n;
        let g = 0;
        for (let k = 0; k <= i; ++k) g += W[next + k] * W[row + k];
        for (let k = 0; k <= i; ++k) W[row + k] -= g * d[k];
      }
    }
    for (let k = 0; k <= i; ++k) W[next + k] = 0;
  }
  for (let j = 0; j < n; ++j) {
    d[j] = W[j * n + n - 1];
    W[j * n + n - 1] = 0;
  }
  if (n > 0) W[n * n - 1] = 1;
  e[0] = 0;
  // tql2
  for (let i = 1; i < n; ++i) e[i - 1] = e[i];
  if (n > 0) e[n - 1] = 0;
  let f = 0, tst1 = 0;
  const eps = 2 ** -52;
  for (let l = 0; l < n; ++l) {
    tst1 = Math.max(tst1, Math.abs(d[l]) + Math.abs(e[l]));
    let m = l;
    while (m < n) {
      if (Math.abs(e[m]) <= eps * tst1) break;
      m++;
    }
    if (m > l) {
      let iter = 0;
      do {
        if (++iter > 100) throw new Error(`symmetricEigen: QL did not converge at eigenvalue ${l}; the matrix has non-finite entries`);
        let g = d[l];
        let p = (d[l + 1] - g) / (2 * e[l]);
        let r = Math.hypot(p, 1);
        if (p < 0) r = -r;
        d[l] = e[l] / (p + r);
        d[l + 1] = e[l] * (p + r);
        const dl1 = d[l + 1];
        let h = g - d[l];
        for (let i = l + 2; i < n; ++i) d[i] -= h;
        f += h;
        p = d[m];
        let c = 1, c2 = c, c3 = c, s = 0, s2 = 0;
        const el1 = e[l + 1];
        for (let i = m - 1; i >= l; --i) {
          c3 = c2;
          c2 = c;
          s2 = s;
          g = c * e[i];
          h = c * p;
          r = Math.hypot(p, e[i]);
          e[i + 1] = s * r;
          s = e[i] / r;
          c = p / r;
          p = c * d[i] - s * g;
          d[i + 1] = h + s * (c * g + s * d[i]);
          // rotate columns i and i+1 of V: rows i and i+1 of W
          const ri = i * n, ri1 = ri + n;
          for (let k = 0; k < n; ++k) {
            const hk = W[ri1 + k], vk = W[ri + k];
            W[ri1 + k] = s * vk + c * hk;
            W[ri + k] = c * vk - s * hk;
          }
        }
        p = (-s * s2 * c3 * el1 * e[l]) / dl1;
        e[l] = s * p;
        d[l] = c * p;
      } while (Math.abs(e[l]) > eps * tst1);
    }
    d[l] += f;
    e[l] = 0;
  }
  // Sort descending; ties keep the lower index first, so the output is deterministic.
  const order = Array.from({ length: n }, (_, i) => i).sort((x, y) => d[y] - d[x] || x - y);
  const values = new Float64Array(n), vectors = new Float64Array(n * n);
  order.forEach((src, j) => {
    values[j] = d[src];
    vectors.set(W.subarray(src * n, (src + 1) * n), j * n);
  });
  return { values, vectors };
}

/** A random orthogonal matrix (product of n Householder reflections of normal vectors), rows orthonormal. */
function randomOrthogonal(n: number, seed: number): Float64Array {
  const g = createRandom(seed), q = new Float64Array(n * n), v = new Float64Array(n);
  for (let i = 0; i < n; ++i) q[i * n + i] = 1;
  for (let r = 0; r < n; ++r) {
    let nv = 0;
    for (let k = 0; k < n; ++k) nv += (v[k] = g.normal()) ** 2;
    for (let i = 0; i < n; ++i) {
      const s = (2 * dot(q, i * n, v, 0, n)) / nv;
      for (let k = 0; k < n; ++k) q[i * n + k] -= s * v[k];
    }
  }
  return q;
}

/** Q^T diag(lambda) Q for Q = randomOrthogonal: a symmetric matrix with exactly the given spectrum. */
function withSpectrum(lambda: number[], seed: number): Float64Array {
  const n = lambda.length, q = randomOrthogonal(n, seed), a = new Float64Array(n * n);
  for (let i = 0; i < n; ++i)
    for (let j = i; j < n; ++j) {
      let s = 0;
      for (let k = 0; k < n; ++k) s += q[k * n + i] * lambda[k] * q[k * n + j];
      a[i * n + j] = a[j * n + i] = s;
    }
  return a;
}

function randomSymmetric(n: number, seed: number): Float64Array {
  const g = createRandom(seed), a = new Float64Array(n * n);
  for (let i = 0; i < n; ++i) for (let j = i; j < n; ++j) a[i * n + j] = a[j * n + i] = g.normal();
  return a;
}

/** Sample covariance of `samples` centred normal rows of width n with unequal scales: rank samples - 1 when samples <= n. */
function covarianceOf(n: number, samples: number, seed: number): Float64Array {
  const g = createRandom(seed), x = new Float64Array(samples * n), mean = new Float64Array(n), c = new Float64Array(n * n);
  for (let s = 0; s < samples; ++s) for (let k = 0; k < n; ++k) mean[k] += (x[s * n + k] = g.normal() * (1 + (k % 7)) + (k === 3 ? 30 : 0)) / samples;
  for (let s = 0; s < samples; ++s) for (let k = 0; k < n; ++k) x[s * n + k] -= mean[k];
  for (let i = 0; i < n; ++i)
    for (let j = i; j < n; ++j) {
      let v = 0;
      for (let s = 0; s < samples; ++s) v += x[s * n + i] * x[s * n + j];
      c[i * n + j] = c[j * n + i] = v / (samples - 1);
    }
  return c;
}

/** Checks symmetricEigen(a) against the reference and A v = λ v, V V^T = I; returns the largest differences. */
function checkAgainstReference(name: string, a: Float64Array, n: number): { values: number; vectors: number; identical: boolean } {
  const got = symmetricEigen(a, n), want = referenceEigen(a, n);
  assert.equal(got.values.length, n);
  assert.equal(got.vectors.length, n * n);
  let scale = 0;
  for (let j = 0; j < n; ++j) scale = Math.max(scale, Math.abs(want.values[j]));
  let dv = 0, dw = 0, identical = true;
  for (let j = 0; j < n; ++j) {
    dv = Math.max(dv, Math.abs(got.values[j] - want.values[j]));
    identical &&= Object.is(got.values[j], want.values[j]);
    if (j > 0) assert.ok(got.values[j] <= got.values[j - 1], `${name}: values[${j}] > values[${j - 1}]`);
  }
  assert.ok(dv <= 1e-12 * Math.max(scale, 1e-300), `${name}: eigenvalues differ by ${dv} (largest |value| ${scale})`);
  for (let i = 0; i < n * n; ++i) identical &&= Object.is(got.vectors[i], want.vectors[i]);
  // Clusters of (numerically) equal eigenvalues: compare the projectors; single vectors elementwise, sign included.
  const tol = 1e-9 * Math.max(scale, 1e-300);
  for (let j0 = 0; j0 < n; ) {
    let j1 = j0 + 1;
    while (j1 < n && want.values[j1 - 1] - want.values[j1] <= tol) ++j1;
    if (j1 - j0 === 1) {
      for (let k = 0; k < n; ++k) dw = Math.max(dw, Math.abs(got.vectors[j0 * n + k] - want.vectors[j0 * n + k]));
    } else {
      for (let r = 0; r < n; ++r)
        for (let c = r; c < n; ++c) {
          let pg = 0, pw = 0;
          for (let j = j0; j < j1; ++j) {
            pg += got.vectors[j * n + r] * got.vectors[j * n + c];
            pw += want.vectors[j * n + r] * want.vectors[j * n + c];
          }
          dw = Math.max(dw, Math.abs(pg - pw));
        }
    }
    j0 = j1;
  }
  assert.ok(dw <= 1e-10, `${name}: eigenvectors (or projectors of equal eigenvalues) differ by ${dw}`);
  // A v = λ v and orthonormal rows
  const vec = got.vectors;
  let residual = 0, orth = 0;
  for (let j = 0; j < n; ++j) {
    for (let i = 0; i < n; ++i) residual = Math.max(residual, Math.abs(dot(a, i * n, vec, j * n, n) - got.values[j] * vec[j * n + i]));
    for (let k = j; k < n; ++k) orth = Math.max(orth, Math.abs(dot(vec, j * n, vec, k * n, n) - (j === k ? 1 : 0)));
  }
  assert.ok(residual <= 1e-12 * n * Math.max(scale, 1e-300), `${name}: |A v - λ v| = ${residual}`);
  assert.ok(orth <= 1e-13 * n, `${name}: |V V^T - I| = ${orth}`);
  return { values: dv, vectors: dw, identical };
}

test("symmetricEigen equals the plain JAMA translation on random symmetric matrices (n = 0, 1, 2, 5, 9, 64, 67)", () => {
  for (const [n, seed] of [[0, 1], [1, 2], [2, 3], [5, 4], [9, 5], [64, 6], [67, 7]]) {
    const r = checkAgainstReference(`random ${n}x${n}`, randomSymmetric(n, seed), n);
    assert.ok(r.identical, `random ${n}x${n}: not bit-identical to the reference (values ${r.values}, vectors ${r.vectors})`);
  }
});

test("symmetricEigen equals the plain JAMA translation on a 384x384 covariance", () => {
  const n = 384, r = checkAgainstReference("covariance 384", covarianceOf(n, 500, 8), n);
  assert.ok(r.identical, `covariance 384: not bit-identical to the reference (values ${r.values}, vectors ${r.vectors})`);
});

test("symmetricEigen equals the plain JAMA translation with repeated eigenvalues and on rank-deficient covariances", () => {
  const cases: [string, Float64Array, number][] = [
    ["spectrum with repeats", withSpectrum([5, 5, 5, 2, 2, 1, 0.5, 0.5, 0.5, 0.5, -1, -1], 9), 12],
    ["rank 19 covariance, n = 64", covarianceOf(64, 20, 10), 64],
    ["rank 1 covariance, n = 6", covarianceOf(6, 2, 11), 6],
    ["identity 7", Float64Array.from({ length: 49 }, (_, i) => (i % 8 === 0 ? 1 : 0)), 7],
    ["zero 4", new Float64Array(16), 4],
    ["diagonal with repeats", Float64Array.from({ length: 25 }, (_, i) => (i % 6 === 0 ? [3, 1, 3, 1, 2][i / 6] : 0)), 5],
  ];
  // block diagonal with zero rows: some Householder steps find a zero column (scale 0, h 0)
  const n = 40, g = createRandom(12), blocks = new Float64Array(n * n);
  for (let i = 0; i < n; ++i)
    for (let j = 0; j <= i; ++j)
      if (Math.floor(i / 7) === Math.floor(j / 7) && i % 5 !== 2 && j % 5 !== 2) blocks[i * n + j] = blocks[j * n + i] = g.normal() + (i === j ? i % 3 : 0);
  cases.push(["block diagonal with zero rows", blocks, n]);
  for (const [name, a, size] of cases) {
    const r = checkAgainstReference(name, a, size);
    assert.ok(r.identical, `${name}: not bit-identical to the reference (values ${r.values}, vectors ${r.vectors})`);
  }
});

test("symmetricEigen rejects a wrong size, and on non-finite entries returns what the reference returns", () => {
  assert.throws(() => symmetricEigen([1, 2, 3], 2), /^RangeError: symmetricEigen: matrix has 3 entries; expected 2x2$/);
  for (const [n, bad] of [[6, NaN], [6, Infinity], [11, NaN], [17, -Infinity]]) {
    const a = randomSymmetric(n, 13);
    a[2 * n + 3] = a[3 * n + 2] = bad;
    const got = symmetricEigen(a, n), want = referenceEigen(a, n);
    // Object.is: NaN equals NaN here, and 0 differs from -0
    for (let j = 0; j < n; ++j) assert.ok(Object.is(got.values[j], want.values[j]), `n ${n}, ${bad}: values[${j}] ${got.values[j]} vs ${want.values[j]}`);
    for (let i = 0; i < n * n; ++i) assert.ok(Object.is(got.vectors[i], want.vectors[i]), `n ${n}, ${bad}: vectors[${i}] ${got.vectors[i]} vs ${want.vectors[i]}`);
  }
});

// SYNTHETIC symmetric matrices with known structure, for topEigen and choleskyInverse
function spd(n: number, seed: number, spectrum: (i: number) => number): Float64Array {
  // Q diag(spectrum) Qᵀ with Q from Gram-Schmidt on seeded random vectors
  const rand = createRandom(seed), Q = new Float64Array(n * n);
  for (let i = 0; i < n; ++i) {
    for (let c = 0; c < n; ++c) Q[i * n + c] = rand.normal();
    for (let p = 0; p < i; ++p) {
      let d = 0;
      for (let c = 0; c < n; ++c) d += Q[i * n + c] * Q[p * n + c];
      for (let c = 0; c < n; ++c) Q[i * n + c] -= d * Q[p * n + c];
    }
    let s = 0;
    for (let c = 0; c < n; ++c) s += Q[i * n + c] ** 2;
    for (let c = 0; c < n; ++c) Q[i * n + c] /= Math.sqrt(s);
  }
  const A = new Float64Array(n * n);
  for (let i = 0; i < n; ++i) for (let r = 0; r < n; ++r) for (let c = 0; c < n; ++c) A[r * n + c] += spectrum(i) * Q[i * n + r] * Q[i * n + c];
  return A;
}

test("topEigen gives symmetricEigen's top eigenvalues and eigenvector directions", () => {
  for (const [n, k, seed, spectrum] of [
    [60, 4, 1, (i: number) => 10 / (1 + i)],
    [120, 3, 2, (i: number) => (i < 3 ? 50 - i : 1 + Math.exp(-i / 10))], // a spiked spectrum, as embeddings have
    [8, 8, 3, (i: number) => 8 - i], // k = n
    [100, 2, 4, (i: number) => (i < 2 ? 5 : 1)], // a repeated top eigenvalue: one start vector sees one direction of it; the check catches that
    [100, 4, 5, (i: number) => (i < 3 ? 9 : 2 / (1 + i))], // repeated inside the top k
  ] as [number, number, number, (i: number) => number][]) {
    const A = spd(n, seed, spectrum), full = symmetricEigen(A, n), top = topEigen(A, n, k);
    assert.equal(top.values.length, k);
    for (let i = 0; i < k; ++i) close(top.values[i], full.values[i], 1e-9 * full.values[0]);
    // the projector onto the top-k subspace is the same (eigenvector signs and bases of repeated values may differ)
    const proj = (V: Float64Array) => {
      const P = new Float64Array(n * n);
      for (let i = 0; i < k; ++i) for (let r = 0; r < n; ++r) for (let c = 0; c < n; ++c) P[r * n + c] += V[i * n + r] * V[i * n + c];
      return P;
    };
    const a = proj(top.vectors), b = proj(full.vectors.slice(0, k * n));
    for (let i = 0; i < n * n; ++i) close(a[i], b[i], 1e-7);
  }
  assert.throws(() => topEigen(new Float64Array(4), 2, 3), /topEigen: k = 3; expected an integer in \[0, 2\]/);
  assert.deepEqual(topEigen(new Float64Array(4), 2, 0).values.length, 0);
  // a diagonal matrix with a repeated top value (the start vector's Krylov space is tiny): still the exact top
  const D = new Float64Array(100 * 100);
  for (let i = 0; i < 100; ++i) D[i * 101] = i < 3 ? 3 : 1;
  const t = topEigen(D, 100, 2);
  assert.deepEqual(Array.from(t.values, (v) => Math.round(v * 1e12) / 1e12), [3, 3]);
});

test("choleskyInverse: R (A + sI) Rᵀ = I for positive definite A, null otherwise", () => {
  const n = 30, A = spd(n, 7, (i) => 1 + i), R = choleskyInverse(A, n, 0.5)!;
  for (let r = 0; r < n; ++r) for (let c = 0; c < n; ++c) {
    let s = 0;
    for (let i = 0; i < n; ++i) for (let j = 0; j < n; ++j) s += R[r * n + i] * (A[i * n + j] + (i === j ? 0.5 : 0)) * R[c * n + j];
    close(s, r === c ? 1 : 0, 1e-10);
  }
  for (let r = 0; r < n; ++r) for (let c = r + 1; c < n; ++c) assert.equal(R[r * n + c], 0);
  assert.equal(choleskyInverse(spd(5, 8, (i) => (i < 4 ? 1 : 0)), 5, 0), null); // singular
  assert.equal(choleskyInverse(Float64Array.of(1, 2, 2, 1), 2), null); // indefinite
});
