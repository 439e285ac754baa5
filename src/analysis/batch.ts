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
 */
export function toLayerBatches(encoded: EncodedBatch): LayerBatch[] {
  const { batch, length, hidden, attentionMask } = encoded;
  let tokens = 0;
  for (let i = 0; i < attentionMask.length; ++i) tokens += attentionMask[i];
  const special = new Uint8Array(tokens);
  const position = new Int32Array(tokens);
  const sentence = new Int32Array(tokens);
  const word = new Int32Array(tokens);
  const rows = new Int32Array(tokens);
  for (let b = 0, t = 0; b < batch; ++b) {
    for (let p = 0, i = 0; i < length; ++i) {
      const k = b * length + i;
      if (!attentionMask[k]) continue;
      special[t] = encoded.specialMask[k];
      position[t] = p++;
      sentence[t] = encoded.sentenceIndex[b];
      word[t] = encoded.wordIds[k];
      rows[t++] = k;
    }
  }
  const dense = tokens === batch * length;
  return encoded.layers.map((layerData, layer) => {
    let data: Float32Array;
    if (dense) data = layerData;
    else {
      data = new Float32Array(tokens * hidden);
      for (let t = 0; t < tokens; ++t) data.set(layerData.subarray(rows[t] * hidden, (rows[t] + 1) * hidden), t * hidden);
    }
    return { layer, dim: hidden, data, special, position, sentence, word };
  });
}
