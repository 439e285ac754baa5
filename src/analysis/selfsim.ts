import { sameDim, sameValues, type LayerBatch } from "./batch.js";
import { VectorSlots } from "./kernels/index.js";
import { hashUniform } from "../numerics/random.js";
import { round6 } from "../numerics/json.js";
import { integer, keyword } from "../numerics/options.js";
import { decodeArray, encodeArray, type EncodedArray } from "../numerics/arrays.js";
import { addUnitRowTwin, cutMask } from "./kernels/twins.js";

import type { SelfSimLayer, SelfSimOptions, SelfSimResult } from "./selfsimTypes.js";

export type { SelfSimLayer, SelfSimOptions, SelfSimResult } from "./selfsimTypes.js";

/**
 * Per layer (array index): occurrences and the address of the sum of their unit vectors in the
 * accumulator's VectorSlots; `live` turns false on eviction.
 */
interface WordState { key: string; hash: number; id: number; live: boolean; count: number[]; sums: (number | undefined)[]; waiting: number }

/** The tracked word runs of the last batch: [start, end) token rows and their state. */
/** `order`: the run indices grouped by word (each word's runs in token order), so a word's sum is fetched once per batch. */
interface BatchRuns { word: Int32Array; sentence: Int32Array; start: number[]; end: number[]; state: WordState[]; order: Int32Array }

/**
 * The eligible keys lower-cased: the caller's own set when it already is, so accumulators given one set
 * (the side part's raw and clipped sums, every block's) hold it once; it grows with the corpus's
 * vocabulary (about 20,000 words at 200,000 sentences).
 */
function lowerCased(words: ReadonlySet<string>): ReadonlySet<string> {
  if (words instanceof Set && [...words].every((w) => typeof w === "string" && w === w.toLowerCase())) return words;
  return new Set([...words].map((w) => w.toLowerCase()));
}

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
  /** The tracked states as a list (the same as #tracked's values). */
  readonly #list: WordState[] = [];
  /** The word runs of the last batch; every layer of a batch has the same tokens, so keys are resolved once per batch. */
  #runs: BatchRuns | null = null;
  #vec = new Float64Array(0);
  #dim = -1;
  readonly #kernel: "auto" | "js";
  /** The sums of unit vectors, created with the first batch (its width). */
  #slots: VectorSlots | null = null;
  // the one-subword occurrences waiting for the kernel (reused across adds)
  #rows = new Int32Array(0);
  #at = new Int32Array(0);
  #ok = new Uint8Array(0);
  readonly #pending: WordState[] = [];
  /** A state waits in the current kernel call when its `waiting` equals this. */
  #call = 0;
  #nextId = 0;

  constructor({ wordKey, minOccurrences = 5, maxWords = 1000, words = null, seed = 0, zeroDims = [], kernel = "auto", slots = null }: SelfSimOptions) {
    this.#kernel = keyword(kernel, "kernel", ["auto", "js"] as const);
    if (slots !== null && !(slots instanceof VectorSlots)) throw new TypeError("invalid slots: expected a VectorSlots (or null for a pool of its own)");
    this.#slots = slots;
    if (typeof wordKey !== "function") throw new TypeError(`invalid wordKey: ${typeof wordKey}; expected a function (sentence, word) => string | null`);
    this.#wordKey = wordKey;
    this.#minOccurrences = integer(minOccurrences, "minOccurrences", 2);
    this.#maxWords = integer(maxWords, "maxWords", 1);
    this.#words = words ? lowerCased(words) : null;
    this.#seed = integer(seed, "seed", 0, 0xffffffff);
    this.#zeroDims = Int32Array.from(zeroDims, (d) => integer(d, "zeroDims dimension", 0));
  }

  add(batch: LayerBatch): this {
    const { layer, dim, data } = batch;
    const slots = this.#prepare(batch);
    const runs = this.#batchRuns(batch.sentence, batch.word);
    const { start, end, state } = runs, zero = this.#zeroDims;
    // Each word's sum adds its occurrences in token order. One-subword occurrences (most of them)
    // wait for one kernel call per batch; a multi-subword occurrence of a word that has some waiting
    // sends them first.
    const { rows, at, ok } = this.#scratch(start.length);
    const states = this.#pending;
    states.length = 0;
    this.#call++;
    const flush = () => {
      slots.addUnitRows(data, rows, at, states.length, zero, ok);
      for (let k = 0; k < states.length; ++k) if (ok[k]) states[k].count[layer] = (states[k].count[layer] ?? 0) + 1;
      states.length = 0;
      this.#call++;
    };
    const cut = slots.kernel ? null : cutMask(zero, dim);
    for (let g = 0; g < start.length; ++g) {
      const j = runs.order[g], st = state[j];
      if (!st.live) continue;
      if (end[j] === start[j] + 1) {
        if (cut) {
          if (addUnitRowTwin(data, start[j] * dim, dim, cut, slots.view(this.#sum(st, layer)))) st.count[layer] = (st.count[layer] ?? 0) + 1;
        } else {
          rows[states.length] = start[j];
          at[states.length] = this.#sum(st, layer);
          states.push(st);
          st.waiting = this.#call;
        }
        continue;
      }
      if (st.waiting === this.#call) flush();
      this.#addSubwords(layer, dim, data, start[j], end[j], st);
    }
    if (states.length) flush();
    return this;
  }

  /**
   * `a.add(batch); b.add(batch)` with each one-subword token vector read once for both, where `a`
   * and `b` share their pool (the `slots` option), `a` zeroes no dims and the kernel runs; else it
   * is those two calls. Same bits either way: each accumulator's sums add the same unit vectors in
   * the same order (runAnalyses: the raw and the clipped self-similarity).
   */
  static addPair(a: SelfSimilarity, b: SelfSimilarity, batch: LayerBatch): void {
    const { layer, dim, data } = batch;
    const slots = a.#prepare(batch);
    if (b.#prepare(batch) !== slots || !slots.kernel || a.#zeroDims.length !== 0) {
      a.add(batch);
      b.add(batch);
      return;
    }
    const ra = a.#batchRuns(batch.sentence, batch.word), rb = b.#batchRuns(batch.sentence, batch.word);
    // the pair path needs the same tracked runs on both sides (what runAnalyses gives once the
    // clipped side has replayed the fit sample: both saw the same words in the same order)
    const n = ra.start.length;
    let same = n === rb.start.length;
    for (let j = 0; same && j < n; ++j) same = ra.start[j] === rb.start[j] && ra.end[j] === rb.end[j] && ra.state[j].live === rb.state[j].live;
    if (!same) {
      a.add(batch);
      b.add(batch);
      return;
    }
    const { rows, at: atA, ok: okA } = a.#scratch(n), { at: atB, ok: okB } = b.#scratch(n);
    const sa = a.#pending, sb = b.#pending;
    sa.length = sb.length = 0;
    ++a.#call;
    const flush = () => {
      slots.addUnitRowPairs(data, rows, atA, atB, sa.length, b.#zeroDims, okA, okB);
      for (let k = 0; k < sa.length; ++k) {
        if (okA[k]) sa[k].count[layer] = (sa[k].count[layer] ?? 0) + 1;
        if (okB[k]) sb[k].count[layer] = (sb[k].count[layer] ?? 0) + 1;
      }
      sa.length = sb.length = 0;
      ++a.#call;
    };
    for (let g = 0; g < n; ++g) {
      const j = ra.order[g], x = ra.state[j], y = rb.state[j];
      if (!x.live) continue;
      const r = ra.start[j], e = ra.end[j];
      if (e === r + 1) {
        const k = sa.length;
        rows[k] = r;
        atA[k] = a.#sum(x, layer);
        atB[k] = b.#sum(y, layer);
        sa.push(x);
        sb.push(y);
        x.waiting = a.#call;
        continue;
      }
      if (x.waiting === a.#call) flush();
      a.#addSubwords(layer, dim, data, r, e, x);
      b.#addSubwords(layer, dim, data, r, e, y);
    }
    if (sa.length) flush();
  }

  /** Checks a batch against the options and the first batch; returns the pool, created on first use. */
  #prepare({ layer, dim }: LayerBatch): VectorSlots {
    integer(layer, "layer", 0);
    for (let k = 0; k < this.#zeroDims.length; ++k) if (this.#zeroDims[k] >= dim) throw new RangeError(`invalid zeroDims dimension: ${this.#zeroDims[k]}; layer ${layer} has dim ${dim}`);
    this.#checkDim(layer, dim);
    if (this.#vec.length !== dim) this.#vec = new Float64Array(dim);
    const slots = (this.#slots ??= new VectorSlots(dim, this.#kernel));
    if (slots.dim !== dim) throw new RangeError(`layer ${layer}: dim ${dim} differs from the slots option's width (${slots.dim}); share a VectorSlots only between accumulators of one model`);
    return slots;
  }

  /** The kernel call's arrays, grown to hold `n` rows. */
  #scratch(n: number): { rows: Int32Array; at: Int32Array; ok: Uint8Array } {
    if (this.#rows.length < n) {
      this.#rows = new Int32Array(n);
      this.#at = new Int32Array(n);
      this.#ok = new Uint8Array(n);
    }
    return { rows: this.#rows, at: this.#at, ok: this.#ok };
  }

  /** The address of a word's sum of unit vectors in a layer, created (zero) on first use. */
  #sum(st: WordState, layer: number): number {
    return (st.sums[layer] ??= this.#slots!.alloc());
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
    const sum = this.#slots!.view(this.#sum(st, layer));
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
    const runs: BatchRuns = { word: Int32Array.from(word), sentence: Int32Array.from(sentence), start: [], end: [], state: [], order: new Int32Array(0) };
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
    const ids = runs.state.map((st) => st.id);
    runs.order = Int32Array.from(ids.keys()).sort((a, b) => ids[a] - ids[b] || a - b);
    this.#runs = runs;
    return runs;
  }

  merge(other: SelfSimilarity): this {
    if (other.#seed !== this.#seed || other.#maxWords !== this.#maxWords) throw new Error("SelfSimilarity.merge: seed or maxWords differ; merge accumulators built with the same options");
    if (other.#dim >= 0) this.#checkDim(0, other.#dim);
    for (const o of other.#tracked.values()) {
      const s = this.#state(o.key);
      if (!s) continue;
      o.sums.forEach((at, layer) => {
        if (at === undefined || !o.count[layer]) return;
        const sum = other.#slots!.view(at);
        this.#slots ??= new VectorSlots(sum.length, this.#kernel);
        const mine = this.#slots.view(this.#sum(s, layer));
        for (let i = 0; i < sum.length; ++i) mine[i] += sum[i];
        s.count[layer] = (s.count[layer] ?? 0) + o.count[layer];
      });
    }
    return this;
  }

  /** The options a state must share to merge (state.ts); `words`: the eligible set, sorted, or null. */
  settings(): { minOccurrences: number; maxWords: number; seed: number; zeroDims: number[]; words: string[] | null } {
    return { minOccurrences: this.#minOccurrences, maxWords: this.#maxWords, seed: this.#seed, zeroDims: [...this.#zeroDims], words: this.#words ? [...this.#words].sort() : null };
  }

  /** The tracked words (sorted) with, per layer, their occurrences and float64 sum of unit vectors (base64). */
  state(): { dim: number; words: { key: string; layers: { layer: number; count: number; sum: EncodedArray }[] }[] } {
    const words = [...this.#tracked.values()].sort((a, b) => (a.key < b.key ? -1 : 1)).map((w) => ({
      key: w.key,
      layers: w.sums.flatMap((at, layer) => (at === undefined || !w.count[layer] ? [] : [{ layer, count: w.count[layer], sum: encodeArray(this.#slots!.view(at)) }])),
    }));
    return { dim: this.#dim, words };
  }

  /** Merges a state() of an accumulator with the same settings (as merge does: the maxWords smallest hashes stay). */
  mergeState(state: ReturnType<SelfSimilarity["state"]>): this {
    if (state.dim >= 0) this.#checkDim(0, state.dim);
    for (const o of state.words) {
      const s = this.#state(o.key);
      if (!s) continue;
      for (const l of o.layers) {
        const sum = decodeArray(l.sum, "float64", `selfsim word ${JSON.stringify(o.key)} layer ${l.layer}`, state.dim);
        this.#slots ??= new VectorSlots(sum.length, this.#kernel);
        const mine = this.#slots.view(this.#sum(s, l.layer));
        for (let i = 0; i < sum.length; ++i) mine[i] += sum[i];
        s.count[l.layer] = (s.count[l.layer] ?? 0) + integer(l.count, `state selfsim word ${JSON.stringify(o.key)} count`, 1);
      }
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
    // Order-independent: the tracked set is always the maxWords smallest (hash, key) seen, and a
    // word that ends in that set was never evicted, so it has all its occurrences.
    const worst = this.#worst;
    if (this.#tracked.size >= this.#maxWords && !(worst!.hash > hash || (worst!.hash === hash && worst!.key > key))) return null;
    const s: WordState = { key, hash, id: this.#nextId++, live: true, count: [], sums: [], waiting: -1 };
    if (this.#tracked.size >= this.#maxWords) {
      this.#tracked.delete(this.#worst!.key);
      this.#worst!.live = false;
      for (const at of this.#worst!.sums) if (at !== undefined) this.#slots!.release(at);
      this.#tracked.set(key, s);
      // the new largest (hash, key): a plain scan of the list (no iterator objects: evictions are many early on)
      const list = this.#list, gone = list.indexOf(this.#worst!);
      list[gone] = s;
      let w = list[0];
      for (let i = 1; i < list.length; ++i) if (after(list[i], w)) w = list[i];
      this.#worst = w;
      return s;
    }
    this.#tracked.set(key, s);
    this.#list.push(s);
    if (!this.#worst || after(s, this.#worst)) this.#worst = s;
    return s;
  }

  /**
   * One tracked word's state in a layer: its occurrences and the float64 sum of their unit vectors
   * (a copy), or null when the word is not tracked or has no occurrence there. Its self-similarity is
   * (|sum|² - n) / (n (n - 1)).
   */
  word(key: string, layer: number): { occurrences: number; sum: Float64Array } | null {
    const st = this.#tracked.get(key.toLowerCase());
    const at = st?.sums[layer];
    if (!st || at === undefined || !st.count[layer]) return null;
    return { occurrences: st.count[layer], sum: this.#slots!.view(at).slice() };
  }

  /** The tracked words' keys (lower-cased), sorted. */
  get keys(): string[] {
    return [...this.#tracked.keys()].sort();
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
        const sum = this.#slots!.view(w.sums[layer]!);
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
