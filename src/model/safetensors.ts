/**
 * Reads and writes the safetensors format (https://github.com/huggingface/safetensors#format):
 * u64 little-endian header length N, N bytes of JSON header, then the raw little-endian data.
 * F32, F16 and BF16 are read into Float32Array (the widening is exact); other dtypes are refused.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import type { Float32Tensor } from "./types.js";

export type StoredDtype = "F32" | "F16" | "BF16";

/** One tensor's header entry, checked. Offsets are relative to the start of the data section. */
export interface SafetensorsEntry {
  name: string;
  /** Any safetensors dtype; only F32, F16 and BF16 can be read as float32. */
  dtype: string;
  shape: number[];
  begin: number;
  end: number;
}

export interface SafetensorsHeader {
  /** Byte offset of the data section in the file (8 + header length). */
  dataStart: number;
  entries: SafetensorsEntry[];
  metadata: Record<string, string>;
}

const BYTES: Record<StoredDtype, number> = { F32: 4, F16: 2, BF16: 2 };
/** Every dtype the format defines: entries of other dtypes may sit in the header (int64 position_ids buffers) and are refused only when read. */
const ALL_BYTES: Record<string, number> = {
  ...BYTES, F64: 8, I64: 8, U64: 8, I32: 4, U32: 4, I16: 2, U16: 2, I8: 1, U8: 1, BOOL: 1, F8_E4M3: 1, F8_E5M2: 1,
};

/** Parses and checks a safetensors header without reading tensor data. */
export function readSafetensorsHeader(file: string): SafetensorsHeader {
  // errors name the whole path: "model.safetensors" alone does not say which folder
  const name = file;
  let fd: number;
  try {
    fd = fs.openSync(file, "r");
  } catch (err) {
    throw new Error(`${file}: cannot open (${(err as NodeJS.ErrnoException).code ?? err}); check the path`, { cause: err });
  }
  try {
    const size = fs.fstatSync(fd).size;
    if (size < 8) throw new Error(`${name}: file size ${size} is smaller than the 8-byte header length; the file is truncated`);
    const lenBuf = Buffer.alloc(8);
    fs.readSync(fd, lenBuf, 0, 8, 0);
    const len = lenBuf.readBigUInt64LE(0);
    if (len > BigInt(size - 8)) {
      throw new Error(`${name}: header length ${formatBig(len)} exceeds file size ${size}; the file is truncated or not a safetensors file`);
    }
    if (len > BigInt(MAX_HEADER_BYTES)) {
      throw new Error(`${name}: header length ${formatBig(len)} exceeds the format's ${MAX_HEADER_BYTES.toLocaleString("en-US")}-byte limit; the file is corrupt or not a safetensors file`);
    }
    const n = Number(len);
    const headerBuf = Buffer.alloc(n);
    fs.readSync(fd, headerBuf, 0, n, 8);
    return parseHeader(name, headerBuf.toString("utf8"), size - 8 - n, 8 + n);
  } finally {
    fs.closeSync(fd);
  }
}

/** The safetensors library's own cap on the JSON header (MAX_HEADER_SIZE, 100 MB). */
export const MAX_HEADER_BYTES = 100_000_000;

/** Every digit, grouped ("1,152,921,504,606,846,976"): a rounded 1e18 hides which length the file claims. */
export function formatBig(n: bigint): string {
  return n.toLocaleString("en-US");
}

function parseHeader(name: string, text: string, dataBytes: number, dataStart: number): SafetensorsHeader {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new Error(`${name}: header is not valid JSON (${(err as Error).message}); the file is corrupt, re-download or re-save it`, { cause: err });
  }
  if (json === null || typeof json !== "object" || Array.isArray(json)) {
    throw new Error(`${name}: header is not a JSON object; the file is corrupt, re-download or re-save it`);
  }
  const metadata: Record<string, string> = {};
  const entries: SafetensorsEntry[] = [];
  for (const [key, value] of Object.entries(json as Record<string, unknown>)) {
    if (key === "__metadata__") {
      if (value === null || typeof value !== "object") throw new Error(`${name}: __metadata__ is not an object; the file is corrupt`);
      for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
        if (typeof v !== "string") throw new Error(`${name}: __metadata__.${k} is ${JSON.stringify(v)}, not a string; the file is corrupt`);
        metadata[k] = v;
      }
      continue;
    }
    const e = value as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (e === null || typeof e !== "object") throw new Error(`${name}: ${key} has no header entry object; the file is corrupt`);
    if (typeof e.dtype !== "string" || !(e.dtype in ALL_BYTES)) {
      throw new Error(`${name}: ${key} has dtype ${JSON.stringify(e.dtype)}, which is not a safetensors dtype; the file is corrupt, re-download or re-save it`);
    }
    const dtype = e.dtype;
    if (!Array.isArray(e.shape) || !e.shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
      throw new Error(`${name}: ${key} has shape ${JSON.stringify(e.shape)}; expected an array of non-negative integers (the file is corrupt)`);
    }
    const offs = e.data_offsets;
    if (!Array.isArray(offs) || offs.length !== 2 || !offs.every((d) => Number.isSafeInteger(d) && d >= 0) || offs[0] > offs[1]) {
      throw new Error(`${name}: ${key} has data_offsets ${JSON.stringify(offs)}; expected [begin, end] with 0 <= begin <= end (the file is corrupt)`);
    }
    const [begin, end] = offs as number[];
    if (end > dataBytes) {
      throw new Error(`${name}: ${key} data_offsets [${begin}, ${end}] run past the data section (${dataBytes} bytes); the file is truncated`);
    }
    const count = (e.shape as number[]).reduce((a, b) => a * b, 1);
    if (end - begin !== count * ALL_BYTES[dtype]) {
      throw new Error(`${name}: ${key} spans ${end - begin} bytes but shape ${JSON.stringify(e.shape)} of ${dtype} needs ${count * ALL_BYTES[dtype]}; the file is corrupt`);
    }
    entries.push({ name: key, dtype, shape: (e.shape as number[]).slice(), begin, end });
  }
  const sorted = entries.slice().sort((a, b) => a.begin - b.begin || a.end - b.end);
  for (let i = 1; i < sorted.length; ++i) {
    const a = sorted[i - 1], b = sorted[i];
    if (b.begin < a.end) {
      throw new Error(`${name}: ${a.name} [${a.begin}, ${a.end}] and ${b.name} [${b.begin}, ${b.end}] overlap; the file is corrupt`);
    }
  }
  return { dataStart, entries, metadata };
}

/**
 * Reads tensors of a safetensors file as float32 (F16/BF16 widened exactly). `only` selects tensors by
 * name (default: all); selected tensors of other dtypes are refused with an error naming them.
 * Each tensor is read straight into its own array, so the file is never held in memory twice.
 */
export function readSafetensors(
  file: string,
  { only }: { only?: (name: string) => boolean } = {},
): { tensors: Map<string, Float32Tensor>; metadata: Record<string, string> } {
  const header = readSafetensorsHeader(file);
  const name = file;
  const tensors = new Map<string, Float32Tensor>();
  const fd = fs.openSync(file, "r");
  try {
    for (const e of header.entries) {
      if (only && !only(e.name)) continue;
      if (!(e.dtype in BYTES)) {
        throw new Error(`${name}: ${e.name} has dtype ${JSON.stringify(e.dtype)}; only F32, F16 and BF16 are supported, save the checkpoint in float32`);
      }
      const dtype = e.dtype as StoredDtype;
      const bytes = new Uint8Array(e.end - e.begin);
      readFully(fd, bytes, header.dataStart + e.begin);
      tensors.set(e.name, { shape: e.shape, data: decode(bytes, dtype), storedAs: dtype });
    }
  } finally {
    fs.closeSync(fd);
  }
  return { tensors, metadata: header.metadata };
}

function readFully(fd: number, into: Uint8Array, position: number): void {
  for (let done = 0; done < into.length;) {
    const n = fs.readSync(fd, into, done, Math.min(into.length - done, 1 << 30), position + done);
    if (n <= 0) throw new Error(`safetensors: unexpected end of file at byte ${position + done}; the file is truncated`);
    done += n;
  }
}

/** Decodes little-endian bytes; for F32 the array shares the bytes' buffer (no copy). */
function decode(bytes: Uint8Array, dtype: StoredDtype): Float32Array {
  const n = bytes.length / BYTES[dtype];
  if (dtype === "F32") {
    if (!LITTLE_ENDIAN) byteSwap(bytes, 4);
    return new Float32Array(bytes.buffer, bytes.byteOffset, n);
  }
  const out = new Float32Array(n);
  if (dtype === "BF16") {
    const u = new Uint32Array(out.buffer);
    for (let i = 0; i < n; ++i) u[i] = (bytes[2 * i] | (bytes[2 * i + 1] << 8)) << 16;
    if (!LITTLE_ENDIAN) throw new Error("safetensors: big-endian hosts are not supported");
    return out;
  }
  for (let i = 0; i < n; ++i) out[i] = halfToFloat(bytes[2 * i] | (bytes[2 * i + 1] << 8));
  return out;
}

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function byteSwap(b: Uint8Array, width: number): void {
  for (let i = 0; i < b.length; i += width) b.subarray(i, i + width).reverse();
}

/** IEEE 754 binary16 bits to a number (exact: every half is a float32). */
export function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 31) return frac ? NaN : sign * Infinity;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

/** A number to binary16 bits, rounding to nearest even (overflow gives infinity). */
export function floatToHalf(x: number): number {
  const f = new Float32Array([x]);
  const u = new Uint32Array(f.buffer)[0];
  const sign = (u >>> 16) & 0x8000;
  const exp = (u >>> 23) & 0xff;
  const mant = u & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  const e = exp - 127 + 15;
  if (e >= 31) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    const m = mant | 0x800000;
    const shift = 14 - e;
    let h = m >>> shift;
    const rem = m & ((1 << shift) - 1);
    const half = 1 << (shift - 1);
    if (rem > half || (rem === half && (h & 1))) h++;
    return sign | h;
  }
  let h = (e << 10) | (mant >>> 13);
  const rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && (h & 1))) h++;
  return sign | h;
}

/** float32 bits to bfloat16 bits, rounding to nearest even. */
export function floatToBf16(x: number): number {
  const u = new Uint32Array(new Float32Array([x]).buffer)[0];
  if ((u & 0x7f800000) === 0x7f800000 && (u & 0x7fffff)) return (u >>> 16) | 0x40;
  return ((u + 0x7fff + ((u >>> 16) & 1)) >>> 16) & 0xffff;
}

/**
 * Writes tensors to a safetensors file: keys sorted, header padded with spaces to a multiple of 8
 * (allowed by the format), data in key order. Writes a temporary file and renames it, so a failure
 * never leaves a partial file under the final name.
 */
export function writeSafetensors(
  file: string,
  tensors: Record<string, { shape: number[]; data: Float32Array; dtype?: StoredDtype }>,
  metadata?: Record<string, string>,
): void {
  const keys = Object.keys(tensors).sort();
  const header: Record<string, unknown> = {};
  if (metadata && Object.keys(metadata).length) header.__metadata__ = metadata;
  const chunks: Uint8Array[] = [];
  let offset = 0;
  for (const key of keys) {
    const { shape, data, dtype = "F32" } = tensors[key];
    if (!(dtype in BYTES)) throw new RangeError(`writeSafetensors: ${key} has dtype ${JSON.stringify(dtype)}; expected one of F32, F16, BF16`);
    const count = shape.reduce((a, b) => a * b, 1);
    if (!shape.every((d) => Number.isSafeInteger(d) && d >= 0) || count !== data.length) {
      throw new RangeError(`writeSafetensors: ${key} has shape ${JSON.stringify(shape)} (${count} values) but ${data.length} values; pass matching shape and data`);
    }
    const bytes = encode(data, dtype);
    header[key] = { dtype, shape, data_offsets: [offset, offset + bytes.length] };
    chunks.push(bytes);
    offset += bytes.length;
  }
  let json = JSON.stringify(header);
  const jsonBytes = Buffer.byteLength(json, "utf8");
  json += " ".repeat((8 - ((8 + jsonBytes) % 8)) % 8);
  const headerBytes = Buffer.from(json, "utf8");
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(headerBytes.length));
  const tmp = `${file}.tmp-${process.pid}-${Date.now()}`;
  try {
    const fd = fs.openSync(tmp, "w");
    try {
      fs.writeSync(fd, len);
      fs.writeSync(fd, headerBytes);
      for (const c of chunks) fs.writeSync(fd, c);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, file);
  } catch (err) {
    fs.rmSync(tmp, { force: true });
    throw new Error(`${file}: cannot write (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}); check that the folder exists and is writable`, { cause: err });
  }
}

function encode(data: Float32Array, dtype: StoredDtype): Uint8Array {
  if (dtype === "F32") {
    if (!LITTLE_ENDIAN) throw new Error("safetensors: big-endian hosts are not supported");
    return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  }
  const out = new Uint8Array(data.length * 2);
  const conv = dtype === "F16" ? floatToHalf : floatToBf16;
  for (let i = 0; i < data.length; ++i) {
    const h = conv(data[i]);
    out[2 * i] = h & 0xff;
    out[2 * i + 1] = h >> 8;
  }
  return out;
}
