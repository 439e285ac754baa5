import { test } from "node:test";
import assert from "node:assert/strict";
import { StsScorer, clipDimsFor, clippedCosine, evaluateSts, meanPoolBatch, resolveLayers } from "../../src/analysis/sts.js";
import { pearson, spearman } from "../../src/analysis/correlation.js";
import type { StsSet } from "../../src/data/formats/sts.js";
import { HIDDEN, naiveCosine, pooled, synthEncoder } from "./helpers/synthEncoder.js";

const close = (a: number | null | undefined, e: number, tol = 1e-9) => assert.ok(a !== null && a !== undefined && Math.abs(a - e) <= tol, `expected ${e}, got ${a}, tol ${tol}`);

test("StsScorer reports all, wmean and per-subset correlations x 100 (hand example)", () => {
  // subset A: gold 1,2,3; layer 0 cos .1,.2,.3 (rho 1); layer 1 cos .3,.2,.1 (rho -1)
  // subset B: gold 0,5;  layer 0 cos .5,.4 (rho -1); layer 1 cos .2,.9 (rho 1)
  const s = new StsScorer(["A", "B"], [0, 4]);
  s.add({ subset: 0, gold: 1, raw: [0.1, 0.3] }).add({ subset: 0, gold: 2, raw: [0.2, 0.2] }).add({ subset: 0, gold: 3, raw: [0.3, 0.1] });
  s.add({ subset: 1, gold: 0, raw: [0.5, 0.2] }).add({ subset: 1, gold: 5, raw: [0.4, 0.9] });
  const r = s.result({ searchLayers: [0, 1] });
  const [l0, l1] = r.layers;
  // all, layer 0: cos ranks [1,2,3,5,4], gold ranks [2,3,4,1,5]: centred products sum to 0 -> rho 0
  close(l0.raw.all.spearman, 0);
  // Pearson all, layer 0: sxy = .10, sxx = .1, syy = 14.8 -> r = .1 / sqrt(1.48)
  close(l0.raw.all.pearson, 100 * 0.1 / Math.sqrt(1.48));
  // wmean, layer 0: (3 * 100 + 2 * -100) / 5 = 20
  close(l0.raw.wmean.spearman, 20);
  assert.deepEqual(l0.raw.subsets.map((x) => [x.name, x.pairs, Math.round(x.spearman!)]), [["A", 3, 100], ["B", 2, -100]]);
  // all, layer 1: cos ranks with a tie [4, 2.5, 1, 2.5, 5] vs gold ranks [2,3,4,1,5]: sxy 2, sxx 9.5, syy 10
  close(l1.raw.all.spearman, 100 * 2 / Math.sqrt(95));
  close(l1.raw.wmean.spearman, -20);
  assert.deepEqual(r.best.raw, { all: { layer: 1, spearman: l1.raw.all.spearman! }, wmean: { layer: 0, spearman: l0.raw.wmean.spearman! } });
  assert.equal(r.best.clipped, null);
  assert.deepEqual(r.sizes, { pairs: 5, subsets: [{ name: "A", pairs: 3, skipped: 0 }, { name: "B", pairs: 2, skipped: 4 }] });
  assert.equal(r.units, "correlation x 100");
  // default search is 1..L
  assert.deepEqual(s.result().settings.searchLayers, [1]);
});

test("StsScorer.merge of two shards equals one scorer over all pairs", () => {
  const pairs = [[0, 1, 0.1, 0.3], [0, 2, 0.2, 0.2], [0, 3, 0.3, 0.1], [1, 0, 0.5, 0.2], [1, 5, 0.4, 0.9]];
  const whole = new StsScorer(["A", "B"]);
  const a = new StsScorer(["A", "B"]), b = new StsScorer(["A", "B"]);
  pairs.forEach(([subset, gold, c0, c1], i) => {
    whole.add({ subset, gold, raw: [c0, c1], clipped: [c1, c0] });
    (i < 2 ? a : b).add({ subset, gold, raw: [c0, c1], clipped: [c1, c0] });
  });
  assert.deepEqual(a.merge(b).result(), whole.result());
  assert.throws(() => a.merge(new StsScorer(["A"])), /invalid merge: subsets \["A"\] differ/);
});

test("StsScorer gives null, not NaN, for undefined correlations and checks its input", () => {
  const s = new StsScorer(["only"]).add({ subset: 0, gold: 3, raw: [0.5] });
  assert.deepEqual(s.result().layers[0].raw.all, { spearman: null, pearson: null });
  assert.equal(s.result({ searchLayers: [0] }).best.raw.all, null);
  assert.throws(() => s.add({ subset: 1, gold: 1, raw: [0.2] }), /invalid subset: 1; expected 0..0/);
  assert.throws(() => s.add({ subset: 0, gold: 1, raw: [0.2, 0.3] }), /2 layers, expected 1/);
  assert.throws(() => new StsScorer([]), /invalid subsets/);
});

test("clipDimsFor, resolveLayers and clippedCosine", () => {
  assert.deepEqual(clipDimsFor([2, 0], 5, 4), [2, 0]);
  assert.deepEqual(clipDimsFor({ 1: [3] }, 1, 4), [3]);
  assert.deepEqual(clipDimsFor({ 1: [3] }, 2, 4), []);
  assert.throws(() => clipDimsFor([4], 0, 4), /invalid clip dimension: 4 at layer 0; expected an integer in \[0, 3\] \(hidden size 4\)/);
  assert.deepEqual(resolveLayers(undefined, 3), [1, 2, 3]);
  assert.deepEqual(resolveLayers([2, 0, 2], 3), [0, 2]);
  assert.throws(() => resolveLayers([4], 3), /invalid layer: 4; the model has layers 0..3/);
  // [1, 2, 10] . [2, 1, 10] without dim 2: 4 / (sqrt5 sqrt5) = 0.8
  close(clippedCosine([1, 2, 10], 0, [2, 1, 10], 0, 3, [2]), 0.8, 1e-15);
  assert.equal(clippedCosine([0, 0, 1], 0, [1, 1, 1], 0, 3, [2]), 0);
});

test("meanPoolBatch skips padding and, by default, special tokens", async () => {
  const gen = synthEncoder().encode(["ab c", "defghijk"], { batchSize: 2 });
  const { value } = await gen.next();
  const { vectors, counts } = meanPoolBatch(value!, false);
  assert.deepEqual(counts, [2, 2]); // "defghijk" has two pieces
  assert.deepEqual(Array.from(vectors[0].subarray(HIDDEN, 2 * HIDDEN)), pooled("ab c", 1));
  assert.deepEqual(Array.from(vectors[1].subarray(0, HIDDEN)), pooled("defghijk", 0));
  const withSpecial = meanPoolBatch(value!, true);
  assert.deepEqual(withSpecial.counts, [4, 4]);
  assert.deepEqual(Array.from(withSpecial.vectors[0].subarray(2 * HIDDEN)), pooled("ab c", 2, true));
});

test("evaluateSts scores mean-pooled cosines against gold per layer, raw and clipped (synthetic encoder)", async () => {
  const set: StsSet = {
    format: "senteval-sts", name: "synthetic", scale: [0, 5],
    subsets: [
      { name: "x", file: "x", a: ["a big dog", "cats sleep", "stocks rallied strongly"], b: ["a large dog", "the market", "strongly rallied stocks"], scores: Float64Array.of(4, 1, 5), skipped: 0 },
      { name: "y", file: "y", a: ["hello there", "red"], b: ["hi", "blue green"], scores: Float64Array.of(3, 0.5), skipped: 2 },
    ],
  };
  const r = await evaluateSts(synthEncoder(), set, { clip: [3], batchSize: 3 });
  const pairs = set.subsets.flatMap((s) => s.a.map((a, i) => ({ a, b: s.b[i], gold: s.scores[i] })));
  for (let l = 0; l <= 2; ++l) {
    const raw = pairs.map((p) => naiveCosine(pooled(p.a, l), pooled(p.b, l)));
    const clipped = pairs.map((p) => naiveCosine(pooled(p.a, l), pooled(p.b, l), [3]));
    const gold = pairs.map((p) => p.gold);
    close(r.layers[l].raw.all.spearman, 100 * spearman(raw, gold)!);
    close(r.layers[l].raw.all.pearson, 100 * pearson(raw, gold)!);
    close(r.layers[l].clipped!.all.spearman, 100 * spearman(clipped, gold)!);
    close(r.layers[l].raw.subsets[0].pearson, 100 * pearson(raw.slice(0, 3), gold.slice(0, 3))!);
    close(r.layers[l].raw.wmean.pearson, (3 * 100 * pearson(raw.slice(0, 3), gold.slice(0, 3))! + 2 * 100 * pearson(raw.slice(3), gold.slice(3))!) / 5);
  }
  assert.deepEqual(r.sizes.subsets, [{ name: "x", pairs: 3, skipped: 0 }, { name: "y", pairs: 2, skipped: 2 }]);
  assert.equal(r.settings.includeSpecial, false);
  assert.deepEqual(r.settings.searchLayers, [1, 2]);
  assert.deepEqual(r.settings.clip, [3]);
  await assert.rejects(evaluateSts(synthEncoder(), set, { clip: { 5: [1] } }), /invalid clip layer: "5"; the model has layers 0..2/);
  await assert.rejects(evaluateSts(synthEncoder(), { ...set, subsets: [] }), /no sentence pairs/);
});
