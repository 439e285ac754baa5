/**
 * RoBERTa and the checkpoints saved in its layout under other names (XLM-RoBERTa, CamemBERT): learned
 * absolute positions numbered from padding_idx + 1 (padding keeps padding_idx), no token-type input
 * (row 0 of the one-row table is added to every token), post-LN blocks.
 */
import { BERT_FIELDS, bertCanonical, bertLayoutStatics, bertLayoutTensors, blockTensors, buildBertLayout, postLnSiteModules } from "./bertLayout.js";
import { absolutePositionOption, type Family } from "./family.js";

export const roberta: Family = {
  architecture: "roberta",
  modelTypes: ["roberta", "xlm-roberta", "camembert"],
  positionScheme: "learned absolute table (rows from padding_idx + 1)",
  lnPlacement: "post-LN",
  fields: BERT_FIELDS,
  defaults: { act: "gelu", eps: 1e-12, padTokenId: 1, typeVocab: 2 },
  siteModules: postLnSiteModules("RoBERTa", (i) => `encoder.layer.${i}`),
  parseOptions(raw, config, problems) {
    absolutePositionOption(raw, config, problems);
    if (config.positionEmbeddingType === "absolute" && config.maxPositions <= config.padTokenId + 1) {
      problems.push(`max_position_embeddings ${config.maxPositions} leaves no position after the RoBERTa offset pad_token_id + 1 = ${config.padTokenId + 1}; fix max_position_embeddings`);
    }
  },
  expectedTensors(config) {
    const x = bertLayoutTensors(config, this.fields);
    for (let l = 0; l < config.layers; ++l) blockTensors(x, config, `encoder.layer.${l}.`);
    return x.out;
  },
  canonicalName: (key) => bertCanonical(key, ["roberta.", "xlm_roberta.", "camembert."]),
  extraInputs: () => [],
  build: (ctx) => buildBertLayout(ctx, "after-padding", false),
  staticTensors(weight, config, where) { return bertLayoutStatics(this, weight, config, where); },
  positionOffset: (config) => config.padTokenId + 1,
  maxSequenceLength: (config) => (config.positionEmbeddingType === "none" ? Infinity : config.maxPositions - config.padTokenId - 1),
};
