import assert from "node:assert/strict";
import { test } from "node:test";
import { PairCosines } from "../../src/analysis/pairCosines.js";

test("PairCosines keeps raw and clipped cosines per pair and reports the layer count", () => {
  const c = new PairCosines();
  assert.equal(c.layers, 0);
  assert.equal(c.hasClipped, false);
  c.push([0.1, 0.2], [0.3, 0.4]);
  c.push(Float64Array.from([0.5, 0.6]), [0.7, 0.8]);
  assert.equal(c.layers, 2);
  assert.equal(c.hasClipped, true);
  assert.deepEqual(c.raw, [[0.1, 0.2], [0.5, 0.6]]);
  assert.deepEqual(c.clippedAt(1), [0.7, 0.8]);
});

test("PairCosines rejects a layer-count change and a mix of clipped and unclipped pairs, storing nothing", () => {
  const c = new PairCosines();
  c.push([0.1, 0.2], null);
  assert.equal(c.clippedAt(0), null);
  assert.throws(() => c.push([0.1, 0.2, 0.3], null), /invalid cosines: 3 layers, expected 2/);
  assert.throws(() => c.push([0.1, 0.2], [0.1, 0.2]), /clipped cosines for every pair or for none/);
  assert.equal(c.raw.length, 1);
});
