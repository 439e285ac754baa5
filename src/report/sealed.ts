/**
 * The on-disk format of the report's caches (results and notebook outputs): one header line (magic,
 * key, fields, payload sha256 and length), then the payload JSON. Written to a temporary name and
 * renamed; read back only when the magic, the key, the length and the sha256 all match, so a
 * corrupt, partial or foreign entry is reported (and recomputed by the caller), never trusted.
 */
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";

/** Writes `payload` under `key` to `file` atomically; `what` names the cache in errors. */
export function writeSealed(file: string, magic: string, key: string, fields: unknown, payload: unknown, what: string): void {
  const text = JSON.stringify(payload);
  const header = JSON.stringify({ magic, key, fields, bytes: Buffer.byteLength(text), sha256: crypto.createHash("sha256").update(text).digest("hex") });
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    fs.writeFileSync(tmp, `${header}\n${text}`);
    fs.renameSync(tmp, file);
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    throw new Error(`${file}: cannot write the ${what} (${(e as Error).message}); check the folder (PA_RESULTS_DIR / PA_CACHE_DIR) or pass --no-cache`, { cause: e });
  }
}

/** The payload when the entry is sound and for `key`; otherwise what is wrong with it (problem null: no entry). */
export function readSealed<T>(file: string, magic: string, key: string): { payload: T | null; problem: string | null } {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch {
    return { payload: null, problem: null };
  }
  const nl = text.indexOf("\n");
  let header: { magic?: string; key?: string; bytes?: number; sha256?: string };
  try {
    header = JSON.parse(nl < 0 ? text : text.slice(0, nl));
  } catch {
    return { payload: null, problem: "the cache entry's header is not JSON (a partial or foreign file)" };
  }
  if (header.magic !== magic || header.key !== key) return { payload: null, problem: "the cache entry is of another format or key" };
  const body = text.slice(nl + 1);
  if (Buffer.byteLength(body) !== header.bytes) return { payload: null, problem: `the cache entry holds ${Buffer.byteLength(body)} of ${header.bytes} payload bytes (partial)` };
  if (crypto.createHash("sha256").update(body).digest("hex") !== header.sha256) return { payload: null, problem: "the cache entry's payload does not match its sha256 (corrupt)" };
  return { payload: JSON.parse(body) as T, problem: null };
}
