/**
 * MPNet (MPNetModel, e.g. sentence-transformers/all-mpnet-base-v2): a learned absolute table numbered
 * from padding_idx + 1 like RoBERTa's, PLUS a relative attention bias shared by every layer:
 * encoder.relative_attention_bias [buckets x heads], looked up by T5-style buckets of the distance
 * j - i (transformers always uses 32 buckets and max_distance 128 here, whatever the config says) and
 * added to every head's scores before the padding mask. Post-LN blocks, no token types.
 */
import { activation, attentionCore, f32, gatherByDistance, layerNorm, linear, paddingMask, splitHeads } from "./blocks.js";
import { absoluteTable, bertEmbeddings, expector, lnParams, need, postLnSiteModules, postLnTail, stripPrefix, BERT_FIELDS, type BlockNames } from "./bertLayout.js";
import { isInt, option, type Family } from "./family.js";
import type { LayerNormParams, StaticTensors } from "../types.js";

/** transformers MPNetEncoder.compute_position_bias calls relative_position_bucket with these. */
export const MPNET_BUCKETS = 32;
export const MPNET_MAX_DISTANCE = 128;

/** T5/MPNet relative_position_bucket of (j - i), computed in float32 like torch. */
export function mpnetBucket(relative: number, numBuckets = MPNET_BUCKETS, maxDistance = MPNET_MAX_DISTANCE): number {
  let ret = 0;
  let n = -relative;
  const half = Math.floor(numBuckets / 2);
  if (n < 0) ret += half;
  n = Math.abs(n);
  const maxExact = Math.floor(half / 2);
  if (n < maxExact) return ret + n;
  const scaled = f32(f32(f32(Math.log(f32(f32(n) / maxExact))) / f32(Math.log(maxDistance / maxExact))) * (half - maxExact));
  return ret + Math.min(maxExact + Math.trunc(scaled), half - 1);
}

const BLOCK = (l: number) => `encoder.layer.${l}.`;
/** MPNet's block parts under the block prefix (post-LN like BERT, other attention names). */
const MPNET_NAMES: BlockNames = {
  query: "attention.attn.q", key: "attention.attn.k", value: "attention.attn.v", attnOut: "attention.attn.o", attnNorm: "attention.LayerNorm",
  inter: "intermediate.dense", out: "output.dense", outNorm: "output.LayerNorm",
};
const KEY = /^(embeddings\.(word_embeddings|position_embeddings|LayerNorm)|encoder\.relative_attention_bias|encoder\.layer\.\d+\.(attention\.(attn\.(q|k|v|o)|LayerNorm)|intermediate\.dense|output\.(dense|LayerNorm)))\.(weight|bias)$/;

export const mpnet: Family = {
  architecture: "mpnet",
  modelTypes: ["mpnet"],
  positionScheme: "learned absolute table (rows from padding_idx + 1) + relative attention bias (32 T5 buckets x heads)",
  lnPlacement: "post-LN",
  fields: { ...BERT_FIELDS, typeVocab: "(none)" },
  defaults: { act: "gelu", eps: 1e-12, padTokenId: 1 },
  siteModules: postLnSiteModules("MPNet", (i) => `encoder.layer.${i}`, MPNET_NAMES, () => "scores include the shared relative_attention_bias"),
  parseOptions(raw, config, problems) {
    const buckets = option(raw, "relative_attention_num_buckets", 32, isInt(1), "a positive integer", problems);
    if (buckets < MPNET_BUCKETS) problems.push(`relative_attention_num_buckets is ${buckets}; transformers looks up ${MPNET_BUCKETS} buckets, so at least ${MPNET_BUCKETS} are needed`);
    config.options.buckets = buckets;
    if (config.padTokenId !== 1) problems.push(`pad_token_id is ${config.padTokenId}; MPNet's embeddings fix padding_idx at 1, re-save the config with pad_token_id 1`);
    if (config.maxPositions <= 2) problems.push(`max_position_embeddings ${config.maxPositions} leaves no position after the offset padding_idx + 1 = 2; fix max_position_embeddings`);
  },
  expectedTensors(config) {
    const x = expector(config, this.fields);
    const { hidden: H, intermediate: I, vocab: V, maxPositions: P, heads } = config;
    x.add("embeddings.word_embeddings.weight", [V, H], `vocab_size ${V}, ${x.h}`);
    x.add("embeddings.position_embeddings.weight", [P, H], `max_position_embeddings ${P}, ${x.h}`);
    x.add("embeddings.LayerNorm.weight", [H], x.h);
    x.add("embeddings.LayerNorm.bias", [H], x.h);
    x.add("encoder.relative_attention_bias.weight", [config.options.buckets as number, heads], `relative_attention_num_buckets ${config.options.buckets}, num_attention_heads ${heads}`);
    for (let l = 0; l < config.layers; ++l) {
      const p = BLOCK(l);
      for (const m of ["q", "k", "v", "o"]) { x.add(`${p}attention.attn.${m}.weight`, [H, H], x.h); x.add(`${p}attention.attn.${m}.bias`, [H], x.h); }
      for (const ln of ["attention.LayerNorm", "output.LayerNorm"]) { x.add(`${p}${ln}.weight`, [H], x.h); x.add(`${p}${ln}.bias`, [H], x.h); }
      x.add(`${p}intermediate.dense.weight`, [I, H], `${x.i}, ${x.h}`);
      x.add(`${p}intermediate.dense.bias`, [I], x.i);
      x.add(`${p}output.dense.weight`, [H, I], `${x.h}, ${x.i}`);
      x.add(`${p}output.dense.bias`, [H], x.h);
    }
    return x.out;
  },
  canonicalName(key) {
    const k = stripPrefix(key, ["mpnet."]);
    return KEY.test(k) ? k : null;
  },
  extraInputs: () => [],
  build(ctx) {
    const { g, config } = ctx;
    const { hidden: H, heads, intermediate: I, layerNormEps: eps } = config;
    let x = bertEmbeddings(ctx, "after-padding", false, "hidden_states.0");
    const mask = paddingMask(ctx);
    // bucket of each distance d = j - i (|d| <= D), gathered to [S, S], then the table's rows: [S, S, heads] -> [1, heads, S, S]
    const D = this.maxSequenceLength(config) - 1;
    const buckets = Array.from({ length: 2 * D + 1 }, (_, k) => mpnetBucket(k - D));
    const bucketSS = gatherByDistance(ctx, g.i64("relative_bucket_by_distance", buckets), D);
    const table = g.f32("encoder.relative_attention_bias.weight", [config.options.buckets as number, heads], ctx.weight("encoder.relative_attention_bias.weight"));
    const biasSS = g.node("Gather", [table, bucketSS], { axis: 0 });
    const bias = g.node("Unsqueeze", [g.node("Transpose", [biasSS], { perm: [2, 0, 1] }), g.i64("axes_0", [0])], {}, "position_bias");
    const scale = g.f32Scalar("sqrt_head_size", Math.sqrt(H / heads));
    for (let l = 0; l < config.layers; ++l) {
      const p = `${BLOCK(l)}attention.`;
      const q = splitHeads(ctx, linear(ctx, x, `${p}attn.q`, H, H), heads);
      const kT = splitHeads(ctx, linear(ctx, x, `${p}attn.k`, H, H), heads, true);
      const v = splitHeads(ctx, linear(ctx, x, `${p}attn.v`, H, H), heads);
      const context = attentionCore(ctx, q, kT, v, mask, scale, [bias], false, l + 1);
      x = postLnTail(ctx, context, x, BLOCK(l), MPNET_NAMES, l + 1, `hidden_states.${l + 1}`);
    }
    return x;
  },
  staticTensors(weight, config, where): StaticTensors {
    const w = need(weight, where);
    const layerNorms: LayerNormParams[] = [lnParams(w, 0, "embeddings", "embeddings LayerNorm", "embeddings.LayerNorm")];
    for (let l = 1; l <= config.layers; ++l) {
      layerNorms.push(lnParams(w, l, "attention", "post-LN after attention", `${BLOCK(l - 1)}attention.LayerNorm`));
      layerNorms.push(lnParams(w, l, "output", "post-LN after the feed-forward", `${BLOCK(l - 1)}output.LayerNorm`));
    }
    const abs = w("embeddings.position_embeddings.weight");
    const rel = w("encoder.relative_attention_bias.weight");
    return {
      architecture: config.architecture, hidden: config.hidden, positionScheme: this.positionScheme,
      positionTensors: [
        absoluteTable(abs, "embeddings.position_embeddings.weight", this.positionOffset(config), config.hidden),
        { name: "encoder.relative_attention_bias.weight", kind: "relative", rows: rel.shape[0], cols: rel.shape[1], data: rel.data, hiddenSpace: false, rowMeaning: "relative-distance bucket (T5 buckets of j - i)", colMeaning: "attention head" },
      ],
      positionEmbeddings: { rows: abs.shape[0], data: abs.data },
      positionOffset: this.positionOffset(config),
      tokenTypeEmbeddings: null,
      layerNorms,
    };
  },
  positionOffset: (config) => config.padTokenId + 1,
  maxSequenceLength: (config) => config.maxPositions - config.padTokenId - 1,
};
