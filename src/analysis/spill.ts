/**
 * Pending block tree nodes on disk (issue 23: memory flat in the sample size). A single run holds up
 * to log2(blocks) pending nodes while it analyses the next block, and a node's state is as large as a
 * whole accumulator set (the token samples are capped, not the number of nodes), so in memory the
 * peak grew with the sample. Parked here, a node keeps only its counts and one file per analysis'
 * envelope (the JSON a shard file holds: the same values back, so the same bits); each part reads its
 * file back, and deletes it, when the node merges. The folder is made on the first park and removed
 * when the pass ends (Spill.close), whatever happened.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { drain, type LiveBlock, type NodePart } from "./blockState.js";
import type { StateEnvelope } from "./state.js";

/** A pass's spill folder: under os.tmpdir() (TMPDIR), one per pass. */
export class Spill {
  #dir: string | null = null;
  #files = 0;
  readonly #parked = new WeakSet<LiveBlock>();
  /** Bytes written so far (the bench reports them). */
  bytes = 0;

  /** The node with its parts written to disk (each read back once, when taken); a parked node is returned as it is. */
  park(block: LiveBlock): LiveBlock {
    if (this.#parked.has(block)) return block;
    const dir = this.#folder();
    const parts: NodePart[] = [];
    drain(block, (e) => {
      const file = path.join(dir, `part-${this.#files++}.json`);
      let fd: number | null = null;
      try {
        fd = fs.openSync(file, "w");
        this.bytes += writeJson(fd, e);
      } catch (err) {
        throw new Error(`block tree: cannot write a pending node's state to ${file} (${(err as Error).message}); set TMPDIR to a folder with room (about the size of one state set per pending node)`);
      } finally {
        if (fd !== null) fs.closeSync(fd);
      }
      parts.push({ analysis: e.analysis, take: () => readPart(file) });
    });
    const out: LiveBlock = { sentences: block.sentences, tokens: block.tokens, truncated: block.truncated, parts };
    this.#parked.add(out);
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

/** A parked part's envelope, its file deleted (a node is consumed once). */
function readPart(file: string): StateEnvelope {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (err) {
    throw new Error(`block tree: a pending node's state file ${file} is gone (${(err as Error).message}); something removed the pass's temporary folder: rerun`);
  }
  fs.rmSync(file, { force: true });
  return JSON.parse(text) as StateEnvelope;
}

/** Characters JSON.stringify escapes (quote, backslash, controls, surrogates): a long string with none is written as it is. */
const ESCAPED = /["\\\u0000-\u001f\ud800-\udfff]/;

/**
 * Writes `value` to `fd` as the text JSON.stringify gives (plain JSON: objects, arrays, strings,
 * numbers, booleans, null), in pieces of about `chunk` characters, long strings in slices: neither
 * the whole text of a state (a base64 sample is tens of MB) nor its UTF-8 copy is ever in memory.
 * Returns the bytes written.
 */
export function writeJson(fd: number, value: unknown, chunk = 1 << 20): number {
  let pieces: string[] = [], size = 0, bytes = 0;
  const flush = () => {
    if (pieces.length) bytes += fs.writeSync(fd, pieces.join(""));
    pieces = [];
    size = 0;
  };
  const put = (s: string) => {
    pieces.push(s);
    size += s.length;
    if (size >= chunk) flush();
  };
  const skipped = (x: unknown) => x === undefined || typeof x === "function" || typeof x === "symbol";
  const walk = (v: unknown): void => {
    if (typeof v === "string" && v.length > chunk && !ESCAPED.test(v)) {
      put('"');
      for (let i = 0; i < v.length; i += chunk) put(v.slice(i, i + chunk));
      put('"');
    } else if (Array.isArray(v)) {
      put("[");
      v.forEach((x, i) => {
        if (i) put(",");
        if (skipped(x)) put("null");
        else walk(x);
      });
      put("]");
    } else if (v !== null && typeof v === "object" && Object.getPrototypeOf(v) === Object.prototype && !("toJSON" in v)) {
      put("{");
      let first = true;
      for (const [k, x] of Object.entries(v)) {
        if (skipped(x)) continue;
        put(`${first ? "" : ","}${JSON.stringify(k)}:`);
        first = false;
        walk(x);
      }
      put("}");
    } else put(JSON.stringify(v) ?? "null");
  };
  walk(value);
  flush();
  return bytes;
}
