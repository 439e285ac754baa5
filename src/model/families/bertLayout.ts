/**
 * The BERT layout, shared by the post-LN families with learned absolute positions (BERT, RoBERTa and
 * its aliases, DistilBERT, ELECTRA, ALBERT): its field names, the canonical tensor names (BertModel's,
 * without a prefix), the embeddings (word + token type + position, LayerNorm, optional projection to
 * hidden), the post-LN block, and the static tensors the analyses read.
 */
import { DataType } from "../onnx/proto.js";
import type { Float32Tensor, LayerNormParams, ModelConfig, PositionTensor, StaticTensors } from "../types.js";
import { activation, attentionCore, layerNorm, linear, paddingMask, sequenceRange, site, splitHeads } from "./blocks.js";
import type { BuildContext, ExpectedTensor, FieldNames, Family, SiteModules } from "./family.js";

export const BERT_FIELDS: FieldNames = {
  layers: "num_hidden_layers", hidden: "hidden_size", heads: "num_attention_heads", intermediate: "intermediate_size",
  vocab: "vocab_size", maxPositions: "max_position_embeddings", typeVocab: "type_vocab_size", act: "hidden_act", eps: "layer_norm_eps",
};

/** The checkpoint names of one post-LN block's parts, relative to the block prefix. */
export interface BlockNames {
  query: string; key: string; value: string; attnOut: string; attnNorm: string;
  inter: string; out: string; outNorm: string;
}

export const BERT_BLOCK: BlockNames = {
  query: "attention.self.query", key: "attention.self.key", value: "attention.self.value",
  attnOut: "attention.output.dense", attnNorm: "attention.output.LayerNorm",
  inter: "intermediate.dense", out: "output.dense", outNorm: "output.LayerNorm",
};

/** Site descriptions of a post-LN block with these part names (src/model/sites.ts). */
export function postLnSiteModules(label: string, block: (i: number) => string, n: BlockNames = BERT_BLOCK, attention: SiteModules["attention"] = () => ""): SiteModules {
  return { label, block, attnOut: n.attnOut, attnNorm: n.attnNorm, ffnDown: n.out, outNorm: n.outNorm, ffnAct: `{act}(${n.inter}(h))`, attention };
}

/** Helper that records expected tensors with the config fields that set their shapes. */
export function expector(config: ModelConfig, f: FieldNames) {
  const out: ExpectedTensor[] = [];
  const h = `${f.hidden} ${config.hidden}`;
  const e = f.embeddingSize && config.embeddingSize !== config.hidden ? `${f.embeddingSize} ${config.embeddingSize}` : h;
  const i = `${f.intermediate} ${config.intermediate}`;
  const add = (name: string, shape: number[], because: string) => out.push({ name, shape, because: `config.json ${because}` });
  return { out, add, h, e, i };
}

/** The post-LN block's tensors under `p` (e.g. "encoder.layer.3."). */
export function blockTensors(x: ReturnType<typeof expector>, config: ModelConfig, p: string, n: BlockNames = BERT_BLOCK): void {
  const { hidden: H, intermediate: I } = config;
  for (const m of [n.query, n.key, n.value, n.attnOut]) {
    x.add(`${p}${m}.weight`, [H, H], x.h);
    x.add(`${p}${m}.bias`, [H], x.h);
  }
  for (const ln of [n.attnNorm, n.outNorm]) {
    x.add(`${p}${ln}.weight`, [H], x.h);
    x.add(`${p}${ln}.bias`, [H], x.h);
  }
  x.add(`${p}${n.inter}.weight`, [I, H], `${x.i}, ${x.h}`);
  x.add(`${p}${n.inter}.bias`, [I], x.i);
  x.add(`${p}${n.out}.weight`, [H, I], `${x.h}, ${x.i}`);
  x.add(`${p}${n.out}.bias`, [H], x.h);
}

/** Embedding tables, embedding LayerNorm (at embeddingSize), all encoder blocks. */
export function bertLayoutTensors(config: ModelConfig, f: FieldNames): ReturnType<typeof expector> {
  const x = expector(config, f);
  const { embeddingSize: E, vocab: V, maxPositions: P, typeVocab: T } = config;
  x.add("embeddings.word_embeddings.weight", [V, E], `${f.vocab} ${V}, ${x.e}`);
  if (config.positionEmbeddingType === "absolute") x.add("embeddings.position_embeddings.weight", [P, E], `${f.maxPositions} ${P}, ${x.e}`);
  if (T > 0) x.add("embeddings.token_type_embeddings.weight", [T, E], `${f.typeVocab} ${T}, ${x.e}`);
  x.add("embeddings.LayerNorm.weight", [E], x.e);
  x.add("embeddings.LayerNorm.bias", [E], x.e);
  return x;
}

/** Strips the first matching module prefix and maps TF-style gamma/beta LayerNorm names. */
export function stripPrefix(key: string, prefixes: readonly string[]): string {
  let k = key;
  for (const prefix of prefixes) if (k.startsWith(prefix)) { k = k.slice(prefix.length); break; }
  return k.replace(/LayerNorm\.gamma$/, "LayerNorm.weight").replace(/LayerNorm\.beta$/, "LayerNorm.bias");
}

const BERT_KEY = /^(embeddings\.(word_embeddings|position_embeddings|token_type_embeddings|LayerNorm)|encoder\.layer\.\d+\.(attention\.(self\.(query|key|value)|output\.(dense|LayerNorm))|intermediate\.dense|output\.(dense|LayerNorm)))\.(weight|bias)$/;

/** BertModel's canonical name of a key, or null. */
export function bertCanonical(key: string, prefixes: readonly string[]): string | null {
  const k = stripPrefix(key, prefixes);
  return BERT_KEY.test(k) ? k : null;
}

/** How the embeddings find their position rows. */
export type PositionIds = "range" | "after-padding";

/**
 * word (+ token type) (+ position) embeddings, then LayerNorm. "range": positions 0..S-1;
 * "after-padding": Hugging Face create_position_ids_from_input_ids (cumsum of non-pad tokens + pad id).
 * Token types: an input when the family takes them, else row 0 added as a constant.
 */
export function bertEmbeddings(ctx: BuildContext, positions: PositionIds, tokenTypesInput: boolean, out?: string): string {
  const { g, config } = ctx;
  const E = "embeddings";
  const W = config.embeddingSize;
  let x = g.node("Gather", [g.f32(`${E}.word_embeddings.weight`, [config.vocab, W], ctx.weight(`${E}.word_embeddings.weight`)), "input_ids"], { axis: 0 });
  if (config.typeVocab > 0 && tokenTypesInput) {
    const table = g.f32(`${E}.token_type_embeddings.weight`, [config.typeVocab, W], ctx.weight(`${E}.token_type_embeddings.weight`));
    x = g.node("Add", [x, g.node("Gather", [table, "token_type_ids"], { axis: 0 })]);
  } else if (config.typeVocab > 0) {
    // token_type_ids default to zeros, so every token adds row 0 (gathered, so the table keeps its name in exports)
    const table = g.f32(`${E}.token_type_embeddings.weight`, [config.typeVocab, W], ctx.weight(`${E}.token_type_embeddings.weight`));
    x = g.node("Add", [x, g.node("Gather", [table, g.i64Scalar("zero", 0)], { axis: 0 }, `${E}.token_type_embeddings.row0`)]);
  }
  if (config.positionEmbeddingType === "absolute") {
    const table = g.f32(`${E}.position_embeddings.weight`, [config.maxPositions, W], ctx.weight(`${E}.position_embeddings.weight`));
    x = g.node("Add", [x, g.node("Gather", [table, positionIdsNode(ctx, positions)], { axis: 0 })]);
  }
  return layerNorm(ctx, x, `${E}.LayerNorm`, W, config.layerNormEps, out);
}

/** The position_ids value ([S] for "range", [B, S] for "after-padding"). */
export function positionIdsNode(ctx: BuildContext, positions: PositionIds): string {
  const { g, config } = ctx;
  if (positions === "range") return sequenceRange(ctx);
  // HF create_position_ids_from_input_ids: mask = ids != pad; cumsum(mask) * mask + padding_idx
  const pad = g.i64Scalar("padding_idx", config.padTokenId);
  const notPad = g.node("Cast", [g.node("Not", [g.node("Equal", ["input_ids", pad])])], { to: DataType.INT64 });
  const cum = g.node("CumSum", [notPad, g.i64Scalar("axis_1", 1)]);
  return g.node("Add", [g.node("Mul", [cum, notPad]), pad], {}, "position_ids");
}

/** One post-LN encoder block (BertLayer semantics) for 1-based `layer`; `out` names its output. */
export function postLnBlock(ctx: BuildContext, x: string, p: string, mask: string, out: string, n: BlockNames = BERT_BLOCK, layer = 0): string {
  const { g, config } = ctx;
  const { hidden: H, heads } = config;
  const scale = g.f32Scalar("sqrt_head_size", Math.sqrt(H / heads));
  const q = splitHeads(ctx, linear(ctx, x, `${p}${n.query}`, H, H), heads);
  const kT = splitHeads(ctx, linear(ctx, x, `${p}${n.key}`, H, H), heads, true);
  const v = splitHeads(ctx, linear(ctx, x, `${p}${n.value}`, H, H), heads);
  const context = attentionCore(ctx, q, kT, v, mask, scale, [], false, layer);
  return postLnTail(ctx, context, x, p, n, layer, out);
}

/**
 * A post-LN block after its attention context: output projection, residual add, LayerNorm, FFN,
 * residual add, LayerNorm (named `out`), with the block's sites (attn_out, attn_resid, ffn_act,
 * ffn_out, ffn_resid of 1-based `layer`) exposed where requested.
 */
export function postLnTail(ctx: BuildContext, context: string, x: string, p: string, n: BlockNames, layer: number, out: string): string {
  const { g, config } = ctx;
  const { hidden: H, intermediate: I, layerNormEps: eps } = config;
  const attnOut = linear(ctx, context, `${p}${n.attnOut}`, H, H);
  site(ctx, "attn_out", layer, attnOut);
  const attnResid = g.node("Add", [attnOut, x]);
  site(ctx, "attn_resid", layer, attnResid);
  const h = layerNorm(ctx, attnResid, `${p}${n.attnNorm}`, H, eps);
  const inner = activation(ctx, linear(ctx, h, `${p}${n.inter}`, H, I), config.hiddenAct);
  site(ctx, "ffn_act", layer, inner);
  const ffnOut = linear(ctx, inner, `${p}${n.out}`, I, H);
  site(ctx, "ffn_out", layer, ffnOut);
  const ffnResid = g.node("Add", [ffnOut, h]);
  site(ctx, "ffn_resid", layer, ffnResid);
  return layerNorm(ctx, ffnResid, `${p}${n.outNorm}`, H, eps, out);
}

/** The whole BERT-layout encoder: embeddings, optional projection to hidden, L post-LN blocks. */
export function buildBertLayout(ctx: BuildContext, positions: PositionIds, tokenTypesInput: boolean, projection?: string, block: (l: number) => string = (l) => `encoder.layer.${l}.`, names: BlockNames = BERT_BLOCK): string {
  const { g, config } = ctx;
  let x = bertEmbeddings(ctx, positions, tokenTypesInput, projection ? undefined : "hidden_states.0");
  if (projection) x = g.node("Identity", [linear(ctx, x, projection, config.embeddingSize, config.hidden)], {}, "hidden_states.0");
  const mask = paddingMask(ctx);
  for (let l = 0; l < config.layers; ++l) x = postLnBlock(ctx, x, block(l), mask, `hidden_states.${l + 1}`, names, l + 1);
  return x;
}

/** Looks a weight up for staticTensors, naming the folder when it is absent. */
export function need(weight: (name: string) => Float32Tensor | undefined, where: string) {
  return (name: string): Float32Tensor => {
    const t = weight(name);
    if (!t) throw new Error(`${where}: ${name} is not loaded; load the checkpoint with loadCheckpoint`);
    return t;
  };
}

/** A LayerNorm's parameters by prefix (zeros for a missing bias when `bias` is false). */
export function lnParams(w: (name: string) => Float32Tensor, layer: number, which: LayerNormParams["which"], site: string, prefix: string, bias = true): LayerNormParams {
  const gamma = w(`${prefix}.weight`).data;
  return { layer, which, site, gamma, beta: bias ? w(`${prefix}.bias`).data : new Float32Array(gamma.length) };
}

/** The absolute table as a PositionTensor (rows are token positions + offset). */
export function absoluteTable(t: Float32Tensor, name: string, offset: number, hidden: number): PositionTensor {
  return {
    name, kind: "absolute", rows: t.shape[0], cols: t.shape[1], data: t.data, hiddenSpace: t.shape[1] === hidden,
    rowMeaning: offset ? `token position + ${offset}` : "token position", colMeaning: t.shape[1] === hidden ? "hidden dimension" : "embedding dimension (projected to hidden)",
  };
}

/** Static tensors of the BERT layout, post-LN norms named per block with the family's block names. */
export function bertLayoutStatics(family: Family, weight: (name: string) => Float32Tensor | undefined, config: ModelConfig, where: string, block: (l: number) => string = (l) => `encoder.layer.${l}.`, names: BlockNames = BERT_BLOCK): StaticTensors {
  const w = need(weight, where);
  const offset = family.positionOffset(config);
  const layerNorms: LayerNormParams[] = [lnParams(w, 0, "embeddings", "embeddings LayerNorm", "embeddings.LayerNorm")];
  for (let l = 1; l <= config.layers; ++l) {
    layerNorms.push(lnParams(w, l, "attention", "post-LN after attention", `${block(l - 1)}${names.attnNorm}`));
    layerNorms.push(lnParams(w, l, "output", "post-LN after the feed-forward", `${block(l - 1)}${names.outNorm}`));
  }
  const absolute = config.positionEmbeddingType === "absolute" ? w("embeddings.position_embeddings.weight") : null;
  const inHidden = config.embeddingSize === config.hidden;
  const tt = config.typeVocab > 0 ? w("embeddings.token_type_embeddings.weight") : null;
  return {
    architecture: config.architecture,
    hidden: config.hidden,
    positionScheme: config.positionEmbeddingType === "none" ? "none (position_embedding_type \"none\")" : family.positionScheme,
    positionTensors: absolute ? [absoluteTable(absolute, "embeddings.position_embeddings.weight", offset, config.hidden)] : [],
    positionEmbeddings: absolute && inHidden ? { rows: absolute.shape[0], data: absolute.data } : null,
    positionOffset: offset,
    tokenTypeEmbeddings: tt && inHidden ? { rows: tt.shape[0], data: tt.data } : null,
    layerNorms: inHidden ? layerNorms : layerNorms.filter((ln) => ln.layer > 0),
  };
}
