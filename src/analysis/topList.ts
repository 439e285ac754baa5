/**
 * The largest activations by |a|, capped: a min-heap of at most `cap` entries in typed columns, under
 * a total order (|a| descending, then sentence, position and dim ascending), so what is kept from a
 * sample is the same set whatever the batch order and however it was split and merged. What did not
 * fit is counted, and its largest |a| kept: every value above that is in the list (the exactness test
 * of the massive analysis' ratio threshold).
 */
import { decodeArray, encodeArray, type EncodedArray } from "../numerics/arrays.js";
import { bitsFloat } from "../numerics/absHistogram.js";

/** One kept activation. */
export interface TopEntry {
  /** The signed value. */
  value: number;
  sentence: number;
  position: number;
  dim: number;
  /** Token class code (tokenClasses.ts). */
  cls: number;
  /** The token string; "" when the list keeps no strings. */
  token: string;
}

export interface TopListState {
  abs: EncodedArray;
  value: EncodedArray;
  sentence: EncodedArray;
  position: EncodedArray;
  dim: EncodedArray;
  cls: EncodedArray;
  tokens: string[] | null;
  dropped: number;
  maxDroppedBits: number;
}

export class TopList {
  readonly cap: number;
  #size = 0;
  /** |a| as float32 bits (monotone in |a| for finite values). */
  readonly #abs: Uint32Array;
  readonly #value: Float32Array;
  readonly #sentence: Int32Array;
  readonly #position: Int32Array;
  readonly #dim: Int32Array;
  readonly #cls: Uint8Array;
  readonly #tokens: string[] | null;
  /** Values offered and not kept (now or later evicted). */
  dropped = 0;
  /** The largest |a| bits among them; -1 when none. */
  maxDroppedBits = -1;

  constructor(cap: number, keepTokens: boolean) {
    this.cap = cap;
    this.#abs = new Uint32Array(cap);
    this.#value = new Float32Array(cap);
    this.#sentence = new Int32Array(cap);
    this.#position = new Int32Array(cap);
    this.#dim = new Int32Array(cap);
    this.#cls = new Uint8Array(cap);
    this.#tokens = keepTokens ? new Array<string>(cap).fill("") : null;
  }

  get size(): number {
    return this.#size;
  }

  /** The |a| bits an offer must reach to be considered (0 until the list is full; 2^32 when cap is 0): the hot loop's test. */
  get floorBits(): number {
    if (this.cap === 0) return 2 ** 32;
    return this.#size < this.cap ? 0 : this.#abs[0];
  }

  /** Offers one activation (absBits = its |a| bits). */
  offer(absBits: number, value: number, sentence: number, position: number, dim: number, cls: number, token: string): void {
    if (this.cap === 0) return this.#drop(absBits);
    if (this.#size < this.cap) {
      const i = this.#size++;
      this.#set(i, absBits, value, sentence, position, dim, cls, token);
      this.#siftUp(i);
      return;
    }
    if (!this.#better(absBits, sentence, position, dim, 0)) return this.#drop(absBits);
    this.#drop(this.#abs[0]);
    this.#set(0, absBits, value, sentence, position, dim, cls, token);
    this.#siftDown(0);
  }

  /** Offers every entry of another list and takes its drop record. */
  merge(other: TopList): void {
    for (let i = 0; i < other.#size; ++i) {
      this.offer(other.#abs[i], other.#value[i], other.#sentence[i], other.#position[i], other.#dim[i], other.#cls[i], other.#tokens?.[i] ?? "");
    }
    this.dropped += other.dropped;
    this.maxDroppedBits = Math.max(this.maxDroppedBits, other.maxDroppedBits);
  }

  /** The kept entries, best first. */
  entries(): TopEntry[] {
    const idx = Array.from({ length: this.#size }, (_, i) => i);
    idx.sort((a, b) => (this.#better(this.#abs[a], this.#sentence[a], this.#position[a], this.#dim[a], b) ? -1 : 1));
    return idx.map((i) => ({
      value: this.#value[i], sentence: this.#sentence[i], position: this.#position[i], dim: this.#dim[i], cls: this.#cls[i], token: this.#tokens?.[i] ?? "",
    }));
  }

  /** The largest |a| not kept; null when nothing was dropped. */
  maxDropped(): number | null {
    return this.maxDroppedBits < 0 ? null : bitsFloat(this.maxDroppedBits);
  }

  state(): TopListState {
    const n = this.#size;
    return {
      abs: encodeArray(this.#abs.slice(0, n)), value: encodeArray(this.#value.slice(0, n)), sentence: encodeArray(this.#sentence.slice(0, n)),
      position: encodeArray(this.#position.slice(0, n)), dim: encodeArray(this.#dim.slice(0, n)), cls: encodeArray(this.#cls.slice(0, n)),
      tokens: this.#tokens ? this.#tokens.slice(0, n) : null, dropped: this.dropped, maxDroppedBits: this.maxDroppedBits,
    };
  }

  /** A list from a state (checked: equal column lengths, at most `cap` entries). */
  static fromState(s: TopListState, cap: number, keepTokens: boolean, where: string): TopList {
    const abs = decodeArray(s.abs, "uint32", `${where}.abs`);
    const n = abs.length;
    if (n > cap) throw new RangeError(`state ${where}: ${n} entries exceed the cap ${cap}; the state was written with other settings`);
    const cols = {
      value: decodeArray(s.value, "float32", `${where}.value`, n), sentence: decodeArray(s.sentence, "int32", `${where}.sentence`, n),
      position: decodeArray(s.position, "int32", `${where}.position`, n), dim: decodeArray(s.dim, "int32", `${where}.dim`, n), cls: decodeArray(s.cls, "uint8", `${where}.cls`, n),
    };
    if (keepTokens && (!Array.isArray(s.tokens) || s.tokens.length !== n)) throw new TypeError(`state ${where}.tokens: expected ${n} token strings; the state is corrupt`);
    if (!Number.isInteger(s.dropped) || s.dropped < 0 || !Number.isInteger(s.maxDroppedBits)) throw new TypeError(`state ${where}: dropped ${JSON.stringify(s.dropped)} / maxDroppedBits ${JSON.stringify(s.maxDroppedBits)} are not integers; the state is corrupt`);
    const t = new TopList(cap, keepTokens);
    for (let i = 0; i < n; ++i) t.offer(abs[i], cols.value[i], cols.sentence[i], cols.position[i], cols.dim[i], cols.cls[i], keepTokens ? String(s.tokens![i]) : "");
    t.dropped = s.dropped;
    t.maxDroppedBits = s.maxDroppedBits;
    return t;
  }

  #drop(absBits: number): void {
    this.dropped++;
    if (absBits > this.maxDroppedBits) this.maxDroppedBits = absBits;
  }

  #set(i: number, absBits: number, value: number, sentence: number, position: number, dim: number, cls: number, token: string): void {
    this.#abs[i] = absBits;
    this.#value[i] = value;
    this.#sentence[i] = sentence;
    this.#position[i] = position;
    this.#dim[i] = dim;
    this.#cls[i] = cls;
    if (this.#tokens) this.#tokens[i] = token;
  }

  /** Whether (absBits, sentence, position, dim) comes before entry j in the total order. */
  #better(absBits: number, sentence: number, position: number, dim: number, j: number): boolean {
    if (absBits !== this.#abs[j]) return absBits > this.#abs[j];
    if (sentence !== this.#sentence[j]) return sentence < this.#sentence[j];
    if (position !== this.#position[j]) return position < this.#position[j];
    return dim < this.#dim[j];
  }

  /** Whether entry i comes after entry j (the heap keeps the last-in-order entry at the root). */
  #worse(i: number, j: number): boolean {
    return this.#better(this.#abs[j], this.#sentence[j], this.#position[j], this.#dim[j], i);
  }

  #swap(i: number, j: number): void {
    const tok = this.#tokens;
    for (const a of [this.#abs, this.#value, this.#sentence, this.#position, this.#dim, this.#cls] as const) {
      const t = a[i];
      a[i] = a[j];
      a[j] = t;
    }
    if (tok) [tok[i], tok[j]] = [tok[j], tok[i]];
  }

  #siftUp(i: number): void {
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.#worse(i, p)) return;
      this.#swap(i, p);
      i = p;
    }
  }

  #siftDown(i: number): void {
    for (;;) {
      const l = 2 * i + 1, r = l + 1;
      let w = i;
      if (l < this.#size && this.#worse(l, w)) w = l;
      if (r < this.#size && this.#worse(r, w)) w = r;
      if (w === i) return;
      this.#swap(i, w);
      i = w;
    }
  }
}
