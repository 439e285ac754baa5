import { test } from "node:test";
import assert from "node:assert/strict";
import { symmetricEigen } from "../../src/numerics/eigen/symmetric.js";
import { symmetricEigenvalues } from "../../src/numerics/eigen/values.js";
import { createRandom } from "../../src/numerics/random.js";

function randomSymmetric(n: number, seed: number, scale: (i: number) => number = () => 1): Float64Array {
  const g = createRandom(seed), a = new Float64Array(n * n);
  for (let i = 0; i < n; ++i) for (let j = 0; j <= i; ++j) a[i * n + j] = a[j * n + i] = g.normal() * scale(i) * scale(j);
  return a;
}

test("symmetricEigenvalues equals symmetricEigen's values bit for bit (random, graded, rank-deficient, tiny)", () => {
  const cases: [number, Float64Array][] = [
    [1, Float64Array.of(4)],
    [2, Float64Array.of(2, 1, 1, 2)],
    [13, randomSymmetric(13, 1)],
    [40, randomSymmetric(40, 2, (i) => 10 ** (i % 5))],
    [25, (() => { const a = randomSymmetric(25, 3); for (let i = 0; i < 25; ++i) a[i * 25 + 3] = a[3 * 25 + i] = 0; return a; })()],
  ];
  for (const [n, a] of cases) {
    const want = symmetricEigen(a, n).values, got = symmetricEigenvalues(a, n);
    assert.deepEqual(Array.from(got), Array.from(want), `n = ${n}`);
  }
});

test("symmetricEigenvalues of [[2,1],[1,2]] are 3 and 1; a wrong size is refused", () => {
  const v = symmetricEigenvalues([2, 1, 1, 2], 2);
  assert.ok(Math.abs(v[0] - 3) < 1e-15 && Math.abs(v[1] - 1) < 1e-15);
  assert.throws(() => symmetricEigenvalues([1, 2, 3], 2), /3 entries; expected 2x2/);
});
