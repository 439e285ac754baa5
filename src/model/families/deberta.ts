/**
 * DeBERTa-v2/v3 (DebertaV2Model): disentangled attention. Content scores q.k plus, per pos_att_type,
 * content->position (c2p: q . Kr[delta(i,j)]) and position->content (p2c: k_j . Qr[delta(j,i)]) terms
 * read from encoder.rel_embeddings (optionally LayerNorm'd, norm_rel_ebd "layer_norm"), all divided
 * by sqrt(head_size * (1 + number of terms)). delta is the distance i - j, log-bucketed when
 * position_buckets > 0, clamped to the table. An absolute table is added to the embeddings only when
 * position_biased_input is true (v3: false). Embeddings are zeroed at padding. Post-LN blocks.
 */
import { activation, attentionCore, f32, gatherByDistance, layerNorm, linear, paddingMask, splitHeads } from "./blocks.js";
import { absoluteTable, bertEmbeddings, bertLayoutStatics, BERT_FIELDS, BERT_BLOCK, blockTensors, expector, lnParams, need, postLnSiteModules, postLnTail, stripPrefix } from "./bertLayout.js";
import { isBool, option, type BuildContext, type Family } from "./family.js";
import { DataType } from "../onnx/proto.js";

interface DebertaOptions {
  relative: boolean;
  /** pos_att_type as a set of "c2p" / "p2c". */
  c2p: boolean;
  p2c: boolean;
  shareAttKey: boolean;
  normRel: boolean;
  positionBuckets: number;
  maxRelative: number;
  /** att_span: rows 0 .. 2 span - 1 of rel_embeddings are used. */
  span: number;
}

const opts = (o: Record<string, unknown>) => o as unknown as DebertaOptions;
const NAMES = { ...BERT_BLOCK, query: "attention.self.query_proj", key: "attention.self.key_proj", value: "attention.self.value_proj" };
const BLOCK = (l: number) => `encoder.layer.${l}.`;

/** make_log_bucket_position of one relative distance, in float32 like torch. */
export function logBucket(rel: number, bucketSize: number, maxPosition: number): number {
  const mid = Math.floor(bucketSize / 2);
  const abs = rel < mid && rel > -mid ? mid - 1 : Math.abs(rel);
  if (abs <= mid) return rel;
  const logPos = Math.ceil(f32(f32(f32(Math.log(f32(abs / mid))) / f32(Math.log(f32((maxPosition - 1) / mid)))) * (mid - 1))) + mid;
  return logPos * Math.sign(rel);
}

/** The relative distance i - j as transformers' build_relative_position computes it. */
function relativePosition(d: number, o: DebertaOptions): number {
  return o.positionBuckets > 0 && o.maxRelative > 0 ? logBucket(d, o.positionBuckets, o.maxRelative) : d;
}

export const deberta: Family = {
  architecture: "deberta-v2",
  modelTypes: ["deberta-v2"],
  positionScheme: "disentangled relative attention (rel_embeddings, c2p/p2c)",
  lnPlacement: "post-LN",
  fields: { ...BERT_FIELDS, embeddingSize: "embedding_size" },
  defaults: { act: "gelu", eps: 1e-7, padTokenId: 0, typeVocab: 0 },
  siteModules: postLnSiteModules("DeBERTa-v2", (i) => `encoder.layer.${i}`, NAMES, (c) => (opts(c.options).relative ? "disentangled scores (content + c2p/p2c relative terms)" : "")),
  parseOptions(raw, config, problems) {
    const relative = option(raw, "relative_attention", false, isBool, "true or false", problems);
    const biased = option(raw, "position_biased_input", true, isBool, "true or false", problems);
    config.positionEmbeddingType = biased ? "absolute" : "none";
    let types: unknown = raw.pos_att_type ?? [];
    if (typeof types === "string") types = types.toLowerCase().split("|").map((t) => t.trim());
    const list = Array.isArray(types) ? types : [types];
    for (const t of list) if (t !== "c2p" && t !== "p2c") problems.push(`pos_att_type has ${JSON.stringify(t)}; accepted: "c2p", "p2c" (a list or "p2c|c2p")`);
    const norm = String(raw.norm_rel_ebd ?? "none").toLowerCase().split("|").map((t) => t.trim());
    for (const t of norm) if (t !== "none" && t !== "layer_norm") problems.push(`norm_rel_ebd has ${JSON.stringify(t)}; accepted: "none", "layer_norm"`);
    const conv = raw.conv_kernel_size ?? 0;
    if (conv !== 0) problems.push(`conv_kernel_size is ${JSON.stringify(conv)}; the convolution branch of DeBERTa-v2-xlarge is not implemented, only 0 (no conv) is accepted`);
    if (raw.attention_head_size !== undefined && raw.attention_head_size !== config.hidden / config.heads) {
      problems.push(`attention_head_size is ${JSON.stringify(raw.attention_head_size)}; only hidden_size / num_attention_heads = ${config.hidden / config.heads} is supported`);
    }
    const buckets = option(raw, "position_buckets", -1, (v) => typeof v === "number" && Number.isSafeInteger(v), "an integer (<= 0: no buckets)", problems);
    let maxRelative = option(raw, "max_relative_positions", -1, (v) => typeof v === "number" && Number.isSafeInteger(v), "an integer (< 1: max_position_embeddings)", problems);
    if (maxRelative < 1) maxRelative = config.maxPositions;
    config.options = {
      relative, c2p: list.includes("c2p"), p2c: list.includes("p2c"),
      shareAttKey: option(raw, "share_att_key", false, isBool, "true or false", problems),
      normRel: norm.includes("layer_norm"), positionBuckets: buckets, maxRelative,
      span: buckets > 0 ? buckets : maxRelative,
    } satisfies DebertaOptions;
  },
  expectedTensors(config) {
    const o = opts(config.options);
    const x = expector(config, this.fields);
    const { embeddingSize: E, vocab: V, maxPositions: P, typeVocab: T, hidden: H } = config;
    x.add("embeddings.word_embeddings.weight", [V, E], `vocab_size ${V}, ${x.e}`);
    if (config.positionEmbeddingType === "absolute") x.add("embeddings.position_embeddings.weight", [P, E], `max_position_embeddings ${P}, ${x.e}`);
    if (T > 0) x.add("embeddings.token_type_embeddings.weight", [T, E], `type_vocab_size ${T}, ${x.e}`);
    if (E !== H) x.add("embeddings.embed_proj.weight", [H, E], `${x.h}, ${x.e}`);
    x.add("embeddings.LayerNorm.weight", [H], x.h);
    x.add("embeddings.LayerNorm.bias", [H], x.h);
    if (o.relative) {
      x.add("encoder.rel_embeddings.weight", [2 * o.span, H], `${o.positionBuckets > 0 ? `position_buckets ${o.positionBuckets}` : `max_relative_positions ${o.maxRelative}`} (x 2), ${x.h}`);
      if (o.normRel) { x.add("encoder.LayerNorm.weight", [H], `norm_rel_ebd layer_norm, ${x.h}`); x.add("encoder.LayerNorm.bias", [H], `norm_rel_ebd layer_norm, ${x.h}`); }
    }
    for (let l = 0; l < config.layers; ++l) {
      blockTensors(x, config, BLOCK(l), NAMES);
      if (o.relative && !o.shareAttKey) {
        for (const [on, m] of [[o.c2p, "pos_key_proj"], [o.p2c, "pos_query_proj"]] as const) {
          if (!on) continue;
          x.add(`${BLOCK(l)}attention.self.${m}.weight`, [H, H], `pos_att_type, share_att_key false, ${x.h}`);
          x.add(`${BLOCK(l)}attention.self.${m}.bias`, [H], `pos_att_type, share_att_key false, ${x.h}`);
        }
      }
    }
    return x.out;
  },
  canonicalName(key) {
    const k = stripPrefix(key, ["deberta."]);
    if (/^embeddings\.(word_embeddings|position_embeddings|token_type_embeddings|embed_proj|LayerNorm)\.(weight|bias)$/.test(k)) return k;
    if (/^encoder\.(rel_embeddings|LayerNorm)\.(weight|bias)$/.test(k)) return k;
    if (/^encoder\.layer\.\d+\.(attention\.(self\.(query_proj|key_proj|value_proj|pos_key_proj|pos_query_proj)|output\.(dense|LayerNorm))|intermediate\.dense|output\.(dense|LayerNorm))\.(weight|bias)$/.test(k)) return k;
    return null;
  },
  extraInputs: (config) => (config.typeVocab > 0 ? ["token_type_ids"] : []),
  build: (ctx) => buildDeberta(ctx),
  staticTensors(weight, config, where) {
    const o = opts(config.options);
    const w = need(weight, where);
    const st = bertLayoutStatics(this, weight, config, where, BLOCK, NAMES);
    if (config.embeddingSize !== config.hidden) st.layerNorms.unshift(lnParams(w, 0, "embeddings", "embeddings LayerNorm (after embed_proj)", "embeddings.LayerNorm"));
    if (o.relative) {
      const rel = w("encoder.rel_embeddings.weight");
      st.positionTensors!.push({ ...absoluteTable(rel, "encoder.rel_embeddings.weight", 0, config.hidden), kind: "relative", rowMeaning: `relative distance bucket + ${o.span}`, colMeaning: "hidden dimension" });
      if (o.normRel) st.layerNorms.push(lnParams(w, 0, "relative", "LayerNorm of rel_embeddings", "encoder.LayerNorm"));
    }
    return st;
  },
  positionOffset: () => 0,
  // relative attention has no hard limit, but max_position_embeddings is what the checkpoint was trained for
  maxSequenceLength: (config) => config.maxPositions,
};

/** The DeBERTa-v2 graph (see the file comment). */
function buildDeberta(ctx: BuildContext): string {
  const { g, config } = ctx;
  const o = opts(config.options);
  const { hidden: H, heads, intermediate: I, layerNormEps: eps } = config;
  const dh = H / heads;
  // embeddings: word (+ position) (+ token type) (-> embed_proj) -> LayerNorm, then zeroed at padding
  let x: string;
  if (config.embeddingSize !== H) {
    const raw = bertEmbeddingsSum(ctx);
    x = layerNorm(ctx, g.node("MatMul", [raw, g.f32("embeddings.embed_proj.weight.T", [config.embeddingSize, H], transposeOf(ctx, "embeddings.embed_proj.weight", H, config.embeddingSize))]), "embeddings.LayerNorm", H, eps);
  } else {
    x = bertEmbeddings(ctx, "range", config.typeVocab > 0);
  }
  const maskF = g.node("Unsqueeze", [g.node("Cast", ["attention_mask"], { to: DataType.FLOAT }), g.i64("axes_2", [2])]);
  x = g.node("Mul", [x, maskF], {}, "hidden_states.0");
  const mask = paddingMask(ctx);
  const nTerms = 1 + (o.c2p ? 1 : 0) + (o.p2c ? 1 : 0);
  const scale = g.f32Scalar("deberta_scale", f32(Math.sqrt(f32(dh * nTerms))));
  // relative part: rel_embeddings rows 0..2 span - 1 (LayerNorm'd), index tables by distance
  let rel = "";
  let c2pIndex = "", p2cIndex = "";
  if (o.relative && (o.c2p || o.p2c)) {
    // the table has exactly 2 span rows (expectedTensors), all used
    rel = g.f32("encoder.rel_embeddings.weight", [2 * o.span, H], ctx.weight("encoder.rel_embeddings.weight"));
    if (o.normRel) rel = layerNorm(ctx, rel, "encoder.LayerNorm", H, eps);
    const D = config.maxPositions;
    const c2p = new BigInt64Array(2 * D + 1), p2c = new BigInt64Array(2 * D + 1);
    const clamp = (v: number) => Math.min(Math.max(v, 0), 2 * o.span - 1);
    // gatherByDistance indexes by d = j - i; relative_pos[i][j] = bucket(i - j) = bucket(-d)
    for (let d = -D; d <= D; ++d) {
      c2p[d + D] = BigInt(clamp(relativePosition(-d, o) + o.span));
      p2c[d + D] = BigInt(clamp(-relativePosition(-d, o) + o.span));
    }
    const i64 = (name: string, data: BigInt64Array) => g.i64(name, Array.from(data, Number));
    // c2p index [i, j] over the query's row; p2c is gathered on the key's row: index [j, i] then transposed
    c2pIndex = gatherByDistance(ctx, i64("c2p_by_distance", c2p), D);
    p2cIndex = gatherByDistance(ctx, i64("p2c_by_distance", p2c), D);
  }
  for (let l = 0; l < config.layers; ++l) {
    const p = `${BLOCK(l)}attention.self.`;
    const qLin = linear(ctx, x, `${p}query_proj`, H, H);
    const kLin = linear(ctx, x, `${p}key_proj`, H, H);
    const q = splitHeads(ctx, qLin, heads);
    const kT = splitHeads(ctx, kLin, heads, true);
    const v = splitHeads(ctx, linear(ctx, x, `${p}value_proj`, H, H), heads);
    const terms: string[] = [];
    if (rel) {
      // positional keys/queries [1, heads, 2 span, dh] from rel_embeddings through the (shared or own) projections
      const posHeads = (prefix: string, transposeKey: boolean) => {
        const y = g.node("Unsqueeze", [linear(ctx, rel, prefix, H, H), g.i64("axes_0", [0])]);
        return splitHeads(ctx, y, heads, transposeKey);
      };
      const shapeBHSS = g.node("Shape", [g.node("MatMul", [q, kT])]);
      if (o.c2p) {
        const posKT = posHeads(o.shareAttKey ? `${p}key_proj` : `${p}pos_key_proj`, true);
        const c2pAll = g.node("MatMul", [q, posKT]); // [B, h, S, 2 span]
        const index = g.node("Expand", [c2pIndex, shapeBHSS]);
        terms.push(g.node("Div", [g.node("GatherElements", [c2pAll, index], { axis: -1 }), scale]));
      }
      if (o.p2c) {
        const posQT = posHeads(o.shareAttKey ? `${p}query_proj` : `${p}pos_query_proj`, true);
        const k = splitHeads(ctx, kLin, heads);
        const p2cAll = g.node("MatMul", [k, posQT]); // [B, h, S(key), 2 span]
        const index = g.node("Expand", [p2cIndex, shapeBHSS]);
        const gathered = g.node("GatherElements", [p2cAll, index], { axis: -1 });
        terms.push(g.node("Div", [g.node("Transpose", [gathered], { perm: [0, 1, 3, 2] }), scale]));
      }
    }
    const context = attentionCore(ctx, q, kT, v, mask, scale, terms, false, l + 1);
    x = postLnTail(ctx, context, x, BLOCK(l), NAMES, l + 1, `hidden_states.${l + 1}`);
  }
  return x;
}

/** word (+ position) (+ token type), before the LayerNorm, at embedding_size. */
function bertEmbeddingsSum(ctx: BuildContext): string {
  const { g, config } = ctx;
  const E = config.embeddingSize;
  let x = g.node("Gather", [g.f32("embeddings.word_embeddings.weight", [config.vocab, E], ctx.weight("embeddings.word_embeddings.weight")), "input_ids"], { axis: 0 });
  if (config.positionEmbeddingType === "absolute") {
    const table = g.f32("embeddings.position_embeddings.weight", [config.maxPositions, E], ctx.weight("embeddings.position_embeddings.weight"));
    const n = g.node("Gather", [g.node("Shape", ["input_ids"]), g.i64Scalar("index_1", 1)], { axis: 0 });
    x = g.node("Add", [x, g.node("Gather", [table, g.node("Range", [g.i64Scalar("zero", 0), n, g.i64Scalar("one", 1)])], { axis: 0 })]);
  }
  if (config.typeVocab > 0) {
    const table = g.f32("embeddings.token_type_embeddings.weight", [config.typeVocab, E], ctx.weight("embeddings.token_type_embeddings.weight"));
    x = g.node("Add", [x, g.node("Gather", [table, "token_type_ids"], { axis: 0 })]);
  }
  return x;
}

function transposeOf(ctx: BuildContext, name: string, rows: number, cols: number): Float32Array {
  const d = ctx.weight(name);
  const out = new Float32Array(rows * cols);
  for (let r = 0; r < rows; ++r) for (let c = 0; c < cols; ++c) out[c * rows + r] = d[r * cols + c];
  return out;
}
