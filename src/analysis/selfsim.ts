import { sameDim, type LayerBatch } from "./batch.js";
import { hashUniform } from "./random.js";
import { integer, round6 } from "./stats.js";

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
  /** Only these keys (lower-cased) are eligible; default null: every key. */
  words?: ReadonlySet<string> | null;
  /** Seed of the word choice; default 0. */
  seed?: number;
  /**
   * Dimensions set to 0 in every token vector before use: the clipped self-similarity without a
   * clipped copy of each batch (the same numbers as adding `applyPostprocessor(clipper(dims), batch)`).
   * Default none.
   */
  zeroDims?: readonly number[];
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

/** Per layer (array index): occurrences and the sum of their unit vectors; `live` turns false on eviction. */
interface WordState { key: string; hash: number; live: boolean; count: number[]; sums: (Float64Array | undefined)[] }

/** The tracked word runs of the last batch: [start, end) token rows and their state. */
interface BatchRuns { word: Int32Array; sentence: Int32Array; start: number[]; end: number[]; state: WordState[] }

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
  readonly #zeroDims: Int32Array;
  /** Tracked words by key; at most maxWords, the ones with the smallest hash. */
  readonly #tracked = new Map<string, WordState>();
  /** The tracked word with the largest (hash, key); recomputed only after an eviction. */
  #worst: WordState | null = null;
  /** The word runs of the last batch; every layer of a batch has the same tokens, so keys are resolved once per batch. */
  #runs: BatchRuns | null = null;
  #vec = new Float64Array(0);
  #dim = -1;

  constructor({ wordKey, minOccurrences = 5, maxWords = 1000, words = null, seed = 0, zeroDims = [] }: SelfSimOptions) {
    if (typeof wordKey !== "function") throw new TypeError(`invalid wordKey: ${typeof wordKey}; expected a function (sentence, word) => string | null`);
    this.#wordKey = wordKey;
    this.#minOccurrences = integer(minOccurrences, "minOccurrences", 2);
    this.#maxWords = integer(maxWords, "maxWords", 1);
    this.#words = words ? new Set([...words].map((w) => w.toLowerCase())) : null;
    this.#seed = integer(seed, "seed", 0, 0xffffffff);
    this.#zeroDims = Int32Array.from(zeroDims, (d) => integer(d, "zeroDims dimension", 0));
  }

  add({ layer, dim, data, sentence, word }: LayerBatch): this {
    integer(layer, "layer", 0);
    for (let k = 0; k < this.#zeroDims.length; ++k) if (this.#zeroDims[k] >= dim) throw new RangeError(`invalid zeroDims dimension: ${this.#zeroDims[k]}; layer ${layer} has dim ${dim}`);
    this.#checkDim(layer, dim);
    if (this.#vec.length !== dim) this.#vec = new Float64Array(dim);
    const runs = this.#batchRuns(sentence, word);
    const { start, end, state } = runs, zero = this.#zeroDims, keep = keptRanges(zero, dim);
    // One-subword words (most of them) go two at a time: their two norms are independent chains in
    // one loop, and the second word's vector is added after the first's, in token order.
    let pending = -1;
    for (let j = 0; j < start.length; ++j) {
      const st = state[j];
      if (!st.live) continue;
      if (end[j] === start[j] + 1) {
        if (pending < 0) pending = j;
        else {
          addRowPair(layer, dim, data, keep, start[pending] * dim, state[pending], start[j] * dim, st);
          pending = -1;
        }
        continue;
      }
      if (pending >= 0) {
        addRow(layer, dim, data, keep, start[pending] * dim, state[pending]);
        pending = -1;
      }
      this.#addSubwords(layer, dim, data, start[j], end[j], st);
    }
    if (pending >= 0) addRow(layer, dim, data, keep, start[pending] * dim, state[pending]);
    return this;
  }

  /** A word of several subwords: the mean direction is that of their sum, then zeroDims are cleared. */
  #addSubwords(layer: number, dim: number, data: Float32Array, r: number, e: number, st: WordState): void {
    const vec = this.#vec, zero = this.#zeroDims;
    vec.fill(0);
    for (let t = r; t < e; ++t) for (let i = 0, o = t * dim; i < dim; ++i) vec[i] += data[o + i];
    for (let k = 0; k < zero.length; ++k) vec[zero[k]] = 0;
    let norm = 0;
    for (let i = 0; i < dim; ++i) norm += vec[i] * vec[i];
    // A zero vector has no direction; it is not an occurrence.
    if (!(norm > 0)) return;
    const inv = 1 / Math.sqrt(norm);
    const sum = unitSum(st, layer, dim);
    for (let i = 0; i < dim; ++i) sum[i] += vec[i] * inv;
    st.count[layer] = (st.count[layer] ?? 0) + 1;
  }

  /**
   * The word runs of a batch with their tracked states: reused while the batch's sentence and word
   * arrays hold the same values (the layers of one batch), else rebuilt, calling wordKey once per run.
   */
  #batchRuns(sentence: Int32Array, word: Int32Array): BatchRuns {
    const last = this.#runs;
    if (last && sameValues(last.word, word) && sameValues(last.sentence, sentence)) return last;
    const runs: BatchRuns = { word: Int32Array.from(word), sentence: Int32Array.from(sentence), start: [], end: [], state: [] };
    for (let r = 0, n = word.length; r < n; ) {
      // Tokens of one word are contiguous; special tokens have word -1 and never form words.
      const w = word[r], s = sentence[r];
      let e = r + 1;
      while (e < n && word[e] === w && sentence[e] === s) e++;
      if (w >= 0) {
        const state = this.#state(this.#wordKey(s, w));
        if (state) {
          runs.start.push(r);
          runs.end.push(e);
          runs.state.push(state);
        }
      }
      r = e;
    }
    this.#runs = runs;
    return runs;
  }

  merge(other: SelfSimilarity): this {
    if (other.#seed !== this.#seed || other.#maxWords !== this.#maxWords) throw new Error("SelfSimilarity.merge: seed or maxWords differ; merge accumulators built with the same options");
    if (other.#dim >= 0) this.#checkDim(0, other.#dim);
    for (const o of other.#tracked.values()) {
      const s = this.#state(o.key);
      if (!s) continue;
      o.sums.forEach((sum, layer) => {
        if (!sum) return;
        const mine = s.sums[layer];
        if (mine) for (let i = 0; i < sum.length; ++i) mine[i] += sum[i];
        else s.sums[layer] = Float64Array.from(sum);
        s.count[layer] = (s.count[layer] ?? 0) + (o.count[layer] ?? 0);
      });
    }
    return this;
  }

  #checkDim(layer: number, dim: number): void {
    integer(dim, "dim", 1);
    this.#dim = sameDim(layer, dim, this.#dim);
  }

  /** The tracked state of a key, admitting it if its hash is among the maxWords smallest; null if not tracked. */
  #state(raw: string | null): WordState | null {
    if (raw === null || raw === "") return null;
    const key = raw.toLowerCase();
    const found = this.#tracked.get(key);
    if (found) return found;
    if (this.#words && !this.#words.has(key)) return null;
    const hash = hashUniform(this.#seed, stringHash(key), key.length);
    const s: WordState = { key, hash, live: true, count: [], sums: [] };
    if (this.#tracked.size >= this.#maxWords) {
      // Order-independent: the tracked set is always the maxWords smallest (hash, key) seen, and a
      // word that ends in that set was never evicted, so it has all its occurrences.
      if (!after(this.#worst!, s)) return null;
      this.#tracked.delete(this.#worst!.key);
      this.#worst!.live = false;
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
    for (const w of this.#tracked.values()) w.count.forEach((_, l) => layerSet.add(l));
    const layerIndices = [...layerSet].sort((a, b) => a - b);
    const words = [...this.#tracked.values()].sort((a, b) => (a.key < b.key ? -1 : 1));
    const layers = layerIndices.map((layer): SelfSimLayer => {
      let total = 0, count = 0, occurrences = 0;
      for (const w of words) {
        const n = w.count[layer] ?? 0;
        if (n < this.#minOccurrences) continue;
        const sum = w.sums[layer]!;
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

// One-subword words read their row directly over the kept dims (`keep`: [start, end) pairs). That
// equals the copy-then-zero path of #addSubwords: 0 + x is x (up to the sign of a zero, which no sum
// can see), and a zeroed dim adds exactly 0 to the norm and to the sums.

/** The sum of unit vectors of a word in a layer, created on first use. */
function unitSum(st: WordState, layer: number, dim: number): Float64Array {
  return (st.sums[layer] ??= new Float64Array(dim));
}

/** Adds one row (at offset o) as a unit vector; a zero row has no direction and is not an occurrence. */
function addRow(layer: number, dim: number, data: Float32Array, keep: Int32Array, o: number, st: WordState): void {
  let norm = 0;
  for (let g = 0; g < keep.length; g += 2) for (let i = keep[g], stop = keep[g + 1]; i < stop; ++i) norm += data[o + i] * data[o + i];
  if (!(norm > 0)) return;
  const inv = 1 / Math.sqrt(norm), sum = unitSum(st, layer, dim);
  for (let g = 0; g < keep.length; g += 2) for (let i = keep[g], stop = keep[g + 1]; i < stop; ++i) sum[i] += data[o + i] * inv;
  st.count[layer] = (st.count[layer] ?? 0) + 1;
}

/** addRow for rows a then b (b after a in the batch); the same numbers as two addRow calls, `sa` may be `sb`. */
function addRowPair(layer: number, dim: number, data: Float32Array, keep: Int32Array, oa: number, sa: WordState, ob: number, sb: WordState): void {
  let na = 0, nb = 0;
  for (let g = 0; g < keep.length; g += 2) {
    for (let i = keep[g], stop = keep[g + 1]; i < stop; ++i) {
      const x = data[oa + i], y = data[ob + i];
      na += x * x;
      nb += y * y;
    }
  }
  if (!(na > 0 && nb > 0)) {
    if (na > 0) addRow(layer, dim, data, keep, oa, sa);
    if (nb > 0) addRow(layer, dim, data, keep, ob, sb);
    return;
  }
  const ia = 1 / Math.sqrt(na), ib = 1 / Math.sqrt(nb);
  const suma = unitSum(sa, layer, dim), sumb = unitSum(sb, layer, dim);
  for (let g = 0; g < keep.length; g += 2) {
    for (let i = keep[g], stop = keep[g + 1]; i < stop; ++i) {
      suma[i] += data[oa + i] * ia;
      sumb[i] += data[ob + i] * ib;
    }
  }
  sa.count[layer] = (sa.count[layer] ?? 0) + 1;
  sb.count[layer] = (sb.count[layer] ?? 0) + 1;
}

/** The dims outside `zero` as [start, end) pairs, ascending. */
function keptRanges(zero: Int32Array, dim: number): Int32Array {
  const cut = new Uint8Array(dim);
  for (let k = 0; k < zero.length; ++k) cut[zero[k]] = 1;
  const out: number[] = [];
  for (let i = 0; i < dim; ) {
    if (cut[i]) { ++i; continue; }
    let e = i + 1;
    while (e < dim && !cut[e]) ++e;
    out.push(i, e);
    i = e;
  }
  return Int32Array.from(out);
}

function sameValues(a: Int32Array, b: Int32Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; ++i) if (a[i] !== b[i]) return false;
  return true;
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
