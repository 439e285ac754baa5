import type { EncodedBatch } from "../model/types.js";
import { wordTable } from "./batch.js";

/**
 * Word keys of one encoded batch: "sentence:word" -> the word's subword tokens joined, with the
 * WordPiece "##" and byte-level "Ġ" / SentencePiece "▁" markers removed.
 */
export function batchWords(enc: EncodedBatch): Map<string, string> {
  const out = new Map<string, string>();
  for (const [s, words] of wordTable(enc)) words.forEach((w, i) => { if (w !== undefined) out.set(`${s}:${i}`, w); });
  return out;
}

/**
 * Lower-cased letter/digit words occurring in at least `min` distinct sentences: the self-similarity
 * candidates (a cheap text pass, so no word vectors are kept for words that cannot qualify).
 */
export function frequentWords(sentences: readonly string[], min: number): Set<string> {
  const counts = new Map<string, number>();
  for (const s of sentences) {
    for (const w of new Set(s.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [])) counts.set(w, (counts.get(w) ?? 0) + 1);
  }
  return new Set([...counts].filter(([, c]) => c >= min).map(([w]) => w));
}
