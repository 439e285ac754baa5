/**
 * Shared helpers for the data-file loaders: strict UTF-8 reading, line splitting, TSV rows and
 * error messages of the form `<file>:<line>: <what is wrong>; <what to do>` (STYLE.md).
 */
import * as fs from "node:fs";
import { MAX_BYTES, readBounded } from "../../model/files.js";
import { noteInput } from "../../numerics/inputs.js";

/** An error in a user's data file; `file` and `line` (1-based, 0 when not tied to a line) say where. */
export class DataFileError extends Error {
  constructor(readonly file: string, readonly line: number, what: string, fix: string) {
    super(`${file}${line > 0 ? `:${line}` : ""}: ${what}; ${fix}`);
    this.name = "DataFileError";
  }
}

/**
 * THE text policy of every command that reads text (analyze --corpus FILE, encode --file and stdin,
 * the STS / WiC / sentiment loaders): strict UTF-8 (TextDecoder with fatal: true), a byte-order mark
 * dropped, invalid bytes refused with a DataFileError naming the first bad line, never replaced.
 * `file` may be 0 (stdin). At most MAX_BYTES.text bytes are read; a path must be a regular file.
 */
export function readUtf8(file: string | 0): string {
  const label = file === 0 ? "stdin" : file;
  if (file !== 0) noteInput({ kind: "file", path: file });
  let stat: fs.Stats | null = null;
  try {
    if (file !== 0) stat = fs.statSync(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw Object.assign(new DataFileError(label, 0, code === "ENOENT" ? "no such file" : `cannot be read (${code ?? String(e)})`, "check the path"), { cause: e });
  }
  if (stat?.isDirectory()) throw new DataFileError(label, 0, "is a folder, not a file", "check the path");
  if (stat && !stat.isFile()) throw new DataFileError(label, 0, "is a device, FIFO or socket, not a regular file", "pass a UTF-8 text file");
  let bytes: Buffer;
  try {
    bytes = readBounded(file, MAX_BYTES.text, "pass a smaller text file, or split it");
  } catch (e) {
    throw Object.assign(new DataFileError(label, 0, (e as Error).message.slice(label.length + 2).split("; ")[0], "pass a smaller text file, or split it"), { cause: e });
  }
  try {
    return new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch (e) {
    throw Object.assign(new DataFileError(label, badUtf8Line(bytes), "invalid UTF-8", "re-save the file as UTF-8 (e.g. iconv -f latin1 -t utf-8)"), { cause: e });
  }
}

function badUtf8Line(bytes: Uint8Array): number {
  const dec = new TextDecoder("utf-8", { fatal: true });
  let line = 1, start = 0;
  for (let i = 0; i <= bytes.length; ++i) {
    if (i < bytes.length && bytes[i] !== 0x0a) continue;
    try {
      dec.decode(bytes.subarray(start, i));
    } catch {
      return line;
    }
    ++line;
    start = i + 1;
  }
  return 0;
}

/** The lines of a text with their 1-based numbers; "\r\n" is accepted; a final newline adds no line. */
export function splitLines(text: string): { text: string; line: number }[] {
  const raw = text.split("\n");
  if (raw.length && raw[raw.length - 1] === "") raw.pop();
  return raw.map((t, i) => ({ text: t.endsWith("\r") ? t.slice(0, -1) : t, line: i + 1 }));
}

/** Reads a UTF-8 file into lines; throws when the file has no non-blank line. */
export function readLines(file: string, expect: string): { text: string; line: number }[] {
  const lines = splitLines(readUtf8(file));
  if (!lines.some((l) => l.text.trim() !== "")) throw new DataFileError(file, 0, "the file is empty", `pass a file with ${expect}`);
  return lines;
}

/** Splits a TSV line into exactly `count` fields (or at least `count` when `atLeast`), else throws. */
export function tsvFields(file: string, line: number, text: string, count: number, layout: string, atLeast = false): string[] {
  const f = text.split("\t");
  if (atLeast ? f.length < count : f.length !== count) {
    throw new DataFileError(file, line, `expected ${atLeast ? "at least " : ""}${count} tab-separated columns, found ${f.length}`, `each line must be ${layout}`);
  }
  return f;
}

/** Parses a score in [lo, hi]; throws naming the column otherwise. */
export function scoreField(file: string, line: number, value: string, name: string, lo: number, hi: number): number {
  const v = value.trim();
  const x = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(v) ? Number(v) : NaN;
  if (!Number.isFinite(x) || x < lo || x > hi) {
    throw new DataFileError(file, line, `${name} ${JSON.stringify(value)} is not a number in [${lo}, ${hi}]`, `fix the ${name} column`);
  }
  return x;
}

/** Parses an integer label from `allowed`; throws listing the allowed labels otherwise. */
export function labelField(file: string, line: number, value: string, allowed: readonly number[], name = "label"): number {
  const v = value.trim();
  const x = /^-?\d+$/.test(v) ? Number(v) : NaN;
  if (!allowed.includes(x)) {
    throw new DataFileError(file, line, `${name} ${JSON.stringify(value)} is not one of ${allowed.join(", ")}`, `fix the ${name} column`);
  }
  return x;
}

/** Throws when a text field is empty. */
export function textField(file: string, line: number, value: string, name: string): string {
  const t = value.trim();
  if (t === "") throw new DataFileError(file, line, `${name} is empty`, `fill in the ${name} column or remove the line`);
  return t;
}

/** Checks that a header line has the expected column names (case-insensitive), or throws. */
export function checkHeader(file: string, got: string[], expected: readonly string[]): void {
  const norm = got.map((h) => h.trim().toLowerCase());
  if (norm.length !== expected.length || expected.some((e, i) => norm[i] !== e.toLowerCase())) {
    throw new DataFileError(file, 1, `header is ${JSON.stringify(got.join("\t"))}`, `the first line must be the header ${JSON.stringify(expected.join("\t"))} (tab-separated)`);
  }
}
