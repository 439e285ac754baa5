/**
 * Batch planning for the encoder: sentences of a window, sorted by token length, cut into batches by a
 * token budget (sentences x padded length), so that a batch holds sentences of equal or near-equal
 * length and about the same amount of work whatever the lengths: many short sentences or a few long
 * ones. Pure functions of the token lengths; the encoder runs the plan (encoder.ts).
 */
import { integer } from "../numerics/options.js";

/**
 * Padded tokens (sentences x padded length) per batch by default: about the work of the former default
 * of 32 sentences on the default corpus sample (26 tokens a sentence), padded/real 1.011 there
 * (all-MiniLM-L6-v2's tokenizer; 2048 gives 1.022, 4096 1.045), and a bound on a batch's memory
 * whatever the lengths (32 sentences of 512 tokens were 16,384).
 */
export const DEFAULT_TOKEN_BUDGET = 1024;
/** Sentences tokenised (and sorted by length) at a time by default. */
export const DEFAULT_WINDOW = 4096;

export interface BatchPlanOptions {
  /** Most padded tokens (sentences x longest length) in a batch; default DEFAULT_TOKEN_BUDGET. A sentence longer than the budget gets a batch of its own. */
  tokenBudget?: number;
  /** Most sentences in a batch; default no cap (the budget alone decides). */
  maxSentences?: number;
}

/**
 * The order that sorts `lengths` ascending, ties kept in input order (Array.prototype.sort is stable),
 * so the same lengths always give the same order.
 */
export function lengthOrder(lengths: ArrayLike<number>): number[] {
  return Array.from({ length: lengths.length }, (_, k) => k).sort((a, b) => lengths[a] - lengths[b]);
}

/**
 * Cuts lengths already sorted ascending into consecutive batches: a batch grows while
 * (its sentences + 1) x the next length <= tokenBudget and it holds fewer than maxSentences.
 * Returns each batch's end index (exclusive); the last is lengths.length. Greedy is optimal for the
 * count of batches here: lengths only grow, so a batch that could take one more sentence never gains
 * by closing early.
 */
export function planBatches(sorted: ArrayLike<number>, { tokenBudget = DEFAULT_TOKEN_BUDGET, maxSentences = Infinity }: BatchPlanOptions = {}): number[] {
  integer(tokenBudget, "tokenBudget", 1);
  if (maxSentences !== Infinity) integer(maxSentences, "maxSentences", 1);
  const ends: number[] = [];
  let start = 0;
  for (let k = 0; k < sorted.length; ++k) {
    if (k > 0 && sorted[k] < sorted[k - 1]) throw new RangeError(`planBatches: lengths[${k}] = ${sorted[k]} is shorter than lengths[${k - 1}] = ${sorted[k - 1]}; sort them first (lengthOrder)`);
    const n = k - start + 1;
    if (n > 1 && (n * sorted[k] > tokenBudget || n > maxSentences)) {
      ends.push(k);
      start = k;
    }
  }
  if (sorted.length) ends.push(sorted.length);
  return ends;
}

/** Padded and real tokens of a plan over sorted lengths: padded / real is the padding overhead. */
export function planTokens(sorted: ArrayLike<number>, ends: readonly number[]): { padded: number; real: number } {
  let padded = 0, real = 0, start = 0;
  for (const end of ends) {
    padded += (end - start) * sorted[end - 1];
    for (let k = start; k < end; ++k) real += sorted[k];
    start = end;
  }
  return { padded, real };
}
