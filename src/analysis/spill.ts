/**
 * Pending block tree nodes on disk (issue 23: memory flat in the sample size). A single run holds up
 * to log2(blocks) pending nodes while it analyses the next block, and a node's state is as large as a
 * whole accumulator set (the token samples are capped, not the number of nodes). The run keeps the
 * newest few in memory (run.ts, parkPending) and parks older ones here: a parked node keeps only its
 * counts and one file per analysis' envelope, read back (and deleted) when the node merges. A file is
 * the envelope's JSON skeleton with each typed array cut out, then the arrays' raw bytes: the same
 * values back, so the same bits, without base64 or a JSON text of tens of MB. The folder is made on
 * the first park and removed when the pass ends (Spill.close), whatever happened.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { drain, type LiveBlock, type NodePart } from "./blockState.js";
import { ARRAY_TYPES as TYPES, asHeld, HeldArray, type Dtype, type Typed } from "../numerics/arrays.js";
import type { StateEnvelope } from "./state.js";

/** The key that marks where a cut-out array was (never a key of a state: the files are this module's own). */
const MARK = "\u0000spilled";

/** A pass's spill folder: under os.tmpdir() (TMPDIR), one per pass. */
export class Spill {
  #dir: string | null = null;
  #files = 0;
  readonly #parked = new WeakSet<LiveBlock>();
  /** Bytes written so far (the bench reports them). */
  bytes = 0;
  /** Nodes parked so far. */
  nodes = 0;

  /** The node with its parts written to disk (each read back once, when taken); a parked node is returned as it is. */
  park(block: LiveBlock): LiveBlock {
    if (this.#parked.has(block)) return block;
    const dir = this.#folder();
    const parts: NodePart[] = [];
    drain(block, (e) => {
      const file = path.join(dir, `part-${this.#files++}.bin`);
      try {
        this.bytes += writePart(file, e);
      } catch (err) {
        throw new Error(`block tree: cannot write a pending node's state to ${file} (${(err as Error).message}); set TMPDIR to a folder with room (about the size of one state set per pending node)`);
      }
      parts.push({ analysis: e.analysis, take: () => readPart(file), own: true });
    });
    const out: LiveBlock = { sentences: block.sentences, tokens: block.tokens, truncated: block.truncated, parts };
    this.#parked.add(out);
    ++this.nodes;
    return out;
  }

  /** Removes the folder and whatever is still in it. */
  close(): void {
    if (this.#dir) fs.rmSync(this.#dir, { recursive: true, force: true });
    this.#dir = null;
  }

  #folder(): string {
    this.#dir ??= fs.mkdtempSync(path.join(os.tmpdir(), "pa-blocks-"));
    return this.#dir;
  }
}

/** The bytes of a typed array, as a view. */
const bytesOf = (a: Typed) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);

/**
 * `value` with every array cut out into `arrays` (a marker in its place): held arrays, and
 * `{ dtype, base64 }` read from a shard file (decoded: the same bytes, whose JSON is the same text).
 * Plain objects and arrays are copied.
 */
export function cutArrays(value: unknown, arrays: HeldArray[]): unknown {
  if (value === null || typeof value !== "object") return value;
  const h = asHeld(value);
  if (h) return { [MARK]: arrays.push(h) - 1 };
  if (Array.isArray(value)) return value.map((x) => cutArrays(x, arrays));
  const o = value as Record<string, unknown>, keys = Object.keys(o);
  if (keys.length === 2 && typeof o.dtype === "string" && Object.prototype.hasOwnProperty.call(TYPES, o.dtype) && typeof o.base64 === "string") {
    const T = TYPES[o.dtype as Dtype], bytes = Buffer.from(o.base64, "base64");
    // only canonical base64 (what encodeArray writes), so that the JSON text comes back the same
    if (bytes.length % T.BYTES_PER_ELEMENT === 0 && bytes.toString("base64") === o.base64) {
      const a = new T(bytes.length / T.BYTES_PER_ELEMENT);
      bytesOf(a).set(bytes);
      return { [MARK]: arrays.push(new HeldArray(o.dtype as Dtype, a)) - 1 };
    }
  }
  return Object.fromEntries(keys.map((k) => [k, cutArrays(o[k], arrays)]));
}

/** `value` (a parsed skeleton) with every marker replaced by its array, in place. */
function pasteArrays(value: unknown, arrays: readonly HeldArray[]): unknown {
  if (value === null || typeof value !== "object") return value;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; ++i) value[i] = pasteArrays(value[i], arrays);
    return value;
  }
  const o = value as Record<string, unknown>;
  if (typeof o[MARK] === "number") return arrays[o[MARK]];
  for (const k of Object.keys(o)) o[k] = pasteArrays(o[k], arrays);
  return value;
}

/** Pads to a multiple of 8 bytes, so every array starts aligned in the file (and in the buffer it is read into). */
const pad8 = (n: number) => (n + 7) & ~7;

/**
 * Writes envelope `e` to `file`: a uint32 (little-endian) skeleton length, the skeleton (JSON: the
 * envelope with arrays cut out, and each array's dtype and element count), then each array's bytes,
 * every piece starting at a multiple of 8. Returns the bytes written.
 */
export function writePart(file: string, e: StateEnvelope): number {
  const arrays: HeldArray[] = [];
  const envelope = cutArrays(e, arrays);
  const skeleton = Buffer.from(JSON.stringify({ envelope, arrays: arrays.map((a) => [a.dtype, a.data.length]) }));
  const head = Buffer.alloc(pad8(4 + skeleton.length));
  head.writeUInt32LE(skeleton.length, 0);
  skeleton.copy(head, 4);
  const zeros = new Uint8Array(8);
  const fd = fs.openSync(file, "w");
  let bytes = 0;
  try {
    bytes += fs.writeSync(fd, head);
    for (const a of arrays) {
      bytes += fs.writeSync(fd, bytesOf(a.data));
      const gap = pad8(a.data.byteLength) - a.data.byteLength;
      if (gap) bytes += fs.writeSync(fd, zeros, 0, gap);
    }
  } finally {
    fs.closeSync(fd);
  }
  return bytes;
}

/** A parked part's envelope (its arrays held, as views of the file's bytes), its file deleted (a node is consumed once). */
export function readPart(file: string): StateEnvelope {
  let buf: Buffer;
  try {
    buf = fs.readFileSync(file);
  } catch (err) {
    throw new Error(`block tree: a pending node's state file ${file} is gone (${(err as Error).message}); something removed the pass's temporary folder: rerun`);
  }
  fs.rmSync(file, { force: true });
  const size = buf.readUInt32LE(0);
  const { envelope, arrays } = JSON.parse(buf.toString("utf8", 4, 4 + size)) as { envelope: unknown; arrays: [Dtype, number][] };
  let at = pad8(4 + size);
  const held = arrays.map(([dtype, n]) => {
    const T = TYPES[dtype], bytes = n * T.BYTES_PER_ELEMENT;
    if (at + bytes > buf.length) throw new Error(`block tree: a pending node's state file ${file} is truncated (${buf.length} bytes); the disk under TMPDIR may be full: rerun with room`);
    // a view where the buffer is aligned (readFileSync gives a buffer of its own), else a copy
    const a = (buf.byteOffset + at) % T.BYTES_PER_ELEMENT === 0 ? new T(buf.buffer, buf.byteOffset + at, n) : new T(buf.buffer.slice(buf.byteOffset + at, buf.byteOffset + at + bytes));
    at += pad8(bytes);
    return new HeldArray(dtype, a);
  });
  return pasteArrays(envelope, held) as StateEnvelope;
}
