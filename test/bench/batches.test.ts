/**
 * The bench's own arithmetic (bench/batches.ts, bench/gemm.ts), checked by hand so its printed
 * padded/real and GFLOP/s can be trusted; the timings themselves are the bench's, not a test's.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { equalLengthBatches, padRows, paddingRatio, scriptBatches } from "../../bench/batches.js";
import { encoderFlops } from "../../bench/gemm.js";

const ids = (...xs: number[]) => Int32Array.from(xs);

test("padRows pads every row to the longest with padId and masks the padding out", () => {
  const b = padRows([ids(101, 7, 102), ids(101, 102)], 0);
  assert.equal(b.batch, 2);
  assert.equal(b.length, 3);
  assert.deepEqual(Array.from(b.ids, Number), [101, 7, 102, 101, 102, 0]);
  assert.deepEqual(Array.from(b.mask, Number), [1, 1, 1, 1, 1, 0]);
  assert.equal(b.tokens, 5);
});

test("scriptBatches keeps the given order, `size` rows a batch, and paddingRatio counts its padding", () => {
  // lengths 2, 5, 3 in batches of 2: [2, 5] -> 10 padded, [3] -> 3 padded; real 10
  const batches = scriptBatches([ids(1, 2), ids(1, 2, 3, 4, 5), ids(1, 2, 3)], 2, 0);
  assert.deepEqual(batches.map((b) => [b.batch, b.length]), [[2, 5], [1, 3]]);
  assert.deepEqual(paddingRatio(batches), { padded: 13, real: 10, ratio: 1.3 });
});

test("equalLengthBatches groups rows by exact length and cuts each group by the token budget: no padding", () => {
  // lengths 3, 2, 3, 3, 2 with budget 6: [2, 2] (4), then [3, 3] (6) and [3]
  const batches = equalLengthBatches([ids(1, 2, 3), ids(1, 2), ids(4, 5, 6), ids(7, 8, 9), ids(3, 4)], 6, 0);
  assert.deepEqual(batches.map((b) => [b.batch, b.length]), [[2, 2], [2, 3], [1, 3]]);
  assert.deepEqual(paddingRatio(batches), { padded: 13, real: 13, ratio: 1 });
  assert.deepEqual(Array.from(batches[1].ids, Number), [1, 2, 3, 4, 5, 6]);
});

test("encoderFlops is L x [2T(4H^2 + 2HF) + 4T^2 H]", () => {
  // BERT-base, T = 32: per layer 64 x (4 x 589,824 + 2 x 2,359,296) + 4 x 1024 x 768 = 456,130,560
  assert.equal(encoderFlops({ layers: 12, hidden: 768, intermediate: 3072 }, 32), 12 * 456_130_560);
  // one layer, H = 1, F = 1, T = 1: 2 x (4 + 2) + 4 = 16
  assert.equal(encoderFlops({ layers: 1, hidden: 1, intermediate: 1 }, 1), 16);
});
