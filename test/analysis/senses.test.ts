import { test } from "node:test";
import assert from "node:assert/strict";
import { WIC_THRESHOLDS, WicScorer, accuracyTable, bestCell, evaluateWic } from "../../src/analysis/senses.js";
import { createRandom } from "../../src/numerics/random.js";
import { mean, naiveCosine, pieces, synthEncoder, tokenVector } from "./helpers/synthEncoder.js";

const labels = [true, true, false, false];
// cosines [pair][layer]; hand-computed tables in the comments below
const cos = [[0.9, 0.95], [0.6, 0.85], [0.7, 0.8], [0.2, 0.75]];

test("WIC_THRESHOLDS are 0.1 .. 0.9", () => {
  assert.deepEqual(WIC_THRESHOLDS, [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9]);
});

test("accuracyTable predicts same sense when cosine > threshold (strict)", () => {
  // layer 0: t=.1 all True -> .5; t=.2..0.5 -> [T,T,T,F] .75; t=.6 (0.6 not > 0.6) [T,F,T,F] .5;
  // t=.7 (0.7 not > 0.7) [T,F,F,F] .75; t=.8 .75; t=.9 (0.9 not > 0.9) all F .5
  // layer 1: t<=.7 all True .5; t=.8 (0.8 not > 0.8) [T,T,F,F] 1; t=.9 [T,F,F,F] .75
  assert.deepEqual(accuracyTable(cos, labels, [0, 1, 2, 3], 2, WIC_THRESHOLDS), [
    [0.5, 0.75, 0.75, 0.75, 0.75, 0.5, 0.75, 0.75, 0.5],
    [0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 1, 0.75],
  ]);
  // only pairs 0 and 3: layer 0 at t=.1 predicts T,T -> 1/2
  assert.deepEqual(accuracyTable(cos, labels, [0, 3], 1, [0.1]), [[0.5]]);
});

test("bestCell breaks ties by lower layer then lower threshold", () => {
  const table = accuracyTable(cos, labels, [0, 1, 2, 3], 2, WIC_THRESHOLDS);
  assert.deepEqual(bestCell(table, [0, 1], WIC_THRESHOLDS), { layer: 1, threshold: 0.8, accuracy: 1 });
  assert.deepEqual(bestCell(table, [0], WIC_THRESHOLDS), { layer: 0, threshold: 0.2, accuracy: 0.75 });
  assert.equal(bestCell(table, [], WIC_THRESHOLDS), null);
});

test("WicScorer.result: default search 1..L, baseline, clipped tables, held-out split", () => {
  const s = new WicScorer();
  cos.forEach((c, i) => s.add({ label: labels[i], raw: c, clipped: c.map((x) => x / 2) }));
  const r = s.result({ heldOut: { seed: 5 } });
  assert.equal(r.baseline, 0.5);
  assert.deepEqual(r.sizes, { pairs: 4, same: 2, different: 2, selection: 2, evaluation: 2 });
  assert.deepEqual(r.settings.searchLayers, [1]);
  assert.deepEqual(r.raw.best, { layer: 1, threshold: 0.8, accuracy: 1 });
  // clipped = halved cosines: layer 1 is [.475, .425, .4, .375]: t=.4 -> [T,T,F,F] = 1
  assert.deepEqual(r.clipped!.best, { layer: 1, threshold: 0.4, accuracy: 1 });
  // held-out, recomputed by the documented procedure: seeded shuffle, first half selects, second half scores
  const order = createRandom(5).shuffle([0, 1, 2, 3]);
  const sel = order.slice(0, 2).sort(), ev = order.slice(2).sort();
  const want = bestCell(accuracyTable(cos, labels, sel, 2, WIC_THRESHOLDS), [1], WIC_THRESHOLDS)!;
  assert.deepEqual(r.raw.heldOut!.selection, want);
  assert.equal(r.raw.heldOut!.evaluation, accuracyTable(cos, labels, ev, 2, [want.threshold])[want.layer][0]);
  assert.deepEqual(s.result({ heldOut: { seed: 5 } }), r);
  assert.equal(s.result({ heldOut: null }).raw.heldOut, null);
  assert.throws(() => s.add({ label: true, raw: [0.1] }), /invalid cosines: 1 layers, expected 2/);
  assert.throws(() => s.add({ label: true, raw: [0.1, 0.2] }), /clipped cosines for every pair or for none/);
});

test("WicScorer.merge of two shards equals one scorer over all pairs", () => {
  const whole = new WicScorer(), a = new WicScorer(), b = new WicScorer();
  cos.forEach((c, i) => {
    whole.add({ label: labels[i], raw: c });
    (i < 1 ? a : b).add({ label: labels[i], raw: c });
  });
  assert.deepEqual(a.merge(b).result({ heldOut: { seed: 2 } }), whole.result({ heldOut: { seed: 2 } }));
});

test("WicScorer held-out evaluation equals a naive recount on the complement of the selection", () => {
  const many = Array.from({ length: 40 }, (_, i) => [((i * 37) % 100) / 100, ((i * 53) % 100) / 100]);
  const lab = many.map((_, i) => i % 3 === 0);
  const s = new WicScorer();
  many.forEach((c, i) => s.add({ label: lab[i], raw: c }));
  const r = s.result({ searchLayers: [0, 1], heldOut: { seed: 11, selectionFraction: 0.25 } });
  assert.deepEqual([r.sizes.selection, r.sizes.evaluation], [10, 30]);
  const h = r.raw.heldOut!;
  const all = accuracyTable(many, lab, many.map((_, i) => i), 2, [h.selection.threshold])[h.selection.layer][0];
  // all-pairs accuracy is the size-weighted mean of the two parts
  assert.ok(Math.abs(all - (10 * h.selection.accuracy + 30 * h.evaluation) / 40) < 1e-12, `${all} vs parts ${h.selection.accuracy}, ${h.evaluation}`);
});

test("evaluateWic averages the target word's pieces and clips the chosen dims (synthetic encoder)", async () => {
  const pairs = [
    { target: "run", pos: "V", sentence1: "they were running home", sentence2: "run is fun", index1: 2, index2: 0, label: true },
    { target: "bank", pos: "N", sentence1: "the bank closed", sentence2: "a river banks", index1: 1, index2: 2, label: false },
    { target: "play", pos: "V", sentence1: "playing it", sentence2: "we played", index1: 0, index2: 1, label: true },
  ];
  const r = await evaluateWic(synthEncoder(), pairs, { clip: [3], batchSize: 2, heldOut: null, source: "synthetic pairs" });
  const target = (w: string, l: number) => mean(Array.from({ length: pieces(w) }, (_, p) => tokenVector(w, p, l)));
  const expected = (l: number, zero: number[]) => pairs.map((p) => naiveCosine(target(p.sentence1.split(" ")[p.index1], l), target(p.sentence2.split(" ")[p.index2], l), zero));
  for (let l = 0; l <= 2; ++l) {
    const want = accuracyTable(expected(l, []).map((c) => [c]), pairs.map((p) => p.label), [0, 1, 2], 1, WIC_THRESHOLDS)[0];
    assert.deepEqual(r.raw.table[l], want);
    const wantClipped = accuracyTable(expected(l, [3]).map((c) => [c]), pairs.map((p) => p.label), [0, 1, 2], 1, WIC_THRESHOLDS)[0];
    assert.deepEqual(r.clipped!.table[l], wantClipped);
  }
  assert.equal(r.source, "synthetic pairs");
  assert.deepEqual(r.settings.clip, [3]);
  // hand check of pair 1 at layer 0: bank -> [4-5, 98 % 7 - 3, 1, 0] = [-1, -3, 1, 0], banks -> [0, -3, 1, 0]: cos = 10 / sqrt(11 * 10)
  assert.ok(Math.abs(expected(0, [])[1] - 10 / Math.sqrt(110)) < 1e-12);
  // clipping the constant dim 3 lowers every layer-2 cosine, so the tables differ there
  assert.notDeepEqual(r.raw.table[2], r.clipped!.table[2]);
  await assert.rejects(evaluateWic(synthEncoder(), pairs, { clip: [4] }), /invalid clip dimension: 4 at layer 0; expected an integer in \[0, 3\]/);
  await assert.rejects(evaluateWic(synthEncoder(), pairs, { layers: [3] }), /invalid layer: 3; the model has layers 0..2/);
  await assert.rejects(evaluateWic(synthEncoder(), [{ ...pairs[0], index1: 7 }], { heldOut: null }), /pair 0 \(target "run"\): word 7 of "they were running home" has no token/);
  await assert.rejects(evaluateWic(synthEncoder(), []), /invalid pairs: \[\]/);
});

test("evaluateWic encodes each distinct sentence once and scores repeated sentences as if encoded apart (synthetic encoder)", async () => {
  // "the bank closed" serves three pairs (twice as side 1, once as side 2), "we played" two; pair 3 is one sentence with two targets
  const pairs = [
    { target: "bank", pos: "N", sentence1: "the bank closed", sentence2: "a river banks", index1: 1, index2: 2, label: false },
    { target: "bank", pos: "N", sentence1: "the bank closed", sentence2: "banking pays", index1: 1, index2: 0, label: true },
    { target: "play", pos: "V", sentence1: "playing it", sentence2: "we played", index1: 0, index2: 1, label: true },
    { target: "closed", pos: "V", sentence1: "the bank closed", sentence2: "the bank closed", index1: 2, index2: 1, label: false },
    { target: "play", pos: "V", sentence1: "we played", sentence2: "the bank closed", index1: 1, index2: 2, label: false },
  ];
  const base = synthEncoder();
  const seen: string[] = [];
  const counting = { async *encode(sentences: string[], options?: { batchSize?: number }) { seen.push(...sentences); yield* base.encode(sentences, options); } };
  const r = await evaluateWic(counting, pairs, { clip: [3], batchSize: 2, heldOut: null });
  assert.deepEqual(seen, ["the bank closed", "a river banks", "banking pays", "playing it", "we played"]);
  const target = (w: string, l: number) => mean(Array.from({ length: pieces(w) }, (_, p) => tokenVector(w, p, l)));
  const expected = (l: number, zero: number[]) => pairs.map((p) => naiveCosine(target(p.sentence1.split(" ")[p.index1], l), target(p.sentence2.split(" ")[p.index2], l), zero));
  for (let l = 0; l <= 2; ++l) {
    assert.deepEqual(r.raw.table[l], accuracyTable(expected(l, []).map((c) => [c]), pairs.map((p) => p.label), [0, 1, 2, 3, 4], 1, WIC_THRESHOLDS)[0]);
    assert.deepEqual(r.clipped!.table[l], accuracyTable(expected(l, [3]).map((c) => [c]), pairs.map((p) => p.label), [0, 1, 2, 3, 4], 1, WIC_THRESHOLDS)[0]);
  }
  // the same pairs with every sentence made distinct (a trailing word changes no target) score the same bytes
  const apart = pairs.map((p, i) => ({ ...p, sentence1: `${p.sentence1} x${i}a`, sentence2: `${p.sentence2} x${i}b` }));
  assert.deepEqual(await evaluateWic(synthEncoder(), apart, { clip: [3], batchSize: 3, heldOut: null }), r);
});
