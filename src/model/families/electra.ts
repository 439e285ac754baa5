/**
 * ELECTRA (ElectraModel, the discriminator's body): BERT's layout with embeddings of width
 * embedding_size, projected to hidden_size by `embeddings_project` when the two differ; transformers'
 * hidden_states.0 is the projected embeddings (the first block's input).
 */
import { BERT_FIELDS, bertCanonical, bertLayoutStatics, bertLayoutTensors, blockTensors, buildBertLayout, postLnSiteModules } from "./bertLayout.js";
import { absolutePositionOption, type Family } from "./family.js";

const PROJECTION = "embeddings_project";

export const electra: Family = {
  architecture: "electra",
  modelTypes: ["electra"],
  positionScheme: "learned absolute table (embedding_size, projected)",
  lnPlacement: "post-LN",
  fields: { ...BERT_FIELDS, embeddingSize: "embedding_size" },
  defaults: { act: "gelu", eps: 1e-12, padTokenId: 0, typeVocab: 2 },
  siteModules: postLnSiteModules("ELECTRA", (i) => `encoder.layer.${i}`),
  parseOptions: (raw, config, problems) => absolutePositionOption(raw, config, problems),
  expectedTensors(config) {
    const x = bertLayoutTensors(config, this.fields);
    if (config.embeddingSize !== config.hidden) {
      x.add(`${PROJECTION}.weight`, [config.hidden, config.embeddingSize], `${x.h}, embedding_size ${config.embeddingSize}`);
      x.add(`${PROJECTION}.bias`, [config.hidden], x.h);
    }
    for (let l = 0; l < config.layers; ++l) blockTensors(x, config, `encoder.layer.${l}.`);
    return x.out;
  },
  canonicalName(key) {
    const k = key.startsWith("electra.") ? key.slice("electra.".length) : key;
    if (/^embeddings_project\.(weight|bias)$/.test(k)) return k;
    return bertCanonical(k, []);
  },
  extraInputs: (config) => (config.typeVocab > 0 ? ["token_type_ids"] : []),
  build: (ctx) => buildBertLayout(ctx, "range", ctx.config.typeVocab > 0, ctx.config.embeddingSize !== ctx.config.hidden ? PROJECTION : undefined),
  staticTensors(weight, config, where) { return bertLayoutStatics(this, weight, config, where); },
  positionOffset: () => 0,
  maxSequenceLength: (config) => (config.positionEmbeddingType === "none" ? Infinity : config.maxPositions),
};
