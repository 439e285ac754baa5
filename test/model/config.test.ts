import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { maxSequenceLength, parseConfig, readConfig } from "../../src/model/config.js";

const bert = { model_type: "bert", hidden_size: 32, num_hidden_layers: 2, num_attention_heads: 4, intermediate_size: 64, vocab_size: 100, max_position_embeddings: 64 };

test("parseConfig(bert) pins the Hugging Face defaults: type_vocab_size 2, eps 1e-12, pad 0, absolute, gelu", () => {
  const c = parseConfig(bert, "config.json");
  assert.deepEqual({ ...c, raw: undefined }, {
    architecture: "bert", modelType: "bert", embeddingSize: 32, options: {}, layers: 2, hidden: 32, heads: 4, intermediate: 64, vocab: 100, maxPositions: 64, typeVocab: 2,
    positionEmbeddingType: "absolute", layerNormEps: 1e-12, padTokenId: 0, hiddenAct: "gelu", raw: undefined,
  });
  assert.equal(maxSequenceLength(c), 64);
});

test("parseConfig(roberta) defaults pad_token_id to 1 and loses padding_idx + 1 positions", () => {
  const c = parseConfig({ ...bert, model_type: "roberta", max_position_embeddings: 66, type_vocab_size: 1, layer_norm_eps: 1e-5 }, "config.json");
  assert.equal(c.padTokenId, 1);
  assert.equal(c.typeVocab, 1);
  assert.equal(c.layerNormEps, 1e-5);
  assert.equal(maxSequenceLength(c), 64);
});

test("parseConfig(distilbert) reads dim/n_layers/n_heads/hidden_dim, has no token types and eps 1e-12", () => {
  const c = parseConfig({ model_type: "distilbert", dim: 16, n_layers: 3, n_heads: 2, hidden_dim: 40, vocab_size: 50, max_position_embeddings: 32, activation: "gelu", layer_norm_eps: 0.5 }, "config.json");
  assert.deepEqual([c.hidden, c.layers, c.heads, c.intermediate, c.typeVocab, c.layerNormEps], [16, 3, 2, 40, 0, 1e-12]);
});

test("parseConfig refuses an unsupported model_type, listing the supported ones", () => {
  assert.throws(() => parseConfig({ ...bert, model_type: "gpt2" }, "m/config.json"), /m\/config\.json: model_type "gpt2" is not supported; expected one of bert, roberta, distilbert/);
});

test("parseConfig refuses relative position embeddings and non-erf activations with a reason", () => {
  assert.throws(() => parseConfig({ ...bert, position_embedding_type: "relative_key" }, "config.json"),
    /config\.json: position_embedding_type "relative_key" is not supported \(relative position embeddings add a learned distance term .*\); expected "absolute" or "none"/);
  assert.throws(() => parseConfig({ ...bert, hidden_act: "swish" }, "config.json"), /hidden_act "swish" is not supported; expected one of "gelu", "gelu_new", "gelu_pytorch_tanh", "relu"/);
  assert.throws(() => parseConfig({ model_type: "distilbert", dim: 16, n_layers: 1, n_heads: 2, hidden_dim: 4, vocab_size: 5, max_position_embeddings: 8, activation: "relu" }, "config.json"), /activation "relu" is not supported/);
});

test("parseConfig lists every size problem at once", () => {
  assert.throws(() => parseConfig({ ...bert, hidden_size: 30, num_hidden_layers: 0, vocab_size: "100", intermediate_size: undefined }, "config.json"),
    /config\.json: num_hidden_layers is 0; expected an integer >= 1; intermediate_size is missing; add it \(a positive integer\); vocab_size is "100"; expected an integer >= 1; hidden_size 30 is not a multiple of num_attention_heads 4; fix one of them/);
});

test("readConfig names the file when it is missing or not JSON", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "config-test-"));
  try {
    assert.throws(() => readConfig(dir), /config\.json: cannot read \(ENOENT\); pass a Hugging Face model folder that contains config\.json/);
    fs.writeFileSync(path.join(dir, "config.json"), "{ nope");
    assert.throws(() => readConfig(dir), /config\.json: not valid JSON .*; fix or re-download config\.json/);
    fs.writeFileSync(path.join(dir, "config.json"), JSON.stringify(bert));
    assert.equal(readConfig(dir).hidden, 32);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
