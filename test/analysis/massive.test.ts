/**
 * MassiveActivations (massive.ts): exact values on hand-made batches, the cap's overflow test, merge
 * equal to one pass, and every statistic against a naive recomputation from all stored activations
 * (SYNTHETIC seeded batches with planted large values on [SEP] and on punctuation).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { MassiveActivations } from "../../src/analysis/massive.js";
import { isPunctuation, tokenClasses } from "../../src/analysis/tokenClasses.js";
import { binBounds, binOfBits, floatBits, floorBits, HISTOGRAM_RESOLUTION } from "../../src/numerics/absHistogram.js";
import { createRandom } from "../../src/numerics/random.js";
import type { EncodedBatch } from "../../src/model/types.js";
import { encodedBatch, randomSentences } from "./helpers/encodedBatch.js";
import { checkMassiveNaive, storeValues } from "./helpers/siteNaive.js";
import { decodeArray } from "../../src/numerics/arrays.js";
import { createOrtReducer, jsReducer, type Reducer } from "../../src/model/reductions.js";
import { reduceSites } from "../../src/analysis/siteReductions.js";

/** Adds every batch through the plain-TypeScript reducer (model/reductions.ts), in order. */
async function addAll(m: MassiveActivations, batches: readonly EncodedBatch[], reducer: Reducer = jsReducer): Promise<MassiveActivations> {
  for (const b of batches) await m.addWith(reducer, b);
  return m;
}

const r6 = (x: number) => Number(x.toPrecision(7));

test("tokenClasses: [CLS] at 0, other specials [SEP], the first content token, punctuation, the rest; padding 255", () => {
  const enc = encodedBatch({ tokens: [["[CLS]", ",", "cat", "##s", "!", "[SEP]"], ["[CLS]", "dog", "[SEP]"]], sentenceIndex: [0, 1], hidden: 1, layers: 1, value: () => 0 });
  assert.deepEqual([...tokenClasses(enc)], [0, 2, 4, 4, 3, 1, 0, 2, 1, 255, 255, 255]);
  assert.ok(isPunctuation("Ġ,") && isPunctuation("##.") && isPunctuation("▁$") && !isPunctuation("##") && !isPunctuation("a."));
});

test("MassiveActivations: top-k, median, Sun et al.'s two thresholds, classes and dims on a hand-made batch", async () => {
  // one sentence of 4 tokens x 3 dims; [SEP] dim 1 holds 5000, [CLS] dim 0 holds 150; the rest 1 or 2
  const vals = [[150, 1, 1], [2, 1, 1], [1, 1, 2], [1, 5000, 1]];
  const enc = encodedBatch({ tokens: [["[CLS]", "cat", ".", "[SEP]"]], sentenceIndex: [7], hidden: 3, layers: 1, value: (_s, _b, i, j) => vals[i][j] });
  const r = (await addAll(new MassiveActivations({ topK: 2 }), [enc])).result();
  const s = r.sites[0];
  assert.equal(s.site, "hidden_states.0");
  // 12 values: nine 1s, two 2s... sorted: 1 x8, 2 x2, 150, 5000 -> lower median (rank 5) is 1, exactly a bin edge
  assert.deepEqual(s.medianBounds, [1, r6(1 + HISTOGRAM_RESOLUTION)]);
  assert.equal(s.aboveAbsolute, 2);
  // threshold max(100, 1000 x median) ~ 1003.9: only 5000 passes both
  assert.equal(s.massive, 1);
  assert.deepEqual(s.massiveBounds, [1, 1]);
  assert.deepEqual(s.byClass, { cls: 0, sep: 1, first: 0, punct: 0, other: 0 });
  assert.deepEqual(s.dims, [{ dim: 1, count: 1 }]);
  assert.deepEqual(s.top, [
    { value: 5000, sentence: 7, token: "[SEP]", position: 3, dim: 1, class: "sep" },
    { value: 150, sentence: 7, token: "[CLS]", position: 0, dim: 0, class: "cls" },
  ]);
  assert.deepEqual(s.dimMaxAbs, [150, 5000, 2]);
  assert.equal(s.maxAbs, 5000);
  assert.deepEqual(r.persistence, [{ kind: "hidden_states", dim: 1, class: "sep", layers: [0], count: 1 }]);
  assert.ok(s.exact);
  assert.deepEqual(r.overflow, []);
});

test("MassiveActivations pins its defaults", () => {
  const r = new MassiveActivations().result();
  assert.deepEqual(r.settings, { absolute: 100, ratio: 1000, topK: 10, maxCandidates: 10000, topDims: 10, tokens: "all", histogram: { binsPerOctave: 128, relativeResolution: 2 ** -7 } });
  assert.deepEqual(r.sites, []);
  assert.throws(() => new MassiveActivations({ ratio: -1 }), /invalid massive\.ratio: -1/);
  assert.throws(() => new MassiveActivations({ maxCandidates: 1.5 }), /invalid massive\.maxCandidates: 1\.5/);
});

test("MassiveActivations: past the candidate cap the count stays exact while the dropped values are below the threshold, else it is flagged", async () => {
  // candidates 200, 300, 400, 5000 (all > 100); cap 2 keeps 5000 and 400, drops 300 and 200
  const vals = [200, 300, 400, 5000, 0.001, 0.001, 0.001, 0.001, 0.001];
  const enc = encodedBatch({ tokens: [["[CLS]", "a", "b", "c", "d", "e", "f", "g", "[SEP]"]], sentenceIndex: [0], hidden: 1, layers: 1, value: (_s, _b, i) => vals[i] });
  // median 0.001: ratio threshold ~1, so the threshold is 100 and 300 was dropped above it
  const low = (await addAll(new MassiveActivations({ maxCandidates: 2 }), [enc])).result();
  assert.equal(low.sites[0].exact, false);
  assert.equal(low.sites[0].massive, 2);
  assert.deepEqual(low.overflow, ["hidden_states.0"]);
  // ratio 350000: the threshold is ~350 x (median ~0.001); the dropped 300 and 200 are below it, so the count (400, 5000) is exact
  const high = (await addAll(new MassiveActivations({ maxCandidates: 2, ratio: 350000 }), [enc])).result();
  assert.ok(high.sites[0].threshold! > 340 && high.sites[0].threshold! < 360);
  assert.equal(high.sites[0].exact, true);
  assert.equal(high.sites[0].massive, 2);
});

test("floorBits compares float32 values with a float64 threshold exactly; bins are log-spaced within the resolution", () => {
  const t = 0.1; // not a float32
  for (const v of [Math.fround(0.1), 0.1000001, 0.0999999]) assert.equal(floatBits(Math.fround(v)) > floorBits(t), Math.fround(v) > t);
  const [lo, hi] = binBounds(binOfBits(floatBits(3.3)));
  assert.ok(lo <= 3.3 && 3.3 < hi && (hi - lo) / lo <= HISTOGRAM_RESOLUTION);
});

/** Seeded batches: normal values, a planted 3000 on [SEP] dim 5 at attn_resid, 50..250 on punctuation dim 2. */
function seeded(seed: number, batches: number): EncodedBatch[] {
  const g = createRandom(seed);
  const out: EncodedBatch[] = [];
  for (let k = 0; k < batches; ++k) {
    const tokens = randomSentences(g, 1 + g.int(4));
    const sentenceIndex = tokens.map((_, b) => k * 10 + b);
    out.push(encodedBatch({
      tokens, sentenceIndex, hidden: 8, layers: 3, sites: { "attn_resid.1": 8, "attn_resid.2": 8, "ffn_act.1": 12 },
      value: (site, b, i, j) => {
        const t = tokens[b][i];
        if (site.startsWith("attn_resid") && t === "[SEP]" && j === 5) return -3000 - g.int(100);
        if (isPunctuation(t) && j === 2) return 50 + g.int(200);
        return g.normal() * 0.5;
      },
    }));
  }
  return out;
}

test("MassiveActivations agrees with a naive recomputation from every stored activation (seeded batches with padding and extra sites), with either reducer", async () => {
  const batches = seeded(11, 9);
  const r = (await addAll(new MassiveActivations({ topK: 7 }), batches)).result();
  checkMassiveNaive(r, batches);
  // the onnxruntime reducer's maxima are exact too: the same result, byte for byte
  const ort = await createOrtReducer({ threads: 1 });
  try {
    assert.deepEqual((await addAll(new MassiveActivations({ topK: 7 }), batches, ort)).result(), r);
  } finally {
    await ort.release();
  }
  // the planted [SEP] dim 5 at both attn_resid layers is found and persists over them
  const sep = r.persistence.find((p) => p.kind === "attn_resid" && p.class === "sep");
  assert.deepEqual(sep && { dim: sep.dim, layers: sep.layers }, { dim: 5, layers: [1, 2] });
  assert.ok(r.sites.some((s) => s.massive > 0 && s.kind === "attn_resid"));
});

test("the |a| histogram holds every real value once, in its bin, at widths that are not a multiple of four", async () => {
  // SYNTHETIC: widths 5 and 7 leave one to three values after the four-at-a-time loop in every run of real rows
  const g = createRandom(21);
  const batches = [2, 3, 1].map((n, k) => {
    const tokens = randomSentences(g, n);
    return encodedBatch({ tokens, sentenceIndex: tokens.map((_, b) => k * 10 + b), hidden: 5, layers: 2, sites: { "ffn_act.1": 7 }, value: () => g.normal() * 3 });
  });
  const m = await addAll(new MassiveActivations(), batches), stored = storeValues(batches);
  for (const s of m.state().sites) {
    const want = new Map<number, number>();
    for (const x of stored.get(s.name)!) want.set(binOfBits(floatBits(x.abs)), (want.get(binOfBits(floatBits(x.abs))) ?? 0) + 1);
    const bins = decodeArray(s.bins, "uint32", "bins"), counts = decodeArray(s.counts, "float64", "counts");
    assert.deepEqual(new Map(Array.from(bins, (b, i) => [b, counts[i]])), want, s.name);
  }
});

test("MassiveActivations: merged shards (through JSON state) give the single pass's result, byte for byte", async () => {
  const batches = seeded(5, 8);
  const single = (await addAll(new MassiveActivations({ maxCandidates: 3, topK: 4 }), batches)).result();
  for (const cut of [1, 3, 6]) {
    const a = await addAll(new MassiveActivations({ maxCandidates: 3, topK: 4 }), batches.slice(0, cut));
    const b = await addAll(new MassiveActivations({ maxCandidates: 3, topK: 4 }), batches.slice(cut));
    const merged = new MassiveActivations({ maxCandidates: 3, topK: 4 }).mergeState(JSON.parse(JSON.stringify(b.state()))).mergeState(JSON.parse(JSON.stringify(a.state())));
    assert.deepEqual(merged.result(), single);
  }
  assert.ok(single.overflow.length > 0, "the small cap overflows somewhere, so the merge of drop records is exercised");
});

test("MassiveActivations refuses a non-finite activation and a width change, naming the site", async () => {
  const bad = encodedBatch({ tokens: [["[CLS]", "a", "[SEP]"]], sentenceIndex: [4], hidden: 2, layers: 1, value: (_s, _b, i, j) => (i === 1 && j === 1 ? Infinity : 1) });
  await assert.rejects(addAll(new MassiveActivations(), [bad]), /site hidden_states\.0: non-finite activation Infinity at sentence 4, token 1, dim 1/);
  const m = await addAll(new MassiveActivations(), [encodedBatch({ tokens: [["[CLS]", "[SEP]"]], sentenceIndex: [0], hidden: 2, layers: 1, value: () => 1 })]);
  await assert.rejects(addAll(m, [encodedBatch({ tokens: [["[CLS]", "[SEP]"]], sentenceIndex: [0], hidden: 3, layers: 1, value: () => 1 })]), /site hidden_states\.0: width 3 differs from the first batch \(2\)/);
  // reductions of another batch (another shape, or another number of sites) are refused, not misread
  const two = encodedBatch({ tokens: [["[CLS]", "a", "b", "[SEP]"]], sentenceIndex: [0], hidden: 2, layers: 1, value: () => 1 });
  const other = await reduceSites(jsReducer, bad);
  assert.throws(() => new MassiveActivations().add(two, other), /site hidden_states\.0: reductions of 3 x 2 for a batch of 4 x 2; reduce this very batch/);
  assert.throws(() => new MassiveActivations().add(two, { backend: "js", sites: [] }), /massive: 0 site reductions for 1 token sites/);
});
