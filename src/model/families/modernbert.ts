/**
 * ModernBERT (ModernBertModel): pre-LN blocks (no attention norm in layer 0), fused Wqkv, rotary
 * positions (RoPE) with one theta for global layers and another for local ones, local layers attending
 * within |i - j| <= local_attention / 2, one global layer every global_attn_every_n_layers, GeGLU MLP
 * (Wi -> [input, gate], act(input) * gate -> Wo), biases and norm biases as configured (released
 * checkpoints have none), and a final norm. As in transformers, hidden_states.0 is the embeddings
 * (tok_embeddings -> norm), hidden_states.l the input of block l, and hidden_states.L the FINAL-NORM
 * output, equal to last_hidden_state (what sentence-transformers pools); the last block's residual
 * stream before the final norm is not exposed. There is no position table: nothing positional to inspect.
 */
import { activation, attentionCore, f32, layerNorm, linear, mergeHeads, paddingMask, sequenceRange, site } from "./blocks.js";
import { expector, lnParams, need, stripPrefix } from "./bertLayout.js";
import { isBool, isInt, isPositive, option, type BuildContext, type Family } from "./family.js";
import { FLOAT32_MIN } from "./blocks.js";
import type { LayerNormParams, ModelConfig } from "../types.js";

interface ModernOptions {
  globalEvery: number;
  window: number;
  globalTheta: number;
  localTheta: number;
  attentionBias: boolean;
  mlpBias: boolean;
  normBias: boolean;
  /** true for a layer with full (global) attention. */
  global: boolean[];
}
const opts = (c: ModelConfig) => c.options as unknown as ModernOptions;

/** RoPE cos and sin tables [positions x headDim] in float32 like transformers' default rotary embedding. */
export function ropeTables(theta: number, headDim: number, positions: number): { cos: Float32Array; sin: Float32Array } {
  const half = headDim / 2;
  const inv = new Float32Array(half);
  for (let k = 0; k < half; ++k) inv[k] = f32(1 / f32(Math.pow(theta, f32(f32(2 * k) / headDim))));
  const cos = new Float32Array(positions * headDim), sin = new Float32Array(positions * headDim);
  for (let p = 0; p < positions; ++p) {
    for (let k = 0; k < half; ++k) {
      const a = f32(p * inv[k]);
      cos[p * headDim + k] = cos[p * headDim + k + half] = Math.cos(a);
      sin[p * headDim + k] = sin[p * headDim + k + half] = Math.sin(a);
    }
  }
  return { cos, sin };
}

export const modernbert: Family = {
  architecture: "modernbert",
  modelTypes: ["modernbert"],
  positionScheme: "rotary (RoPE), global and local thetas; no position table",
  lnPlacement: "pre-LN",
  fields: {
    layers: "num_hidden_layers", hidden: "hidden_size", heads: "num_attention_heads", intermediate: "intermediate_size",
    vocab: "vocab_size", maxPositions: "max_position_embeddings", typeVocab: "(none)", act: "hidden_activation", eps: "norm_eps",
  },
  defaults: { act: "gelu", eps: 1e-5, padTokenId: 50283 },
  siteModules: {
    label: "ModernBERT", block: (i) => `layers.${i}`, attnOut: "attn.Wo", attnNorm: "mlp_norm", ffnDown: "mlp.Wo", outNorm: "attn_norm",
    ffnAct: "GeGLU {act}(input) * gate, the two halves of mlp.Wi(mlp_norm(x))",
    attention(config, layer) {
      const o = opts(config);
      return o.global[layer - 1] ? `global (full) attention, RoPE theta ${o.globalTheta}` : `local attention, keys within ${Math.floor(o.window / 2)} tokens, RoPE theta ${o.localTheta}`;
    },
  },
  parseOptions(raw, config, problems) {
    config.positionEmbeddingType = "none";
    const globalEvery = option(raw, "global_attn_every_n_layers", 3, isInt(1), "a positive integer", problems);
    const window = option(raw, "local_attention", 128, isInt(2), "an integer >= 2", problems);
    const rope = (raw.rope_parameters ?? {}) as Record<string, { rope_theta?: unknown; rope_type?: unknown } | undefined>;
    const theta = (kind: string, legacy: string, fallback: number) => {
      const v = rope[kind]?.rope_theta ?? raw[legacy] ?? fallback;
      if (!isPositive(v)) problems.push(`${raw[legacy] !== undefined ? legacy : `rope_parameters.${kind}.rope_theta`} is ${JSON.stringify(v)}; expected a positive number`);
      const type = rope[kind]?.rope_type ?? "default";
      if (type !== "default") problems.push(`rope_parameters.${kind}.rope_type is ${JSON.stringify(type)}; only "default" RoPE is implemented`);
      return v as number;
    };
    const globalTheta = theta("full_attention", "global_rope_theta", 160000);
    const localTheta = theta("sliding_attention", "local_rope_theta", 10000);
    let global = Array.from({ length: config.layers }, (_, l) => l % globalEvery === 0);
    if (Array.isArray(raw.layer_types)) {
      const bad = raw.layer_types.filter((t) => t !== "full_attention" && t !== "sliding_attention");
      if (bad.length || raw.layer_types.length !== config.layers) problems.push(`layer_types is ${JSON.stringify(raw.layer_types)}; expected ${config.layers} entries, each "full_attention" or "sliding_attention"`);
      else global = raw.layer_types.map((t) => t === "full_attention");
    }
    config.options = {
      globalEvery, window, globalTheta, localTheta, global,
      attentionBias: option(raw, "attention_bias", false, isBool, "true or false", problems),
      mlpBias: option(raw, "mlp_bias", false, isBool, "true or false", problems),
      normBias: option(raw, "norm_bias", false, isBool, "true or false", problems),
    } satisfies ModernOptions;
  },
  expectedTensors(config) {
    const o = opts(config);
    const x = expector(config, this.fields);
    const { hidden: H, intermediate: I, vocab: V } = config;
    const norm = (name: string) => { x.add(`${name}.weight`, [H], x.h); if (o.normBias) x.add(`${name}.bias`, [H], `norm_bias true, ${x.h}`); };
    x.add("embeddings.tok_embeddings.weight", [V, H], `vocab_size ${V}, ${x.h}`);
    norm("embeddings.norm");
    for (let l = 0; l < config.layers; ++l) {
      const p = `layers.${l}.`;
      if (l > 0) norm(`${p}attn_norm`);
      x.add(`${p}attn.Wqkv.weight`, [3 * H, H], x.h);
      if (o.attentionBias) x.add(`${p}attn.Wqkv.bias`, [3 * H], `attention_bias true, ${x.h}`);
      x.add(`${p}attn.Wo.weight`, [H, H], x.h);
      if (o.attentionBias) x.add(`${p}attn.Wo.bias`, [H], `attention_bias true, ${x.h}`);
      norm(`${p}mlp_norm`);
      x.add(`${p}mlp.Wi.weight`, [2 * I, H], `${x.i} (x 2), ${x.h}`);
      if (o.mlpBias) x.add(`${p}mlp.Wi.bias`, [2 * I], `mlp_bias true, ${x.i} (x 2)`);
      x.add(`${p}mlp.Wo.weight`, [H, I], `${x.h}, ${x.i}`);
      if (o.mlpBias) x.add(`${p}mlp.Wo.bias`, [H], `mlp_bias true, ${x.h}`);
    }
    norm("final_norm");
    return x.out;
  },
  canonicalName(key) {
    const k = stripPrefix(key, ["model."]);
    if (/^embeddings\.(tok_embeddings|norm)\.(weight|bias)$/.test(k) || /^final_norm\.(weight|bias)$/.test(k)) return k;
    if (/^layers\.\d+\.(attn_norm|attn\.Wqkv|attn\.Wo|mlp_norm|mlp\.Wi|mlp\.Wo)\.(weight|bias)$/.test(k)) return k;
    return null;
  },
  extraInputs: () => [],
  build: (ctx) => buildModernBert(ctx),
  staticTensors(weight, config, where) {
    const o = opts(config);
    const w = need(weight, where);
    const layerNorms: LayerNormParams[] = [lnParams(w, 0, "embeddings", "embeddings norm", "embeddings.norm", o.normBias)];
    for (let l = 1; l <= config.layers; ++l) {
      if (l > 1) layerNorms.push(lnParams(w, l, "attention", "pre-LN before attention", `layers.${l - 1}.attn_norm`, o.normBias));
      layerNorms.push(lnParams(w, l, "mlp", "pre-LN before the MLP", `layers.${l - 1}.mlp_norm`, o.normBias));
    }
    layerNorms.push(lnParams(w, config.layers, "final", "final norm (its output is hidden_states.L)", "final_norm", o.normBias));
    return {
      architecture: config.architecture, hidden: config.hidden, positionScheme: this.positionScheme,
      positionTensors: [], positionEmbeddings: null, positionOffset: 0, tokenTypeEmbeddings: null, layerNorms,
    };
  },
  positionOffset: () => 0,
  maxSequenceLength: (config) => config.maxPositions,
};

/** The ModernBERT graph (see the file comment). */
function buildModernBert(ctx: BuildContext): string {
  const { g, config } = ctx;
  const o = opts(config);
  const { hidden: H, heads, intermediate: I, layerNormEps: eps } = config;
  const dh = H / heads;
  const P = config.maxPositions;
  let x = g.node("Gather", [g.f32("embeddings.tok_embeddings.weight", [config.vocab, H], ctx.weight("embeddings.tok_embeddings.weight")), "input_ids"], { axis: 0 });
  x = layerNorm(ctx, x, "embeddings.norm", H, eps, "hidden_states.0", o.normBias);
  const globalMask = paddingMask(ctx);
  // local layers: also mask keys farther than local_attention / 2 (a constant [S, S] slice of a [P, P] band)
  const range = sequenceRange(ctx);
  const dist = g.node("Abs", [g.node("Sub", [g.node("Unsqueeze", [range, g.i64("axes_1", [1])]), g.node("Unsqueeze", [range, g.i64("axes_0", [0])])])]);
  const outside = g.node("Greater", [dist, g.i64Scalar("half_window", Math.floor(o.window / 2))]);
  const band = g.node("Where", [outside, g.f32Scalar("float32_min", FLOAT32_MIN), g.f32Scalar("zero_f", 0)]);
  // masked_fill semantics: a key outside the window or padded gets exactly float32 min
  const localMask = g.node("Max", [g.node("Add", [globalMask, band]), g.f32Scalar("float32_min", FLOAT32_MIN)]);
  // RoPE tables sliced to the batch's length: [S, dh]
  const n = g.node("Unsqueeze", [g.node("Gather", [g.node("Shape", ["input_ids"]), g.i64Scalar("index_1", 1)], { axis: 0 }), g.i64("axes_0", [0])]);
  const rope = (kind: string, theta: number) => {
    const t = ropeTables(theta, dh, P);
    const slice = (name: string, data: Float32Array) => g.node("Slice", [g.f32(name, [P, dh], data), g.i64("starts_0", [0]), n, g.i64("axes_0", [0])]);
    return { cos: slice(`rope_${kind}_cos`, t.cos), sin: slice(`rope_${kind}_sin`, t.sin) };
  };
  const ropeGlobal = rope("global", o.globalTheta);
  const ropeLocal = o.global.every(Boolean) ? ropeGlobal : rope("local", o.localTheta);
  const scale = g.f32Scalar("inverse_sqrt_head_size", f32(Math.pow(dh, -0.5)));
  const qkvShape = g.i64("shape_qkv", [0, 0, 3, heads, dh]);
  const rotate = (t: string, r: { cos: string; sin: string }) => {
    // t * cos + rotate_half(t) * sin, rotate_half = cat(-x2, x1)
    const x1 = g.node("Slice", [t, g.i64("starts_0", [0]), g.i64("half_head", [dh / 2]), g.i64("axes_m1", [-1])]);
    const x2 = g.node("Slice", [t, g.i64("half_head", [dh / 2]), g.i64("head_end", [dh]), g.i64("axes_m1", [-1])]);
    const rot = g.node("Concat", [g.node("Neg", [x2]), x1], { axis: -1 });
    return g.node("Add", [g.node("Mul", [t, r.cos]), g.node("Mul", [rot, r.sin])]);
  };
  for (let l = 0; l < config.layers; ++l) {
    const p = `layers.${l}.`;
    const normed = l === 0 ? x : layerNorm(ctx, x, `${p}attn_norm`, H, eps, undefined, o.normBias);
    if (l > 0) { site(ctx, "attn_norm_in", l + 1, x); site(ctx, "attn_norm_out", l + 1, normed); }
    const qkv = g.node("Transpose", [g.node("Reshape", [linear(ctx, normed, `${p}attn.Wqkv`, H, 3 * H, o.attentionBias), qkvShape])], { perm: [2, 0, 3, 1, 4] }); // [3, B, h, S, dh]
    const part = (i: number) => g.node("Gather", [qkv, g.i64Scalar(`index_${i}`, i)], { axis: 0 });
    const r = o.global[l] ? ropeGlobal : ropeLocal;
    const q = rotate(part(0), r);
    const kT = g.node("Transpose", [rotate(part(1), r)], { perm: [0, 1, 3, 2] });
    const context = attentionCore(ctx, q, kT, part(2), o.global[l] ? globalMask : localMask, scale, [], true, l + 1);
    x = modernMlp(ctx, context, x, l + 1);
  }
  void mergeHeads;
  site(ctx, "final_norm_in", config.layers, x);
  const last = layerNorm(ctx, x, "final_norm", H, eps, `hidden_states.${config.layers}`, o.normBias);
  site(ctx, "final_norm_out", config.layers, last);
  return last;
}

/** Block `layer` (1-based) after its attention context: Wo, residual add, mlp_norm, GeGLU MLP, residual add; with its sites. */
function modernMlp(ctx: BuildContext, context: string, x: string, layer: number): string {
  const { g, config } = ctx;
  const o = opts(config);
  const { hidden: H, intermediate: I, layerNormEps: eps } = config;
  const p = `layers.${layer - 1}.`;
  const attnOut = linear(ctx, context, `${p}attn.Wo`, H, H, o.attentionBias);
  site(ctx, "attn_out", layer, attnOut);
  const resid = g.node("Add", [x, attnOut]);
  site(ctx, "attn_resid", layer, resid);
  site(ctx, "mlp_norm_in", layer, resid);
  const normed = layerNorm(ctx, resid, `${p}mlp_norm`, H, eps, undefined, o.normBias);
  site(ctx, "mlp_norm_out", layer, normed);
  const wi = linear(ctx, normed, `${p}mlp.Wi`, H, 2 * I, o.mlpBias);
  const input = g.node("Slice", [wi, g.i64("starts_0", [0]), g.i64("mlp_half", [I]), g.i64("axes_m1", [-1])]);
  const gate = g.node("Slice", [wi, g.i64("mlp_half", [I]), g.i64("mlp_end", [2 * I]), g.i64("axes_m1", [-1])]);
  const act = g.node("Mul", [activation(ctx, input, config.hiddenAct), gate]);
  site(ctx, "ffn_act", layer, act);
  const mlp = linear(ctx, act, `${p}mlp.Wo`, I, H, o.mlpBias);
  site(ctx, "ffn_out", layer, mlp);
  const out = g.node("Add", [resid, mlp], {}, layer < config.layers ? `hidden_states.${layer}` : undefined);
  site(ctx, "ffn_resid", layer, out);
  return out;
}
