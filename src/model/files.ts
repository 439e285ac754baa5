import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

/** The root folder of this package (dist/src/model -> three folders up): models/, bin/, notebooks/, package.json. */
export function packageRoot(): string {
  return path.resolve(__dirname, "..", "..", "..");
}

/** A file's size and sha256 (hex), read in 4 MiB chunks so multi-GB weights are never held whole. */
export function hashFile(file: string): { bytes: number; sha256: string } {
  const hash = crypto.createHash("sha256");
  const fd = fs.openSync(file, "r");
  const buf = Buffer.allocUnsafe(1 << 22);
  let bytes = 0;
  try {
    for (let n; (n = fs.readSync(fd, buf, 0, buf.length, bytes)) > 0; bytes += n) hash.update(buf.subarray(0, n));
  } finally {
    fs.closeSync(fd);
  }
  return { bytes, sha256: hash.digest("hex") };
}

const MEMO = Symbol.for("positional-artefacts.fileHashes");
const memoHolder = globalThis as { [MEMO]?: Map<string, { stat: string; bytes: number; sha256: string }> };

/**
 * hashFile, remembered for the life of the process by what stat says of the file: device, inode, size,
 * and the modification and change times in nanoseconds. Any write changes the times, and a file renamed
 * over it has another inode, so a changed file is read again. For cache keys, model identities and
 * provenance, which hash the same weights many times in one report (each notebook's shared-pass key,
 * each encoder's provenance): a report on an all-MiniLM-L6-v2 folder asked 24 times in its 4 processes,
 * at 0.08 s each (0.36 s for all-mpnet-base-v2's 438 MB, the page cache warm); with the memo, once a
 * process. Checks of downloaded bytes against a pinned sha256 (catalog.ts, pypi.ts) call hashFile. The
 * memo lives on globalThis, so a report kernel that reloads the toolkit for each notebook keeps it.
 */
export function hashFileMemo(file: string): { bytes: number; sha256: string } {
  const abs = path.resolve(file);
  const st = fs.statSync(abs, { bigint: true });
  const stat = `${st.dev}:${st.ino}:${st.size}:${st.mtimeNs}:${st.ctimeNs}`;
  const memo = (memoHolder[MEMO] ??= new Map());
  const known = memo.get(abs);
  if (known && known.stat === stat) return { bytes: known.bytes, sha256: known.sha256 };
  const got = hashFile(abs);
  memo.set(abs, { stat, ...got });
  return got;
}

/**
 * The provenance entry of `name` inside `dir`: its relative name, size and sha256 (hashFileMemo). When
 * the bytes are already in memory (a graph built from weights), pass them as `data` and the file is not read.
 */
export function fileEntry(dir: string, name: string, data?: Uint8Array): { name: string; bytes: number; sha256: string } {
  if (data) return { name, bytes: data.length, sha256: crypto.createHash("sha256").update(data).digest("hex") };
  return { name, ...hashFileMemo(path.join(dir, name)) };
}

/** Size caps of the files read whole (issue 20): generous for real files, a quick refusal for /dev/zero or a runaway file. */
export const MAX_BYTES = {
  /** config.json, tokenizer_config.json, special_tokens_map.json: real ones are a few KB. */
  config: 1 << 20,
  /** model.safetensors.index.json: about 100 KB for the largest sharded models. */
  index: 16 << 20,
  /** tokenizer.json, vocab.txt, vocab.json, merges.txt: 17 MB for XLM-R's 250k vocabulary. */
  tokenizer: 64 << 20,
  /** A text a user passes (encode --file or stdin, analyze --corpus FILE, data files): V8 strings stop near 512 MiB. */
  text: 256 << 20,
} as const;

/**
 * Checks that `file` is a regular file (after symlinks) no larger than `cap`, without reading it: a
 * device such as /dev/zero, a FIFO or a folder is refused at once. Returns its size.
 */
export function checkBoundedFile(file: string, cap: number, fix: string): number {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(file);
  } catch (err) {
    throw new Error(`${file}: cannot read (${(err as NodeJS.ErrnoException).code ?? err}); ${fix}`, { cause: err });
  }
  if (!stat.isFile()) throw new Error(`${file}: not a regular file (${stat.isDirectory() ? "a folder" : "a device, FIFO or socket"}); ${fix}`);
  if (stat.size > cap) throw new Error(`${file}: ${stat.size.toLocaleString("en-US")} bytes exceeds the ${cap.toLocaleString("en-US")}-byte limit for this file; ${fix}`);
  return stat.size;
}

/**
 * Reads a whole file (or a file descriptor such as stdin, 0) but never more than `cap` bytes: a path
 * must be a regular file within the cap (checkBoundedFile); a descriptor is read up to cap + 1 bytes
 * and refused beyond, so an endless stream fails fast instead of exhausting memory.
 */
export function readBounded(file: string | number, cap: number, fix: string): Buffer {
  const label = typeof file === "number" ? (file === 0 ? "stdin" : `fd ${file}`) : file;
  if (typeof file === "string") checkBoundedFile(file, cap, fix);
  let fd: number;
  try {
    fd = typeof file === "number" ? file : fs.openSync(file, "r");
  } catch (err) {
    throw new Error(`${label}: cannot read (${(err as NodeJS.ErrnoException).code ?? err}); ${fix}`, { cause: err });
  }
  const chunks: Buffer[] = [];
  let total = 0;
  try {
    const buf = Buffer.allocUnsafe(1 << 20);
    for (;;) {
      let n: number;
      try {
        n = fs.readSync(fd, buf, 0, buf.length, null);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === "EAGAIN") continue;
        if ((err as NodeJS.ErrnoException).code === "EOF") break;
        throw new Error(`${label}: cannot read (${(err as NodeJS.ErrnoException).code ?? err}); ${fix}`, { cause: err });
      }
      if (n <= 0) break;
      total += n;
      if (total > cap) throw new Error(`${label}: more than ${cap.toLocaleString("en-US")} bytes, the limit for this input; ${fix}`);
      chunks.push(Buffer.from(buf.subarray(0, n)));
    }
  } finally {
    if (typeof file === "string") fs.closeSync(fd);
  }
  return Buffer.concat(chunks, total);
}

/**
 * The cache root: option, PA_CACHE_DIR, PA_CACHE (the name the fetch scripts and bench used first), or
 * ~/.cache/positional-artefacts. The shell scripts (scripts/fetch-*.sh, tools/reference/setup-venv.sh)
 * follow the same rule.
 */
export function cacheRoot(cacheDir?: string): string {
  return path.resolve(cacheDir ?? (process.env.PA_CACHE_DIR || process.env.PA_CACHE || path.join(os.homedir(), ".cache", "positional-artefacts")));
}
