/** BERT (BertModel): learned absolute positions 0..S-1, token types as an input, post-LN blocks. */
import type { ModelConfig } from "../types.js";
import { BERT_FIELDS, bertCanonical, bertLayoutStatics, bertLayoutTensors, blockTensors, buildBertLayout, postLnSiteModules } from "./bertLayout.js";
import { absolutePositionOption, type Family } from "./family.js";

export const bert: Family = {
  architecture: "bert",
  modelTypes: ["bert"],
  positionScheme: "learned absolute table",
  lnPlacement: "post-LN",
  fields: BERT_FIELDS,
  defaults: { act: "gelu", eps: 1e-12, padTokenId: 0, typeVocab: 2 },
  siteModules: postLnSiteModules("BERT", (i) => `encoder.layer.${i}`),
  parseOptions: (raw, config, problems) => absolutePositionOption(raw, config, problems),
  expectedTensors(config) {
    const x = bertLayoutTensors(config, this.fields);
    for (let l = 0; l < config.layers; ++l) blockTensors(x, config, `encoder.layer.${l}.`);
    return x.out;
  },
  canonicalName: (key) => bertCanonical(key, ["bert."]),
  extraInputs: (config: ModelConfig) => (config.typeVocab > 0 ? ["token_type_ids"] : []),
  build: (ctx) => buildBertLayout(ctx, "range", ctx.config.typeVocab > 0),
  staticTensors(weight, config, where) { return bertLayoutStatics(this, weight, config, where); },
  positionOffset: () => 0,
  maxSequenceLength: (config) => (config.positionEmbeddingType === "none" ? Infinity : config.maxPositions),
};
