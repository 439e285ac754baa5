/**
 * Graph pieces every family shares, written once: Linear, LayerNorm (with or without bias), the GELU
 * variants and ReLU, head splitting, the additive padding mask and the attention core (scaled scores,
 * optional additive position terms, softmax, weighted values, heads merged).
 */
import { DataType } from "../onnx/proto.js";
import { transpose } from "../onnx/graph.js";
import type { Activation, SiteKind } from "../types.js";
import type { BuildContext } from "./family.js";

/** torch.finfo(torch.float32).min, the additive mask value Hugging Face uses. */
export const FLOAT32_MIN = -3.4028234663852886e38;

/** x @ W^T (+ b) for a torch Linear stored as [out, in]; W is registered once per name. */
export function linear(ctx: BuildContext, x: string, prefix: string, inDim: number, outDim: number, bias = true): string {
  const { g } = ctx;
  const wName = `${prefix}.weight.T`;
  const w = g.has(wName) ? wName : g.f32(wName, [inDim, outDim], transpose(ctx.weight(`${prefix}.weight`), outDim, inDim));
  const y = g.node("MatMul", [x, w]);
  if (!bias) return y;
  const bName = `${prefix}.bias`;
  return g.node("Add", [y, g.has(bName) ? bName : g.f32(bName, [outDim], ctx.weight(bName))]);
}

/** LayerNormalization over the last axis; `bias` false uses zeros (ModernBERT norm_bias false). */
export function layerNorm(ctx: BuildContext, x: string, prefix: string, dim: number, eps: number, out?: string, bias = true): string {
  const { g } = ctx;
  const gamma = g.has(`${prefix}.weight`) ? `${prefix}.weight` : g.f32(`${prefix}.weight`, [dim], ctx.weight(`${prefix}.weight`));
  const betaName = bias ? `${prefix}.bias` : `${prefix}.bias.zeros`;
  const beta = g.has(betaName) ? betaName : g.f32(betaName, [dim], bias ? ctx.weight(`${prefix}.bias`) : new Float32Array(dim));
  const ln = g.node("LayerNormalization", [x, gamma, beta], { axis: -1 }, out);
  g.graph.node[g.graph.node.length - 1].attribute.push(g.floatAttr("epsilon", eps));
  return ln;
}

/**
 * Exposes `value` as the graph output `${kind}.${layer}` when that site was requested (an Identity node
 * named after the site; build.ts declares the output). Adds nothing otherwise, so the default graph is unchanged.
 */
export function site(ctx: BuildContext, kind: SiteKind, layer: number, value: string): void {
  const name = `${kind}.${layer}`;
  if (ctx.sites?.some((s) => s.name === name)) ctx.g.node("Identity", [value], {}, name);
}

/** The configured activation: exact erf GELU, the tanh approximation (gelu_new, gelu_pytorch_tanh), ReLU. */
export function activation(ctx: BuildContext, x: string, act: Activation): string {
  const { g } = ctx;
  const c = (name: string, v: number) => (g.has(name) ? name : g.f32Scalar(name, v));
  if (act === "relu") return g.node("Relu", [x]);
  if (act === "gelu") {
    // 0.5 * x * (1 + erf(x / sqrt 2))
    const erf = g.node("Erf", [g.node("Div", [x, c("sqrt_2", Math.SQRT2)])]);
    return g.node("Mul", [g.node("Mul", [x, g.node("Add", [erf, c("one_f", 1)])]), c("half", 0.5)]);
  }
  // 0.5 * x * (1 + tanh(sqrt(2/pi) * (x + 0.044715 x^3)))
  const cube = g.node("Mul", [g.node("Mul", [x, x]), x]);
  const inner = g.node("Mul", [g.node("Add", [x, g.node("Mul", [cube, c("gelu_c", 0.044715)])]), c("sqrt_2_over_pi", Math.sqrt(2 / Math.PI))]);
  return g.node("Mul", [g.node("Mul", [x, c("half", 0.5)]), g.node("Add", [g.node("Tanh", [inner]), c("one_f", 1)])]);
}

/** The additive padding mask (1 - mask) * float32 min, [batch, 1, 1, sequence] (keys masked). */
export function paddingMask(ctx: BuildContext): string {
  const { g } = ctx;
  const maskF = g.node("Cast", ["attention_mask"], { to: DataType.FLOAT });
  const inverted = g.node("Sub", [g.has("one_f") ? "one_f" : g.f32Scalar("one_f", 1), maskF]);
  const additive = g.node("Mul", [inverted, g.f32Scalar("float32_min", FLOAT32_MIN)]);
  return g.node("Unsqueeze", [additive, g.i64("axes_1_2", [1, 2])], {}, "extended_attention_mask");
}

/** [B, S, H] -> [B, heads, S, dh] (keyT: [B, heads, dh, S]). */
export function splitHeads(ctx: BuildContext, x: string, heads: number, keyT = false): string {
  const { g } = ctx;
  const H = ctx.config.hidden;
  const shape = g.has("shape_heads") ? "shape_heads" : g.i64("shape_heads", [0, 0, heads, H / heads]);
  return g.node("Transpose", [g.node("Reshape", [x, shape])], { perm: keyT ? [0, 2, 3, 1] : [0, 2, 1, 3] });
}

/** [B, heads, S, dh] -> [B, S, H]. */
export function mergeHeads(ctx: BuildContext, x: string): string {
  const { g } = ctx;
  const shape = g.has("shape_merged") ? "shape_merged" : g.i64("shape_merged", [0, 0, ctx.config.hidden]);
  return g.node("Reshape", [g.node("Transpose", [x], { perm: [0, 2, 1, 3] }), shape]);
}

/**
 * softmax(q kT / scale + terms + mask) v, merged to [B, S, H]. q [B,h,S,dh], kT [B,h,dh,S], v [B,h,S,dh];
 * `terms` are additive score terms broadcastable to [B,h,S,S] (relative position biases); `mulScale`
 * multiplies by 1/scale instead of dividing (ModernBERT's `* head_dim**-0.5`); `layer` (1-based) names
 * the attn_probs site of the probabilities.
 */
export function attentionCore(ctx: BuildContext, q: string, kT: string, v: string, mask: string, scale: string, terms: string[] = [], mulScale = false, layer = 0): string {
  const { g } = ctx;
  let scores = g.node(mulScale ? "Mul" : "Div", [g.node("MatMul", [q, kT]), scale]);
  for (const t of terms) scores = g.node("Add", [scores, t]);
  scores = g.node("Add", [scores, mask]);
  const probs = g.node("Softmax", [scores], { axis: -1 });
  site(ctx, "attn_probs", layer, probs);
  return mergeHeads(ctx, g.node("MatMul", [probs, v]));
}

/** Positions 0..S-1 of the batch's sequence, int64 [S]. */
export function sequenceRange(ctx: BuildContext): string {
  const { g } = ctx;
  if (g.has("position_range")) return "position_range";
  const n = g.node("Gather", [g.node("Shape", ["input_ids"]), g.i64Scalar("index_1", 1)], { axis: 0 }, "sequence_length");
  return g.node("Range", [g.i64Scalar("zero", 0), n, g.i64Scalar("one", 1)], {}, "position_range");
}

/**
 * A [S, S] table value[i][j] = table[(j - i) + (rows - 1) / 2] gathered from a constant table indexed
 * by relative distance (rows = 2 * maxDistance + 1, distance 0 in the middle). Returns [S, S, ...rest].
 */
export function gatherByDistance(ctx: BuildContext, table: string, maxDistance: number): string {
  const { g } = ctx;
  const range = sequenceRange(ctx);
  const j = g.node("Unsqueeze", [range, g.i64("axes_0", [0])]);
  const i = g.node("Unsqueeze", [range, g.i64("axes_1", [1])]);
  const index = g.node("Add", [g.node("Sub", [j, i]), g.i64Scalar("max_distance", maxDistance)]);
  return g.node("Gather", [table, index], { axis: 0 });
}

/** Math.fround shorthand: torch computes these index tables in float32. */
export const f32 = Math.fround;
