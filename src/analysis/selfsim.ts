import type { LayerBatch } from "./batch.js";
import { hashUniform } from "./random.js";
import { integer, round6 } from "./stats.js";

/** Options of {@link SelfSimilarity}. */
export interface SelfSimOptions {
  /**
   * The word of token `word` in sentence `sentence`, or null to skip it. The LayerBatch carries word
   * indices, not strings, so the caller supplies them (runAnalyses joins the word's subword tokens).
   * Keys are compared after lower-casing.
   */
  wordKey: (sentence: number, word: number) => string | null;
  /** Words need at least this many occurrences; default 5 (the paper asks for 10 sentences on a far larger sample). */
  minOccurrences?: number;
  /** Words tracked (a seeded uniform choice among eligible word types, bottom-k on a hash of the key); default 1000 (paper). */
  maxWords?: number;
  /** Only these keys (lower-cased) are eligible; default null: every key. */
  words?: ReadonlySet<string> | null;
  /** Seed of the word choice; default 0. */
  seed?: number;
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

interface WordState { key: string; hash: number; count: Map<number, number>; sums: Map<number, Float64Array> }

/**
 * Self-similarity (Ethayarajh 2019; paper §4.1, Eq. 1 corrected): for a word with unit vectors
 * û_1..û_n in a layer, the mean cosine over ordered pairs i != j is (|Σ û_k|² - n) / (n (n - 1)), so
 * only the sum of unit vectors and n are kept per word and layer: exact streaming and exact merge.
 * A word split into subwords is represented by the mean of its subword vectors.
 */
export class SelfSimilarity {
  readonly #wordKey: SelfSimOptions["wordKey"];
  readonly #minOccurrences: number;
  readonly #maxWords: number;
  readonly #words: ReadonlySet<string> | null;
  readonly #seed: number;
  /** Tracked words by key; at most maxWords, the ones with the smallest hash. */
  readonly #tracked = new Map<string, WordState>();
  /** The tracked word with the largest (hash, key); recomputed only after an eviction. */
  #worst: WordState | null = null;
  #dim = -1;

  constructor({ wordKey, minOccurrences = 5, maxWords = 1000, words = null, seed = 0 }: SelfSimOptions) {
    if (typeof wordKey !== "function") throw new TypeError(`invalid wordKey: ${typeof wordKey}; expected a function (sentence, word) => string | null`);
    this.#wordKey = wordKey;
    this.#minOccurrences = integer(minOccurrences, "minOccurrences", 2);
    this.#maxWords = integer(maxWords, "maxWords", 1);
    this.#words = words ? new Set([...words].map((w) => w.toLowerCase())) : null;
    this.#seed = integer(seed, "seed", 0, 0xffffffff);
  }

  add({ layer, dim, data, sentence, word }: LayerBatch): this {
    integer(layer, "layer", 0);
    this.#checkDim(layer, dim);
    const vec = new Float64Array(dim);
    for (let r = 0, n = word.length; r < n; ) {
      // Tokens of one word are contiguous; special tokens have word -1 and never form words.
      const w = word[r], s = sentence[r];
      let e = r + 1;
      while (e < n && word[e] === w && sentence[e] === s) e++;
      if (w >= 0) {
        const state = this.#state(this.#wordKey(s, w));
        if (state) {
          vec.fill(0);
          for (let t = r; t < e; ++t) for (let i = 0; i < dim; ++i) vec[i] += data[t * dim + i];
          let norm = 0;
          for (let i = 0; i < dim; ++i) norm += vec[i] * vec[i];
          // A zero vector has no direction; it is not an occurrence.
          if (norm > 0) {
            const inv = 1 / Math.sqrt(norm);
            let sum = state.sums.get(layer);
            if (!sum) state.sums.set(layer, (sum = new Float64Array(dim)));
            for (let i = 0; i < dim; ++i) sum[i] += vec[i] * inv;
            state.count.set(layer, (state.count.get(layer) ?? 0) + 1);
          }
        }
      }
      r = e;
    }
    return this;
  }

  merge(other: SelfSimilarity): this {
    if (other.#seed !== this.#seed || other.#maxWords !== this.#maxWords) throw new Error("SelfSimilarity.merge: seed or maxWords differ; merge accumulators built with the same options");
    if (other.#dim >= 0) this.#checkDim(0, other.#dim);
    for (const o of other.#tracked.values()) {
      const s = this.#state(o.key);
      if (!s) continue;
      for (const [layer, sum] of o.sums) {
        const mine = s.sums.get(layer);
        if (mine) for (let i = 0; i < sum.length; ++i) mine[i] += sum[i];
        else s.sums.set(layer, Float64Array.from(sum));
        s.count.set(layer, (s.count.get(layer) ?? 0) + (o.count.get(layer) ?? 0));
      }
    }
    return this;
  }

  #checkDim(layer: number, dim: number): void {
    integer(dim, "dim", 1);
    if (this.#dim >= 0 && this.#dim !== dim) throw new RangeError(`layer ${layer}: dim ${dim} differs from the first batch (${this.#dim}); feed batches of one model only`);
    this.#dim = dim;
  }

  /** The tracked state of a key, admitting it if its hash is among the maxWords smallest; null if not tracked. */
  #state(raw: string | null): WordState | null {
    if (raw === null || raw === "") return null;
    const key = raw.toLowerCase();
    const found = this.#tracked.get(key);
    if (found) return found;
    if (this.#words && !this.#words.has(key)) return null;
    const hash = hashUniform(this.#seed, stringHash(key), key.length);
    const s: WordState = { key, hash, count: new Map(), sums: new Map() };
    if (this.#tracked.size >= this.#maxWords) {
      // Order-independent: the tracked set is always the maxWords smallest (hash, key) seen, and a
      // word that ends in that set was never evicted, so it has all its occurrences.
      if (!after(this.#worst!, s)) return null;
      this.#tracked.delete(this.#worst!.key);
      this.#tracked.set(key, s);
      this.#worst = null;
      for (const w of this.#tracked.values()) if (!this.#worst || after(w, this.#worst)) this.#worst = w;
      return s;
    }
    this.#tracked.set(key, s);
    if (!this.#worst || after(s, this.#worst)) this.#worst = s;
    return s;
  }

  /**
   * Per layer: the mean self-similarity over words with >= minOccurrences occurrences, and the value
   * adjusted by the layer's anisotropy when given (layer -> mean cosine of random pairs).
   */
  result(anisotropy: Readonly<Record<number, number | null>> | ReadonlyMap<number, number | null> = {}): SelfSimResult {
    const get = (l: number) => (anisotropy instanceof Map ? anisotropy.get(l) : (anisotropy as Record<number, number | null>)[l]) ?? null;
    const layerSet = new Set<number>();
    for (const w of this.#tracked.values()) for (const l of w.count.keys()) layerSet.add(l);
    const layerIndices = [...layerSet].sort((a, b) => a - b);
    const words = [...this.#tracked.values()].sort((a, b) => (a.key < b.key ? -1 : 1));
    const layers = layerIndices.map((layer): SelfSimLayer => {
      let total = 0, count = 0, occurrences = 0;
      for (const w of words) {
        const n = w.count.get(layer) ?? 0;
        if (n < this.#minOccurrences) continue;
        const sum = w.sums.get(layer)!;
        let sq = 0;
        for (let i = 0; i < sum.length; ++i) sq += sum[i] * sum[i];
        total += (sq - n) / (n * (n - 1));
        count++;
        occurrences += n;
      }
      const mean = count ? total / count : null, a = get(layer);
      return {
        layer, words: count, occurrences, selfSimilarity: mean === null ? null : round6(mean),
        anisotropy: a, adjusted: mean === null || a === null ? null : round6(mean - a),
      };
    });
    return {
      analysis: "selfsim",
      settings: {
        minOccurrences: this.#minOccurrences, maxWords: this.#maxWords, seed: this.#seed, restricted: this.#words !== null,
        tokens: "word tokens only (special tokens have no word)", wordVector: "mean of the word's subword vectors",
        formula: "mean over words of (|Σ unit vectors|² - n) / (n(n-1)) = mean cosine over ordered pairs i != j; adjusted = selfSimilarity - anisotropy",
      },
      layerIndices, layers,
    };
  }
}

function after(a: { hash: number; key: string }, b: { hash: number; key: string }): boolean {
  return a.hash > b.hash || (a.hash === b.hash && a.key > b.key);
}

/** FNV-1a 32-bit hash of a string's UTF-16 code units. */
export function stringHash(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; ++i) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h >>> 0;
}
