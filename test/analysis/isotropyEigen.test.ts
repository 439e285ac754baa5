/**
 * isotropy's eigenvalues in a worker thread (eigenPool.ts): the same bits as one thread, in order, and
 * the same result bytes. Matrices: seeded random symmetric ones (SYNTHETIC).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { eigenvaluesOfMany } from "../../src/analysis/eigenPool.js";
import { LayerCovariance, isotropyResult, isotropyResultWith } from "../../src/analysis/isotropy.js";
import { clipper, LayerMoments, whitener, zscorer } from "../../src/analysis/postprocess.js";
import { symmetricEigenvalues } from "../../src/numerics/eigen/values.js";
import { jsLinalg } from "../../src/numerics/linalg.js";
import { createRandom } from "../../src/numerics/random.js";
import { lb } from "./fixtures.js";

function symmetric(g: ReturnType<typeof createRandom>, dim: number): Float64Array {
  const a = new Float64Array(dim * dim);
  for (let i = 0; i < dim; ++i) for (let j = 0; j <= i; ++j) a[i * dim + j] = a[j * dim + i] = g.normal() + (i === j ? 3 : 0);
  return a;
}

test("eigenvaluesOfMany: a worker thread gives symmetricEigenvalues' bits, in order; the inputs are left as they were", async () => {
  const g = createRandom(3), dim = 30;
  const matrices = Array.from({ length: 7 }, () => symmetric(g, dim));
  const copies = matrices.map((m) => m.slice());
  const want = matrices.map((m) => Array.from(symmetricEigenvalues(m, dim)));
  for (const worker of [true, false, "auto"] as const) {
    const got = await eigenvaluesOfMany(matrices, dim, { worker });
    assert.deepEqual(got.map((v) => Array.from(v)), want, `worker ${worker}`);
  }
  assert.deepEqual(matrices, copies);
  assert.deepEqual(await eigenvaluesOfMany([], dim, { worker: true }), []);
});

test("eigenvaluesOfMany: a matrix the solver refuses fails the call, in either thread", async () => {
  const g = createRandom(4), dim = 6, bad = new Float64Array(dim * dim - 1);
  for (const at of [0, 1]) {
    const list = [symmetric(g, dim), symmetric(g, dim)];
    list[at] = bad;
    await assert.rejects(eigenvaluesOfMany(list, dim, { worker: true }), /symmetricEigenvalues: matrix has 35 entries; expected 6x6/, `index ${at}`);
  }
});

test("isotropyResultWith with the eigenvalue worker gives isotropyResult's bytes", async () => {
  const g = createRandom(5), dim = 12, fit = new LayerMoments(), c = new LayerCovariance(() => jsLinalg, { block: 16 });
  for (let layer = 0; layer < 3; ++layer) {
    const b = lb({ layer, dim, data: Array.from({ length: 60 * dim }, (_, k) => (k % dim === 2 ? 5 : 1) * g.normal() + layer), sentence: Array.from({ length: 60 }, (_, k) => k) });
    fit.add(b);
    c.add(b);
  }
  const moments = await c.settle(), post = [clipper([2]), zscorer(fit), whitener(fit)];
  const want = JSON.stringify(isotropyResult(moments, post));
  assert.equal(JSON.stringify(await isotropyResultWith(jsLinalg, moments, post, { eigenWorker: true })), want);
});
