import { test } from "node:test";
import assert from "node:assert/strict";
import { TokenSample } from "../../src/analysis/tokenSample.js";
import { hashUniform } from "../../src/numerics/random.js";
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

test("TokenSample: layers that share a selection replay one layer's choices; any history gives each layer what a sample of that layer alone gives", () => {
  // SYNTHETIC batches: 8 sentences of 5 tokens, values distinct per layer (layer * 1000 + row)
  const make = (b: number, layer: number, from = 0) => {
    const n = 40 - from, sentence = Array.from({ length: n }, (_, r) => b * 8 + Math.floor((r + from) / 5)), position = Array.from({ length: n }, (_, r) => (r + from) % 5);
    return lb({ layer, dim: 2, data: Array.from({ length: 2 * n }, (_, i) => layer * 1000 + b * 40 + from + (i >> 1)), sentence, position, special: position.map((p) => (p === 0 ? 1 : 0)) });
  };
  const mask = (b: number, n = 40) => Uint8Array.from({ length: n }, (_, r) => (r * 7 + b) % 3 === 0 ? 0 : 1);
  // each step: [batch, layer, mask?, from?]
  const steps: [number, number, boolean?, number?][] = [];
  for (let b = 0; b < 6; ++b) for (const layer of [0, 1, 2, 3]) steps.push([b, layer, b === 4]); // layers 1-3 replay layer 0
  steps.push([6, 0, true], [6, 1, true], [6, 3, true], [6, 2, false]); // layer 2 without the mask: its own choices
  steps.push([7, 0], [11, 3], [7, 1]); // layer 3 gets other sentences (as many tokens)
  steps.push([7, 2, false, 3], [7, 2], [7, 2]); // a shorter batch first, and the same batch twice
  steps.push([8, 0], [8, 1]); // layers 2 and 3 miss a batch
  for (const size of [3, 12, 100]) {
    const shared = new TokenSample({ size, seed: 9 });
    const alone = [0, 1, 2, 3].map(() => new TokenSample({ size, seed: 9 }));
    for (const [b, layer, masked, from] of steps) {
      const x = make(b, layer, from ?? 0), m = masked ? mask(b, x.special.length) : undefined;
      shared.add(x, m);
      alone[layer].add(x, m);
    }
    for (const layer of [0, 1, 2, 3]) {
      shared.add(make(9, layer));
      alone[layer].add(make(9, layer));
    }
    for (const layer of [0, 1, 2, 3]) assert.deepEqual(shared.layer(layer), alone[layer].layer(layer), `size ${size} layer ${layer}`);
    // a merge that changes layer 0 only, where layers 0 and 1 had the same selection
    const merged = new TokenSample({ size, seed: 9 }).add(make(0, 0)).add(make(0, 1)).merge(new TokenSample({ size, seed: 9 }).add(make(10, 0)));
    const [m0, m1] = [new TokenSample({ size, seed: 9 }).add(make(0, 0)).merge(new TokenSample({ size, seed: 9 }).add(make(10, 0))), new TokenSample({ size, seed: 9 }).add(make(0, 1))];
    for (const layer of [0, 1]) merged.add(make(1, layer));
    m0.add(make(1, 0));
    m1.add(make(1, 1));
    assert.deepEqual(merged.layer(0), m0.layer(0), `merged size ${size} layer 0`);
    assert.deepEqual(merged.layer(1), m1.layer(1), `merged size ${size} layer 1`);
  }
});
