/**
 * OutlierNorms (norms.ts): exact values on a hand-made batch, merge equal to one pass, and every
 * statistic against a naive float64 recomputation from all stored activations (SYNTHETIC seeded
 * batches with padding, extra sites and a planted outlier dim).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { OutlierNorms, dimKurtosis } from "../../src/analysis/norms.js";
import { createRandom } from "../../src/numerics/random.js";
import type { EncodedBatch } from "../../src/model/types.js";
import { encodedBatch, randomSentences } from "./helpers/encodedBatch.js";
import { checkNormsNaive, near } from "./helpers/siteNaive.js";
import { createOrtReducer, jsReducer, type Reducer } from "../../src/model/reductions.js";
import { rowMoments } from "../../src/analysis/normsSite.js";

/** Adds every batch through the plain-TypeScript reducer (model/reductions.ts), in order. */
async function addAll(n: OutlierNorms, batches: readonly EncodedBatch[], reducer: Reducer = jsReducer): Promise<OutlierNorms> {
  for (const b of batches) await n.addWith(reducer, b);
  return n;
}

const r6 = (x: number) => Number(x.toPrecision(7));

test("OutlierNorms: infinity norms, kurtosis and argmax dims on a hand-made batch", async () => {
  // 3 tokens x 4 dims. Token kurtosis: [CLS] (4,0,0,0): mean 1, deviations 3,-1,-1,-1: m2 = 3, m4 = 21, 21/9 = 7/3
  const vals = [[4, 0, 0, 0], [1, -2, 1, -2], [0, 0, 1, 3]];
  const enc = encodedBatch({ tokens: [["[CLS]", "cat", "[SEP]"]], sentenceIndex: [2], hidden: 4, layers: 1, value: (_s, _b, i, j) => vals[i][j] });
  const s = (await addAll(new OutlierNorms(), [enc])).result().sites[0];
  assert.deepEqual(s.infNorm, { max: 4, mean: 3, at: { sentence: 2, token: "[CLS]", position: 0, dim: 0, class: "cls" } });
  assert.deepEqual(s.byClass.first, { tokens: 1, max: 2, mean: 2 });
  assert.deepEqual(s.byClass.punct, { tokens: 0, max: null, mean: null });
  // token 2 (1,-2,1,-2): mean -0.5, deviations ±1.5: kurtosis 1; token 3 (0,0,1,3): mean 1, dev -1,-1,0,2: m2 1.5, m4 4.5, 2
  assert.deepEqual(s.tokenKurtosis, { mean: r6((7 / 3 + 1 + 2) / 3), max: r6(7 / 3), degenerate: 0 });
  // argmax |a|: dim 0 ([CLS]), dim 1 (first of the tied |-2|s), dim 3
  assert.deepEqual(s.dims, [{ dim: 0, count: 1, share: r6(1 / 3) }, { dim: 1, count: 1, share: r6(1 / 3) }, { dim: 3, count: 1, share: r6(1 / 3) }]);
  // dim 0 over tokens (4, 1, 0): mean 5/3
  const d = [4 - 5 / 3, 1 - 5 / 3, -5 / 3];
  const m2 = d.reduce((a, x) => a + x * x, 0), m4 = d.reduce((a, x) => a + x ** 4, 0);
  assert.equal(s.dimKurtosis.values[0], r6((3 * m4) / (m2 * m2)));
  assert.equal(dimKurtosis(1, 0, 0), null);
});

test("rowMoments keeps the reductions' m2, m4 unless float32 rounding may have lost the row: then float64 from the row", () => {
  const row = new Float32Array(384).fill(0.1);
  // a constant row: float32 sums leave a tiny m2 > 0 (here 1e-16 about a mean off in the 7th digit); float64 finds it constant
  assert.deepEqual(rowMoments(row, 0, 384, 0.1000001, 1e-16, 1e-32), [0, 0]);
  // m4 overflowed float32 (values ~1e10): recomputed in float64, finite
  const big = Float32Array.from({ length: 4 }, (_, j) => (j === 0 ? 4e10 : 0));
  const [m2, m4] = rowMoments(big, 0, 4, 1e10, 3e20, Infinity);
  assert.ok(Number.isFinite(m4) && Math.abs(m4 / (m2 * m2) - 7 / 3) < 1e-12, `${m2} ${m4}`);
  // an ordinary row: the reductions' own figures
  assert.deepEqual(rowMoments(Float32Array.from([4, 0, 0, 0]), 0, 4, 1, 3, 21), [3, 21]);
});

test("OutlierNorms pins its defaults", () => {
  const r = new OutlierNorms().result();
  assert.deepEqual(r.settings, { topDims: 5, tokens: "all", kurtosis: "pearson" });
  assert.throws(() => new OutlierNorms({ topDims: -1 }), /invalid norms\.topDims: -1/);
});

function seeded(seed: number, batches: number): EncodedBatch[] {
  const g = createRandom(seed);
  return Array.from({ length: batches }, (_, k) => {
    const tokens = randomSentences(g, 1 + g.int(4));
    return encodedBatch({
      tokens, sentenceIndex: tokens.map((_, b) => k * 10 + b), hidden: 6, layers: 2, sites: { "ffn_resid.1": 6 },
      // dim 3 is an outlier (mean 8, heavy on [SEP]); the others normal around 0.3
      value: (_site, b, i, j) => (j === 3 ? 8 + (tokens[b][i] === "[SEP]" ? 30 : g.normal()) : 0.3 + g.normal()),
    });
  });
}

for (const backend of ["js", "onnxruntime"] as const) {
  test(`OutlierNorms agrees with a naive float64 recomputation from every stored activation (seeded batches, padding, extra site; ${backend} reducer)`, async () => {
    const reducer = backend === "js" ? jsReducer : await createOrtReducer({ threads: 1 });
    try {
      const batches = seeded(3, 10);
      const r = (await addAll(new OutlierNorms(), batches, reducer)).result();
      checkNormsNaive(r, batches);
      // the planted outlier dim 3 dominates and is the most kurtotic (its [SEP] values are far out)
      assert.equal(r.sites[0].dims[0].dim, 3);
      assert.equal(r.sites[0].dimKurtosis.maxDim, 3);
      // a dim of large mean and small spread (as real outlier dims): the float32 centring's error is shifted out
      const narrow = Array.from({ length: 6 }, (_, k) => {
        const g = createRandom(40 + k), tokens = randomSentences(g, 2 + g.int(30));
        return encodedBatch({ tokens, sentenceIndex: tokens.map((_, b) => k * 100 + b), hidden: 4, layers: 1, value: (_s, _b, _i, j) => (j === 1 ? 23.7 + 0.004 * g.normal() + 0.002 * g.normal() ** 2 : g.normal()) });
      });
      checkNormsNaive((await addAll(new OutlierNorms(), narrow, reducer)).result(), narrow);
    } finally {
      await reducer.release();
    }
  });
}

test("OutlierNorms: merged shards (through JSON state) equal the single pass (counts exactly, moments to 1e-6 relative)", async () => {
  const batches = seeded(8, 9);
  const single = (await addAll(new OutlierNorms(), batches)).result();
  for (const cut of [1, 4, 8]) {
    const a = await addAll(new OutlierNorms(), batches.slice(0, cut));
    const b = await addAll(new OutlierNorms(), batches.slice(cut));
    const merged = new OutlierNorms().mergeState(JSON.parse(JSON.stringify(b.state()))).merge(a).result();
    for (const [i, s] of merged.sites.entries()) {
      const w = single.sites[i];
      assert.deepEqual({ ...s, dimKurtosis: null, tokenKurtosis: null, infNorm: { ...s.infNorm, mean: null } }, { ...w, dimKurtosis: null, tokenKurtosis: null, infNorm: { ...w.infNorm, mean: null } });
      s.dimKurtosis.values.forEach((k, j) => near(k, w.dimKurtosis.values[j]!, 1e-6, `${s.site} dim ${j}`));
      near(s.tokenKurtosis.mean, w.tokenKurtosis.mean!, 1e-6, `${s.site} token kurtosis`);
    }
  }
});
