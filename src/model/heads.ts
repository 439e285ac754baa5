/**
 * Masked-LM heads: which tensors each family's *ForMaskedLM class stores, how they are loaded, and the
 * head as ONNX ops on top of the encoder graph (logits = decoder(norm(act(dense(h)))) + bias), with
 * Hugging Face's semantics:
 *  - BertForMaskedLM: cls.predictions.transform.{dense, LayerNorm}, act = hidden_act, decoder tied,
 *    bias cls.predictions.bias (BertLMPredictionHead).
 *  - RobertaForMaskedLM / XLM-R / CamemBERT and MPNetForMaskedLM: lm_head.{dense, layer_norm}, exact GELU,
 *    decoder tied, bias lm_head.decoder.bias when stored (untied models), else lm_head.bias.
 *  - DistilBertForMaskedLM: vocab_transform, activation, vocab_layer_norm (eps 1e-12), vocab_projector.
 *  - ModernBertForMaskedLM: head.{dense, norm} (classifier_bias, norm_bias), classifier_activation,
 *    decoder (decoder_bias), applied to the final-norm output.
 * A tied decoder (tie_word_embeddings not false) reads the word-embedding initializer the encoder graph
 * already holds (Gemm with transB), so the vocabulary matrix is stored once.
 */
import * as path from "node:path";
import { weightFiles } from "./checkpoint.js";
import { readSafetensors, readSafetensorsHeader } from "./safetensors.js";
import type { GraphBuilder } from "./onnx/graph.js";
import { activation, layerNorm, linear } from "./families/blocks.js";
import type { BuildContext } from "./families/family.js";
import type { Activation, Architecture, ModelConfig } from "./types.js";

/** A loaded masked-LM head: its canonical parts (see the file comment) and what it was read from. */
export interface MlmHead {
  /** The Hugging Face class the head belongs to, e.g. "BertForMaskedLM". */
  className: string;
  act: Activation;
  eps: number;
  /** Weights by part: dense.weight/bias, norm.weight/bias, decoder.weight (untied only), decoder.bias. */
  weights: Map<string, Float32Array>;
  /** True when the decoder is the word-embedding table (tie_word_embeddings not false). */
  tied: boolean;
  /** The canonical name of the word-embedding table a tied decoder reads. */
  embedding: string;
  /** Checkpoint keys read, for provenance. */
  keys: string[];
}

interface Layout {
  className: string;
  /** part -> candidate checkpoint keys, first found wins; parts marked optional may be absent. */
  parts: Record<string, { keys: string[]; optional?: boolean }>;
  act: (c: ModelConfig) => Activation;
  eps: (c: ModelConfig) => number;
  embedding: string;
}

const robertaLike = (className: string): Layout => ({
  className,
  parts: {
    "dense.weight": { keys: ["lm_head.dense.weight"] }, "dense.bias": { keys: ["lm_head.dense.bias"] },
    "norm.weight": { keys: ["lm_head.layer_norm.weight"] }, "norm.bias": { keys: ["lm_head.layer_norm.bias"] },
    "decoder.weight": { keys: ["lm_head.decoder.weight"], optional: true },
    // the decoder's own bias is what forward adds; tied checkpoints store only lm_head.bias (the same tensor)
    "decoder.bias": { keys: ["lm_head.decoder.bias", "lm_head.bias"] },
  },
  act: () => "gelu",
  eps: (c) => c.layerNormEps,
  embedding: "embeddings.word_embeddings.weight",
});

const LAYOUTS: Partial<Record<Architecture, (c: ModelConfig) => Layout>> = {
  bert: () => ({
    className: "BertForMaskedLM",
    parts: {
      "dense.weight": { keys: ["cls.predictions.transform.dense.weight"] }, "dense.bias": { keys: ["cls.predictions.transform.dense.bias"] },
      "norm.weight": { keys: ["cls.predictions.transform.LayerNorm.weight", "cls.predictions.transform.LayerNorm.gamma"] },
      "norm.bias": { keys: ["cls.predictions.transform.LayerNorm.bias", "cls.predictions.transform.LayerNorm.beta"] },
      "decoder.weight": { keys: ["cls.predictions.decoder.weight"], optional: true },
      "decoder.bias": { keys: ["cls.predictions.decoder.bias", "cls.predictions.bias"] },
    },
    act: (c) => c.hiddenAct, eps: (c) => c.layerNormEps, embedding: "embeddings.word_embeddings.weight",
  }),
  roberta: (c) => robertaLike(c.modelType === "xlm-roberta" ? "XLMRobertaForMaskedLM" : c.modelType === "camembert" ? "CamembertForMaskedLM" : "RobertaForMaskedLM"),
  mpnet: () => robertaLike("MPNetForMaskedLM"),
  distilbert: () => ({
    className: "DistilBertForMaskedLM",
    parts: {
      "dense.weight": { keys: ["vocab_transform.weight"] }, "dense.bias": { keys: ["vocab_transform.bias"] },
      "norm.weight": { keys: ["vocab_layer_norm.weight"] }, "norm.bias": { keys: ["vocab_layer_norm.bias"] },
      "decoder.weight": { keys: ["vocab_projector.weight"], optional: true }, "decoder.bias": { keys: ["vocab_projector.bias"] },
    },
    act: (c) => c.hiddenAct, eps: () => 1e-12, embedding: "embeddings.word_embeddings.weight",
  }),
  modernbert: (c) => {
    const raw = c.raw;
    const parts: Layout["parts"] = {
      "dense.weight": { keys: ["head.dense.weight"] }, "norm.weight": { keys: ["head.norm.weight"] },
      "decoder.weight": { keys: ["decoder.weight"], optional: true },
    };
    if (raw.classifier_bias === true) parts["dense.bias"] = { keys: ["head.dense.bias"] };
    if (c.options.normBias === true) parts["norm.bias"] = { keys: ["head.norm.bias"] };
    if (raw.decoder_bias !== false) parts["decoder.bias"] = { keys: ["decoder.bias"] };
    return { className: "ModernBertForMaskedLM", parts, act: () => modernAct(raw.classifier_activation), eps: (x) => x.layerNormEps, embedding: "embeddings.tok_embeddings.weight" };
  },
};

const ACTS: readonly Activation[] = ["gelu", "gelu_new", "gelu_pytorch_tanh", "relu"];
function modernAct(v: unknown): Activation {
  const a = v ?? "gelu";
  if (ACTS.includes(a as Activation)) return a as Activation;
  throw new RangeError(`config.json classifier_activation: ${JSON.stringify(a)} is not supported; expected one of ${ACTS.join(", ")}`);
}

/** The architectures whose masked-LM head this module runs. */
export const MLM_HEAD_ARCHITECTURES: readonly Architecture[] = Object.keys(LAYOUTS) as Architecture[];

/**
 * Loads the masked-LM head of a Hugging Face folder. A folder without one (a bare encoder, a
 * sentence-transformers model) gets an error naming the missing tensors and the scores that need no head.
 */
export function loadMlmHead(dir: string, config: ModelConfig): MlmHead {
  const layoutOf = LAYOUTS[config.architecture];
  if (!layoutOf) {
    throw new RangeError(`${dir}: masked-LM heads of ${config.architecture} checkpoints are not supported (supported: ${MLM_HEAD_ARCHITECTURES.join(", ")}); score this model downstream instead (score sts, wic or probe)`);
  }
  const layout = layoutOf(config);
  const stored = new Map<string, string>(); // key -> file
  for (const file of weightFiles(dir)) for (const e of readSafetensorsHeader(file).entries) stored.set(e.name, file);
  const chosen = new Map<string, string>(); // part -> key
  const missing: string[] = [];
  for (const [part, { keys, optional }] of Object.entries(layout.parts)) {
    const key = keys.find((k) => stored.has(k));
    if (key) chosen.set(part, key);
    else if (!optional) missing.push(keys.join(" or "));
  }
  if (missing.length) {
    throw new Error(`${dir}: no ${layout.className} head: ${missing.join(", ")} ${missing.length > 1 ? "are" : "is"} missing from ${path.basename(weightFiles(dir)[0])}; this checkpoint is an encoder without its masked-LM head (e.g. a sentence-transformers model), so the MLM loss cannot be computed: score it downstream instead (score sts, wic or probe)`);
  }
  const tied = config.raw.tie_word_embeddings !== false;
  if (tied) chosen.delete("decoder.weight");
  else if (!chosen.has("decoder.weight")) {
    throw new Error(`${dir}: config.json tie_word_embeddings is false but ${layout.parts["decoder.weight"].keys[0]} is missing; the untied decoder must be stored, or set tie_word_embeddings to true`);
  }
  const weights = new Map<string, Float32Array>();
  const byFile = new Map<string, Set<string>>();
  for (const key of chosen.values()) byFile.set(stored.get(key)!, (byFile.get(stored.get(key)!) ?? new Set()).add(key));
  for (const [file, keys] of byFile) {
    const { tensors } = readSafetensors(file, { only: (k) => keys.has(k) });
    for (const [part, key] of chosen) if (tensors.has(key)) weights.set(part, tensors.get(key)!.data);
  }
  checkShapes(dir, weights, config);
  return { className: layout.className, act: layout.act(config), eps: layout.eps(config), weights, tied, embedding: layout.embedding, keys: [...chosen.values()].sort() };
}

function checkShapes(dir: string, w: Map<string, Float32Array>, c: ModelConfig): void {
  const want: Record<string, number> = { "dense.weight": c.hidden * c.hidden, "dense.bias": c.hidden, "norm.weight": c.hidden, "norm.bias": c.hidden, "decoder.weight": c.vocab * c.hidden, "decoder.bias": c.vocab };
  for (const [part, data] of w) {
    if (data.length !== want[part]) throw new Error(`${dir}: the masked-LM head's ${part} has ${data.length} values; expected ${want[part]} from config.json (hidden ${c.hidden}, vocab ${c.vocab})`);
  }
  for (const [part, data] of w) {
    const i = data.findIndex((v) => !Number.isFinite(v));
    if (i >= 0) throw new RangeError(`${dir}: the masked-LM head's ${part}[${i}] is ${data[i]}; the checkpoint holds non-finite weights, re-download or re-train it`);
  }
}

/**
 * Adds the head to a graph: `x` is [M, hidden] (the rows to score); returns the logits value [M, vocab].
 * The tied decoder reuses the encoder's word-embedding initializer (it must already be in the graph).
 */
export function buildMlmHead(g: GraphBuilder, x: string, head: MlmHead, config: ModelConfig): string {
  const H = config.hidden;
  const weight = (name: string) => {
    const w = head.weights.get(name.replace(/^mlm_head\./, ""));
    if (!w) throw new Error(`masked-LM head: ${name} is not loaded`);
    return w;
  };
  const ctx: BuildContext = { g, config, weight };
  let h = linear(ctx, x, "mlm_head.dense", H, H, head.weights.has("dense.bias"));
  h = activation(ctx, h, head.act);
  h = layerNorm(ctx, h, "mlm_head.norm", H, head.eps, undefined, head.weights.has("norm.bias"));
  let table = head.embedding;
  if (!head.tied) table = g.f32("mlm_head.decoder.weight", [config.vocab, H], weight("mlm_head.decoder.weight"));
  else if (!g.has(table)) throw new Error(`masked-LM head: the encoder graph has no ${table} initializer to tie the decoder to`);
  const inputs = [h, table];
  if (head.weights.has("decoder.bias")) inputs.push(g.f32("mlm_head.decoder.bias", [config.vocab], weight("mlm_head.decoder.bias")));
  return g.node("Gemm", inputs, { transB: 1 }, "logits");
}
