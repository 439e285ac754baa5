import { sameDim, sameValues, type LayerBatch } from "./batch.js";
import { hashUniform } from "../numerics/random.js";
import { integer } from "../numerics/options.js";
import { decodeArray, encodeArray, type EncodedArray } from "../numerics/arrays.js";

/** Options of {@link TokenSample}. */
export interface TokenSampleOptions {
  /** Token vectors kept per layer; default 2000 (the paper's anisotropy uses 2000 sentences, one token each). */
  size?: number;
  /** Seed of the per-token hash keys; default 0. */
  seed?: number;
  /** Sample special tokens too; default false (DESIGN.md §2). */
  includeSpecial?: boolean;
}

/** One layer's sample, in canonical order (ascending key). */
export interface LayerSample {
  layer: number;
  n: number;
  dim: number;
  /** Row-major [n x dim]. */
  data: Float32Array;
  sentence: Int32Array;
  position: Int32Array;
  word: Int32Array;
  /** Eligible tokens seen in this layer (the population the sample is drawn from). */
  seen: number;
}

interface LayerState {
  dim: number;
  seen: number;
  /**
   * Names this layer's selection (heap, keys, sentence, position, word, seen): layers with the same
   * id hold the same selection, since they start empty (id 0) and a new id is given whenever one
   * changes other than by replaying a recorded batch.
   */
  id: number;
  /** Max-heap of slot indices by (key, sentence, position). */
  heap: number[];
  keys: Float64Array;
  sentence: Int32Array;
  position: Int32Array;
  word: Int32Array;
  data: Float32Array;
}

/**
 * A uniform random sample of token vectors without replacement, the same tokens in every layer:
 * bottom-k sampling on a seeded hash of (sentence, position). A token's key does not depend on batch
 * order, so the sample is identical however the corpus is batched or sharded, and merge is exact.
 * Memory is size x dim floats per layer, whatever the corpus size.
 */
export class TokenSample {
  readonly size: number;
  readonly seed: number;
  readonly includeSpecial: boolean;
  readonly #layers = new Map<number, LayerState>();
  #keys: { sentence: Int32Array; position: Int32Array; keys: Float64Array } | null = null;
  #dim = -1;
  /** Selection ids given so far. */
  #ids = 0;
  /**
   * The last batch offered fresh: the selection it started from and ended at, its mask, and its
   * writes (row, slot) in order. Another layer at the same start offered the same tokens makes the
   * same choices (the keys do not depend on the layer), so it replays the writes instead of
   * comparing every token against its heap.
   */
  #log: { from: number; to: number; sentence: Int32Array; position: Int32Array; mask: Uint8Array | null; value: number; writes: number[]; seen: number; heap: number[] } | null = null;

  constructor({ size = 2000, seed = 0, includeSpecial = false }: TokenSampleOptions = {}) {
    this.size = integer(size, "size", 1);
    this.seed = integer(seed, "seed", 0, 0xffffffff);
    this.includeSpecial = includeSpecial;
  }

  /**
   * Offers the batch's tokens; with `mask`, only the rows r where mask[r] === value (the same as adding
   * the compact subset of those rows, without copying it).
   */
  add({ layer, dim, data, special, sentence, position, word }: LayerBatch, mask?: Uint8Array, value = 1): this {
    const s = this.#state(layer, dim);
    if (mask && mask.length !== special.length) throw new RangeError(`TokenSample.add: mask has ${mask.length} rows; the batch has ${special.length}`);
    const log = this.#log;
    if (log && log.from === s.id && log.value === value && sameValues(log.sentence, sentence) && sameValues(log.position, position) && (log.mask === null ? !mask : !!mask && sameValues(log.mask, mask))) {
      // The same selection offered the same tokens: the same writes, in the same order.
      const w = log.writes, keys = this.#batchKeys(sentence, position);
      for (let k = 0; k < w.length; k += 2) {
        const r = w[k];
        write(s, w[k + 1], keys[r], sentence[r], position[r], word[r], data, r * dim);
      }
      const heap = s.heap, h = log.heap;
      heap.length = h.length;
      for (let i = 0; i < h.length; ++i) heap[i] = h[i];
      s.seen += log.seen;
      s.id = log.to;
      return this;
    }
    const keys = this.#batchKeys(sentence, position);
    const includeSpecial = this.includeSpecial, size = this.size, heap = s.heap, writes: number[] = [];
    let seen = 0;
    for (let r = 0, n = special.length; r < n; ++r) {
      if ((special[r] && !includeSpecial) || (mask && mask[r] !== value)) continue;
      seen++;
      // Most tokens sort after the sample's largest key once the heap is full: reject them here.
      if (heap.length === size && compare(s, heap[0], keys[r], sentence[r], position[r]) <= 0) continue;
      const slot = this.#offer(s, keys[r], sentence[r], position[r], word[r], data, r * dim);
      if (slot >= 0) writes.push(r, slot);
    }
    s.seen += seen;
    const from = s.id;
    s.id = ++this.#ids;
    this.#log = {
      from, to: s.id, sentence: Int32Array.from(sentence), position: Int32Array.from(position), mask: mask ? Uint8Array.from(mask) : null, value,
      writes, seen, heap: [...heap],
    };
    return this;
  }

  /** Token keys of a batch, computed once for all its layers (reused while sentence and position hold the same values). */
  #batchKeys(sentence: Int32Array, position: Int32Array): Float64Array {
    const last = this.#keys;
    if (last && sameValues(last.sentence, sentence) && sameValues(last.position, position)) return last.keys;
    const keys = new Float64Array(sentence.length);
    for (let r = 0; r < keys.length; ++r) keys[r] = hashUniform(this.seed, sentence[r], position[r]);
    this.#keys = { sentence: Int32Array.from(sentence), position: Int32Array.from(position), keys };
    return keys;
  }

  merge(other: TokenSample): this {
    if (other.size !== this.size || other.seed !== this.seed || other.includeSpecial !== this.includeSpecial) {
      throw new Error("TokenSample.merge: size, seed or includeSpecial differ; merge samples built with the same options");
    }
    for (const [layer, o] of other.#layers) {
      const s = this.#state(layer, o.dim);
      s.seen += o.seen;
      for (const slot of o.heap) this.#offer(s, o.keys[slot], o.sentence[slot], o.position[slot], o.word[slot], o.data, slot * o.dim);
      s.id = ++this.#ids;
    }
    return this;
  }

  /** The options a state must share to merge (state.ts). */
  settings(): { size: number; seed: number; includeSpecial: boolean } {
    return { size: this.size, seed: this.seed, includeSpecial: this.includeSpecial };
  }

  /** Each layer's sample in canonical order and its count of eligible tokens (plain JSON; arrays in base64). */
  state(): { layers: { layer: number; dim: number; seen: number; sentence: EncodedArray; position: EncodedArray; word: EncodedArray; data: EncodedArray }[] } {
    return {
      layers: this.layers().map((l) => {
        const { layer, dim, seen, sentence, position, word, data } = this.layer(l);
        return { layer, dim, seen, sentence: encodeArray(sentence), position: encodeArray(position), word: encodeArray(word), data: encodeArray(data) };
      }),
    };
  }

  /** Merges a state() of a sample with the same settings: the same tokens as merge(), keys recomputed from the seed. */
  mergeState(state: ReturnType<TokenSample["state"]>): this {
    for (const l of state.layers) {
      const where = `token sample layer ${l.layer}`;
      const sentence = decodeArray(l.sentence, "int32", `${where} sentence`), n = sentence.length;
      const position = decodeArray(l.position, "int32", `${where} position`, n), word = decodeArray(l.word, "int32", `${where} word`, n);
      const data = decodeArray(l.data, "float32", `${where} data`, n * l.dim);
      const s = this.#state(l.layer, l.dim);
      s.seen += integer(l.seen, `state ${where} seen`, 0);
      for (let i = 0; i < n; ++i) this.#offer(s, hashUniform(this.seed, sentence[i], position[i]), sentence[i], position[i], word[i], data, i * l.dim);
      s.id = ++this.#ids;
    }
    return this;
  }

  /** Layers seen, ascending. */
  layers(): number[] {
    return [...this.#layers.keys()].sort((a, b) => a - b);
  }

  /** One layer's sample in canonical order; throws for a layer never added. */
  layer(layer: number): LayerSample {
    const s = this.#layers.get(layer);
    if (!s) throw new RangeError(`invalid layer: ${JSON.stringify(layer)}; the sample holds layers ${this.layers().join(", ") || "none"}`);
    const slots = [...s.heap].sort((a, b) => compare(s, a, s.keys[b], s.sentence[b], s.position[b]));
    const n = slots.length, dim = s.dim;
    const out: LayerSample = {
      layer, n, dim, data: new Float32Array(n * dim), sentence: new Int32Array(n), position: new Int32Array(n), word: new Int32Array(n), seen: s.seen,
    };
    slots.forEach((slot, i) => {
      out.data.set(s.data.subarray(slot * dim, (slot + 1) * dim), i * dim);
      out.sentence[i] = s.sentence[slot];
      out.position[i] = s.position[slot];
      out.word[i] = s.word[slot];
    });
    return out;
  }

  #state(layer: number, dim: number): LayerState {
    integer(layer, "layer", 0);
    integer(dim, "dim", 1);
    this.#dim = sameDim(layer, dim, this.#dim);
    let s = this.#layers.get(layer);
    if (!s) {
      const k = this.size;
      s = { dim, seen: 0, id: 0, heap: [], keys: new Float64Array(k), sentence: new Int32Array(k), position: new Int32Array(k), word: new Int32Array(k), data: new Float32Array(k * dim) };
      this.#layers.set(layer, s);
    }
    return s;
  }

  /** Offers one token; returns the slot written, or -1 when it sorts after the whole full sample. */
  #offer(s: LayerState, key: number, sentence: number, position: number, word: number, src: Float32Array, offset: number): number {
    const { heap } = s;
    let slot: number;
    if (heap.length < this.size) {
      slot = heap.length;
      heap.push(slot);
      write(s, slot, key, sentence, position, word, src, offset);
      siftUp(s, heap.length - 1);
    } else {
      // Replace the largest key only if the new token sorts before it.
      slot = heap[0];
      if (compare(s, slot, key, sentence, position) <= 0) return -1;
      write(s, slot, key, sentence, position, word, src, offset);
      siftDown(s, 0);
    }
    return slot;
  }
}

function write(s: LayerState, slot: number, key: number, sentence: number, position: number, word: number, src: Float32Array, offset: number): void {
  s.keys[slot] = key;
  s.sentence[slot] = sentence;
  s.position[slot] = position;
  s.word[slot] = word;
  s.data.set(src.subarray(offset, offset + s.dim), slot * s.dim);
}



/** Orders slot a against (key, sentence, position): negative when a sorts first. */
function compare(s: LayerState, a: number, key: number, sentence: number, position: number): number {
  return s.keys[a] - key || s.sentence[a] - sentence || s.position[a] - position;
}

function greater(s: LayerState, a: number, b: number): boolean {
  return compare(s, a, s.keys[b], s.sentence[b], s.position[b]) > 0;
}

function siftUp(s: LayerState, i: number): void {
  const h = s.heap;
  while (i > 0) {
    const p = (i - 1) >> 1;
    if (!greater(s, h[i], h[p])) break;
    [h[i], h[p]] = [h[p], h[i]];
    i = p;
  }
}

function siftDown(s: LayerState, i: number): void {
  const h = s.heap, n = h.length;
  for (;;) {
    const l = 2 * i + 1, r = l + 1;
    let m = i;
    if (l < n && greater(s, h[l], h[m])) m = l;
    if (r < n && greater(s, h[r], h[m])) m = r;
    if (m === i) return;
    [h[i], h[m]] = [h[m], h[i]];
    i = m;
  }
}
