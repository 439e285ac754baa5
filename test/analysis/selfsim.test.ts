import { test } from "node:test";
import assert from "node:assert/strict";
import { SelfSimilarity } from "../../src/analysis/selfsim.js";
import { lb, split, close } from "./fixtures.js";

// SYNTHETIC corpus: 3 sentences; word 0 of each is "Cat" (one token), word 1 is "dog" (two subwords in sentence 2).
const keys: Record<string, string> = { "0:0": "Cat", "1:0": "cat", "2:0": "CAT", "0:1": "dog", "1:1": "dog", "2:1": "dog" };
const wordKey = (s: number, w: number) => keys[`${s}:${w}`] ?? null;
const batch = (layer = 1) => lb({
  layer, dim: 2,
  // sentence 0: [CLS] cat dog; sentence 1: cat dog; sentence 2: cat do ##g
  data: [9, 9, 1, 0, 1, 0, 0, 1, 1, 0, 1, 1, 0, 1, 1, 0],
  special: [1, 0, 0, 0, 0, 0, 0, 0],
  sentence: [0, 0, 0, 1, 1, 2, 2, 2],
  word: [-1, 0, 1, 0, 1, 0, 1, 1],
});

test("SelfSimilarity is the mean cosine over ordered pairs i != j, averaged over words", () => {
  // "cat": unit vectors (1,0), (0,1), (1,1)/√2: pair cosines 0, 1/√2, 1/√2 -> mean (2·√2/2·... ) = √2/3 = 0.4714045
  // "dog": (1,0), (1,0), mean of (0,1),(1,0) = (0.5,0.5) -> cosines 1, 1/√2, 1/√2 -> (1 + √2)/3 = 0.8047379
  const r = new SelfSimilarity({ wordKey, minOccurrences: 3 }).add(batch()).result({ 1: 0.25 });
  const l = r.layers[0];
  assert.deepEqual([l.layer, l.words, l.occurrences], [1, 2, 6]);
  close(l.selfSimilarity, (Math.SQRT2 / 3 + (1 + Math.SQRT2) / 3) / 2, 1e-6);
  close(l.adjusted, (Math.SQRT2 / 3 + (1 + Math.SQRT2) / 3) / 2 - 0.25, 1e-6);
  assert.equal(l.anisotropy, 0.25);
});

test("SelfSimilarity drops words below minOccurrences and pins its defaults", () => {
  const r = new SelfSimilarity({ wordKey }).add(batch()).result();
  assert.deepEqual(r.layers[0], { layer: 1, words: 0, occurrences: 0, selfSimilarity: null, anisotropy: null, adjusted: null });
  assert.deepEqual([r.settings.minOccurrences, r.settings.maxWords, r.settings.seed, r.settings.restricted], [5, 1000, 0, false]);
});

test("SelfSimilarity restricted to a word set, or to maxWords words, keeps whole words only", () => {
  const only = new SelfSimilarity({ wordKey, minOccurrences: 3, words: new Set(["DOG"]) }).add(batch()).result();
  close(only.layers[0].selfSimilarity, (1 + Math.SQRT2) / 3, 1e-6);
  const one = new SelfSimilarity({ wordKey, minOccurrences: 3, maxWords: 1 }).add(batch()).result();
  assert.equal(one.layers[0].words, 1);
  assert.equal(one.layers[0].occurrences, 3);
});

test("SelfSimilarity: splits, orders and merged shards give the same result", () => {
  const whole = new SelfSimilarity({ wordKey, minOccurrences: 3, maxWords: 1 }).add(batch()).result();
  const [a, b] = split(batch(), 3);
  assert.deepEqual(new SelfSimilarity({ wordKey, minOccurrences: 3, maxWords: 1 }).add(b).add(a).result(), whole);
  const m = new SelfSimilarity({ wordKey, minOccurrences: 3, maxWords: 1 }).add(a).merge(new SelfSimilarity({ wordKey, minOccurrences: 3, maxWords: 1 }).add(b));
  assert.deepEqual(m.result(), whole);
});

test("SelfSimilarity rejects bad options and width changes", () => {
  assert.throws(() => new SelfSimilarity({ wordKey: null as never }), /invalid wordKey: object/);
  assert.throws(() => new SelfSimilarity({ wordKey, minOccurrences: 1 }), /invalid minOccurrences: 1/);
  const s = new SelfSimilarity({ wordKey }).add(batch());
  assert.throws(() => s.add(lb({ layer: 2, dim: 3, data: [1, 2, 3] })), /layer 2: dim 3 differs from the first batch \(2\)/);
});
