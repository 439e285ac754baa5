import { test } from "node:test";
import assert from "node:assert/strict";
import * as path from "node:path";
import { editTargets, interventionLayers, interventionSite } from "../../src/model/editTargets.js";
import { readConfig } from "../../src/model/config.js";

const fixture = (name: string) => readConfig(path.join(__dirname, "..", "..", "..", "test", "fixtures", "heads", name));

test("editTargets maps hidden_states layers to hidden_states.K", () => {
  const c = fixture("bert"); // 2 layers x 32
  assert.deepEqual(editTargets(c, "hidden_states", [2, 0]), [{ target: "hidden_states.0", layer: 0, width: 32 }, { target: "hidden_states.2", layer: 2, width: 32 }]);
  assert.equal(editTargets(c, "hidden_states", "all").length, 3);
});

test("editTargets finds every LayerNorm gain or bias of the chosen layers, per family", () => {
  assert.deepEqual(editTargets(fixture("bert"), "ln_weight", [0, 2]).map((t) => `${t.layer}:${t.target}`), [
    "0:embeddings.LayerNorm.weight", "2:encoder.layer.1.attention.output.LayerNorm.weight", "2:encoder.layer.1.output.LayerNorm.weight",
  ]);
  // ModernBERT (pre-LN, 4 layers): block 0 has no attn_norm; the final norm is layer L
  assert.deepEqual(editTargets(fixture("modernbert"), "ln_bias", [1, 4]).map((t) => `${t.layer}:${t.target}`), [
    "1:layers.0.mlp_norm.bias", "4:layers.3.attn_norm.bias", "4:layers.3.mlp_norm.bias", "4:final_norm.bias",
  ]);
});

test("editTargets: the position table has no layer; a family without one says so", () => {
  assert.deepEqual(editTargets(fixture("roberta"), "position_table", "all"), [{ target: "embeddings.position_embeddings.weight", layer: 0, width: 32 }]);
  assert.throws(() => editTargets(fixture("bert"), "position_table", [1]), /the position table has no layer, give "all" or 0/);
  assert.throws(() => editTargets(fixture("modernbert"), "position_table", "all"), /no absolute position table in hidden space; choose hidden_states, ln_weight or ln_bias/);
});

test("interventionLayers and interventionSite say what is valid", () => {
  const c = fixture("bert");
  assert.deepEqual(interventionLayers([2, 1, 2], c), [1, 2]);
  assert.throws(() => interventionLayers([3], c), /invalid layer: 3; the model has layers 0\.\.2/);
  assert.throws(() => interventionLayers([], c), /invalid layers: \[\]; expected "all" or a non-empty list of layers in 0\.\.2/);
  assert.throws(() => interventionSite("residual"), /invalid site: "residual"; expected one of hidden_states, ln_weight, ln_bias, position_table/);
});
