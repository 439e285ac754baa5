import { test } from "node:test";
import assert from "node:assert/strict";
import { hyperparameterTable, paperPretrainingTable, sameSet, stsTable, supervisedTable, wicTable } from "../../src/figures/tables.js";
import { assertSnapshot } from "./snapshot.js";
import { syntheticSts, syntheticSupervised, syntheticWic } from "./fixtures.js";

test("wicTable gives this run's best cells x 100 and the paper's Table 1 rows labelled paper (synthetic)", () => {
  const t = wicTable([{ model: "m", result: syntheticWic() }]);
  assert.deepEqual(t.rows[0], ["this run", "synthetic pairs (10)", "m", 1, 0.5, 60, 1, 0.3, 70, 10, 40, null]);
  assert.deepEqual(t.rows[1].slice(2, 6), ["baseline (all True)", null, null, 50]);
  const paper = t.rows.filter((r) => r[0] === "paper");
  assert.deepEqual(paper.map((r) => r[2]), ["BERT-base", "RoBERTa-base", "baseline (all True)"]);
  assert.deepEqual(paper[0].slice(3, 10), [7, 0.7, 67.5, 10, 0.5, 68.4, 0.9]);
  assert.equal(wicTable([], { paper: "distil-large" }).rows.length, 5);
  assertSnapshot("table-wic-synthetic", t);
});

test("stsTable lists this run's sets and the paper's rows (GloVe included) for the same sets (synthetic)", () => {
  const t = stsTable([{ model: "m", set: "sts-b", result: syntheticSts() }]);
  assert.deepEqual(t.rows[0], ["this run", "sts-b", "m", 40, 1, 45, 1, 5]);
  assert.deepEqual(t.rows.slice(1).map((r) => r[2]), ["Avg GloVe", "BERT-base", "RoBERTa-base"]);
  assert.deepEqual(t.rows[2], ["paper", "STS-B", "BERT-base", 58.61, 3, 63.06, 2, 4.45]);
  assert.equal(stsTable([]).rows.length, 7 * 3);
  assert.ok(sameSet("STSBenchmark", "STS-B") && sameSet("sts12", "STS-12") && !sameSet("SICK-R", "STS-B"));
  assertSnapshot("table-sts-synthetic", t);
});

test("supervisedTable gives accuracy x 100, the change after clipping and the paper's rows (synthetic)", () => {
  const t = supervisedTable([{ model: "m", result: syntheticSupervised() }]);
  assert.deepEqual(t.rows[0], ["this run", "SST-2", "m", 80, 1, 75, 1, -5, 50]);
  assert.deepEqual(t.rows.slice(1).map((r) => [r[1], r[2], r[3]]), [["SST-2", "BERT-base", 85.9], ["SST-2", "RoBERTa-base", 88.4]]);
  assertSnapshot("table-supervised-synthetic", t);
});

test("hyperparameterTable lines up the logged settings of each model and its perplexity", () => {
  const log = (h: Record<string, unknown>, p: number | null) => ({ file: "x", finalPerplexity: p, perplexityCurve: [], hyperparameters: h, raw: {} });
  const t = hyperparameterTable([{ model: "pos", log: log({ layers: 4, lr: 0.001, workdir: "/tmp/x" }, 12.345) }, { model: "nopos", log: log({ layers: 4, steps: 10 }, null) }]);
  assert.deepEqual(t.columns, ["setting", "pos", "nopos"]);
  assert.deepEqual(t.rows, [["layers", 4, 4], ["lr", 0.001, null], ["steps", null, 10], ["final validation perplexity", 12.35, null]]);
  assert.equal(paperPretrainingTable().rows.length, 14);
});
