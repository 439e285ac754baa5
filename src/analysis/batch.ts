import type { EncodedBatch } from "../model/types.js";

/**
 * One layer's token vectors as the analyses consume them: padding removed, rows in sentence order.
 * Every accumulator's `add` takes this shape (STYLE.md, "A file in src/analysis").
 */
export interface LayerBatch {
  /** 0 = embeddings output (after its LayerNorm), 1..L = Transformer blocks. */
  layer: number;
  dim: number;
  /** Row-major [tokens x dim]. */
  data: Float32Array;
  /** [tokens]: 1 for special tokens ([CLS], [SEP], <s>, </s>). */
  special: Uint8Array;
  /** [tokens]: 0-based token position within its sentence (not the embedding row). */
  position: Int32Array;
  /** [tokens]: index of the sentence in the caller's input list. */
  sentence: Int32Array;
  /** [tokens]: word index within the sentence, -1 for special tokens. */
  word: Int32Array;
}

/**
 * Splits a padded EncodedBatch into one LayerBatch per layer, dropping padding rows.
 * The per-token index arrays are shared by every layer of the batch; `data` is a fresh compact copy
 * only when the batch has padding (otherwise a view of the encoder's buffer).
 *
 * `scratch` (optional): buffers reused across calls, one per layer, grown as needed; the compact
 * copies are then views into them, valid only until the next call with the same scratch. For a
 * caller that consumes each batch before encoding the next (runAnalyses): it saves allocating and
 * page-faulting a fresh tokens x hidden array per layer and batch.
 */
export function toLayerBatches(encoded: EncodedBatch, scratch?: Float32Array[]): LayerBatch[] {
  const { batch, length, hidden, attentionMask, specialMask, wordIds, sentenceIndex } = encoded;
  let tokens = 0;
  for (let i = 0; i < attentionMask.length; ++i) tokens += attentionMask[i];
  const special = new Uint8Array(tokens);
  const position = new Int32Array(tokens);
  const sentence = new Int32Array(tokens);
  const word = new Int32Array(tokens);
  // Runs of consecutive kept rows as [start row, end row, start token] triples: under right padding
  // one run per sentence, so each layer is copied with one set() per sentence, not one per token.
  const runs: number[] = [];
  for (let b = 0, t = 0; b < batch; ++b) {
    const s = sentenceIndex[b];
    for (let p = 0, i = 0; i < length; ++i) {
      const k = b * length + i;
      if (!attentionMask[k]) continue;
      special[t] = specialMask[k];
      position[t] = p++;
      sentence[t] = s;
      word[t] = wordIds[k];
      const n = runs.length;
      if (n > 0 && runs[n - 2] === k) runs[n - 2] = k + 1;
      else runs.push(k, k + 1, t);
      t++;
    }
  }
  const dense = tokens === batch * length;
  return encoded.layers.map((layerData, layer) => {
    let data: Float32Array;
    if (dense) data = layerData;
    else {
      if (scratch) {
        // grown only to a new largest batch: a fixed cost of one largest batch per layer
        if (!scratch[layer] || scratch[layer].length < tokens * hidden) scratch[layer] = new Float32Array(tokens * hidden);
        data = scratch[layer].subarray(0, tokens * hidden);
      } else data = new Float32Array(tokens * hidden);
      for (let j = 0; j < runs.length; j += 3) data.set(layerData.subarray(runs[j] * hidden, runs[j + 1] * hidden), runs[j + 2] * hidden);
    }
    return { layer, dim: hidden, data, special, position, sentence, word };
  });
}

/**
 * Checks that a batch's width matches the accumulator's first batch (`first`, or -1 before any) and
 * returns it; every accumulator refuses a second model's batches with the same message.
 */
export function sameDim(layer: number, dim: number, first: number): number {
  if (first >= 0 && first !== dim) throw new RangeError(`layer ${layer}: dim ${dim} differs from the first batch (${first}); feed batches of one model only`);
  return dim;
}

/**
 * Whether two index arrays hold the same values: the accumulators' check that a batch's per-token
 * arrays (the same for each of its layers) are those of the batch they last saw.
 */
export function sameValues(a: ArrayLike<number>, b: ArrayLike<number>): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; ++i) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * A batch's words as sentence -> words by word index: each word's subword tokens joined, with the
 * WordPiece "##" and byte-level "Ġ" / SentencePiece "▁" markers removed (what self-similarity keys on).
 */
export function wordTable(enc: Pick<EncodedBatch, "batch" | "length" | "tokens" | "wordIds" | "sentenceIndex">): Map<number, string[]> {
  const out = new Map<number, string[]>();
  for (let b = 0; b < enc.batch; ++b) {
    const toks = enc.tokens[b], words: string[] = [];
    for (let i = 0; i < toks.length; ++i) {
      const w = enc.wordIds[b * enc.length + i];
      if (w < 0) continue;
      const piece = toks[i].replace(/^##/, "").replace(/^[\u0120\u2581]/, "");
      words[w] = (words[w] ?? "") + piece;
    }
    out.set(enc.sentenceIndex[b], words);
  }
  return out;
}
