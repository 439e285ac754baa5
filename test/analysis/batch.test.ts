import { test } from "node:test";
import assert from "node:assert/strict";
import { toLayerBatches } from "../../src/analysis/batch.js";
import type { EncodedBatch } from "../../src/model/types.js";

// 3 sentences x 4 rows x 2 dims. Row 0 = [CLS] a b [SEP]; row 1 = [CLS] c [SEP] <pad>; row 2 = [CLS] [SEP] <pad> <pad>.
// Layer 1 is layer 0 + 100. Padding vectors are -1 so any leak shows.
const layer0 = Float32Array.from([1, 2, 3, 4, 5, 6, 7, 8, /* row 1 */ 9, 10, 11, 12, 13, 14, -1, -1, /* row 2 */ 15, 16, 17, 18, -1, -1, -1, -1]);
const padded: EncodedBatch = {
  sentenceIndex: [7, 3, 5], batch: 3, length: 4, hidden: 2,
  layers: [layer0, layer0.map((x) => x + 100)],
  inputIds: new Int32Array(12),
  attentionMask: Uint8Array.from([1, 1, 1, 1, 1, 1, 1, 0, 1, 1, 0, 0]),
  positionIds: Int32Array.from([0, 1, 2, 3, 0, 1, 2, -1, 0, 1, -1, -1]),
  specialMask: Uint8Array.from([1, 0, 0, 1, 1, 0, 1, 1, 1, 1, 1, 1]),
  wordIds: Int32Array.from([-1, 0, 1, -1, -1, 0, -1, -1, -1, -1, -1, -1]),
  tokenCounts: [4, 3, 2], tokens: [["[CLS]", "a", "b", "[SEP]"], ["[CLS]", "c", "[SEP]"], ["[CLS]", "[SEP]"]], truncated: [false, false, false],
};
const expected0 = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18];

test("toLayerBatches drops padding rows and numbers positions, sentences and words per token", () => {
  const [l0, l1] = toLayerBatches(padded);
  assert.deepEqual(Array.from(l0.data), expected0);
  assert.deepEqual(Array.from(l1.data), expected0.map((x) => x + 100));
  assert.deepEqual([l0.layer, l1.layer, l0.dim], [0, 1, 2]);
  assert.deepEqual(Array.from(l0.position), [0, 1, 2, 3, 0, 1, 2, 0, 1]);
  assert.deepEqual(Array.from(l0.sentence), [7, 7, 7, 7, 3, 3, 3, 5, 5]);
  assert.deepEqual(Array.from(l0.word), [-1, 0, 1, -1, -1, 0, -1, -1, -1]);
  assert.deepEqual(Array.from(l0.special), [1, 0, 0, 1, 1, 0, 1, 1, 1]);
  assert.equal(l0.sentence, l1.sentence, "index arrays are shared by the layers of a batch");
});

test("toLayerBatches keeps any mask layout (holes, left padding), not only right padding", () => {
  const mask = Uint8Array.from([0, 1, 0, 1, 1, 1, 0, 1, 0, 0, 1, 1]);
  const [l0] = toLayerBatches({ ...padded, attentionMask: mask });
  // kept rows 1, 3 | 4, 5, 7 | 10, 11, in order
  assert.deepEqual(Array.from(l0.data), [3, 4, 7, 8, 9, 10, 11, 12, -1, -1, -1, -1, -1, -1]);
  assert.deepEqual(Array.from(l0.position), [0, 1, 0, 1, 2, 0, 1]);
  assert.deepEqual(Array.from(l0.sentence), [7, 7, 3, 3, 3, 5, 5]);
});

test("toLayerBatches returns a view of the encoder's buffer when nothing is padding", () => {
  const dense = { ...padded, attentionMask: new Uint8Array(12).fill(1) };
  const [l0] = toLayerBatches(dense);
  assert.equal(l0.data, layer0);
  assert.equal(l0.special.length, 12);
});

test("toLayerBatches with scratch gives the same batches as views into reused buffers", () => {
  const scratch: Float32Array[] = [];
  const [a0, a1] = toLayerBatches(padded, scratch);
  assert.deepEqual(Array.from(a0.data), expected0);
  assert.deepEqual(Array.from(a1.data), expected0.map((x) => x + 100));
  assert.equal(a0.data.buffer, scratch[0].buffer);
  assert.equal(scratch.length, 2);
  const first = scratch[0];
  // a smaller batch reuses the buffer (overwriting the previous batch's views)
  const small = { ...padded, attentionMask: Uint8Array.from([1, 1, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0]) };
  const [b0] = toLayerBatches(small, scratch);
  assert.equal(scratch[0], first);
  assert.deepEqual(Array.from(b0.data), [1, 2, 3, 4, 9, 10, 15, 16]);
  assert.deepEqual(Array.from(toLayerBatches(small)[0].data), Array.from(b0.data));
  // a larger one grows it
  scratch[0] = new Float32Array(2);
  assert.deepEqual(Array.from(toLayerBatches(padded, scratch)[0].data), expected0);
  assert.ok(scratch[0].length >= 18);
});
