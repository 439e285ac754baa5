import { test } from "node:test";
import assert from "node:assert/strict";
import { clsPool, l2normalize, meanPool } from "../../src/model/pooling.js";
import type { EncodedBatch } from "../../src/model/types.js";

// 2 sentences x 3 positions x 2 dims; row 0 = [CLS] a [SEP], row 1 = [CLS] b <pad>.
// Layer 1 doubles layer 0. The padding vector is 100s so any leak shows.
const layer0 = Float32Array.from([1, 2, 3, 4, 5, 6, /* row 1 */ 7, 8, 9, 10, 100, 100]);
const batch: EncodedBatch = {
  sentenceIndex: [4, 2], batch: 2, length: 3, hidden: 2,
  layers: [layer0, layer0.map((x) => 2 * x)],
  inputIds: Int32Array.from([2, 10, 3, 2, 11, 0]),
  attentionMask: Uint8Array.from([1, 1, 1, 1, 1, 0]),
  positionIds: Int32Array.from([0, 1, 2, 0, 1, -1]),
  specialMask: Uint8Array.from([1, 0, 1, 1, 0, 1]),
  wordIds: Int32Array.from([-1, 0, -1, -1, 0, -1]),
  tokenCounts: [3, 2], tokens: [["[CLS]", "a", "[SEP]"], ["[CLS]", "b"]], truncated: [false, false],
};

test("meanPool averages each row's non-padding tokens, specials included by default", () => {
  // row 0: ((1+3+5)/3, (2+4+6)/3) = (3, 4); row 1: ((7+9)/2, (8+10)/2) = (8, 9); padding excluded
  assert.deepEqual(Array.from(meanPool(batch, 0)), [3, 4, 8, 9]);
  assert.deepEqual(Array.from(meanPool(batch, 1)), [6, 8, 16, 18]);
  assert.deepEqual(Array.from(meanPool(batch, 0, { includeSpecial: true })), [3, 4, 8, 9]);
});

test("meanPool with includeSpecial false averages only word tokens", () => {
  // row 0: the token "a" = (3, 4); row 1: "b" = (9, 10)
  assert.deepEqual(Array.from(meanPool(batch, 0, { includeSpecial: false })), [3, 4, 9, 10]);
});

test("meanPool gives a zero row when no token is left, and rejects a layer out of range", () => {
  const allSpecial = { ...batch, specialMask: new Uint8Array(6).fill(1) };
  assert.deepEqual(Array.from(meanPool(allSpecial, 0, { includeSpecial: false })), [0, 0, 0, 0]);
  assert.throws(() => meanPool(batch, 2), /invalid layer: 2; expected an integer in 0\.\.1/);
  assert.throws(() => clsPool(batch, -1), /invalid layer: -1/);
});

test("clsPool takes each row's first token", () => {
  assert.deepEqual(Array.from(clsPool(batch, 0)), [1, 2, 7, 8]);
  assert.deepEqual(Array.from(clsPool(batch, 1)), [2, 4, 14, 16]);
});

test("l2normalize scales rows to unit norm in place and leaves zero rows at zero", () => {
  const rows = Float32Array.from([3, 4, 0, 0, -5, 12]);
  const out = l2normalize(rows, 2);
  assert.equal(out, rows);
  // 3-4-5 and 5-12-13 triangles
  assert.deepEqual(Array.from(rows), [0.6, 0.8, 0, 0, -5 / 13, 12 / 13].map(Math.fround));
  assert.throws(() => l2normalize(rows, 4), /invalid dim: 4; expected a positive integer dividing the array length 6/);
});
