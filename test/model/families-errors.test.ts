/**
 * Bad input per family: unknown model_type lists the supported ones; a family field that is unknown or
 * out of range names the file, field, value and what is accepted; weights that disagree with config.json
 * give one summary of the sizes plus the tensor lines (capped), before any weight is read.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { loadCheckpoint } from "../../src/model/checkpoint.js";
import { parseConfig } from "../../src/model/config.js";
import { FAMILY_FIXTURES } from "./familyFixture.js";

const cfg = (name: string) => JSON.parse(fs.readFileSync(path.join(FAMILY_FIXTURES, name, "config.json"), "utf8")) as Record<string, unknown>;

test("an unsupported model_type lists every supported one, aliases included", () => {
  assert.throws(() => parseConfig({ ...cfg("bert"), model_type: "funnel" }, "m/config.json"),
    /m\/config\.json: model_type "funnel" is not supported; expected one of bert, roberta, distilbert, electra, albert, mpnet, deberta-v2, modernbert, xlm-roberta, camembert$/);
});

test("DeBERTa: an unknown pos_att_type, a conv branch and a bad share_att_key are named with what is accepted", () => {
  assert.throws(() => parseConfig({ ...cfg("deberta-v3"), pos_att_type: "p2c|p2p" }, "d/config.json"), /d\/config\.json: pos_att_type has "p2p"; accepted: "c2p", "p2c"/);
  assert.throws(() => parseConfig({ ...cfg("deberta-v3"), conv_kernel_size: 3 }, "d/config.json"), /conv_kernel_size is 3; the convolution branch .* only 0 \(no conv\) is accepted/);
  assert.throws(() => parseConfig({ ...cfg("deberta-v3"), share_att_key: "yes" }, "d/config.json"), /share_att_key is "yes"; expected true or false/);
  assert.throws(() => parseConfig({ ...cfg("deberta-v3"), norm_rel_ebd: "batch_norm" }, "d/config.json"), /norm_rel_ebd has "batch_norm"; accepted: "none", "layer_norm"/);
  const c = parseConfig({ ...cfg("deberta-v3"), pos_att_type: "C2P" }, "d/config.json");
  assert.deepEqual([c.options.c2p, c.options.p2c, c.positionEmbeddingType], [true, false, "none"]);
});

test("ALBERT: more than one hidden group or inner layer is refused naming the field and value", () => {
  assert.throws(() => parseConfig({ ...cfg("albert"), num_hidden_groups: 2 }, "a/config.json"), /a\/config\.json: num_hidden_groups is 2; only 1 is supported/);
  assert.throws(() => parseConfig({ ...cfg("albert"), inner_group_num: 0 }, "a/config.json"), /inner_group_num is 0; expected a positive integer/);
});

test("ModernBERT: scaled RoPE, a bad window and mismatched layer_types are refused", () => {
  assert.throws(() => parseConfig({ ...cfg("modernbert-v5cfg"), rope_parameters: { full_attention: { rope_type: "linear", rope_theta: 1e4 }, sliding_attention: { rope_type: "default", rope_theta: 1e4 } } }, "m/config.json"),
    /rope_parameters\.full_attention\.rope_type is "linear"; only "default" RoPE is implemented/);
  assert.throws(() => parseConfig({ ...cfg("modernbert"), local_attention: 1 }, "m/config.json"), /local_attention is 1; expected an integer >= 2/);
  assert.throws(() => parseConfig({ ...cfg("modernbert"), layer_types: ["full_attention"] }, "m/config.json"), /layer_types is \["full_attention"\]; expected 3 entries/);
  assert.throws(() => parseConfig({ ...cfg("modernbert"), hidden_activation: "silu" }, "m/config.json"), /hidden_activation "silu" is not supported; expected one of "gelu"/);
});

test("MPNet: too few relative buckets and a moved padding index are refused", () => {
  assert.throws(() => parseConfig({ ...cfg("mpnet"), relative_attention_num_buckets: 16 }, "p/config.json"), /relative_attention_num_buckets is 16; transformers looks up 32 buckets/);
  assert.throws(() => parseConfig({ ...cfg("mpnet"), pad_token_id: 0 }, "p/config.json"), /pad_token_id is 0; MPNet's embeddings fix padding_idx at 1/);
});

test("weights that do not fit config.json: one summarising error naming the fields, for every family's names", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "families-errors-"));
  try {
    for (const f of fs.readdirSync(path.join(FAMILY_FIXTURES, "mpnet"))) fs.copyFileSync(path.join(FAMILY_FIXTURES, "mpnet", f), path.join(dir, f));
    fs.writeFileSync(path.join(dir, "config.json"), JSON.stringify({ ...cfg("mpnet"), num_hidden_layers: 6, vocab_size: 500 }));
    assert.throws(() => loadCheckpoint(dir), /config\.json: num_hidden_layers 6, vocab_size 500 disagree with .*model\.safetensors, which holds num_hidden_layers 2, vocab_size 323; use the config\.json saved with these weights$/);
    // factorised embeddings compare embedding_size, and ALBERT's shared block has no layer count to disagree with
    for (const f of fs.readdirSync(path.join(FAMILY_FIXTURES, "albert"))) fs.copyFileSync(path.join(FAMILY_FIXTURES, "albert", f), path.join(dir, f));
    fs.writeFileSync(path.join(dir, "config.json"), JSON.stringify({ ...cfg("albert"), num_hidden_layers: 5, embedding_size: 20 }));
    assert.throws(() => loadCheckpoint(dir), /config\.json: embedding_size 20 disagrees with .*model\.safetensors, which holds embedding_size 16;/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
