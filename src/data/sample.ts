/**
 * Seeded sampling of distinct sentences within word-count bounds (the paper samples SST-2 / QQP
 * sentences; we sample any corpus the same way). Deterministic: the same sentences, options and
 * seed give the same sample, in the same order.
 */
import { createRandom } from "../numerics/random.js";
import { countWords } from "./sentences.js";

export interface SampleOptions {
  /** How many sentences to draw (required, >= 1). */
  n: number;
  /** Seed of the mulberry32 generator (required). */
  seed: number;
  /** Keep sentences with at least this many whitespace words; default 1. */
  minWords?: number;
  /** Keep sentences with at most this many whitespace words; default Infinity. */
  maxWords?: number;
}

/**
 * Draws `n` distinct sentences (duplicates in the input count once; the first is kept) whose word
 * count lies in [minWords, maxWords], by a seeded partial Fisher-Yates shuffle of the eligible
 * sentences. Throws when fewer than `n` are eligible, saying how many there are.
 */
export function sampleSentences(sentences: readonly string[], { n, seed, minWords = 1, maxWords = Infinity }: SampleOptions): string[] {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`invalid n: ${JSON.stringify(n)}; expected a positive integer`);
  if (!Number.isInteger(minWords) || minWords < 0) throw new RangeError(`invalid minWords: ${JSON.stringify(minWords)}; expected an integer >= 0`);
  if (!(maxWords === Infinity || (Number.isInteger(maxWords) && maxWords >= minWords))) {
    throw new RangeError(`invalid maxWords: ${JSON.stringify(maxWords)}; expected an integer >= minWords (${minWords}) or Infinity`);
  }
  const rng = createRandom(seed);
  const seen = new Set<string>();
  const eligible: string[] = [];
  for (const s of sentences) {
    const t = s.trim();
    if (t === "" || seen.has(t)) continue;
    seen.add(t);
    const w = countWords(t);
    if (w >= minWords && w <= maxWords) eligible.push(t);
  }
  if (eligible.length < n) {
    throw new RangeError(`invalid n: ${n} exceeds the ${eligible.length} distinct sentences with ${minWords}..${maxWords} words (of ${sentences.length}); lower n or widen minWords/maxWords`);
  }
  for (let i = 0; i < n; ++i) {
    const j = i + rng.int(eligible.length - i);
    const t = eligible[i];
    eligible[i] = eligible[j];
    eligible[j] = t;
  }
  return eligible.slice(0, n);
}
