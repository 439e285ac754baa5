import { sameValues, type LayerBatch } from "./batch.js";

/**
 * The side worker's batches in shared memory (side.ts). The calling thread copies a batch's layer
 * rows and per-token arrays into a free slot, one SharedArrayBuffer the worker was sent once, and
 * posts only the slot's number and shape; the worker reads the batch in place. Nothing is
 * transferred or allocated per batch: before, each batch's encoder buffers (~5.5 GB over a
 * 20,000-sentence MiniLM run) were transferred, arrived in the worker as external memory and died
 * there, and the worker's GC took about as long as its analyses. A slot is free again once the worker
 * has answered the batch in it; the calling thread runs at most a batch or two ahead, so a run holds
 * two or three slots, each the size of its largest batch.
 *
 * Layout of a slot for `rows` tokens, `layers` layers, width `dim`: float32 [layers x rows x dim],
 * then int32 position, sentence, word [rows each], then uint8 special [rows].
 */

/** What the worker is told of one batch: where it is and its shape; `buffer` only when the slot is new or grown. */
export interface SlotBatch {
  slot: number;
  rows: number;
  dim: number;
  /** The layer numbers (LayerBatch.layer), in the order of their rows in the slot. */
  layers: number[];
  buffer?: SharedArrayBuffer;
}

/** Bytes a batch of this shape takes in a slot. */
function slotBytes(rows: number, layers: number, dim: number): number {
  return rows * (layers * dim * 4 + 3 * 4 + 1);
}

/** A slot of shared memory: busy while the worker has not answered the batch in it; sent once the worker has its buffer. */
interface Slot {
  buffer: SharedArrayBuffer;
  busy: boolean;
  sent: boolean;
}

/**
 * The index of a free slot of at least `need` bytes: a free one that fits, else a free one grown (by
 * half again at least, so a run's slowly growing batches do not resend it each time), else a new one.
 */
function claimSlot(slots: Slot[], need: number): number {
  let k = slots.findIndex((s) => !s.busy && s.buffer.byteLength >= need);
  if (k < 0) k = slots.findIndex((s) => !s.busy);
  if (k < 0) k = slots.push({ buffer: new SharedArrayBuffer(0), busy: false, sent: false }) - 1;
  const s = slots[k];
  if (s.buffer.byteLength < need) {
    s.buffer = new SharedArrayBuffer(Math.max(need, Math.ceil(s.buffer.byteLength * 1.5)));
    s.sent = false;
  }
  return k;
}

/** The calling thread's slots. */
export class SlotPool {
  readonly #slots: Slot[] = [];

  /**
   * Copies the batch's layers (one batch's layers, as toLayerBatches gives them: the same tokens and
   * width) into a free slot, growing or adding one if needed. Returns what to post and `release`, to
   * call once the worker has answered the batch (the slot is then reused).
   */
  put(batches: readonly LayerBatch[]): { batch: SlotBatch; release: () => void } {
    if (batches.length === 0) throw new RangeError("SlotPool.put: a batch has at least one layer");
    const { dim, special, position, sentence, word } = batches[0], rows = special.length;
    for (const lb of batches) {
      const same = lb.dim === dim && lb.data.length === rows * dim && (lb.special === special || sameValues(lb.special, special))
        && (lb.position === position || sameValues(lb.position, position)) && (lb.sentence === sentence || sameValues(lb.sentence, sentence))
        && (lb.word === word || sameValues(lb.word, word));
      if (!same) throw new RangeError(`SlotPool.put: layer ${lb.layer} has other tokens or another width than layer ${batches[0].layer}; pass the layers of one batch (toLayerBatches)`);
    }
    const need = slotBytes(rows, batches.length, dim);
    const k = claimSlot(this.#slots, need), s = this.#slots[k];
    const v = views(s.buffer, rows, batches.length, dim);
    batches.forEach((lb, l) => v.data.set(lb.data, l * rows * dim));
    v.position.set(position);
    v.sentence.set(sentence);
    v.word.set(word);
    v.special.set(special);
    const batch: SlotBatch = { slot: k, rows, dim, layers: batches.map((lb) => lb.layer) };
    if (!s.sent) {
      batch.buffer = s.buffer;
      s.sent = true;
    }
    s.busy = true;
    return { batch, release: () => { s.busy = false; } };
  }

  /** Slots held (at most the batches in flight at once). */
  get size(): number {
    return this.#slots.length;
  }
}

/** The typed views of a slot holding `rows` tokens. */
function views(buffer: SharedArrayBuffer, rows: number, layers: number, dim: number) {
  const floats = layers * rows * dim, ints = floats * 4;
  return {
    data: new Float32Array(buffer, 0, floats),
    position: new Int32Array(buffer, ints, rows),
    sentence: new Int32Array(buffer, ints + rows * 4, rows),
    word: new Int32Array(buffer, ints + rows * 8, rows),
    special: new Uint8Array(buffer, ints + rows * 12, rows),
  };
}

/** The worker's slots: the buffers it was sent, by slot number. */
export class SlotReader {
  readonly #buffers: SharedArrayBuffer[] = [];

  /**
   * The batch as LayerBatches: views of the slot, valid until the worker answers (the slot is then
   * reused), or with `copy` copies of their own (for a part that keeps the batches).
   */
  read(b: SlotBatch, copy: boolean): LayerBatch[] {
    if (b.buffer) this.#buffers[b.slot] = b.buffer;
    const buffer = this.#buffers[b.slot];
    if (!buffer) throw new RangeError(`side worker: slot ${b.slot} was never sent`);
    if (buffer.byteLength < slotBytes(b.rows, b.layers.length, b.dim)) throw new RangeError(`side worker: slot ${b.slot} holds ${buffer.byteLength} bytes, too few for ${b.rows} rows of ${b.layers.length} layers x ${b.dim}`);
    const v = views(buffer, b.rows, b.layers.length, b.dim), size = b.rows * b.dim;
    // slice() of a view of shared memory is an ordinary array: the copy outlives the slot
    const own = <T extends { slice(): T }>(a: T) => (copy ? a.slice() : a);
    const special = own(v.special), position = own(v.position), sentence = own(v.sentence), word = own(v.word);
    return b.layers.map((layer, l) => ({ layer, dim: b.dim, data: own(v.data.subarray(l * size, (l + 1) * size)), special, position, sentence, word }));
  }
}

/** A typed array an ArraySlots slot can hold. */
export type SlotArray = Float32Array | Int32Array | Uint8Array;
type SlotKind = "float32" | "int32" | "uint8";

/** What the worker is told of arrays put in an ArraySlots slot: where, their kinds and lengths; `buffer` only when new or grown. */
export interface ArraySlotBatch {
  slot: number;
  arrays: { kind: SlotKind; length: number }[];
  buffer?: SharedArrayBuffer;
}

const KINDS = { float32: Float32Array, int32: Int32Array, uint8: Uint8Array } as const;
const kindOf = (a: SlotArray): SlotKind => (a instanceof Float32Array ? "float32" : a instanceof Int32Array ? "int32" : "uint8");
/** Each array starts at a multiple of 8 bytes. */
const aligned = (bytes: number) => Math.ceil(bytes / 8) * 8;

/**
 * Any typed arrays of one batch in shared memory, the way SlotPool holds layer batches: the padded
 * batch with its sites, for side parts that read sites (massive, norms). Slots are reused once the
 * worker has answered the batch, grown by half again at least.
 */
export class ArraySlots {
  readonly #slots: Slot[] = [];

  put(arrays: readonly SlotArray[]): { batch: ArraySlotBatch; release: () => void } {
    const need = arrays.reduce((n, a) => n + aligned(a.byteLength), 0);
    const k = claimSlot(this.#slots, need), s = this.#slots[k];
    let at = 0;
    for (const a of arrays) {
      new Uint8Array(s.buffer, at, a.byteLength).set(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
      at += aligned(a.byteLength);
    }
    const batch: ArraySlotBatch = { slot: k, arrays: arrays.map((a) => ({ kind: kindOf(a), length: a.length })) };
    if (!s.sent) {
      batch.buffer = s.buffer;
      s.sent = true;
    }
    s.busy = true;
    return { batch, release: () => { s.busy = false; } };
  }
}

/** The worker's ArraySlots: views of the arrays put, valid until the worker answers the batch. */
export class ArraySlotReader {
  readonly #buffers: SharedArrayBuffer[] = [];

  read(b: ArraySlotBatch): SlotArray[] {
    if (b.buffer) this.#buffers[b.slot] = b.buffer;
    const buffer = this.#buffers[b.slot];
    if (!buffer) throw new RangeError(`side worker: array slot ${b.slot} was never sent`);
    let at = 0;
    return b.arrays.map(({ kind, length }) => {
      const bytes = length * KINDS[kind].BYTES_PER_ELEMENT;
      if (at + bytes > buffer.byteLength) throw new RangeError(`side worker: array slot ${b.slot} holds ${buffer.byteLength} bytes, too few for its arrays`);
      const view = new KINDS[kind](buffer, at, length);
      at += aligned(bytes);
      return view;
    });
  }
}
