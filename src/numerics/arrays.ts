/**
 * Typed arrays in accumulator states (state.ts). As JSON an array is its dtype and its bytes in base64
 * (`{ dtype, base64 }`); in memory a state keeps the array itself (HeldArray), whose JSON is that same
 * text, so that states combined inside one process (the block tree, blockState.ts) skip the base64
 * round trip while shard files, onStates and `artefacts merge` read and write what they always did.
 */

export type Typed = Float64Array | Float32Array | Int32Array | Uint32Array | Uint8Array;
/** The typed array class of each dtype. */
export const ARRAY_TYPES = { float64: Float64Array, float32: Float32Array, int32: Int32Array, uint32: Uint32Array, uint8: Uint8Array } as const;
const TYPES = ARRAY_TYPES;
export type Dtype = keyof typeof TYPES;

/** A typed array as JSON: its dtype and its bytes (little-endian, the platform order of every supported target) in base64. */
export interface EncodedArray {
  dtype: Dtype;
  base64: string;
}

/**
 * A typed array held in a state in memory: a snapshot of the values (its own copy). JSON.stringify
 * writes it as `{ dtype, base64 }`, the bytes it always had. A structured clone (postMessage) keeps
 * `dtype` and `data` but not the class: `held` makes it one again.
 */
export class HeldArray implements EncodedArray {
  constructor(readonly dtype: Dtype, readonly data: Typed) {}

  /** The bytes in base64 (made on demand). */
  get base64(): string {
    return Buffer.from(this.data.buffer, this.data.byteOffset, this.data.byteLength).toString("base64");
  }

  toJSON(): EncodedArray {
    return { dtype: this.dtype, base64: this.base64 };
  }
}

function dtypeOf(a: unknown): Dtype | undefined {
  return (Object.keys(TYPES) as Dtype[]).find((k) => a instanceof TYPES[k]);
}

/** A state's array: a copy of `a` held in memory (its JSON is `{ dtype, base64 }`); later changes to `a` do not reach it. */
export function encodeArray(a: Typed): EncodedArray {
  const dtype = dtypeOf(a);
  if (!dtype) throw new TypeError("encodeArray: expected a Float64Array, Float32Array, Int32Array, Uint32Array or Uint8Array");
  return new HeldArray(dtype, a.slice());
}

/** Held arrays whose next decode may return the array itself (handOver). */
const handed = new WeakSet<HeldArray>();

/**
 * Marks every held array in `value` as handed over: the next decodeArray of each returns its array
 * itself, not a copy (later ones copy). Only for a state nobody else holds (a block tree node's part,
 * taken once and merged once, blockState.ts): whoever decodes it may keep and change the array.
 */
export function handOver<T>(value: T): T {
  if (value instanceof HeldArray) handed.add(value);
  else if (Array.isArray(value)) for (const x of value) handOver(x);
  else if (value !== null && typeof value === "object" && !ArrayBuffer.isView(value)) for (const x of Object.values(value)) handOver(x);
  return value;
}

/** The typed array of a held array, or of one that crossed a structured clone (`{ dtype, data }`); null for anything else. */
function heldData(e: { dtype?: unknown; data?: unknown }): Typed | null {
  return e instanceof HeldArray || (e.data !== undefined && dtypeOf(e.data) === e.dtype) ? (e.data as Typed) : null;
}

/**
 * Decodes `x` (at `where`, for the error) as a `dtype` array of `length` elements (when given): a held
 * array or `{ dtype, base64 }`. A fresh array (the caller may keep and change it), or a handed-over
 * one's own (handOver).
 */
export function decodeArray<D extends Dtype>(x: unknown, dtype: D, where: string, length?: number): InstanceType<(typeof TYPES)[D]> {
  const e = x as (Partial<EncodedArray> & { data?: unknown }) | null;
  const held = e && typeof e === "object" && e.dtype === dtype ? heldData(e) : null;
  if (!held && (!e || typeof e !== "object" || e.dtype !== dtype || typeof e.base64 !== "string")) {
    throw new TypeError(`state ${where}: expected { dtype: "${dtype}", base64 }, got ${JSON.stringify(x)?.slice(0, 80)}; the state is corrupt or of another version`);
  }
  const T = TYPES[dtype];
  let out: InstanceType<(typeof TYPES)[D]>;
  if (held) out = (e instanceof HeldArray && handed.delete(e) ? held : held.slice()) as InstanceType<(typeof TYPES)[D]>;
  else {
    const bytes = Buffer.from(e!.base64!, "base64");
    if (bytes.length % T.BYTES_PER_ELEMENT !== 0) throw new RangeError(`state ${where}: ${bytes.length} bytes is not a whole number of ${dtype} values; the state is truncated`);
    out = new T(bytes.length / T.BYTES_PER_ELEMENT) as InstanceType<(typeof TYPES)[D]>;
    new Uint8Array(out.buffer).set(bytes);
  }
  if (length !== undefined && out.length !== length) throw new RangeError(`state ${where}: ${out.length} values, expected ${length}; the state was written for another shape`);
  return out;
}

/**
 * `value` with every `{ dtype, data }` that lost its class in a structured clone (a side worker's
 * states) a HeldArray again, in place where it can (plain objects and arrays are reused), so that its
 * JSON is `{ dtype, base64 }` again. Other values are returned as they are.
 */
export function held<T>(value: T): T {
  if (value === null || typeof value !== "object" || value instanceof HeldArray || ArrayBuffer.isView(value)) return value;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; ++i) value[i] = held(value[i]);
    return value;
  }
  const h = asHeld(value);
  if (h) return h as T;
  const o = value as Record<string, unknown>;
  for (const k of Object.keys(o)) o[k] = held(o[k]);
  return value;
}

/** `x` as a HeldArray when it is one, or one that crossed a structured clone (exactly `{ dtype, data }`); else null. */
export function asHeld(x: unknown): HeldArray | null {
  if (x instanceof HeldArray) return x;
  if (x === null || typeof x !== "object") return null;
  const o = x as { dtype?: unknown; data?: unknown };
  return Object.keys(o).length === 2 && typeof o.dtype === "string" && heldData(o) ? new HeldArray(o.dtype as Dtype, o.data as Typed) : null;
}
