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

test("SelfSimilarity.word gives one word's occurrences and sum of unit vectors; keys lists the tracked words", () => {
  const s = new SelfSimilarity({ wordKey, minOccurrences: 3 }).add(batch());
  assert.deepEqual(s.keys, ["cat", "dog"]);
  const cat = s.word("CAT", 1)!;
  assert.equal(cat.occurrences, 3);
  close(cat.sum[0], 1 + Math.SQRT1_2, 1e-12);
  close(cat.sum[1], 1 + Math.SQRT1_2, 1e-12);
  const dog = s.word("dog", 1)!; // (1,0), (1,0), unit((0,1) + (1,0))
  close(dog.sum[0], 2 + Math.SQRT1_2, 1e-12);
  close(dog.sum[1], Math.SQRT1_2, 1e-12);
  dog.sum[0] = 0; // a copy
  close(s.word("dog", 1)!.sum[0], 2 + Math.SQRT1_2, 1e-12);
  assert.equal(s.word("dog", 0), null);
  assert.equal(s.word("bird", 1), null);
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

test("SelfSimilarity with zeroDims equals adding the clipped batches", async () => {
  const { applyPostprocessor, clipper } = await import("../../src/analysis/postprocess.js");
  const clip = clipper([1]);
  for (const dims of [[1], [0, 1]]) {
    const c = clipper(dims);
    const viaCopy = new SelfSimilarity({ wordKey, minOccurrences: 2 }).add(applyPostprocessor(c, batch(1))).add(applyPostprocessor(c, batch(2)));
    const viaOption = new SelfSimilarity({ wordKey, minOccurrences: 2, zeroDims: dims }).add(batch(1)).add(batch(2));
    assert.deepEqual(viaOption.result(), viaCopy.result());
  }
  // clipping dim 1 leaves "cat" with (1,0), (1,0) and (1,0) after the (0,1) occurrence drops out as a zero vector
  const r = new SelfSimilarity({ wordKey, minOccurrences: 2, zeroDims: [1] }).add(batch()).result().layers[0];
  assert.deepEqual(r, new SelfSimilarity({ wordKey, minOccurrences: 2 }).add(applyPostprocessor(clip, batch())).result().layers[0]);
  assert.deepEqual([r.words, r.occurrences, r.selfSimilarity], [2, 5, 1]);
  assert.throws(() => new SelfSimilarity({ wordKey, zeroDims: [2] }).add(batch()), /invalid zeroDims dimension: 2; layer 1 has dim 2/);
  assert.throws(() => new SelfSimilarity({ wordKey, zeroDims: [-1] }), /invalid zeroDims dimension: -1/);
});

test("SelfSimilarity resolves words once per batch, yet follows arrays changed in place and evictions across layers", () => {
  // the same arrays refilled with other words between adds: the result is that of fresh arrays
  const b = batch(1);
  const moved = lb({ layer: 1, dim: 2, data: Array.from(b.data), special: Array.from(b.special), sentence: [0, 0, 0, 1, 1, 2, 2, 2], word: [-1, 1, 0, 1, 0, 1, 0, 0] });
  const fresh = new SelfSimilarity({ wordKey, minOccurrences: 3 }).add(b).add(moved).result();
  const reused = new SelfSimilarity({ wordKey, minOccurrences: 3 }).add(b);
  b.word.set(moved.word);
  assert.deepEqual(reused.add(b).result(), fresh);
  // maxWords 1 over two layers of one batch: whichever word is kept, it has every occurrence in both layers
  const one = new SelfSimilarity({ wordKey, minOccurrences: 3, maxWords: 1 }).add(batch(1)).add(batch(2)).result();
  assert.deepEqual(one.layers.map((l) => [l.layer, l.words, l.occurrences]), [[1, 1, 3], [2, 1, 3]]);
  assert.deepEqual(one.layers[1].selfSimilarity, one.layers[0].selfSimilarity);
});

test("SelfSimilarity: the same word twice in a row, zero vectors and multi-subword words between single ones", () => {
  // one sentence per token group; words: the(0) the(1) the(2: zero vector) cat(3, two subwords) the(4) cat(5)
  const keyOf: Record<string, string> = { "0:0": "the", "1:0": "the", "2:0": "the", "3:0": "cat", "4:0": "the", "5:0": "cat", "6:0": "cat" };
  const key = (s: number, w: number) => keyOf[`${s}:${w}`] ?? null;
  const x = lb({
    layer: 3, dim: 3,
    data: [1, 2, 2, /* the */ 0, 3, 4, /* the */ 0, 0, 0, /* the: no direction */ 1, 0, 0, 0, 1, 0, /* cat = c + ##at */ 2, 0, 1, /* the */ 0, 0, 5, /* cat */ 1, 1, 1 /* cat */],
    sentence: [0, 1, 2, 3, 3, 4, 5, 6],
    word: [0, 0, 0, 0, 0, 0, 0, 0],
  });
  const got = new SelfSimilarity({ wordKey: key, minOccurrences: 2 }).add(x).result().layers[0];
  // naive reference: mean cosine over pairs of each word's occurrence vectors (zero vectors dropped)
  const unit = (v: number[]) => v.map((c) => c / Math.hypot(...v));
  const mean = (vs: number[][]) => {
    let s = 0, n = 0;
    for (let i = 0; i < vs.length; ++i) for (let j = 0; j < vs.length; ++j) if (i !== j) { s += unit(vs[i]).reduce((a, c, k) => a + c * unit(vs[j])[k], 0); n++; }
    return s / n;
  };
  const the = mean([[1, 2, 2], [0, 3, 4], [2, 0, 1]]), cat = mean([[1, 1, 0], [0, 0, 5], [1, 1, 1]]);
  assert.deepEqual([got.words, got.occurrences], [2, 6]);
  close(got.selfSimilarity, (the + cat) / 2, 1e-6);
  // one word per add (no pairs) and the pairs of one add give the same numbers
  const whole = new SelfSimilarity({ wordKey: key, minOccurrences: 2 });
  for (const part of split(x, 1, 2, 3, 5, 6, 7)) whole.add(part);
  assert.deepEqual(whole.result(), new SelfSimilarity({ wordKey: key, minOccurrences: 2 }).add(x).result());
  assert.deepEqual(new SelfSimilarity({ wordKey: key, minOccurrences: 2, zeroDims: [2] }).add(x).result(),
    new SelfSimilarity({ wordKey: key, minOccurrences: 2 }).add(lb({ layer: 3, dim: 3, data: Array.from(x.data, (v, i) => (i % 3 === 2 ? 0 : v)), sentence: Array.from(x.sentence), word: Array.from(x.word) })).result());
});
