import { test } from "node:test";
import assert from "node:assert/strict";
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { canonicalName, loadCheckpoint, staticTensors } from "../../src/model/checkpoint.js";
import { parseConfig } from "../../src/model/config.js";
import { readSafetensors, writeSafetensors } from "../../src/model/safetensors.js";
import { writeSyntheticCheckpoint } from "./synthCheckpoint.js";

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "ckpt-test-"));
process.on("exit", () => fs.rmSync(tmp, { recursive: true, force: true }));

test("loadCheckpoint maps prefixed RoBERTa keys, ignores the head, and hashes the files", () => {
  const s = writeSyntheticCheckpoint(path.join(tmp, "rob"), "roberta", { prefixed: true, seed: 2 });
  const c = loadCheckpoint(s.dir);
  assert.equal(c.config.architecture, "roberta");
  assert.equal(c.dtype, "F32");
  assert.equal(c.weights.has("embeddings.word_embeddings.weight"), true);
  assert.equal([...c.weights.keys()].some((k) => k.startsWith("roberta.") || k.startsWith("lm_head")), false);
  assert.equal(c.weights.size, 5 + 2 * 16);
  assert.deepEqual(Array.from(c.weights.get("encoder.layer.1.attention.self.key.bias")!.data), Array.from(s.tensors["roberta.encoder.layer.1.attention.self.key.bias"].data));
  const st = fs.readFileSync(path.join(s.dir, "model.safetensors"));
  assert.deepEqual(c.files.map((f) => f.name), ["config.json", "model.safetensors"]);
  assert.deepEqual(c.files[1], { name: "model.safetensors", bytes: st.length, sha256: crypto.createHash("sha256").update(st).digest("hex") });
});

test("canonicalName maps DistilBERT and TF gamma/beta keys and drops heads and buffers", () => {
  const d = parseConfig({ model_type: "distilbert", dim: 8, n_layers: 1, n_heads: 2, hidden_dim: 16, vocab_size: 20, max_position_embeddings: 16 }, "config.json");
  const b = parseConfig({ model_type: "bert", hidden_size: 8, num_hidden_layers: 1, num_attention_heads: 2, intermediate_size: 16, vocab_size: 20, max_position_embeddings: 16 }, "config.json");
  assert.equal(canonicalName("distilbert.transformer.layer.0.attention.q_lin.weight", d), "encoder.layer.0.attention.self.query.weight");
  assert.equal(canonicalName("distilbert.transformer.layer.0.sa_layer_norm.bias", d), "encoder.layer.0.attention.output.LayerNorm.bias");
  assert.equal(canonicalName("distilbert.transformer.layer.0.ffn.lin2.weight", d), "encoder.layer.0.output.dense.weight");
  assert.equal(canonicalName("distilbert.transformer.layer.0.output_layer_norm.weight", d), "encoder.layer.0.output.LayerNorm.weight");
  assert.equal(canonicalName("vocab_projector.bias", d), null);
  assert.equal(canonicalName("bert.encoder.layer.0.output.LayerNorm.gamma", b), "encoder.layer.0.output.LayerNorm.weight");
  assert.equal(canonicalName("bert.embeddings.position_ids", b), null);
  assert.equal(canonicalName("cls.predictions.transform.dense.weight", b), null);
  assert.equal(canonicalName("pooler.dense.weight", b), null);
});

test("staticTensors returns position and token-type tables and 2L+1 LayerNorms in order", () => {
  const s = writeSyntheticCheckpoint(path.join(tmp, "bert"), "bert", { seed: 3 });
  const st = staticTensors(loadCheckpoint(s.dir));
  assert.equal(st.positionOffset, 0);
  assert.equal(st.positionEmbeddings!.rows, 16);
  assert.deepEqual(Array.from(st.positionEmbeddings!.data), Array.from(s.tensors["embeddings.position_embeddings.weight"].data));
  assert.equal(st.tokenTypeEmbeddings!.rows, 2);
  assert.deepEqual(st.layerNorms.map((l) => `${l.layer}:${l.which}`), ["0:embeddings", "1:attention", "1:output", "2:attention", "2:output"]);
  assert.deepEqual(Array.from(st.layerNorms[3].gamma), Array.from(s.tensors["encoder.layer.1.attention.output.LayerNorm.weight"].data));
});

test("staticTensors: RoBERTa offset padding_idx + 1, DistilBERT no token types, none no positions", () => {
  const r = staticTensors(loadCheckpoint(writeSyntheticCheckpoint(path.join(tmp, "r2"), "roberta", { seed: 4 }).dir));
  assert.equal(r.positionOffset, 2);
  assert.equal(r.tokenTypeEmbeddings!.rows, 1);
  const d = staticTensors(loadCheckpoint(writeSyntheticCheckpoint(path.join(tmp, "d2"), "distilbert", { seed: 5 }).dir));
  assert.equal(d.tokenTypeEmbeddings, null);
  assert.equal(d.positionOffset, 0);
  assert.deepEqual(d.layerNorms.map((l) => l.which), ["embeddings", "attention", "output", "attention", "output"]);
  const n = staticTensors(loadCheckpoint(writeSyntheticCheckpoint(path.join(tmp, "n2"), "bert", { seed: 6, positionEmbeddingType: "none" }).dir));
  assert.equal(n.positionEmbeddings, null);
});

test("loadCheckpoint reads F16 weights as float32 and reports dtype F16", () => {
  const s = writeSyntheticCheckpoint(path.join(tmp, "f16"), "bert", { seed: 7, dtype: "F16" });
  const c = loadCheckpoint(s.dir);
  assert.equal(c.dtype, "F16");
  assert.deepEqual(Array.from(c.weights.get("embeddings.LayerNorm.bias")!.data), Array.from(s.tensors["embeddings.LayerNorm.bias"].data));
});

test("loadCheckpoint lists every shape mismatch and missing tensor at once, naming config fields", () => {
  const s = writeSyntheticCheckpoint(path.join(tmp, "bad"), "bert", { seed: 8 });
  const file = path.join(s.dir, "model.safetensors");
  const { tensors } = readSafetensors(file);
  const out: Record<string, { shape: number[]; data: Float32Array }> = {};
  for (const [k, t] of tensors) out[k] = { shape: t.shape, data: t.data };
  out["encoder.layer.1.attention.self.query.weight"] = { shape: [16, 8], data: new Float32Array(128) };
  delete out["encoder.layer.0.output.LayerNorm.bias"];
  writeSafetensors(file, out);
  assert.throws(() => loadCheckpoint(s.dir), (err: Error) => {
    assert.match(err.message, /the checkpoint does not match config\.json; use the config\.json saved with these weights, or re-save the checkpoint:/);
    assert.match(err.message, /model\.safetensors: encoder\.layer\.0\.output\.LayerNorm\.bias is missing \(expected shape \[8\] from config\.json hidden_size 8\)/);
    assert.match(err.message, /model\.safetensors: encoder\.layer\.1\.attention\.self\.query\.weight has shape \[16,8\], expected \[8,8\] from config\.json hidden_size 8/);
    return true;
  });
});

test("loadCheckpoint refuses a float tensor stored as I32 and a folder without safetensors", () => {
  const s = writeSyntheticCheckpoint(path.join(tmp, "i32"), "bert", { seed: 9 });
  const file = path.join(s.dir, "model.safetensors");
  // rewrite the header so embeddings.LayerNorm.bias claims I32 (same byte size as F32)
  const buf = fs.readFileSync(file);
  const n = Number(buf.readBigUInt64LE(0));
  const header = JSON.parse(buf.subarray(8, 8 + n).toString());
  header["embeddings.LayerNorm.bias"].dtype = "I32";
  const text = JSON.stringify(header).padEnd(n, " ");
  assert.equal(text.length, n);
  fs.writeFileSync(file, Buffer.concat([buf.subarray(0, 8), Buffer.from(text), buf.subarray(8 + n)]));
  assert.throws(() => loadCheckpoint(s.dir), /model\.safetensors: embeddings\.LayerNorm\.bias has dtype I32; only F32, F16 and BF16 are supported/);
  fs.rmSync(file);
  assert.throws(() => loadCheckpoint(s.dir), /no model\.safetensors or model\.safetensors\.index\.json; save the checkpoint with safetensors/);
});

test("loadCheckpoint reads sharded checkpoints through model.safetensors.index.json", () => {
  const s = writeSyntheticCheckpoint(path.join(tmp, "shard"), "bert", { seed: 10 });
  const { tensors } = readSafetensors(path.join(s.dir, "model.safetensors"));
  const keys = [...tensors.keys()].sort();
  const half = (ks: string[]) => Object.fromEntries(ks.map((k) => [k, { shape: tensors.get(k)!.shape, data: tensors.get(k)!.data }]));
  writeSafetensors(path.join(s.dir, "model-00001-of-00002.safetensors"), half(keys.slice(0, 10)));
  writeSafetensors(path.join(s.dir, "model-00002-of-00002.safetensors"), half(keys.slice(10)));
  const weight_map = Object.fromEntries(keys.map((k, i) => [k, i < 10 ? "model-00001-of-00002.safetensors" : "model-00002-of-00002.safetensors"]));
  fs.writeFileSync(path.join(s.dir, "model.safetensors.index.json"), JSON.stringify({ metadata: {}, weight_map }));
  fs.rmSync(path.join(s.dir, "model.safetensors"));
  const c = loadCheckpoint(s.dir);
  assert.equal(c.weights.size, keys.length);
  assert.deepEqual(c.files.map((f) => f.name), ["config.json", "model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors"]);
});
