/**
 * A minimal protobuf encoder and decoder for the subset of ONNX (onnx.proto, IR version 8) that graph
 * building and surgery touch. Written here rather than taken from a protobuf library: the schema is
 * one small file's worth, and a generated-code dependency would be the larger risk (versions,
 * bundle size, int64 handling). Fields this schema does not model are kept as raw bytes in `$unknown`
 * and written back unchanged, so decode -> edit -> encode round-trips real exports (external data
 * references, sparse initializers, training info, functions ...).
 *
 * Wire format: https://protobuf.dev/programming-guides/encoding/ (varint, 64-bit, length-delimited, 32-bit).
 * int64 fields decode to a number when safe, else a bigint, so INT64_MAX in a Slice survives a round trip.
 * Byte fields (raw_data) decode to views of the input buffer: no copy.
 */

export type Int64 = number | bigint;

interface WithUnknown {
  /** Raw bytes (tag included) of fields the schema does not model, in input order. */
  $unknown?: Uint8Array[];
}

export interface OperatorSetIdProto extends WithUnknown { domain?: string; version?: Int64 }
export interface StringStringEntryProto extends WithUnknown { key?: string; value?: string }
export interface DimensionProto extends WithUnknown { dimValue?: Int64; dimParam?: string; denotation?: string }
export interface TensorShapeProto extends WithUnknown { dim: DimensionProto[] }
export interface TypeProtoTensor extends WithUnknown { elemType?: number; shape?: TensorShapeProto }
export interface TypeProto extends WithUnknown { tensorType?: TypeProtoTensor; denotation?: string }
export interface ValueInfoProto extends WithUnknown { name?: string; type?: TypeProto; docString?: string }
export interface TensorProto extends WithUnknown {
  dims: Int64[];
  dataType?: number;
  floatData: number[];
  int32Data: number[];
  stringData: Uint8Array[];
  int64Data: Int64[];
  name?: string;
  rawData?: Uint8Array;
  docString?: string;
}
export interface AttributeProto extends WithUnknown {
  name?: string;
  f?: number;
  i?: Int64;
  s?: Uint8Array;
  t?: TensorProto;
  g?: GraphProto;
  floats: number[];
  ints: Int64[];
  strings: Uint8Array[];
  tensors: TensorProto[];
  graphs: GraphProto[];
  docString?: string;
  type?: number;
  refAttrName?: string;
}
export interface NodeProto extends WithUnknown {
  input: string[];
  output: string[];
  name?: string;
  opType?: string;
  attribute: AttributeProto[];
  docString?: string;
  domain?: string;
}
export interface GraphProto extends WithUnknown {
  node: NodeProto[];
  name?: string;
  initializer: TensorProto[];
  docString?: string;
  input: ValueInfoProto[];
  output: ValueInfoProto[];
  valueInfo: ValueInfoProto[];
}
export interface ModelProto extends WithUnknown {
  irVersion?: Int64;
  producerName?: string;
  producerVersion?: string;
  domain?: string;
  modelVersion?: Int64;
  docString?: string;
  graph?: GraphProto;
  opsetImport: OperatorSetIdProto[];
  metadataProps: StringStringEntryProto[];
}

/** TensorProto.DataType values used here. */
export const DataType = { FLOAT: 1, UINT8: 2, INT8: 3, INT32: 6, INT64: 7, BOOL: 9, FLOAT16: 10, DOUBLE: 11, BFLOAT16: 16 } as const;
/** AttributeProto.AttributeType values. */
export const AttributeType = { FLOAT: 1, INT: 2, STRING: 3, TENSOR: 4, GRAPH: 5, FLOATS: 6, INTS: 7, STRINGS: 8, TENSORS: 9, GRAPHS: 10 } as const;

import { modelSchema, type Scalar, type Schema } from "./protoSchema.js";

// ---- decoding ----

const utf8 = new TextDecoder("utf-8", { fatal: false });
const utf8enc = new TextEncoder();

class Reader {
  pos: number;
  constructor(readonly buf: Uint8Array, start: number, readonly end: number, readonly where: string) { this.pos = start; }

  fail(what: string): never {
    throw new Error(`${this.where}: ${what} at byte ${this.pos}; the ONNX file is corrupt or not an ONNX model`);
  }

  varint(): bigint | number {
    let lo = 0, shift = 0, b: number;
    // fast path: up to 4 bytes (28 bits) as a number
    do {
      if (this.pos >= this.end) this.fail("truncated varint");
      b = this.buf[this.pos++];
      lo |= (b & 0x7f) << shift;
      shift += 7;
    } while (b & 0x80 && shift < 28);
    if (!(b & 0x80)) return lo >>> 0;
    let v = BigInt(lo >>> 0);
    let s = 28n;
    do {
      if (this.pos >= this.end) this.fail("truncated varint");
      b = this.buf[this.pos++];
      v |= BigInt(b & 0x7f) << s;
      s += 7n;
      if (s > 70n) this.fail("varint longer than 10 bytes");
    } while (b & 0x80);
    return v;
  }

  uint(): number {
    const v = this.varint();
    if (typeof v === "number") return v;
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) this.fail(`length ${v} too large`);
    return Number(v);
  }

  bytes(): Uint8Array {
    const n = this.uint();
    if (this.pos + n > this.end) this.fail(`length ${n} runs past the end of its message (${this.end - this.pos} bytes left)`);
    const out = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  skip(wire: number): void {
    if (wire === 0) this.varint();
    else if (wire === 1) this.pos += 8;
    else if (wire === 2) this.bytes();
    else if (wire === 5) this.pos += 4;
    else this.fail(`unsupported wire type ${wire}`);
    if (this.pos > this.end) this.fail("field runs past the end of its message");
  }
}

function toInt64(v: bigint | number): Int64 {
  if (typeof v === "number") return v;
  const s = BigInt.asIntN(64, v);
  return s >= BigInt(Number.MIN_SAFE_INTEGER) && s <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(s) : s;
}

function toInt32(v: bigint | number): number {
  return typeof v === "number" ? v | 0 : Number(BigInt.asIntN(32, v));
}

function readScalar(r: Reader, kind: Scalar, wire: number): number | Int64 | string | Uint8Array {
  switch (kind) {
    case "int64": if (wire !== 0) r.fail(`int64 field with wire type ${wire}`); return toInt64(r.varint());
    case "int32": if (wire !== 0) r.fail(`int32 field with wire type ${wire}`); return toInt32(r.varint());
    case "float": {
      if (wire !== 5) r.fail(`float field with wire type ${wire}`);
      if (r.pos + 4 > r.end) r.fail("truncated float");
      const v = new DataView(r.buf.buffer, r.buf.byteOffset + r.pos, 4).getFloat32(0, true);
      r.pos += 4;
      return v;
    }
    case "string": if (wire !== 2) r.fail(`string field with wire type ${wire}`); return utf8.decode(r.bytes());
    case "bytes": if (wire !== 2) r.fail(`bytes field with wire type ${wire}`); return r.bytes();
  }
}

function decodeMessage(schema: Schema, buf: Uint8Array, start: number, end: number, where: string): Record<string, unknown> {
  const r = new Reader(buf, start, end, where);
  const out: Record<string, unknown> = {};
  for (const f of schema.fields) if (f.repeated) out[f.key] = [];
  const byNo = new Map(schema.fields.map((f) => [f.no, f]));
  while (r.pos < end) {
    const tagStart = r.pos;
    const tag = r.uint();
    const no = tag >>> 3, wire = tag & 7;
    const f = byNo.get(no);
    if (!f) {
      r.skip(wire);
      ((out.$unknown ??= []) as Uint8Array[]).push(buf.subarray(tagStart, r.pos));
      continue;
    }
    if (typeof f.kind !== "string") {
      if (wire !== 2) r.fail(`${schema.name}.${f.key} with wire type ${wire}`);
      const body = r.bytes();
      const msg = decodeMessage(f.kind, buf, body.byteOffset - buf.byteOffset, body.byteOffset - buf.byteOffset + body.length, where);
      if (f.repeated) (out[f.key] as unknown[]).push(msg);
      else out[f.key] = msg;
      continue;
    }
    if (f.repeated && wire === 2 && f.kind !== "string" && f.kind !== "bytes") {
      // packed repeated scalars
      const body = r.bytes();
      const pr = new Reader(buf, body.byteOffset - buf.byteOffset, body.byteOffset - buf.byteOffset + body.length, where);
      const wireOf = f.kind === "float" ? 5 : 0;
      while (pr.pos < pr.end) (out[f.key] as unknown[]).push(readScalar(pr, f.kind, wireOf));
      continue;
    }
    const v = readScalar(r, f.kind, wire);
    if (f.repeated) (out[f.key] as unknown[]).push(v);
    else out[f.key] = v;
  }
  return out;
}

/** Decodes an ONNX ModelProto; `where` (a file name) prefixes errors. */
export function decodeModel(bytes: Uint8Array, where = "model.onnx"): ModelProto {
  return decodeMessage(modelSchema, bytes, 0, bytes.length, where) as unknown as ModelProto;
}

// ---- encoding ----

/**
 * Collects output as a list of chunks: small writes go into a scratch buffer, large byte fields
 * (raw_data) are referenced, not copied, until the one final concatenation.
 */
class Writer {
  chunks: Uint8Array[] = [];
  length = 0;
  private scratch = new Uint8Array(256);
  private start = 0;
  private used = 0;

  private ensure(n: number): void {
    if (this.used + n <= this.scratch.length) return;
    this.flush();
    this.scratch = new Uint8Array(Math.max(n, 4096));
    this.start = this.used = 0;
  }

  /** Moves the pending scratch bytes into the chunk list; the rest of the scratch stays in use. */
  flush(): void {
    if (this.used === this.start) return;
    this.chunks.push(this.scratch.subarray(this.start, this.used));
    this.start = this.used;
  }

  byte(b: number): void { this.ensure(1); this.scratch[this.used++] = b; this.length++; }

  varint(v: Int64): void {
    if (typeof v === "number" && v >= 0 && v < 0x80000000) {
      this.ensure(5);
      while (v >= 0x80) { this.scratch[this.used++] = (v & 0x7f) | 0x80; v >>>= 7; this.length++; }
      this.scratch[this.used++] = v;
      this.length++;
      return;
    }
    let b = BigInt.asUintN(64, BigInt(v));
    this.ensure(10);
    while (b >= 0x80n) { this.scratch[this.used++] = Number(b & 0x7fn) | 0x80; b >>= 7n; this.length++; }
    this.scratch[this.used++] = Number(b);
    this.length++;
  }

  tag(no: number, wire: number): void { this.varint(no * 8 + wire); }

  float(v: number): void {
    this.ensure(4);
    new DataView(this.scratch.buffer, this.scratch.byteOffset + this.used, 4).setFloat32(0, v, true);
    this.used += 4;
    this.length += 4;
  }

  raw(bytes: Uint8Array): void {
    if (bytes.length <= 64) {
      this.ensure(bytes.length);
      this.scratch.set(bytes, this.used);
      this.used += bytes.length;
      this.length += bytes.length;
      return;
    }
    this.flush();
    this.chunks.push(bytes);
    this.length += bytes.length;
  }

  append(child: Writer): void {
    child.flush();
    this.flush();
    for (const c of child.chunks) this.chunks.push(c);
    this.length += child.length;
  }

  finish(): Uint8Array {
    this.flush();
    if (this.chunks.length === 1) return this.chunks[0];
    const out = new Uint8Array(this.length);
    let o = 0;
    for (const c of this.chunks) { out.set(c, o); o += c.length; }
    return out;
  }
}

function writeScalar(w: Writer, kind: Scalar, v: unknown): void {
  switch (kind) {
    case "int64": w.varint(v as Int64); break;
    case "int32": w.varint(v as number); break; // negative int32 is sign-extended to 10 bytes, as protobuf does
    case "float": w.float(v as number); break;
    case "string": { const b = utf8enc.encode(v as string); w.varint(b.length); w.raw(b); break; }
    case "bytes": { const b = v as Uint8Array; w.varint(b.length); w.raw(b); break; }
  }
}

const WIRE: Record<Scalar, number> = { int64: 0, int32: 0, float: 5, string: 2, bytes: 2 };

function encodeMessage(schema: Schema, msg: Record<string, unknown>, w: Writer): void {
  for (const f of schema.fields) {
    const v = msg[f.key];
    if (v === undefined || v === null) continue;
    const values = f.repeated ? (v as unknown[]) : [v];
    if (f.repeated && !values.length) continue;
    if (typeof f.kind !== "string") {
      for (const m of values) {
        const child = new Writer();
        encodeMessage(f.kind, m as Record<string, unknown>, child);
        w.tag(f.no, 2);
        w.varint(child.length);
        w.append(child);
      }
    } else if (f.packed) {
      const child = new Writer();
      for (const x of values) writeScalar(child, f.kind, x);
      w.tag(f.no, 2);
      w.varint(child.length);
      w.append(child);
    } else {
      for (const x of values) { w.tag(f.no, WIRE[f.kind]); writeScalar(w, f.kind, x); }
    }
  }
  for (const u of (msg.$unknown as Uint8Array[] | undefined) ?? []) w.raw(u);
}

/** Encodes a ModelProto: modelled fields in field-number order, then the preserved unknown fields. */
export function encodeModel(model: ModelProto): Uint8Array {
  const w = new Writer();
  encodeMessage(modelSchema, model as unknown as Record<string, unknown>, w);
  return w.finish();
}

// ---- small constructors ----

export function tensorProto(t: Partial<TensorProto>): TensorProto {
  return { dims: [], floatData: [], int32Data: [], stringData: [], int64Data: [], ...t };
}

export function nodeProto(n: Partial<NodeProto> & { opType: string }): NodeProto {
  return { input: [], output: [], attribute: [], ...n };
}

export function graphProto(g: Partial<GraphProto>): GraphProto {
  return { node: [], initializer: [], input: [], output: [], valueInfo: [], ...g };
}

export function attributeProto(a: Partial<AttributeProto>): AttributeProto {
  return { floats: [], ints: [], strings: [], tensors: [], graphs: [], ...a };
}

/** A tensor value info with named (string) or fixed (number) dimensions. */
export function valueInfo(name: string, elemType: number, dims: (string | number)[]): ValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType,
        shape: { dim: dims.map((d) => (typeof d === "number" ? { dimValue: d } : { dimParam: d })) },
      },
    },
  };
}
