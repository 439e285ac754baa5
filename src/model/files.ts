import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";

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

/**
 * The provenance entry of `name` inside `dir`: its relative name, size and sha256. When the bytes are
 * already in memory (a graph built from weights), pass them as `data` and the file is not read.
 */
export function fileEntry(dir: string, name: string, data?: Uint8Array): { name: string; bytes: number; sha256: string } {
  if (data) return { name, bytes: data.length, sha256: crypto.createHash("sha256").update(data).digest("hex") };
  return { name, ...hashFile(path.join(dir, name)) };
}
