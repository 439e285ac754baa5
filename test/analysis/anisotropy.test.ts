import { test } from "node:test";
import assert from "node:assert/strict";
import { Anisotropy, drawPairs, pairCosines, pairedRows, anisotropy } from "../../src/analysis/anisotropy.js";
import { jsLinalg } from "../../src/numerics/linalg.js";
import { LayerMoments, allButTheTop, clipper, whitener, zscorer } from "../../src/analysis/postprocess.js";
import { createRandom } from "../../src/numerics/random.js";
import { lb, split, close } from "./fixtures.js";

test("Anisotropy of two one-token sentences is their cosine, raw and clipped", () => {
  // u = (1, 0), v = (1, 1): cos = 1/√2; clipping dim 1 gives (1, 0), (1, 0): cos = 1. Every pair is (u, v) or (v, u).
  const b = lb({ layer: 3, dim: 2, data: [1, 0, 1, 1], sentence: [0, 1], position: [0, 0] });
  const r = new Anisotropy({ pairs: 10 }).add(b).result([clipper([1])]);
  const l = r.layers[0];
  assert.equal(l.raw, 0.7071068);
  assert.equal(l.clipped, 1);
  assert.deepEqual(l.ci.raw, { mean: 0.7071068, low: 0.7071068, high: 0.7071068, pairs: 10 });
  assert.deepEqual([l.layer, l.sampled, l.seen, l.pairs], [3, 2, 2, 10]);
  assert.deepEqual(r.settings.variants, ["raw", "clipped"]);
  assert.deepEqual(r.settings.postprocessing, { clipped: { dims: [1], layers: "all" } });
});

test("Anisotropy pins its defaults", () => {
  const s = new Anisotropy().result().settings;
  assert.deepEqual([s.sampleSize, s.pairs, s.seed, s.includeSpecial, s.level, s.tokens], [2000, 1000, 0, false, 0.95, "non-special"]);
});

test("Anisotropy equals the naive mean over the drawn pairs, with a normal interval", () => {
  // 4 sentences x 2 tokens, dim 3 (synthetic values)
  const data = [1, 2, 0, 0, 1, 1, 3, -1, 2, 1, 1, 1, -2, 0, 1, 0, 0, 5, 2, 2, -1, 1, 0, 0];
  const b = lb({ layer: 0, dim: 3, data, sentence: [0, 0, 1, 1, 2, 2, 3, 3], position: [0, 1, 0, 1, 0, 1, 0, 1] });
  const a = new Anisotropy({ pairs: 50, seed: 4 }).add(b);
  const r = a.result();
  const s = a.sample.layer(0), pairs = drawPairs(s.sentence, 50, 4);
  let sum = 0, sq = 0;
  for (let k = 0; k < 100; k += 2) {
    const [i, j] = [pairs[k], pairs[k + 1]];
    assert.notEqual(s.sentence[i], s.sentence[j]);
    const u = Array.from(s.data.subarray(i * 3, i * 3 + 3)), v = Array.from(s.data.subarray(j * 3, j * 3 + 3));
    const c = (u[0] * v[0] + u[1] * v[1] + u[2] * v[2]) / Math.hypot(...u) / Math.hypot(...v);
    sum += c; sq += c * c;
  }
  const mean = sum / 50, sd = Math.sqrt((sq - 50 * mean * mean) / 49);
  close(r.layers[0].raw, mean, 1e-6);
  close(r.layers[0].ci.raw!.high, mean + 1.959964 * sd / Math.sqrt(50), 1e-5);
  // the same tokens batched differently, or merged from shards, give byte-identical JSON
  const [p, q] = split(b, 3);
  assert.equal(JSON.stringify(new Anisotropy({ pairs: 50, seed: 4 }).add(q).add(p).result()), JSON.stringify(r));
  assert.equal(JSON.stringify(new Anisotropy({ pairs: 50, seed: 4 }).add(p).merge(new Anisotropy({ pairs: 50, seed: 4 }).add(q)).result()), JSON.stringify(r));
  assert.equal(JSON.stringify(anisotropy([p, q], { pairs: 50, seed: 4 })), JSON.stringify(r));
});

test("Anisotropy reports null for zero vectors and fails clearly on a one-sentence sample", () => {
  assert.deepEqual(pairCosines(Float32Array.from([0, 0, 1, 1]), 2, Int32Array.from([0, 1])), [null]);
  const one = lb({ layer: 0, dim: 2, data: [1, 0, 1, 1] });
  assert.throws(() => new Anisotropy().add(one).result(), /^RangeError: anisotropy: the token sample holds 2 tokens from one sentence; pairs need tokens from at least two sentences/);
  assert.throws(() => new Anisotropy({ pairs: 0 }), /invalid pairs: 0/);
  assert.deepEqual(new Anisotropy().result().layers, []);
});

test("pairedRows keeps the paired rows in order of first use and renumbers the pairs", () => {
  // 4 rows of dim 2; pairs (2, 0), (2, 3): rows 2, 0, 3 are kept as 0, 1, 2; row 1 is dropped
  const data = Float32Array.from([0, 1, 10, 11, 20, 21, 30, 31]);
  const r = pairedRows(data, 2, Int32Array.from([2, 0, 2, 3]));
  assert.deepEqual(Array.from(r.data), [20, 21, 0, 1, 30, 31]);
  assert.deepEqual(Array.from(r.pairs), [0, 1, 0, 2]);
  assert.deepEqual(pairCosines(r.data, 2, r.pairs), pairCosines(data, 2, Int32Array.from([2, 0, 2, 3])));
});

test("Anisotropy.resultWith(jsLinalg) equals result() with every post-processing", async () => {
  const g = createRandom(3), n = 60, dim = 4;
  const data = Array.from({ length: n * dim }, () => g.normal() + 1);
  const b = lb({ layer: 1, dim, data, sentence: Array.from({ length: n }, (_, i) => i % 7) });
  const a = new Anisotropy({ pairs: 50, sampleSize: 40, seed: 5 }).add(b);
  const m = new LayerMoments().add(b);
  const post = [clipper([0]), zscorer(m), allButTheTop(m), whitener(m)];
  assert.deepEqual(await a.resultWith(jsLinalg, post), a.result(post));
});
