/**
 * Hand-made EncodedBatches for the site analyses (massive, norms, sinks): SYNTHETIC values, seeded,
 * for exact ground truth. Each sentence is a list of token strings with [CLS] first and [SEP] last;
 * rows are right-padded to the longest.
 */
import type { EncodedBatch } from "../../../src/model/types.js";
import type { Random } from "../../../src/numerics/random.js";

export interface BatchRows {
  /** Per row: token strings, specials included ("[CLS]", "[SEP]" are special). */
  tokens: string[][];
  /** Index of each row's sentence. */
  sentenceIndex: number[];
  hidden: number;
  /** Number of hidden_states layers (0..L). */
  layers: number;
  /** Fills value v of the padded [batch x length x width] array of site `name` (hidden_states.K included); padding gets NaN to prove it is skipped. */
  value: (site: string, b: number, i: number, j: number) => number;
  /** Extra token sites: name -> width. */
  sites?: Record<string, number>;
  /** Attention sites: name -> heads; value(site, b, h * length + q, k) fills them. */
  heads?: Record<string, number>;
}

const SPECIAL = new Set(["[CLS]", "[SEP]", "<s>", "</s>"]);

export function encodedBatch(r: BatchRows): EncodedBatch {
  const batch = r.tokens.length, length = Math.max(...r.tokens.map((t) => t.length));
  const attentionMask = new Uint8Array(batch * length), specialMask = new Uint8Array(batch * length).fill(1);
  const wordIds = new Int32Array(batch * length).fill(-1), positionIds = new Int32Array(batch * length).fill(-1), inputIds = new Int32Array(batch * length);
  for (let b = 0; b < batch; ++b) {
    let w = 0;
    for (let i = 0; i < r.tokens[b].length; ++i) {
      const k = b * length + i, special = SPECIAL.has(r.tokens[b][i]);
      attentionMask[k] = 1;
      specialMask[k] = special ? 1 : 0;
      wordIds[k] = special ? -1 : w++;
      positionIds[k] = i;
    }
  }
  const fill = (site: string, width: number): Float32Array => {
    const out = new Float32Array(batch * length * width);
    for (let b = 0; b < batch; ++b) {
      for (let i = 0; i < length; ++i) {
        for (let j = 0; j < width; ++j) out[(b * length + i) * width + j] = attentionMask[b * length + i] ? r.value(site, b, i, j) : NaN;
      }
    }
    return out;
  };
  const layers = Array.from({ length: r.layers }, (_, l) => fill(`hidden_states.${l}`, r.hidden));
  const sites: Record<string, Float32Array> = {};
  for (const [name, width] of Object.entries(r.sites ?? {})) sites[name] = fill(name, width);
  for (const [name, heads] of Object.entries(r.heads ?? {})) {
    const out = new Float32Array(batch * heads * length * length);
    for (let b = 0; b < batch; ++b) for (let h = 0; h < heads; ++h) for (let q = 0; q < length; ++q) for (let k = 0; k < length; ++k) {
      out[((b * heads + h) * length + q) * length + k] = r.value(name, b, h * length + q, k);
    }
    sites[name] = out;
  }
  return {
    sentenceIndex: r.sentenceIndex, batch, length, hidden: r.hidden, layers, inputIds, attentionMask, positionIds, specialMask, wordIds,
    tokenCounts: r.tokens.map((t) => t.length), tokens: r.tokens, truncated: r.tokens.map(() => false), sites,
  };
}

const WORDS = ["the", "cat", ",", "sat", ".", "on", "##s", "mat", "!", "a", "dog", "-"];

/** Seeded random sentences: [CLS], 1..maxWords tokens from a small list (punctuation included), [SEP]. */
export function randomSentences(g: Random, n: number, maxWords = 8): string[][] {
  return Array.from({ length: n }, () => ["[CLS]", ...Array.from({ length: 1 + g.int(maxWords) }, () => WORDS[g.int(WORDS.length)]), "[SEP]"]);
}
