/**
 * DistilBERT: BERT's post-LN block under other names (q_lin, sa_layer_norm, ffn.lin1 ...), positions
 * 0..S-1, no token types, LayerNorm eps fixed at 1e-12 by Hugging Face whatever config.json says.
 */
import { bertCanonical, bertLayoutStatics, bertLayoutTensors, blockTensors, buildBertLayout, postLnSiteModules, stripPrefix } from "./bertLayout.js";
import type { Family } from "./family.js";

const PARTS: [RegExp, string][] = [
  [/^transformer\.layer\.(\d+)\.attention\.q_lin\./, "encoder.layer.$1.attention.self.query."],
  [/^transformer\.layer\.(\d+)\.attention\.k_lin\./, "encoder.layer.$1.attention.self.key."],
  [/^transformer\.layer\.(\d+)\.attention\.v_lin\./, "encoder.layer.$1.attention.self.value."],
  [/^transformer\.layer\.(\d+)\.attention\.out_lin\./, "encoder.layer.$1.attention.output.dense."],
  [/^transformer\.layer\.(\d+)\.sa_layer_norm\./, "encoder.layer.$1.attention.output.LayerNorm."],
  [/^transformer\.layer\.(\d+)\.ffn\.lin1\./, "encoder.layer.$1.intermediate.dense."],
  [/^transformer\.layer\.(\d+)\.ffn\.lin2\./, "encoder.layer.$1.output.dense."],
  [/^transformer\.layer\.(\d+)\.output_layer_norm\./, "encoder.layer.$1.output.LayerNorm."],
];

export const distilbert: Family = {
  architecture: "distilbert",
  modelTypes: ["distilbert"],
  positionScheme: "learned absolute table",
  lnPlacement: "post-LN",
  fields: {
    layers: "n_layers", hidden: "dim", heads: "n_heads", intermediate: "hidden_dim", vocab: "vocab_size",
    maxPositions: "max_position_embeddings", typeVocab: "(none)", act: "activation", eps: null,
  },
  defaults: { act: "gelu", eps: 1e-12, padTokenId: 0, acts: ["gelu"] },
  siteModules: postLnSiteModules("DistilBERT", (i) => `transformer.layer.${i}`, {
    query: "attention.q_lin", key: "attention.k_lin", value: "attention.v_lin", attnOut: "attention.out_lin", attnNorm: "sa_layer_norm",
    inter: "ffn.lin1", out: "ffn.lin2", outNorm: "output_layer_norm",
  }),
  parseOptions(raw, _config, problems) {
    if (raw.sinusoidal_pos_embds === true) problems.push("sinusoidal_pos_embds is true; only learned position tables are supported, use a checkpoint with sinusoidal_pos_embds false");
  },
  expectedTensors(config) {
    const x = bertLayoutTensors(config, this.fields);
    for (let l = 0; l < config.layers; ++l) blockTensors(x, config, `encoder.layer.${l}.`);
    return x.out;
  },
  canonicalName(key) {
    const k = stripPrefix(key, ["distilbert."]);
    for (const [re, to] of PARTS) if (re.test(k)) return k.replace(re, to);
    return bertCanonical(k, []);
  },
  extraInputs: () => [],
  build: (ctx) => buildBertLayout(ctx, "range", false),
  staticTensors(weight, config, where) { return bertLayoutStatics(this, weight, config, where); },
  positionOffset: () => 0,
  maxSequenceLength: (config) => config.maxPositions,
};
