/**
 * Token classes of the massive-activation and attention-sink analyses (Sun et al. 2024; Gu et al.
 * 2025): which kind of token carries a massive activation or draws a head's attention. One class per
 * real token of an EncodedBatch, decided from the special mask, the position and the token string.
 */
import type { EncodedBatch } from "../model/types.js";

/**
 * - cls: the special token at position 0 ([CLS], <s>);
 * - sep: every other special token ([SEP], </s>);
 * - first: the first non-special token (the first content token, whatever its text: a position effect);
 * - punct: any other token whose text is only punctuation or symbols (after "##", "Ġ", "▁" are removed);
 * - other: the rest.
 */
export const TOKEN_CLASSES = ["cls", "sep", "first", "punct", "other"] as const;
export type TokenClass = (typeof TOKEN_CLASSES)[number];

/** Class codes: the index in TOKEN_CLASSES. */
export const CLS = 0, SEP = 1, FIRST = 2, PUNCT = 3, OTHER = 4;

/** Punctuation and symbols only (Unicode P and S categories). */
const PUNCTUATION = /^[\p{P}\p{S}]+$/u;

/** Whether a token's text, with its subword marker removed, is punctuation or symbols only. */
export function isPunctuation(token: string): boolean {
  const text = token.replace(/^##/, "").replace(/^[\u0120\u2581]/, "");
  return text.length > 0 && PUNCTUATION.test(text);
}

/**
 * Per token of the padded batch ([batch x length]), its class code (TOKEN_CLASSES index); 255 for
 * padding. Positions count real tokens, so left padding would classify the same as right padding.
 */
export function tokenClasses(enc: Pick<EncodedBatch, "batch" | "length" | "attentionMask" | "specialMask" | "tokens">): Uint8Array {
  const { batch, length, attentionMask, specialMask, tokens } = enc;
  const out = new Uint8Array(batch * length).fill(255);
  for (let b = 0; b < batch; ++b) {
    let p = 0, seenContent = false;
    for (let i = 0; i < length; ++i) {
      const k = b * length + i;
      if (!attentionMask[k]) continue;
      if (specialMask[k]) out[k] = p === 0 ? CLS : SEP;
      else if (!seenContent) {
        out[k] = FIRST;
        seenContent = true;
      } else out[k] = isPunctuation(tokens[b][p] ?? "") ? PUNCT : OTHER;
      p++;
    }
  }
  return out;
}
