/**
 * What one encoder family module declares (src/model/families/<family>.ts): its config.json fields,
 * the tensors it expects (shape and the field that sets it), how checkpoint keys map onto its canonical
 * names, its graph, and the static tensors the analyses read. Nothing outside src/model/families/
 * branches on a family name: everything family-specific is reached through this interface.
 */
import type { GraphBuilder } from "../onnx/graph.js";
import type { Activation, Architecture, Float32Tensor, ModelConfig, SiteInfo, StaticTensors } from "../types.js";

/** One tensor the graph needs: canonical name, expected shape, and the config fields that set it. */
export interface ExpectedTensor {
  name: string;
  shape: number[];
  /** e.g. "config.json vocab_size 20, hidden_size 8". */
  because: string;
}

/** The config.json field holding each common size (used in error messages too). */
export interface FieldNames {
  layers: string;
  hidden: string;
  heads: string;
  intermediate: string;
  vocab: string;
  maxPositions: string;
  /** "(none)" when the family has no token types. */
  typeVocab: string;
  /** The activation field ("hidden_act", DistilBERT "activation", ModernBERT "hidden_activation"). */
  act: string;
  /** The LayerNorm epsilon field, or null when the family fixes it. */
  eps: string | null;
  /** The embedding-width field when embeddings may be narrower than hidden (ELECTRA, ALBERT, DeBERTa). */
  embeddingSize?: string;
}

/** The Hugging Face class defaults the family falls back on when config.json omits a field. */
export interface FamilyDefaults {
  act: Activation;
  eps: number;
  padTokenId: number;
  /** undefined: the family has no token types. */
  typeVocab?: number;
  /** Accepted activations; default every Activation. */
  acts?: readonly Activation[];
}

/** Everything a family's graph builder gets. */
export interface BuildContext {
  g: GraphBuilder;
  config: ModelConfig;
  /** A loaded weight's data by canonical name (throws naming the folder when absent). */
  weight(name: string): Float32Array;
  /** Sites to expose as extra graph outputs (src/model/sites.ts); none by default, and then the graph is unchanged. */
  sites?: readonly SiteInfo[];
}

/**
 * Where a family's block parts sit, by their transformers module names, for the site descriptions of
 * src/model/sites.ts (post-LN: the norms follow the residual sums; pre-LN: they precede each sublayer).
 */
export interface SiteModules {
  /** The family's name in descriptions ("BERT"). */
  label: string;
  /** The transformers module of block i (0-based), e.g. "encoder.layer.2". */
  block(i: number): string;
  /** Submodules of a block: attention output projection, the norm its residual sum enters, FFN down projection, the block's last norm. */
  attnOut: string;
  attnNorm: string;
  ffnDown: string;
  outNorm: string;
  /** The FFN intermediate activation in words ("GELU(intermediate.dense(h))"). */
  ffnAct: string;
  /** Extra words about one block's attention (local window, relative bias ...), or "". */
  attention(config: ModelConfig, layer: number): string;
}

export interface Family {
  architecture: Architecture;
  /** config.json model_type values the module loads (aliases such as "xlm-roberta" included). */
  modelTypes: readonly string[];
  /** The position scheme in words, for the README table, reports and `inspect`. */
  positionScheme: string;
  /** "post-LN" (norm after each residual add) or "pre-LN" (norm before each sublayer, final norm). */
  lnPlacement: "post-LN" | "pre-LN";
  fields: FieldNames;
  defaults: FamilyDefaults;
  /** Module names for the sites' descriptions (src/model/sites.ts). */
  siteModules: SiteModules;
  /**
   * Reads the family's own fields from config.json into ModelConfig.options; pushes one line per
   * problem (field, value, what is accepted) and may correct the common sizes (e.g. no absolute table).
   */
  parseOptions(raw: Record<string, unknown>, config: ModelConfig, problems: string[]): void;
  /** Every tensor the graph needs for this config, in a stable order. */
  expectedTensors(config: ModelConfig): ExpectedTensor[];
  /** The canonical name of a checkpoint key, or null for keys the encoder does not use. */
  canonicalName(key: string, config: ModelConfig): string | null;
  /** Graph inputs besides input_ids and attention_mask ("token_type_ids" or none). */
  extraInputs(config: ModelConfig): string[];
  /** Adds the encoder to ctx.g; names hidden_states.0..L and returns the last_hidden_state value. */
  build(ctx: BuildContext): string;
  /** The static tensors the analyses read, from loaded weights. */
  staticTensors(weight: (name: string) => Float32Tensor | undefined, config: ModelConfig, where: string): StaticTensors;
  /** Row of the absolute table used by token position 0 (RoBERTa and MPNet: padding_idx + 1). */
  positionOffset(config: ModelConfig): number;
  /** The longest sequence the model accepts, specials included (Infinity when nothing limits it). */
  maxSequenceLength(config: ModelConfig): number;
}

/** Reads an option with a default; pushes a problem naming the field when its type is wrong. */
export function option<T>(raw: Record<string, unknown>, field: string, fallback: T, check: (v: unknown) => boolean, expected: string, problems: string[]): T {
  const v = raw[field];
  if (v === undefined || v === null) return fallback;
  if (!check(v)) {
    problems.push(`${field} is ${JSON.stringify(v)}; expected ${expected}`);
    return fallback;
  }
  return v as T;
}

export const isInt = (min: number) => (v: unknown) => typeof v === "number" && Number.isSafeInteger(v) && v >= min;
export const isBool = (v: unknown) => typeof v === "boolean";
export const isPositive = (v: unknown) => typeof v === "number" && Number.isFinite(v) && v > 0;

/** BERT's position_embedding_type: "absolute" or "none"; relative_key variants are refused. */
export function absolutePositionOption(raw: Record<string, unknown>, config: ModelConfig, problems: string[]): void {
  const pet = raw.position_embedding_type ?? "absolute";
  if (pet !== "absolute" && pet !== "none") {
    const why = pet === "relative_key" || pet === "relative_key_query"
      ? " (relative position embeddings add a learned distance term inside attention that the graph builder does not implement)"
      : "";
    problems.push(`position_embedding_type ${JSON.stringify(pet)} is not supported${why}; expected "absolute" or "none"`);
    return;
  }
  config.positionEmbeddingType = pet;
}
