/**
 * Cross-checks a model's parts before anything is built or printed (issue 20 items 2-3, issue 14 item
 * 7a): config.json against the weight headers (layers, hidden size, vocabulary, positions), in ONE
 * summarising error rather than one line per missing tensor, and the tokenizer against vocab_size.
 */
import { familyOf } from "./families/index.js";
import type { ModelConfig } from "./types.js";

/** What the weight headers hold, read from canonical tensor names and shapes (null: not determinable). */
export interface WeightSizes {
  layers: number | null;
  /** Width of the word-embedding table (embedding_size where embeddings are factorised). */
  hidden: number | null;
  vocab: number | null;
  positions: number | null;
}

/**
 * Sizes implied by canonical tensor names and shapes, for every family's names: blocks numbered
 * `layer.N.` / `layers.N.` (null when blocks are shared, as in ALBERT), the word table
 * (`word_embeddings` or ModernBERT's `tok_embeddings`) and the absolute position table.
 */
export function weightSizes(shapes: ReadonlyMap<string, readonly number[]>): WeightSizes {
  let layers: number | null = null;
  for (const name of shapes.keys()) {
    const m = /(?:^|\.)layers?\.(\d+)\./.exec(name);
    if (m) layers = Math.max(layers ?? 0, Number(m[1]) + 1);
  }
  const word = shapes.get("embeddings.word_embeddings.weight") ?? shapes.get("embeddings.tok_embeddings.weight");
  const pos = shapes.get("embeddings.position_embeddings.weight");
  return {
    layers,
    hidden: word?.length === 2 ? word[1] : null,
    vocab: word?.length === 2 ? word[0] : null,
    positions: pos?.length === 2 ? pos[0] : null,
  };
}

/**
 * Throws one error when config.json's layers, hidden size (embedding_size where embeddings are
 * factorised), vocabulary or position rows disagree with the weights (`shapes`: canonical name ->
 * shape; `weightsLabel` names the weight file). Runs before the per-tensor check, whose work and
 * message would otherwise grow with a bogus layer count.
 */
export function checkConfigAgainstWeights(config: ModelConfig, shapes: ReadonlyMap<string, readonly number[]>, configFile: string, weightsLabel: string): void {
  const w = weightSizes(shapes);
  const f = familyOf(config.architecture).fields;
  const factorised = config.embeddingSize !== config.hidden && f.embeddingSize;
  const rows: [string, number, number | null][] = [
    [f.layers, config.layers, w.layers],
    [factorised ? f.embeddingSize! : f.hidden, config.embeddingSize, w.hidden],
    [f.vocab, config.vocab, w.vocab],
  ];
  if (config.positionEmbeddingType === "absolute") rows.push([f.maxPositions, config.maxPositions, w.positions]);
  const bad = rows.filter(([, c, x]) => x !== null && c !== x);
  if (!bad.length) return;
  const says = bad.map(([field, c]) => `${field} ${c}`).join(", ");
  const holds = bad.map(([field, , x]) => `${field} ${x}`).join(", ");
  throw new RangeError(`${configFile}: ${says} ${bad.length > 1 ? "disagree" : "disagrees"} with ${weightsLabel}, which holds ${holds}; use the config.json saved with these weights`);
}

/** The part of a loaded tokenizer this check reads. */
export interface TokenizerIds {
  /** Distinct entries of the vocabulary (added tokens included). */
  readonly vocabSize: number;
  /** The largest id the tokenizer can produce, with the token string. */
  readonly largestId: { id: number; token: string };
  readonly specialIds: readonly number[];
  readonly padId: number;
}

/** Refuses a tokenizer whose ids fall outside the model's embedding table, or whose vocabulary is empty. */
export function checkTokenizerAgainstModel(tokenizer: TokenizerIds, config: ModelConfig, dir: string): void {
  const file = `${dir}/tokenizer.json`;
  if (tokenizer.vocabSize === 0) throw new RangeError(`${file}: the vocabulary is empty, so every word would give the same vector; use the tokenizer saved with the model`);
  const V = config.vocab;
  const problems: string[] = [];
  if (tokenizer.largestId.id >= V) problems.push(`its largest id ${tokenizer.largestId.id} (${JSON.stringify(tokenizer.largestId.token)})`);
  const special = tokenizer.specialIds.filter((id) => id >= V);
  if (special.length) problems.push(`special token ids ${special.slice(0, 5).join(", ")}${special.length > 5 ? ` and ${special.length - 5} more` : ""}`);
  if (tokenizer.padId >= V) problems.push(`its padding id ${tokenizer.padId}`);
  if (problems.length) {
    throw new RangeError(`${file}: ${problems.join(", ")} ${problems.length > 1 ? "are" : "is"} outside the model's embedding table (config.json vocab_size ${V}, ids 0..${V - 1}); use the tokenizer saved with these weights`);
  }
}
