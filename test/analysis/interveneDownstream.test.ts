/** Downstream interventions on a SYNTHETIC checkpoint (test/fixtures/heads/bert, seeded random weights). */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as path from "node:path";
import { interveneDownstream } from "../../src/analysis/interveneDownstream.js";
import { evaluateSts } from "../../src/analysis/sts.js";
import { loadStsB } from "../../src/data/formats/sts.js";
import { buildSensePairs } from "../../src/data/wordnet.js";
import { createEncoder } from "../../src/model/encoder.js";
import { ablationVectors } from "../../src/model/onnx/edits.js";

const root = path.join(__dirname, "..", "..", "..");
const MODEL = path.join(root, "test", "fixtures", "heads", "bert");
const set = loadStsB(path.join(root, "test", "fixtures", "data", "stsb", "smoke.csv"));

test("interveneDownstream sts: clean and ablated scores equal evaluateSts on an encoder built with the same edits", async () => {
  const r = await interveneDownstream(MODEL, { score: "sts", sts: set, dims: [2, 9], layers: [1, 2], repeats: 2, threads: 1 });
  const direct = async (edits: Parameters<typeof createEncoder>[1]) => {
    const e = await createEncoder(MODEL, { threads: 1, ...edits });
    try {
      return 100 * (await evaluateSts(e, set, { layers: [2] })).layers[2].raw.all.spearman!;
    } finally {
      await e.dispose();
    }
  };
  assert.equal(r.clean, await direct({}));
  const { keep, fill } = ablationVectors(32, [2, 9]);
  assert.equal(r.ablated, await direct({ edits: [1, 2].map((l) => ({ target: `hidden_states.${l}`, width: 32, keep, fill })) }));
  assert.equal(r.layer, 2);
  assert.equal(r.random.scores.length, 2);
  assert.match(r.statement, /^ablating dims 2, 9 \(zero, hidden_states, layers 1, 2\) (raises|lowers|leaves) the STS Spearman/);
  await assert.rejects(interveneDownstream(MODEL, { score: "sts", dims: [1] }), /score sts: no STS set given/);
});

test("interveneDownstream wic: mean ablation of a site fits on the corpus and scores the held-out half", async () => {
  const pairs = buildSensePairs({ n: 20, seed: 1 }).pairs;
  const r = await interveneDownstream(MODEL, { score: "wic", pairs, dims: [5], site: "ffn_out", layers: [1], ablation: "mean", fitSample: 10, repeats: 1, threads: 1 });
  assert.deepEqual(r.targets, ["ffn_out.1"]);
  assert.ok(r.clean >= 0 && r.clean <= 100);
  assert.equal(r.settings.fitSample, 10);
  assert.equal(r.data.pairs, 20);
});

test("interveneDownstream probe: the position probe's held-out accuracy at the scored layer", async () => {
  const r = await interveneDownstream(MODEL, { score: "probe", dims: [0, 1], layers: [0], layer: 1, sample: 40, corpus: "brown", repeats: 1, threads: 1 });
  assert.equal(r.layer, 1);
  assert.ok(r.clean > 0 && r.clean <= 100);
  assert.match(r.score, /^position-probe accuracy x 100 at layer 1 \(held-out sentences of 40 from corpus brown\)/);
  assert.match(r.statement, /the position-probe accuracy/);
});
