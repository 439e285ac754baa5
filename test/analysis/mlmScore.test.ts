import { test } from "node:test";
import assert from "node:assert/strict";
import * as path from "node:path";
import { logProbAt, planMasks, planPseudo, scorePlan, type LogitsRunner } from "../../src/analysis/mlmScore.js";
import { MaskedLm } from "../../src/model/mlm.js";

// [CLS] a b c d e f g h i j [SEP] (10 real tokens), [CLS] [SEP] (nothing to mask), [CLS] x [SEP]
const rows = [
  { ids: [101, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 102], special: [1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1] },
  { ids: [101, 102], special: [1, 1] },
  { ids: [101, 42, 102], special: [1, 0, 1] },
];

test("planMasks masks round(rate * n) non-special tokens per sentence (at least one), seeded", () => {
  const plan = planMasks(rows, { maskId: 103, rate: 0.15, seed: 7 });
  // 10 tokens -> round(1.5) = 2; 1 token -> max(1, round(0.15)) = 1; the empty sentence is skipped
  assert.deepEqual(plan.rows.map((r) => [r.sentence, r.positions.length]), [[0, 2], [2, 1]]);
  assert.equal(plan.tokens, 3);
  assert.equal(plan.skipped, 1);
  for (const r of plan.rows) {
    r.positions.forEach((t, k) => {
      assert.equal(r.ids[t], 103);
      assert.equal(r.targets[k], rows[r.sentence].ids[t]);
      assert.equal(rows[r.sentence].special[t], 0);
    });
    assert.equal(r.ids.filter((id) => id === 103).length, r.positions.length);
  }
  assert.deepEqual(planMasks(rows, { maskId: 103, rate: 0.15, seed: 7 }), plan);
  assert.notDeepEqual(planMasks(rows, { maskId: 103, rate: 0.15, seed: 8 }).rows[0].positions, plan.rows[0].positions);
  assert.throws(() => planMasks(rows, { maskId: 103, rate: 0, seed: 1 }), /invalid rate: 0; expected a number in \(0, 1\]/);
});

test("planPseudo masks each non-special token alone", () => {
  const plan = planPseudo(rows, { maskId: 103 });
  assert.equal(plan.rows.length, 11);
  assert.equal(plan.skipped, 1);
  assert.deepEqual(plan.rows[10], { sentence: 2, ids: Int32Array.of(101, 103, 102), positions: [1], targets: [42] });
});

test("logProbAt is log softmax at the target, stable for large logits", () => {
  // softmax([0, ln 3]) = [1/4, 3/4]
  assert.ok(Math.abs(logProbAt([9, 0, Math.log(3), 9], 1, 2, 1) - Math.log(0.75)) < 1e-15);
  assert.ok(Math.abs(logProbAt([1000, 1000], 0, 2, 0) - Math.log(0.5)) < 1e-15);
});

test("scorePlan averages the NLL over masked tokens and counts top-1 hits", async () => {
  const plan = planPseudo([{ ids: [0, 1, 2, 0], special: [1, 0, 0, 1] }], { maskId: 3 });
  // vocab 4; the runner puts probability 1/2 on id 1 everywhere (logits ln 2 vs 0 for the other three ... )
  const run: LogitsRunner = async ({ positions }) => {
    const n = positions.flat().length;
    const out = new Float32Array(n * 4);
    for (let k = 0; k < n; ++k) out[k * 4 + 1] = Math.log(3); // p(1) = 3/6, others 1/6
    return out;
  };
  const s = await scorePlan(run, plan, 4, { batchSize: 1 });
  const want = (-Math.log(0.5) - Math.log(1 / 6)) / 2;
  assert.ok(Math.abs(s.loss - want) < 1e-6, `${s.loss} vs ${want}`);
  assert.equal(s.accuracy, 0.5);
  assert.equal(s.tokens, 2);
  assert.ok(Math.abs(s.perplexity - Math.exp(want)) < 1e-5);
});

test("the pseudo-log-likelihood loss of the embedded model equals transformers' on one sentence", async () => {
  // reference: transformers 5.25, BertForMaskedLM.from_pretrained("models/mlm-pos"), each of the 13 real tokens
  // masked alone, mean of -log_softmax(logits[t])[id_t] = 6.5771155540759745 nats (tools/reference venv, float32)
  const lm = await MaskedLm.open(path.join(__dirname, "..", "..", "..", "models", "mlm-pos"), { threads: 1 });
  try {
    const plan = planPseudo([lm.tokenize("The committee will meet again next week to discuss the new budget.")], { maskId: lm.maskId });
    const run: LogitsRunner = async (b) => (await lm.run(b)).logits;
    const s = await scorePlan(run, plan, lm.config.vocab, { batchSize: 5 });
    assert.equal(s.tokens, 13);
    assert.ok(Math.abs(s.loss - 6.5771155540759745) < 1e-5, `loss ${s.loss}`);
  } finally {
    await lm.dispose();
  }
});
