import { test } from "node:test";
import assert from "node:assert/strict";
import { averageRanks, pearson, spearman } from "../../src/analysis/correlation.js";

const close = (actual: number | null, expected: number, tol = 1e-12) => {
  assert.ok(actual !== null && Math.abs(actual - expected) <= tol, `expected ${expected}, got ${actual}, delta ${actual === null ? "null" : Math.abs(actual - expected)}, tol ${tol}`);
};

test("averageRanks gives tied values the mean of the ranks they span", () => {
  // sorted: 10 (rank 1), 20 20 (ranks 2,3 -> 2.5), 30 (rank 4), 50 50 50 (ranks 5,6,7 -> 6)
  assert.deepEqual(Array.from(averageRanks([20, 50, 10, 50, 20, 30, 50])), [2.5, 6, 1, 6, 2.5, 4, 6]);
  assert.deepEqual(Array.from(averageRanks([])), []);
  assert.throws(() => averageRanks([1, NaN]), /index 1: NaN/);
});

test("pearson(x, y) matches a hand computation", () => {
  // x = 1,2,3,4 (mean 2.5), y = 2,4,5,9 (mean 5): dx = -1.5,-.5,.5,1.5; dy = -3,-1,0,4
  // sxy = 4.5 + .5 + 0 + 6 = 11; sxx = 5; syy = 26 -> r = 11 / sqrt(130)
  close(pearson([1, 2, 3, 4], [2, 4, 5, 9]), 11 / Math.sqrt(130));
  close(pearson([1, 2, 3], [3, 2, 1]), -1);
});

test("spearman(x, y) uses average ranks for ties (hand example)", () => {
  // x = [1, 2, 2, 3] -> ranks [1, 2.5, 2.5, 4]; y = [10, 30, 20, 30] -> ranks [1, 3.5, 2, 3.5]
  // rank means 2.5 and 2.5: dx = -1.5, 0, 0, 1.5; dy = -1.5, 1, -.5, 1
  // sxy = 2.25 + 0 + 0 + 1.5 = 3.75; sxx = 4.5; syy = 2.25 + 1 + .25 + 1 = 4.5 -> rho = 3.75 / 4.5
  close(spearman([1, 2, 2, 3], [10, 30, 20, 30]), 3.75 / 4.5);
  // Monotone but non-linear: rho is exactly 1 while r is not.
  close(spearman([1, 2, 3, 4], [1, 8, 27, 64]), 1);
});

test("pearson and spearman return null when undefined, and reject unequal lengths", () => {
  assert.equal(pearson([], []), null);
  assert.equal(pearson([1], [2]), null);
  assert.equal(pearson([1, 1, 1], [1, 2, 3]), null);
  assert.equal(spearman([1, 2], [5, 5]), null);
  assert.throws(() => pearson([1, 2], [1]), /lengths 2 and 1 differ/);
});
