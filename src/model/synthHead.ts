/**
 * The masked-LM head of a SYNTHETIC BERT checkpoint (`artefacts synth --mlm-head`): BertForMaskedLM's
 * cls.predictions.* with seeded random weights and a tied decoder. With a planted outlier it also plants
 * a known use of that dimension, so that ablating it has an exact expected effect: the head's dense
 * layer copies the dimension (W[dim][dim] = 1) and the word-embedding column `dim` holds a Zipf prior over
 * the vocabulary's words, -sign * ln(rank) / sqrt(hidden) with rank = id - firstWord + 1 (ids below
 * firstWord, the specials, punctuation and pieces, get rank = vocab), so that the head's logits are about
 * -ln(rank): the model predicts p(word) proportional to 1 / rank through the planted dimension alone, and
 * without it predicts almost uniformly. Not trained: this is ground truth for the intervention tests, nothing else.
 */
import { createRandom } from "../numerics/random.js";
import type { PlantedOutlier } from "./synth.js";
import { WORDPIECE_MIN_VOCAB, wordPieceVocab } from "./synthTokenizer.js";

type Rand = (name: string, shape: number[], std?: number, mean?: number) => Float32Array;

/** The head's classes and what was planted, for config.json's record. */
export interface SynthHeadRecord {
  className: "BertForMaskedLM";
  tied: true;
  planted: null | { denseCopy: number; prior: string };
}

/** Adds the head's tensors (after every encoder tensor, so the encoder's draws are unchanged) and the prior column. */
export function synthMlmHead(hidden: number, vocab: number, firstWord: number, plant: PlantedOutlier | null, word: Float32Array, rand: Rand): SynthHeadRecord {
  const D = hidden;
  const dense = rand("cls.predictions.transform.dense.weight", [D, D]);
  rand("cls.predictions.transform.dense.bias", [D]);
  rand("cls.predictions.transform.LayerNorm.weight", [D], 0.02, 1);
  rand("cls.predictions.transform.LayerNorm.bias", [D], 0.02);
  rand("cls.predictions.bias", [vocab]);
  if (!plant) return { className: "BertForMaskedLM", tied: true, planted: null };
  dense[plant.dim * D + plant.dim] = 1;
  const s = plant.sign === "min" ? -1 : 1;
  for (let v = 0; v < vocab; ++v) word[v * D + plant.dim] = (-s * Math.log(v >= firstWord ? v - firstWord + 1 : vocab)) / Math.sqrt(D);
  return { className: "BertForMaskedLM", tied: true, planted: { denseCopy: 1, prior: `word_embeddings[:, ${plant.dim}] = ${-s} * ln(rank) / sqrt(${D}), rank = id - ${firstWord} + 1 for ids >= ${firstWord}, else ${vocab}` } };
}

/**
 * Sentences the planted prior fits: `n` sentences of `words` words of the synthetic WordPiece vocabulary,
 * each word drawn with p proportional to 1 / rank (seeded). Scoring a `--mlm-head` checkpoint on them
 * gives the ground truth: intact, the loss is well below ln(vocab); without the planted dim, about ln(vocab).
 */
export function synthZipfSentences(n: number, seed: number, words = 12): string[] {
  const vocab = wordPieceVocab();
  const pool = vocab.slice(WORDPIECE_MIN_VOCAB).map((w, k) => ({ w, p: 1 / (k + 1) })).filter((x) => /^[a-z]+$/.test(x.w));
  const total = pool.reduce((a, x) => a + x.p, 0);
  const rng = createRandom(seed);
  const pick = () => {
    let u = rng.next() * total;
    for (const x of pool) if ((u -= x.p) <= 0) return x.w;
    return pool[pool.length - 1].w;
  };
  return Array.from({ length: n }, () => Array.from({ length: words }, pick).join(" "));
}
