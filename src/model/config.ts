/**
 * Reads a Hugging Face config.json into a checked ModelConfig. The common sizes are read here under each
 * family's field names (src/model/families/); the family module checks its own fields.
 */
import { MAX_BYTES, readBounded } from "./files.js";
import { noteInput } from "../numerics/inputs.js";
import * as path from "node:path";
import { familyOf, familyOfModelType, SUPPORTED_MODEL_TYPES } from "./families/index.js";
import type { FieldNames } from "./families/family.js";
import type { Activation, Architecture, ModelConfig } from "./types.js";

export { SUPPORTED_MODEL_TYPES };

const ACTIVATIONS: readonly Activation[] = ["gelu", "gelu_new", "gelu_pytorch_tanh", "relu"];

/** The config.json field that holds each size, per family (used in error messages too). */
export function configFieldNames(architecture: Architecture): FieldNames {
  return familyOf(architecture).fields;
}

/** Checks a parsed config.json object; `file` names it in errors. All problems are reported in one error. */
export function parseConfig(raw: unknown, file: string): ModelConfig {
  if (raw === null || typeof raw !== "object" || Array.isArray(raw)) {
    throw new Error(`${file}: expected a JSON object, got ${Array.isArray(raw) ? "an array" : JSON.stringify(raw)}; pass a Hugging Face config.json`);
  }
  const c = raw as Record<string, unknown>;
  if (c.model_type === undefined) {
    throw new RangeError(`${file}: model_type is missing; add "model_type" with one of ${SUPPORTED_MODEL_TYPES.join(", ")} (the family the weights were saved from)`);
  }
  const family = familyOfModelType(c.model_type);
  if (!family) {
    throw new RangeError(`${file}: model_type ${JSON.stringify(c.model_type)} is not supported; expected one of ${SUPPORTED_MODEL_TYPES.join(", ")}`);
  }
  const names = family.fields;
  const d = family.defaults;
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
  const typeVocab = d.typeVocab === undefined ? 0 : size(names.typeVocab, d.typeVocab, 0);
  const embeddingSize = names.embeddingSize ? size(names.embeddingSize, hidden) : hidden;
  const padTokenId = size("pad_token_id", d.padTokenId, 0);
  if (Number.isInteger(hidden) && Number.isInteger(heads) && hidden % heads !== 0) {
    problems.push(`${names.hidden} ${hidden} is not a multiple of ${names.heads} ${heads}; fix one of them`);
  }
  if (Number.isInteger(padTokenId) && Number.isInteger(vocab) && padTokenId >= vocab) {
    problems.push(`pad_token_id ${padTokenId} is outside the vocabulary (vocab_size ${vocab}); fix pad_token_id`);
  }
  const act = c[names.act] ?? d.act;
  const acts = d.acts ?? ACTIVATIONS;
  if (!acts.includes(act as Activation)) {
    const only = acts.length === 1 ? `only exact erf GELU ("gelu") is implemented, use a checkpoint trained with it` : `expected one of ${acts.map((a) => JSON.stringify(a)).join(", ")}`;
    problems.push(`${names.act} ${JSON.stringify(act)} is not supported; ${only}`);
  }
  let layerNormEps = d.eps;
  if (names.eps) {
    const eps = c[names.eps] ?? d.eps;
    if (typeof eps !== "number" || !(eps > 0) || !Number.isFinite(eps)) problems.push(`${names.eps} is ${JSON.stringify(eps)}; expected a positive number`);
    else layerNormEps = eps;
  }
  const config: ModelConfig = {
    architecture: family.architecture, modelType: c.model_type as string,
    layers, hidden, heads, intermediate, vocab, maxPositions, typeVocab,
    positionEmbeddingType: "absolute", embeddingSize,
    layerNormEps, padTokenId, hiddenAct: act as Activation, options: {}, raw: c,
  };
  if (!problems.length) family.parseOptions(c, config, problems);
  if (problems.length) throw new Error(`${file}: ${problems.join("; ")}`);
  return config;
}

/** Reads and checks dir/config.json. */
export function readConfig(dir: string): ModelConfig {
  const file = path.join(dir, "config.json");
  noteInput({ kind: "model", dir });
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

/** The largest sequence the model accepts (RoBERTa and MPNet lose padding_idx + 1 rows to their offset). */
export function maxSequenceLength(config: ModelConfig): number {
  return familyOf(config.architecture).maxSequenceLength(config);
}
