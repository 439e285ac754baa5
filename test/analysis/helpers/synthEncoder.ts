/**
 * A SYNTHETIC sentence encoder for exact ground truth in the sentence-analysis tests (no model):
 * [CLS] + one token per word piece + [SEP]; a word longer than 6 characters has two pieces. Token
 * vectors follow tokenVector() below, so tests can recompute every expected value by hand.
 * Batches are yielded in reverse chunk order with padding, to exercise order-independence.
 */
import type { EncodedBatch } from "../../../src/model/types.js";

export const HIDDEN = 4;
export const LAYERS = 2; // hidden states 0..2

/** Vector of piece `p` of word `w` at layer l; null word = special token. Dim 3 is a constant "outlier" of 10*l. */
export function tokenVector(w: string | null, p: number, l: number): number[] {
  if (w === null) return [0, 0, l + 1, 10 * l];
  return [w.length + 2 * p - 5 + l, ((w.charCodeAt(0) % 7) - 3) * (l + 1), l + 1 - 3 * p, 10 * l];
}

export function pieces(w: string): number {
  return w.length > 6 ? 2 : 1;
}

export function synthEncoder(): { encode(sentences: string[], options?: { batchSize?: number }): AsyncGenerator<EncodedBatch> } {
  return {
    async *encode(sentences: string[], { batchSize = 32 } = {}) {
      const chunks: number[][] = [];
      for (let i = 0; i < sentences.length; i += batchSize) chunks.push(Array.from({ length: Math.min(batchSize, sentences.length - i) }, (_, k) => i + k));
      for (const idx of chunks.reverse()) {
        const rows = idx.map((si) => {
          const toks: { w: string | null; p: number; word: number }[] = [{ w: null, p: 0, word: -1 }];
          sentences[si].split(/\s+/).filter((w) => w).forEach((w, wi) => {
            for (let p = 0; p < pieces(w); ++p) toks.push({ w, p, word: wi });
          });
          toks.push({ w: null, p: 0, word: -1 });
          return toks;
        });
        const length = Math.max(...rows.map((r) => r.length));
        const batch = rows.length;
        const layers = Array.from({ length: LAYERS + 1 }, () => new Float32Array(batch * length * HIDDEN));
        const attentionMask = new Uint8Array(batch * length), specialMask = new Uint8Array(batch * length).fill(1);
        const wordIds = new Int32Array(batch * length).fill(-1), positionIds = new Int32Array(batch * length).fill(-1);
        rows.forEach((toks, b) => {
          toks.forEach((t, i) => {
            const k = b * length + i;
            attentionMask[k] = 1;
            specialMask[k] = t.w === null ? 1 : 0;
            wordIds[k] = t.word;
            positionIds[k] = i;
            for (let l = 0; l <= LAYERS; ++l) layers[l].set(tokenVector(t.w, t.p, l), k * HIDDEN);
          });
          // padding rows get a large value that must never be pooled
          for (let i = toks.length; i < length; ++i) for (let l = 0; l <= LAYERS; ++l) layers[l].fill(999, (b * length + i) * HIDDEN, (b * length + i + 1) * HIDDEN);
        });
        yield {
          sentenceIndex: idx, batch, length, hidden: HIDDEN, layers, inputIds: new Int32Array(batch * length), attentionMask, positionIds, specialMask, wordIds,
          tokenCounts: rows.map((r) => r.length), tokens: rows.map((r) => r.map((t) => t.w ?? "[S]")), truncated: rows.map(() => false),
        };
      }
    },
  };
}

/** Naive float64 cosine, zeroing the dims in `zero`. */
export function naiveCosine(a: number[], b: number[], zero: number[] = []): number {
  let ab = 0, aa = 0, bb = 0;
  for (let d = 0; d < a.length; ++d) {
    if (zero.includes(d)) continue;
    ab += a[d] * b[d];
    aa += a[d] * a[d];
    bb += b[d] * b[d];
  }
  return ab / Math.sqrt(aa * bb);
}

/** Mean of the given vectors. */
export function mean(vs: number[][]): number[] {
  return vs[0].map((_, d) => vs.reduce((s, v) => s + v[d], 0) / vs.length);
}

/** Mean-pooled synthetic sentence vector at layer l (specials excluded unless includeSpecial). */
export function pooled(sentence: string, l: number, includeSpecial = false): number[] {
  const vs: number[][] = [];
  if (includeSpecial) vs.push(tokenVector(null, 0, l), tokenVector(null, 0, l));
  for (const w of sentence.split(/\s+/).filter((x) => x)) for (let p = 0; p < pieces(w); ++p) vs.push(tokenVector(w, p, l));
  return mean(vs);
}
