/**
 * ALBERT: factorised embeddings (embedding_size, mapped to hidden by
 * encoder.embedding_hidden_mapping_in) and ONE set of block weights shared by every layer. Only one
 * hidden group with one inner layer is supported (what released checkpoints use); others are refused.
 * transformers' hidden_states.0 is the mapped embeddings (the first block's input).
 */
import { bertCanonical, bertLayoutStatics, bertLayoutTensors, blockTensors, buildBertLayout, BERT_FIELDS, postLnSiteModules, stripPrefix, type BlockNames } from "./bertLayout.js";
import { isInt, option, type Family } from "./family.js";

const SHARED = "encoder.albert_layer_groups.0.albert_layers.0.";
const MAPPING = "encoder.embedding_hidden_mapping_in";
const NAMES: BlockNames = {
  query: "attention.query", key: "attention.key", value: "attention.value", attnOut: "attention.dense", attnNorm: "attention.LayerNorm",
  inter: "ffn", out: "ffn_output", outNorm: "full_layer_layer_norm",
};
const shared = () => SHARED;

export const albert: Family = {
  architecture: "albert",
  modelTypes: ["albert"],
  positionScheme: "learned absolute table (embedding_size, mapped)",
  lnPlacement: "post-LN",
  fields: { ...BERT_FIELDS, embeddingSize: "embedding_size" },
  defaults: { act: "gelu_new", eps: 1e-12, padTokenId: 0, typeVocab: 2 },
  siteModules: postLnSiteModules("ALBERT", () => SHARED.slice(0, -1), NAMES, (_c, l) => `application ${l} of the one shared layer`),
  parseOptions(raw, config, problems) {
    for (const field of ["num_hidden_groups", "inner_group_num"]) {
      const v = option(raw, field, 1, isInt(1), "a positive integer", problems);
      if (v !== 1) problems.push(`${field} is ${v}; only 1 is supported (one shared block, as in released ALBERT checkpoints)`);
    }
    const pet = raw.position_embedding_type ?? "absolute";
    if (pet !== "absolute") problems.push(`position_embedding_type ${JSON.stringify(pet)} is not supported; expected "absolute"`);
    if (raw.embedding_size === undefined) config.embeddingSize = 128; // AlbertConfig default
  },
  expectedTensors(config) {
    const x = bertLayoutTensors(config, this.fields);
    x.add(`${MAPPING}.weight`, [config.hidden, config.embeddingSize], `${x.h}, embedding_size ${config.embeddingSize}`);
    x.add(`${MAPPING}.bias`, [config.hidden], x.h);
    blockTensors(x, config, SHARED, NAMES);
    return x.out;
  },
  canonicalName(key) {
    const k = stripPrefix(key, ["albert."]);
    if (k.startsWith(SHARED) || k.startsWith(`${MAPPING}.`)) return /\.(weight|bias)$/.test(k) ? k : null;
    return bertCanonical(k, []);
  },
  extraInputs: (config) => (config.typeVocab > 0 ? ["token_type_ids"] : []),
  build: (ctx) => buildBertLayout(ctx, "range", ctx.config.typeVocab > 0, MAPPING, shared, NAMES),
  staticTensors(weight, config, where) { return bertLayoutStatics(this, weight, config, where, shared, NAMES); },
  positionOffset: () => 0,
  maxSequenceLength: (config) => config.maxPositions,
};
