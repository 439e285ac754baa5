/** Typed arrays as JSON: their dtype and bytes in base64 (accumulator states, state.ts). */

export type Typed = Float64Array | Float32Array | Int32Array | Uint32Array | Uint8Array;
const TYPES = { float64: Float64Array, float32: Float32Array, int32: Int32Array, uint32: Uint32Array, uint8: Uint8Array } as const;
export type Dtype = keyof typeof TYPES;

/** A typed array as JSON: its dtype and its bytes (little-endian, the platform order of every supported target) in base64. */
export interface EncodedArray {
  dtype: Dtype;
  base64: string;
}

export function encodeArray(a: Typed): EncodedArray {
  const dtype = (Object.keys(TYPES) as Dtype[]).find((k) => a instanceof TYPES[k]);
  if (!dtype) throw new TypeError("encodeArray: expected a Float64Array, Float32Array, Int32Array, Uint32Array or Uint8Array");
  return { dtype, base64: Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString("base64") };
}

/** Decodes `x` (at `where`, for the error) as a `dtype` array of `length` elements (when given). */
export function decodeArray<D extends Dtype>(x: unknown, dtype: D, where: string, length?: number): InstanceType<(typeof TYPES)[D]> {
  const e = x as Partial<EncodedArray> | null;
  if (!e || typeof e !== "object" || e.dtype !== dtype || typeof e.base64 !== "string") {
    throw new TypeError(`state ${where}: expected { dtype: "${dtype}", base64 }, got ${JSON.stringify(x)?.slice(0, 80)}; the state is corrupt or of another version`);
  }
  const bytes = Buffer.from(e.base64, "base64");
  const T = TYPES[dtype];
  if (bytes.length % T.BYTES_PER_ELEMENT !== 0) throw new RangeError(`state ${where}: ${bytes.length} bytes is not a whole number of ${dtype} values; the state is truncated`);
  const out = new T(bytes.length / T.BYTES_PER_ELEMENT) as InstanceType<(typeof TYPES)[D]>;
  new Uint8Array(out.buffer).set(bytes);
  if (length !== undefined && out.length !== length) throw new RangeError(`state ${where}: ${out.length} values, expected ${length}; the state was written for another shape`);
  return out;
}

