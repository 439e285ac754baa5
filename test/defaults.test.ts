import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { defaultModels, readTrainingLog } from "../src/defaults.js";

test("defaultModels resolves models/mlm-pos and models/mlm-nopos from the package root", () => {
  const root = path.resolve(__dirname, "..", "..");
  assert.deepEqual(defaultModels(), { withPositions: path.join(root, "models", "mlm-pos"), withoutPositions: path.join(root, "models", "mlm-nopos") });
});

function logDir(content: unknown): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pa-log-"));
  fs.writeFileSync(path.join(dir, "training_log.json"), typeof content === "string" ? content : JSON.stringify(content));
  return dir;
}

test("readTrainingLog takes the explicit final perplexity and the hyperparameters", () => {
  const log = readTrainingLog(logDir({ final_perplexity: 12.5, hyperparameters: { layers: 4 }, evaluations: [{ step: 10, perplexity: 40 }] }));
  assert.equal(log.finalPerplexity, 12.5);
  assert.deepEqual(log.perplexityCurve, [{ step: 10, perplexity: 40 }]);
  assert.deepEqual(log.hyperparameters, { layers: 4 });
});

test("readTrainingLog falls back to the last evaluation, converting a loss in nats to exp(loss)", () => {
  const log = readTrainingLog(logDir({ history: [{ step: 1, valid_loss: Math.log(100) }, { step: 2, valid_loss: Math.log(20) }] }));
  assert.ok(Math.abs(log.finalPerplexity! - 20) < 1e-9);
  assert.deepEqual(log.hyperparameters, {});
  assert.equal(readTrainingLog(logDir({})).finalPerplexity, null);
});

test("readTrainingLog reads tools/train's layout: final.heldout_ppl and evals with heldout_ppl", () => {
  const log = readTrainingLog(logDir({ evals: [{ step: 200, heldout_loss: 6.5, heldout_ppl: 700 }], final: { heldout_ppl: 386.07 }, args: { layers: 4 } }));
  assert.equal(log.finalPerplexity, 386.07);
  assert.deepEqual(log.perplexityCurve, [{ step: 200, perplexity: 700 }]);
  assert.deepEqual(log.hyperparameters, { layers: 4 });
});

test("readTrainingLog names the file and the fix when the log is missing or broken", () => {
  assert.throws(() => readTrainingLog(path.join(os.tmpdir(), "no-such-model")), /training_log\.json: cannot read the training log; train the model first/);
  assert.throws(() => readTrainingLog(logDir("{")), /training_log\.json: not valid JSON/);
  assert.throws(() => readTrainingLog(logDir("[1]")), /expected a JSON object/);
});
