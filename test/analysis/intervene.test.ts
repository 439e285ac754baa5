import { test } from "node:test";
import assert from "node:assert/strict";
import { interventionStatement, randomDims, rangeList, resolveIntervention, summarise } from "../../src/analysis/intervene.js";

test("randomDims draws distinct sorted dims, never the excluded ones, the same for the same seed", () => {
  const draws = randomDims(10, 3, [0, 1, 2], 50, 4);
  assert.equal(draws.length, 50);
  for (const d of draws) {
    assert.equal(new Set(d).size, 3);
    assert.deepEqual(d, [...d].sort((a, b) => a - b));
    assert.ok(d.every((x) => x >= 3 && x < 10));
  }
  assert.deepEqual(randomDims(10, 3, [0, 1, 2], 50, 4), draws);
  assert.notDeepEqual(randomDims(10, 3, [0, 1, 2], 50, 5), draws);
  // every allowed dim turns up over 50 draws of 3 from 7
  assert.deepEqual([...new Set(draws.flat())].sort((a, b) => a - b), [3, 4, 5, 6, 7, 8, 9]);
  assert.throws(() => randomDims(4, 3, [0, 1], 1, 0), /3 requested but only 2 dims remain/);
});

test("summarise gives the mean, the sample sd and the 95% t-interval of the mean", () => {
  // [1, 2, 3]: mean 2, sd 1, half-width t(2) * 1 / sqrt 3 = 4.303 / 1.732
  const s = summarise([1, 2, 3]);
  assert.equal(s.mean, 2);
  assert.equal(s.sd, 1);
  assert.ok(Math.abs(s.interval95[1] - (2 + 4.303 / Math.sqrt(3))) < 1e-12);
  assert.deepEqual(summarise([5]), { mean: 5, sd: 0, interval95: [5, 5] });
});

test("rangeList writes runs as ranges", () => {
  assert.equal(rangeList([0, 1, 2, 3, 5, 7, 8]), "0-3, 5, 7, 8");
  assert.equal(rangeList([4]), "4");
});

test("interventionStatement reads as the issue phrases it", () => {
  const c = { clean: 2, ablated: 5.5, random: { repeats: 3, dims: [], scores: [1, 2, 3], mean: 2, sd: 1, interval95: [-0.5, 4.5] as [number, number] } };
  assert.equal(interventionStatement("MLM loss", c, [308, 381], [0, 1, 2, 3], "hidden_states", "zero", 2),
    "ablating dims 308, 381 (zero, hidden_states, layers 0-3) raises the MLM loss from 2.00 to 5.50; random dims: 2.00 ± 2.50 (mean and 95% interval over 3 draws of 2 dims; sd 1.00)");
  assert.match(interventionStatement("STS Spearman", { ...c, ablated: 1 }, [7], [12], "hidden_states", "mean", 1), /^ablating dim 7 \(mean, hidden_states, layer 12\) lowers the STS Spearman from 2\.0 to 1\.0/);
});

test("resolveIntervention pins the defaults and says what is valid", () => {
  assert.deepEqual(resolveIntervention({ dims: [3, 1] }, 8), { dims: [1, 3], layers: "all", site: "hidden_states", ablation: "zero", value: null, repeats: 10, seed: 0 });
  assert.throws(() => resolveIntervention({ dims: [8] }, 8), /invalid dim: 8; expected an integer in 0\.\.7 \(width 8\)/);
  assert.throws(() => resolveIntervention({ dims: [] }, 8), /invalid dims: \[\]; give at least one dim in 0\.\.7/);
  assert.throws(() => resolveIntervention({ dims: [1, 1] }, 8), /each dim once/);
  assert.throws(() => resolveIntervention({ dims: [1], site: "attn" as never }, 8), /invalid site: "attn"; expected one of hidden_states, ln_weight, ln_bias, position_table/);
  assert.throws(() => resolveIntervention({ dims: [1], ablation: "clip" as never }, 8), /invalid ablation: "clip"; expected one of zero, mean, value/);
  assert.throws(() => resolveIntervention({ dims: [1], ablation: "value" }, 8), /ablation "value" needs a finite value/);
  assert.throws(() => resolveIntervention({ dims: [1], value: 2 }, 8), /value is only for ablation "value"/);
  assert.throws(() => resolveIntervention({ dims: [0, 1, 2, 3, 4] }, 8), /ablate at most 4/);
  assert.throws(() => resolveIntervention({ dims: [1], repeats: 0 }, 8), /invalid repeats: 0/);
});
