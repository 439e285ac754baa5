import { test } from "node:test";
import assert from "node:assert/strict";
import { outlierOrigins, rowStats } from "../../src/analysis/origins.js";
import type { StaticTensors } from "../../src/model/types.js";

// SYNTHETIC static tensors, hidden 4: position row 0 carries a spike of -8 in dim 2 (a planted "min" outlier).
const tensors = (): StaticTensors => ({
  architecture: "bert", hidden: 4, positionOffset: 0,
  positionEmbeddings: { rows: 3, data: Float32Array.from([0, 0, -8, 0, 1, 2, 3, 4, 0, 1, 0, -1]) },
  tokenTypeEmbeddings: { rows: 1, data: Float32Array.from([1, 1, 1, 1]) },
  layerNorms: [{ layer: 0, which: "embeddings", gamma: Float32Array.from([1, 2, 5, 1]), beta: Float32Array.from([0, -3, 1, 2]) }],
});

test("outlierOrigins finds the position row carrying a min outlier, with its z-score and ranks", () => {
  // row 0: mean -2, deviations (2, 2, -6, 2), population sd sqrt(48/4) = sqrt(12); z(dim 2) = -6/sqrt(12) = -1.7320508
  const r = outlierOrigins(tensors(), [{ dim: 2, kind: "min" }], { minZ: 1.5 });
  const d = r.dimensions[0];
  assert.deepEqual(d.carriers, [{ row: 0, position: 0, value: -8, z: -1.732051, absRank: 1 }]);
  assert.equal(d.carrierCount, 1);
  // argmin of rows: row 0 -> dim 2, row 1 -> dim 0, row 2 -> dim 3; argmax: row 0 -> dim 0, row 1 -> dim 3, row 2 -> dim 1
  assert.deepEqual(d.argminRows, { count: 1, share: 0.3333333, rows: [0] });
  assert.deepEqual(d.argmaxRows, { count: 0, share: 0, rows: [] });
  assert.deepEqual(d.positionValues, [-8, 3, 0]);
  // token-type row is constant: sd 0, so z is reported as 0
  assert.deepEqual(d.tokenTypes, [{ row: 0, position: null, value: 1, z: 0, absRank: 1 }]);
  // gamma (1,2,5,1): dim 2 largest; beta (0,-3,1,2): 1 is 2nd largest, |1| is 3rd of (0,3,1,2)
  assert.deepEqual(d.layerNorms, [{ layer: 0, which: "embeddings", gamma: 5, beta: 1, gammaRank: 1, betaRank: 2, betaAbsRank: 3 }]);
  assert.deepEqual(r.settings, { minZ: 1.5, top: 10 });
});

test("outlierOrigins reports the embedding row and the token position apart (RoBERTa offset)", () => {
  const t = { ...tensors(), architecture: "roberta" as const, positionOffset: 2 };
  const d = outlierOrigins(t, [{ dim: 2, kind: "min" }], { minZ: 1.5 }).dimensions[0];
  assert.equal(d.carriers[0].row, 0);
  assert.equal(d.carriers[0].position, -2);
});

test("outlierOrigins with the default minZ 4 finds no carrier in a 4-wide row (|z| <= sqrt(3))", () => {
  assert.equal(outlierOrigins(tensors(), [2]).dimensions[0].carrierCount, 0);
  assert.equal(outlierOrigins(tensors(), [2]).dimensions[0].kind, null);
});

test("outlierOrigins handles a model without position or token-type tables", () => {
  const t = { ...tensors(), positionEmbeddings: null, tokenTypeEmbeddings: null };
  const d = outlierOrigins(t, [1]).dimensions[0];
  assert.deepEqual([d.positionValues, d.tokenTypes, d.argminRows.share], [[], [], 0]);
});

test("outlierOrigins rejects a dimension out of range", () => {
  assert.throws(() => outlierOrigins(tensors(), [4]), /^RangeError: invalid dimension: 4; expected an integer in \[0, 3\]/);
  assert.throws(() => outlierOrigins(tensors(), [1], { minZ: -1 }), /invalid minZ: -1/);
});

test("rowStats gives each row's mean, sd, argmin and argmax", () => {
  const s = rowStats(Float32Array.from([1, 3, 2, 2]), 2, 2);
  assert.deepEqual([...s.mean, ...s.sd, ...s.argmin, ...s.argmax], [2, 2, 1, 0, 0, 0, 1, 0]);
});

test("outlierOrigins reports every position-bearing tensor a family declares, or says plainly there is none", async () => {
  const { loadCheckpoint, staticTensors } = await import("../../src/model/checkpoint.js");
  const path = await import("node:path");
  const fixtures = path.join(__dirname, "..", "..", "..", "test", "fixtures", "families");
  // SYNTHETIC fixtures (random weights): the structure of the report is what is checked, not the values
  const mp = outlierOrigins(staticTensors(loadCheckpoint(path.join(fixtures, "mpnet"))), [{ dim: 3, kind: "max" }]);
  assert.deepEqual(mp.positionTensors.map((t) => [t.name, t.kind, t.rows, t.cols, t.hiddenSpace]), [
    ["embeddings.position_embeddings.weight", "absolute", 258, 32, true],
    ["encoder.relative_attention_bias.weight", "relative", 32, 4, false],
  ]);
  assert.equal(mp.positionTensors[1].columnRange.length, 4);
  assert.match(mp.positionStatement, /^2 position-bearing tensors .*encoder\.relative_attention_bias\.weight \[32 x 4\] \(relative; rows: relative-distance bucket/);
  assert.equal(mp.positionOffset, 2);
  const db = outlierOrigins(staticTensors(loadCheckpoint(path.join(fixtures, "deberta-v3"))), [5]);
  assert.deepEqual(db.positionTensors.map((t) => [t.name, t.kind, t.hiddenSpace]), [["encoder.rel_embeddings.weight", "relative", true]]);
  assert.deepEqual(db.dimensions[0].tables.map((t) => t.name), ["encoder.rel_embeddings.weight"]);
  assert.ok(db.dimensions[0].layerNorms.some((l) => l.which === "relative" && l.site === "LayerNorm of rel_embeddings"));
  const mb = outlierOrigins(staticTensors(loadCheckpoint(path.join(fixtures, "modernbert"))), [1]);
  assert.deepEqual(mb.positionTensors, []);
  assert.equal(mb.positionRows, 0);
  assert.match(mb.positionStatement, /^No position-bearing tensor to inspect: the position scheme is rotary \(RoPE\)/);
  assert.deepEqual(mb.dimensions[0].layerNorms.map((l) => l.site).filter((s, i, a) => a.indexOf(s) === i),
    ["embeddings norm", "pre-LN before the MLP", "pre-LN before attention", "final norm (its output is hidden_states.L)"]);
});
