/**
 * Masked-LM heads against transformers 5: every fixture in test/fixtures/heads/ (SYNTHETIC *ForMaskedLM
 * checkpoints with seeded random weights, written by tools/reference/make_head_fixtures.py) is opened
 * with MaskedLm and its logits for every real token must equal transformers' within 1e-5 relative
 * (|ours - ref| <= 1e-5 * max(1, max|ref|)), the family tests' tolerance.
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { MaskedLm } from "../../src/model/mlm.js";
import { loadMlmHead } from "../../src/model/heads.js";
import { readConfig } from "../../src/model/config.js";

const HEADS = path.join(__dirname, "..", "..", "..", "test", "fixtures", "heads");
const RELATIVE = 1e-5;

interface HeadFixture {
  name: string; model_class: string; input_ids: number[][]; vocab: number; shape: number[]; max_abs: number;
  tie_word_embeddings: boolean; data: { bytes: number; sha256: string }; command: string;
}

function load(name: string): { fx: HeadFixture; values: Float32Array; dir: string } {
  const dir = path.join(HEADS, name);
  const fx = JSON.parse(fs.readFileSync(path.join(dir, "reference.json"), "utf8")) as HeadFixture;
  const bytes = fs.readFileSync(path.join(dir, "reference.f32"));
  if (crypto.createHash("sha256").update(bytes).digest("hex") !== fx.data.sha256) throw new Error(`${dir}/reference.f32: sha256 differs; regenerate with ${fx.command}`);
  const values = new Float32Array(bytes.length / 4);
  new Uint8Array(values.buffer).set(bytes);
  return { fx, values, dir };
}

const names = fs.readdirSync(HEADS, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name).sort();

test("head fixtures cover every head the issue names, tied and untied", () => {
  assert.deepEqual(names, ["bert", "distilbert", "modernbert", "mpnet", "roberta", "roberta-untied", "xlm-roberta"]);
});

for (const name of names) {
  test(`head fixture ${name}: our logits equal transformers' within 1e-5 relative`, async () => {
    const { fx, values, dir } = load(name);
    const lm = await MaskedLm.open(dir, { threads: 1 });
    try {
      assert.equal(lm.head.className, fx.model_class);
      assert.equal(lm.head.tied, fx.tie_word_embeddings);
      const ids = fx.input_ids.map((r) => Int32Array.from(r));
      // our tokenizer gives the same ids as transformers' (the fixture sentences, one with the mask token)
      const { logits } = await lm.run({ ids, positions: ids.map((r) => Array.from(r, (_, t) => t)) });
      assert.equal(logits.length, values.length);
      let d = 0;
      for (let i = 0; i < values.length; ++i) d = Math.max(d, Math.abs(logits[i] - values[i]));
      const tol = RELATIVE * Math.max(1, fx.max_abs);
      assert.ok(d <= tol, `${name}: max |ours - transformers| = ${d}, tolerance ${tol}`);
    } finally {
      await lm.dispose();
    }
  });
}

test("MaskedLm scores only the asked-for rows, in row then position order", async () => {
  const { fx, values, dir } = load("bert");
  const lm = await MaskedLm.open(dir, { threads: 1 });
  try {
    const ids = fx.input_ids.map((r) => Int32Array.from(r));
    const { logits } = await lm.run({ ids, positions: [[2], [], [0, 3]] });
    const V = fx.vocab;
    const start = [0, ids[0].length, ids[0].length + ids[1].length];
    const want = [start[0] + 2, start[2] + 0, start[2] + 3];
    assert.equal(logits.length, 3 * V);
    want.forEach((row, k) => {
      for (let v = 0; v < V; ++v) assert.ok(Math.abs(logits[k * V + v] - values[row * V + v]) <= 1e-4);
    });
  } finally {
    await lm.dispose();
  }
});

test("loadMlmHead names the missing head tensors and offers the downstream scores", () => {
  // the family fixture is a bare BertModel: no cls.predictions.*
  const dir = path.join(__dirname, "..", "..", "..", "test", "fixtures", "families", "bert");
  assert.throws(() => loadMlmHead(dir, readConfig(dir)), /no BertForMaskedLM head: cls\.predictions\.transform\.dense\.weight, .*cls\.predictions\.decoder\.bias or cls\.predictions\.bias are missing .*score sts, wic or probe/);
});

test("loadMlmHead refuses an untied config without a stored decoder", () => {
  const src = path.join(HEADS, "roberta");
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pa-head-"));
  try {
    for (const f of fs.readdirSync(src)) fs.copyFileSync(path.join(src, f), path.join(dir, f));
    const config = JSON.parse(fs.readFileSync(path.join(dir, "config.json"), "utf8"));
    fs.writeFileSync(path.join(dir, "config.json"), JSON.stringify({ ...config, tie_word_embeddings: false }));
    assert.throws(() => loadMlmHead(dir, readConfig(dir)), /tie_word_embeddings is false but lm_head\.decoder\.weight is missing/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
