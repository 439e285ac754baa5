import { test } from "node:test";
import assert from "node:assert/strict";
import { TokenSample } from "../../src/analysis/tokenSample.js";
import { hashUniform } from "../../src/analysis/random.js";
import { lb, split } from "./fixtures.js";

// 6 tokens from 3 sentences (2 each), dim 2; value = token index, so rows are recognisable.
const batch = (layer: number) => lb({
  layer, dim: 2, data: [0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5], sentence: [0, 0, 1, 1, 2, 2], position: [0, 1, 0, 1, 0, 1], special: [0, 0, 0, 0, 0, 1],
});

test("TokenSample keeps the `size` tokens with the smallest seeded hash keys, the same in every layer", () => {
  const s = new TokenSample({ size: 3, seed: 7 }).add(batch(0)).add(batch(1));
  // independent expectation: rank the 5 non-special tokens by hashUniform(7, sentence, position)
  const toks = [[0, 0], [0, 1], [1, 0], [1, 1], [2, 0]].map(([se, p], i) => ({ i, key: hashUniform(7, se, p) }));
  const expected = toks.sort((a, b) => a.key - b.key).slice(0, 3).map((t) => t.i);
  for (const layer of [0, 1]) {
    const l = s.layer(layer);
    assert.deepEqual(Array.from(l.data.filter((_, k) => k % 2 === 0)), expected);
    assert.equal(l.seen, 5);
  }
  assert.deepEqual(s.layers(), [0, 1]);
});

test("TokenSample is the same for any batching, order or sharding", () => {
  const whole = new TokenSample({ size: 3, seed: 1 }).add(batch(0)).layer(0);
  const [a, b, c] = split(batch(0), 1, 4);
  assert.deepEqual(new TokenSample({ size: 3, seed: 1 }).add(c).add(a).add(b).layer(0), whole);
  const merged = new TokenSample({ size: 3, seed: 1 }).add(b).merge(new TokenSample({ size: 3, seed: 1 }).add(c).add(a));
  assert.deepEqual(merged.layer(0), whole);
});

test("TokenSample includes special tokens only on request; rejects unknown layers and width changes", () => {
  assert.equal(new TokenSample({ size: 10 }).add(batch(0)).layer(0).n, 5);
  assert.equal(new TokenSample({ size: 10, includeSpecial: true }).add(batch(0)).layer(0).n, 6);
  const s = new TokenSample().add(batch(0));
  assert.throws(() => s.layer(3), /invalid layer: 3; the sample holds layers 0/);
  assert.throws(() => s.add(lb({ layer: 1, dim: 3, data: [1, 2, 3] })), /dim 3 differs from the first batch \(2\)/);
  assert.throws(() => new TokenSample({ size: 0 }), /invalid size: 0/);
  assert.throws(() => s.merge(new TokenSample({ seed: 2 })), /merge samples built with the same options/);
});

test("TokenSample computes a batch's keys once, yet follows sentence and position arrays changed in place", () => {
  const b = batch(0);
  const other = lb({ layer: 0, dim: 2, data: Array.from(b.data), sentence: [3, 3, 4, 4, 5, 5], position: [0, 1, 0, 1, 0, 1], special: [0, 0, 0, 0, 0, 1] });
  const fresh = new TokenSample({ size: 3, seed: 7 }).add(b).add(other).add(batch(1)).add({ ...other, layer: 1 });
  const reused = new TokenSample({ size: 3, seed: 7 }).add(b);
  b.sentence.set(other.sentence);
  reused.add(b);
  b.sentence.set([0, 0, 1, 1, 2, 2]);
  reused.add({ ...b, layer: 1 });
  b.sentence.set(other.sentence);
  reused.add({ ...b, layer: 1 });
  for (const layer of [0, 1]) assert.deepEqual(reused.layer(layer), fresh.layer(layer));
});

test("TokenSample.add with a row mask equals adding the compact subset of those rows", () => {
  const mask = Uint8Array.from([1, 0, 0, 1, 1, 0]);
  for (const value of [0, 1]) {
    const rows = [...mask.keys()].filter((r) => mask[r] === value);
    const b = batch(1);
    const subset = lb({
      layer: 1, dim: 2, data: rows.flatMap((r) => [b.data[2 * r], b.data[2 * r + 1]]), sentence: rows.map((r) => b.sentence[r]),
      position: rows.map((r) => b.position[r]), special: rows.map((r) => b.special[r]), word: rows.map((r) => b.word[r]),
    });
    const masked = new TokenSample({ size: 2, seed: 3 }).add(b, mask, value).layer(1);
    const copied = new TokenSample({ size: 2, seed: 3 }).add(subset).layer(1);
    assert.deepEqual(masked, copied);
  }
  assert.throws(() => new TokenSample().add(batch(0), new Uint8Array(2)), /TokenSample.add: mask has 2 rows; the batch has 6/);
});
