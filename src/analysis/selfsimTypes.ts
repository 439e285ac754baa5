/**
 * The public shapes of self-similarity (selfsim.ts): its options and its result, apart so that figures
 * and the results type read them without the accumulator.
 */
import type { VectorSlots } from "./kernels/index.js";

/** Options of {@link SelfSimilarity}. */
export interface SelfSimOptions {
  /**
   * The word of token `word` in sentence `sentence`, or null to skip it. The LayerBatch carries word
   * indices, not strings, so the caller supplies them (runAnalyses joins the word's subword tokens).
   * Keys are compared after lower-casing. Called once per word and batch (the layers of a batch share
   * its tokens), so it must depend on (sentence, word) only.
   */
  wordKey: (sentence: number, word: number) => string | null;
  /** Words need at least this many occurrences; default 5 (the paper asks for 10 sentences on a far larger sample). */
  minOccurrences?: number;
  /** Words tracked (a seeded uniform choice among eligible word types, bottom-k on a hash of the key); default 1000 (paper). */
  maxWords?: number;
  /** Only these keys (lower-cased) are eligible; default null: every key. Kept by reference when already lower-case: do not change it afterwards. */
  words?: ReadonlySet<string> | null;
  /** Seed of the word choice; default 0. */
  seed?: number;
  /**
   * Dimensions set to 0 in every token vector before use: the clipped self-similarity without a
   * clipped copy of each batch (the same numbers as adding `applyPostprocessor(clipper(dims), batch)`).
   * Default none.
   */
  zeroDims?: readonly number[];
  /**
   * "auto" (default): one-subword occurrences go through the WebAssembly SIMD kernel of kernels.ts
   * where it runs and the width is a multiple of 4; "js": JavaScript loops only. Same bits (tested).
   */
  kernel?: "auto" | "js";
  /**
   * The pool the sums of unit vectors live in; default a pool of its own. Two accumulators that
   * share one (same width and kernel setting) can be fed together by {@link SelfSimilarity.addPair},
   * which reads each token vector once for both.
   */
  slots?: VectorSlots | null;
}

export interface SelfSimLayer {
  layer: number;
  /** Tracked words with >= minOccurrences occurrences, and their occurrences. */
  words: number;
  occurrences: number;
  /** Mean over words of the mean cosine over all ordered pairs i != j of the word's occurrences; null without words. */
  selfSimilarity: number | null;
  /** The layer's anisotropy that was subtracted, and selfSimilarity - anisotropy (Ethayarajh 2019; paper.md §5.4). */
  anisotropy: number | null;
  adjusted: number | null;
}

export interface SelfSimResult {
  analysis: "selfsim";
  settings: { minOccurrences: number; maxWords: number; seed: number; restricted: boolean; tokens: string; wordVector: string; formula: string };
  layerIndices: number[];
  layers: SelfSimLayer[];
}
