/**
 * Reads a Hugging Face config.json into a checked ModelConfig. BERT and RoBERTa share field names;
 * DistilBERT has its own (dim, n_layers, n_heads, hidden_dim, activation) and a fixed LayerNorm eps.
 */
import { MAX_BYTES, readBounded } from "./files.js";
import * as path from "node:path";
import type { Architecture, ModelConfig } from "./types.js";

export const SUPPORTED_MODEL_TYPES: readonly Architecture[] = ["bert", "roberta", "distilbert"];

/** The config.json field that holds each size, per family (used in error messages too). */
export function configFieldNames(architecture: Architecture): Record<"layers" | "hidden" | "heads" | "intermediate" | "vocab" | "maxPositions" | "typeVocab", string> {
  return architecture === "distilbert"
    ? { layers: "n_layers", hidden: "dim", heads: "n_heads", intermediate: "hidden_dim", vocab: "vocab_size", maxPositions: "max_position_embeddings", typeVocab: "(none)" }
    : { layers: "num_hidden_layers", hidden: "hidden_size", heads: "num_attention_heads", intermediate: "intermediate_size", vocab: "vocab_size", maxPositions: "max_position_embeddings", typeVocab: "type_vocab_size" };
}

/** Checks a parsed config.json object; `file` names it in errors. */
export function parseConfig(raw: unknown, file: string): ModelConfig {
  if (raw === null || typeof raw !== "object" || Array.isArray(raw)) {
    throw new Error(`${file}: expected a JSON object, got ${Array.isArray(raw) ? "an array" : JSON.stringify(raw)}; pass a Hugging Face config.json`);
  }
  const c = raw as Record<string, unknown>;
  const type = c.model_type;
  if (type === undefined) {
    throw new RangeError(`${file}: model_type is missing; add "model_type" with one of ${SUPPORTED_MODEL_TYPES.join(", ")} (the family the weights were saved from)`);
  }
  if (!SUPPORTED_MODEL_TYPES.includes(type as Architecture)) {
    throw new RangeError(`${file}: model_type ${JSON.stringify(type)} is not supported; expected one of ${SUPPORTED_MODEL_TYPES.join(", ")}`);
  }
  const architecture = type as Architecture;
  const names = configFieldNames(architecture);
  const problems: string[] = [];
  const size = (field: string, fallback?: number, min = 1): number => {
    const v = c[field] ?? fallback;
    if (v === undefined) { problems.push(`${field} is missing; add it (a positive integer)`); return NaN; }
    if (typeof v !== "number" || !Number.isSafeInteger(v) || v < min) {
      problems.push(`${field} is ${JSON.stringify(v)}; expected an integer >= ${min}`);
      return NaN;
    }
    return v;
  };
  const layers = size(names.layers);
  const hidden = size(names.hidden);
  const heads = size(names.heads);
  const intermediate = size(names.intermediate);
  const vocab = size(names.vocab);
  const maxPositions = size(names.maxPositions);
  // HF class defaults: BertConfig and RobertaConfig type_vocab_size 2; DistilBERT has no token types
  const typeVocab = architecture === "distilbert" ? 0 : size("type_vocab_size", 2, 0);
  const padTokenId = size("pad_token_id", architecture === "roberta" ? 1 : 0, 0);
  if (Number.isInteger(hidden) && Number.isInteger(heads) && hidden % heads !== 0) {
    problems.push(`${names.hidden} ${hidden} is not a multiple of ${names.heads} ${heads}; fix one of them`);
  }
  if (Number.isInteger(padTokenId) && Number.isInteger(vocab) && padTokenId >= vocab) {
    problems.push(`pad_token_id ${padTokenId} is outside the vocabulary (vocab_size ${vocab}); fix pad_token_id`);
  }

  const pet = c.position_embedding_type ?? "absolute";
  if (pet !== "absolute" && pet !== "none") {
    const why = pet === "relative_key" || pet === "relative_key_query"
      ? " (relative position embeddings add a learned distance term inside attention that the graph builder does not implement)"
      : "";
    problems.push(`position_embedding_type ${JSON.stringify(pet)} is not supported${why}; expected "absolute" or "none"`);
  }
  const actField = architecture === "distilbert" ? "activation" : "hidden_act";
  const act = c[actField] ?? "gelu";
  if (act !== "gelu") {
    problems.push(`${actField} ${JSON.stringify(act)} is not supported; only exact erf GELU ("gelu") is implemented, use a checkpoint trained with it`);
  }
  // DistilBERT's LayerNorms use eps 1e-12 in Hugging Face regardless of config
  let layerNormEps = 1e-12;
  if (architecture !== "distilbert") {
    const eps = c.layer_norm_eps ?? 1e-12;
    if (typeof eps !== "number" || !(eps > 0) || !Number.isFinite(eps)) problems.push(`layer_norm_eps is ${JSON.stringify(eps)}; expected a positive number`);
    else layerNormEps = eps;
  }
  if (architecture === "roberta" && pet === "absolute" && Number.isInteger(maxPositions) && Number.isInteger(padTokenId) && maxPositions <= padTokenId + 1) {
    problems.push(`max_position_embeddings ${maxPositions} leaves no position after the RoBERTa offset pad_token_id + 1 = ${padTokenId + 1}; fix max_position_embeddings`);
  }
  if (problems.length) throw new Error(`${file}: ${problems.join("; ")}`);
  return {
    architecture, layers, hidden, heads, intermediate, vocab, maxPositions, typeVocab,
    positionEmbeddingType: pet as "absolute" | "none",
    layerNormEps, padTokenId, hiddenAct: "gelu", raw: c,
  };
}

/** Reads and checks dir/config.json. */
export function readConfig(dir: string): ModelConfig {
  const file = path.join(dir, "config.json");
  // bounded: a config.json linked to /dev/zero or grown huge is refused at once, not read to exhaustion
  const text = readBounded(file, MAX_BYTES.config, "pass a Hugging Face model folder that contains config.json").toString("utf8");
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new Error(`${file}: not valid JSON (${(err as Error).message}); fix or re-download config.json`, { cause: err });
  }
  return parseConfig(json, file);
}

/** The largest sequence the model accepts: RoBERTa loses padding_idx + 1 rows to its offset. */
export function maxSequenceLength(config: ModelConfig): number {
  if (config.positionEmbeddingType === "none") return Infinity;
  return config.architecture === "roberta" ? config.maxPositions - config.padTokenId - 1 : config.maxPositions;
}
