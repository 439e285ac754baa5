/**
 * Word senses by the WiC protocol (paper §4.2; Tables 1, 5): for each pair, the cosine between the
 * target word's vectors in the two sentences, per layer, raw and clipped; a pair is predicted
 * "same sense" when the cosine exceeds (strictly, >) a threshold; thresholds 0.1 .. 0.9 step 0.1;
 * the accuracy table is layer x threshold and the reported figure is the best cell.
 *
 * The paper picks layer and threshold on the very pairs it scores. The held-out variant splits the
 * pairs (seeded) into a selection part and an evaluation part, picks the best cell on the first and
 * scores it on the second, so the gap between the two shows the optimism of the paper's figure.
 *
 * Target vector: the mean of the target word's subword vectors (specials never count). WiC's
 * indices are 0-based positions among the whitespace-separated words of the sentence, which is what
 * EncodedBatch.wordIds counts (src/model/tokenizer.ts), so index i selects the tokens with wordIds == i.
 */
import { PairCosines } from "./pairCosines.js";
import type { SensePair } from "../data/formats/wic.js";
import type { EncodedBatch } from "../model/types.js";
import { createRandom } from "../numerics/random.js";
import { cosine } from "../numerics/vectors.js";
import { checkClipLayers, clipDimsFor, clippedCosine, resolveLayers, type ClipSpec, type SentenceEncoder } from "./sts.js";

/** 0.1, 0.2, ..., 0.9 (computed as k / 10 so each is the nearest double to its decimal). */
export const WIC_THRESHOLDS: readonly number[] = Array.from({ length: 9 }, (_, k) => (k + 1) / 10);

export interface WicCell {
  layer: number;
  threshold: number;
  accuracy: number;
}

export interface WicScores {
  /** accuracy[layer][threshold index] for every layer 0..L, fraction of pairs right. */
  table: number[][];
  /** Best cell over the searched layers and all thresholds, scored on all pairs (the paper's figure). */
  best: WicCell | null;
  /** Best cell picked on the selection pairs, and its accuracy on the evaluation pairs; null when off. */
  heldOut: { selection: WicCell; evaluation: number } | null;
}

export interface WicResult {
  /** What the pairs are: "WiC ..." or "wordnet-3.1 stand-in for WiC (not WiC)". */
  source: string;
  units: "accuracy (fraction of pairs)";
  sizes: { pairs: number; same: number; different: number; selection: number; evaluation: number };
  /** Accuracy of predicting "same sense" for every pair (the paper's 50% baseline on balanced WiC). */
  baseline: number;
  thresholds: number[];
  raw: WicScores;
  clipped: WicScores | null;
  settings: Record<string, unknown> & { searchLayers: number[]; heldOut: { seed: number; selectionFraction: number } | null; rule: string };
}

/**
 * Accuracy of `cos > threshold` against labels for each layer and threshold, over the pairs in
 * `indices`. cos is [pairs][layers]; returns [layers][thresholds].
 */
export function accuracyTable(cos: readonly ArrayLike<number>[], labels: readonly boolean[], indices: readonly number[], layers: number, thresholds: readonly number[]): number[][] {
  const table: number[][] = [];
  for (let l = 0; l < layers; ++l) {
    table.push(thresholds.map((t) => {
      let right = 0;
      for (const i of indices) if ((cos[i][l] > t) === labels[i]) ++right;
      return indices.length ? right / indices.length : 0;
    }));
  }
  return table;
}

/** The best cell of a table among `layers`; ties go to the lower layer, then the lower threshold. */
export function bestCell(table: readonly number[][], layers: readonly number[], thresholds: readonly number[]): WicCell | null {
  let best: WicCell | null = null;
  for (const l of layers) {
    if (l >= table.length) continue;
    table[l].forEach((accuracy, k) => {
      if (!best || accuracy > best.accuracy) best = { layer: l, threshold: thresholds[k], accuracy };
    });
  }
  return best;
}

/** Collects per-pair cosines (one per layer, raw and optionally clipped) with gold labels. */
export class WicScorer {
  readonly #labels: boolean[] = [];
  readonly #cos = new PairCosines();

  add({ label, raw, clipped = null }: { label: boolean; raw: ArrayLike<number>; clipped?: ArrayLike<number> | null }): this {
    this.#cos.push(raw, clipped);
    this.#labels.push(label);
    return this;
  }

  /** Appends another scorer's pairs after this one's (shards of a pair list, in order); exact. */
  merge(other: WicScorer): this {
    other.#labels.forEach((label, i) => this.add({ label, raw: other.#cos.raw[i], clipped: other.#cos.clippedAt(i) }));
    return this;
  }

  /**
   * Accuracy tables and best cells. searchLayers defaults to 1..L; heldOut (default seed 0, half the
   * pairs for selection) splits the pairs by a seeded shuffle; pass null to skip it.
   */
  result({ searchLayers, thresholds = WIC_THRESHOLDS, heldOut = { seed: 0, selectionFraction: 0.5 }, source = "unspecified", settings = {} }: {
    searchLayers?: number[]; thresholds?: readonly number[]; heldOut?: { seed: number; selectionFraction?: number } | null; source?: string; settings?: Record<string, unknown>;
  } = {}): WicResult {
    const n = this.#labels.length;
    const L = this.#cos.layers;
    const search = searchLayers ?? Array.from({ length: Math.max(L - 1, 0) }, (_, i) => i + 1);
    const all = Array.from({ length: n }, (_, i) => i);
    let split: { selection: number[]; evaluation: number[] } | null = null;
    let held: { seed: number; selectionFraction: number } | null = null;
    if (heldOut) {
      const fraction = heldOut.selectionFraction ?? 0.5;
      if (!(fraction > 0 && fraction < 1)) throw new RangeError(`invalid selectionFraction: ${JSON.stringify(fraction)}; expected a number in (0, 1)`);
      const order = createRandom(heldOut.seed).shuffle(all.slice());
      const k = Math.floor(n * fraction);
      if (n > 0 && (k < 1 || k >= n)) throw new RangeError(`invalid heldOut: ${n} pairs cannot be split ${fraction} / ${1 - fraction} with both parts non-empty; supply more pairs or set heldOut to null`);
      split = { selection: order.slice(0, k).sort((a, b) => a - b), evaluation: order.slice(k).sort((a, b) => a - b) };
      held = { seed: heldOut.seed, selectionFraction: fraction };
    }
    const scores = (cos: number[][]): WicScores => {
      const table = accuracyTable(cos, this.#labels, all, L, thresholds);
      let heldOutScores: WicScores["heldOut"] = null;
      if (split && n > 0) {
        const selection = bestCell(accuracyTable(cos, this.#labels, split.selection, L, thresholds), search, thresholds);
        if (selection) {
          const k = thresholds.indexOf(selection.threshold);
          heldOutScores = { selection, evaluation: accuracyTable(cos, this.#labels, split.evaluation, L, thresholds)[selection.layer][k] };
        }
      }
      return { table, best: n > 0 ? bestCell(table, search, thresholds) : null, heldOut: heldOutScores };
    };
    const same = this.#labels.filter((x) => x).length;
    return {
      source,
      units: "accuracy (fraction of pairs)",
      sizes: { pairs: n, same, different: n - same, selection: split?.selection.length ?? 0, evaluation: split?.evaluation.length ?? 0 },
      baseline: n > 0 ? same / n : 0,
      thresholds: [...thresholds],
      raw: scores(this.#cos.raw),
      clipped: this.#cos.hasClipped ? scores(this.#cos.clipped) : null,
      settings: { ...settings, searchLayers: search, heldOut: held, rule: "same sense when cosine > threshold" },
    };
  }
}

export interface WicOptions {
  /** Dimensions to zero for the clipped scores; default none (clipped results are null). */
  clip?: ClipSpec;
  /** Layers searched for the best cell; default 1..L (every layer is still tabulated). */
  layers?: number[];
  thresholds?: number[];
  /** Held-out selection: default { seed: 0, selectionFraction: 0.5 }; null turns it off. */
  heldOut?: { seed: number; selectionFraction?: number } | null;
  /** Sentences per encoder batch; default 32. */
  batchSize?: number;
  /** Label of the pair set; default the pairs' own `source` field, else "unspecified". */
  source?: string;
}

/** Distinct sentences of the pairs, and for each the slots (2 * pair + side) that use it. */
function distinctSentences(pairs: readonly SensePair[]): { sentences: string[]; uses: number[][]; targets: number[] } {
  const sentences: string[] = [], uses: number[][] = [], targets: number[] = [];
  const first = new Map<string, number>();
  pairs.forEach((p, pair) => {
    for (const [side, text, index] of [[0, p.sentence1, p.index1], [1, p.sentence2, p.index2]] as const) {
      let u = first.get(text);
      if (u === undefined) {
        u = sentences.length;
        first.set(text, u);
        sentences.push(text);
        uses.push([]);
      }
      uses[u].push(2 * pair + side);
      targets.push(index);
    }
  });
  return { sentences, uses, targets };
}

/** Mean over layers 0..L of the tokens of `row` whose word id is `word` (specials excluded), and their count. */
function targetVector(encoded: EncodedBatch, row: number, word: number, L: number): { vec: Float64Array; count: number } {
  const { length, hidden, layers: data, attentionMask, specialMask, wordIds } = encoded;
  const vec = new Float64Array((L + 1) * hidden);
  let count = 0;
  for (let t = 0; t < length; ++t) {
    const k = row * length + t;
    if (!attentionMask[k] || specialMask[k] || wordIds[k] !== word) continue;
    ++count;
    for (let l = 0; l <= L; ++l) for (let d = 0; d < hidden; ++d) vec[l * hidden + d] += data[l][k * hidden + d];
  }
  for (let i = 0; i < vec.length; ++i) vec[i] /= count;
  return { vec, count };
}

/**
 * Encodes every distinct sentence of the pairs once (WiC and the stand-in repeat sentences; an
 * encoding depends only on its sentence, so this is exact) and scores the WiC protocol (see the file
 * comment). Throws when a target word has no token in its sentence (for example cut off by truncation).
 */
export async function evaluateWic(encoder: SentenceEncoder, pairs: readonly SensePair[], { clip, layers, thresholds = [...WIC_THRESHOLDS], heldOut = { seed: 0, selectionFraction: 0.5 }, batchSize = 32, source }: WicOptions = {}): Promise<WicResult> {
  if (pairs.length === 0) throw new RangeError("invalid pairs: []; supply at least one word-sense pair");
  for (const t of thresholds) if (typeof t !== "number" || !Number.isFinite(t)) throw new RangeError(`invalid threshold: ${JSON.stringify(t)}; expected finite numbers`);
  const { sentences, uses, targets } = distinctSentences(pairs);
  const results = new Array<{ raw: Float64Array; clipped: Float64Array | null } | undefined>(pairs.length);
  const sides = new Array<Float64Array | undefined>(2 * pairs.length);
  let L = -1, hidden = 0;
  let clipDims: number[][] = [];
  for await (const encoded of encoder.encode(sentences, { batchSize })) {
    if (L < 0) {
      L = encoded.layers.length - 1;
      hidden = encoded.hidden;
      checkClipLayers(clip, L);
      clipDims = encoded.layers.map((_, l) => clipDimsFor(clip, l, hidden));
    }
    encoded.sentenceIndex.forEach((u, row) => {
      for (const slot of uses[u]) {
        const { vec, count } = targetVector(encoded, row, targets[slot], L);
        const pair = slot >> 1;
        if (count === 0) {
          throw new RangeError(`pair ${pair} (target ${JSON.stringify(pairs[pair].target)}): word ${targets[slot]} of ${JSON.stringify(sentences[u])} has no token in the encoded sentence${encoded.truncated[row] ? " (the sentence was truncated)" : ""}; check the index (0-based whitespace word) or shorten the sentence`);
        }
        sides[slot] = vec;
        const a = sides[2 * pair], b = sides[2 * pair + 1];
        if (!a || !b) continue;
        sides[2 * pair] = sides[2 * pair + 1] = undefined;
        const raw = new Float64Array(L + 1), clipped = clip ? new Float64Array(L + 1) : null;
        for (let l = 0; l <= L; ++l) {
          raw[l] = cosine(a, l * hidden, b, l * hidden, hidden) ?? 0;
          if (clipped) clipped[l] = clippedCosine(a, l * hidden, b, l * hidden, hidden, clipDims[l]);
        }
        results[pair] = { raw, clipped };
      }
    });
  }
  const scorer = new WicScorer();
  for (let i = 0; i < pairs.length; ++i) {
    const r = results[i];
    if (!r) throw new Error(`encoder: pair ${i} was not fully encoded; the encoder must yield every sentence once`);
    scorer.add({ label: pairs[i].label, raw: r.raw, clipped: r.clipped });
  }
  const label = source ?? (pairs[0] as SensePair & { source?: string }).source ?? "unspecified";
  return scorer.result({
    searchLayers: resolveLayers(layers, L),
    thresholds,
    heldOut,
    source: label,
    settings: { target: "mean of the target word's subword vectors", clip: clip ? (Array.isArray(clip) ? [...clip] : { ...clip }) : null, layersInModel: L },
  });
}
