/**
 * Work is done once, for a notebook's outputs too: a report reuses a notebook's executed outputs
 * when nothing that shapes them changed. The key covers what is known before the notebook runs
 * (its file's bytes, the injected parameters, the toolkit's compiled code, the installed package
 * versions, Node and the platform, the kernel command, the package root); the entry lists what it
 * read while it ran (numerics/inputs.ts: the shared passes' results-cache keys, data files, model
 * folders, folder listings), each with a fingerprint. An entry is reused only when the key matches,
 * the entry is sound (sealed.ts) and every fingerprint is recomputed unchanged; anything else runs
 * the notebook. Entries live in <results folder>/notebooks, so `--no-cache` bypasses them too.
 */
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { checkpointDir, findCheckpoint, isFetched, readCatalog } from "../model/catalog.js";
import { hashFileMemo } from "../model/files.js";
import type { InputRecord } from "../numerics/inputs.js";
import { checkpointHashes, resultsDir, sharedKey, toolkitVersion } from "./cache.js";
import { stableStringify } from "./escape.js";
import type { Notebook } from "./execute.js";
import { packageVersions } from "./provenance.js";
import { readSealed, writeSealed } from "./sealed.js";

const MAGIC = "positional-artefacts notebook/1";

/** An input the notebook read, with its fingerprint when it ran. */
export interface NotebookInput {
  input: InputRecord;
  fingerprint: string;
}

interface Entry {
  inputs: NotebookInput[];
  notebook: Notebook;
}

/** The folder of the notebook entries: <results folder>/notebooks. */
export function notebookCacheDir(dir?: string): string {
  return path.join(resultsDir(dir), "notebooks");
}

/** A notebook run's key, the fields it hashes, and the file-name prefix its notebook's entries share. */
export interface NotebookKey {
  key: string;
  fields: Record<string, unknown>;
  prefix: string;
}

/** The key of one notebook's run from what is known before it runs. */
export function notebookKey({ root, file, parameters, kernelArgv }: { root: string; file: string; parameters: Record<string, unknown>; kernelArgv?: string[] }): NotebookKey {
  const fields = {
    format: 1,
    root: path.resolve(root),
    notebook: path.resolve(file),
    sha256: hashFileMemo(file).sha256,
    parameters,
    toolkit: toolkitVersion(),
    packages: dependencyVersions(root),
    runtime: { node: process.version, platform: process.platform, arch: process.arch },
    kernel: kernelArgv ?? null,
  };
  const where = crypto.createHash("sha256").update(`${fields.root}\0${fields.notebook}`).digest("hex").slice(0, 12);
  const prefix = `${path.basename(file).replace(/\.ipynb$/, "").replace(/[^A-Za-z0-9_-]/g, "_")}-${where}-`;
  return { key: crypto.createHash("sha256").update(stableStringify(fields)).digest("hex"), fields, prefix };
}

/** Installed versions of every dependency in the package's package.json (a new onnxruntime may change a number). */
export function dependencyVersions(root: string): Record<string, string | null> {
  let pkg: { dependencies?: Record<string, string>; optionalDependencies?: Record<string, string> } = {};
  try {
    pkg = JSON.parse(fs.readFileSync(path.join(root, "package.json"), "utf8"));
  } catch {
    // not a package root: the key then holds no versions, and the toolkit hash still covers the code
  }
  return packageVersions(root, Object.keys({ ...pkg.dependencies, ...pkg.optionalDependencies }));
}

/** The fingerprint of `input` now; inputs that cannot be read get a fingerprint saying so (never equal to a real one). */
export async function fingerprint(input: InputRecord): Promise<string> {
  try {
    switch (input.kind) {
      case "results": {
        return (await sharedKey(findCheckpoint(input.source) ? input.source : input.dir, { sample: input.sample, seed: input.seed, corpus: input.corpus, ...(input.only ? { only: input.only as never } : {}), offline: true })).key;
      }
      case "file":
        return hashFileMemo(input.path).sha256;
      case "model":
        return crypto.createHash("sha256").update(stableStringify(modelFiles(input.dir))).digest("hex");
      case "folder":
        return crypto.createHash("sha256").update(fs.readdirSync(input.path).sort().join("\n")).digest("hex");
    }
  } catch (e) {
    return `unreadable: ${(e as Error).message}`;
  }
}

/** name + sha256 of a model folder's files: the pinned hashes for a fetched catalog copy (as the results key), else every file hashed. */
function modelFiles(dir: string): { name: string; sha256: string }[] {
  const entry = readCatalog().checkpoints.find((c) => checkpointDir(c) === path.resolve(dir));
  return entry && isFetched(entry, dir) ? checkpointHashes(entry.name, dir) : checkpointHashes(dir, dir);
}

/** One-line description of an input for progress messages. */
export function describeInput(input: InputRecord): string {
  return input.kind === "results" ? `the shared pass of ${input.source} (sample ${input.sample}, seed ${input.seed})` : input.kind === "file" ? input.path : input.kind === "model" ? `model folder ${input.dir}` : `folder ${input.path}`;
}

/**
 * The stored notebook for `key` when the entry is sound and every input's fingerprint is unchanged;
 * otherwise why not (problem null: no entry). `memo` shares fingerprints across the notebooks of one report.
 */
export async function reusableNotebook(dir: string, key: NotebookKey, memo: Map<string, Promise<string>> = new Map()): Promise<{ notebook: Notebook | null; problem: string | null }> {
  const { payload, problem } = readSealed<Entry>(entryFile(dir, key), MAGIC, key.key);
  if (!payload) return { notebook: null, problem };
  for (const { input, fingerprint: was } of payload.inputs) {
    const id = stableStringify(input);
    if (!memo.has(id)) memo.set(id, fingerprint(input));
    if ((await memo.get(id)) !== was) return { notebook: null, problem: `${describeInput(input)} changed` };
  }
  return { notebook: payload.notebook, problem: null };
}

/** Stores the executed notebook with the inputs it read, fingerprinted now (a results input by the key it read). */
export async function storeNotebook(dir: string, key: NotebookKey, inputs: readonly InputRecord[], notebook: Notebook): Promise<void> {
  const fingerprints: NotebookInput[] = [];
  for (const input of inputs) fingerprints.push({ input, fingerprint: input.kind === "results" ? input.key : await fingerprint(input) });
  const file = entryFile(dir, key);
  writeSealed(file, MAGIC, key.key, key.fields, { inputs: fingerprints, notebook } satisfies Entry, "notebook cache");
  prune(dir, key.prefix, file);
}

/** Entries kept per notebook file: an entry holds the notebook's outputs (megabytes with plotly inlined), and every rebuild of the toolkit makes a new key. */
export const KEEP_PER_NOTEBOOK = 4;

/** `<notebook name>-<hash of its path and the root>-<key>.json`: one notebook's entries share a prefix, so old ones can be pruned. */
function entryFile(dir: string, key: NotebookKey): string {
  return path.join(dir, `${key.prefix}${key.key}.json`);
}

/** Removes all but the newest KEEP_PER_NOTEBOOK entries with `prefix` (never `keep`). */
function prune(dir: string, prefix: string, keep: string): void {
  const old = fs.readdirSync(dir).filter((f) => f.startsWith(prefix) && f.endsWith(".json")).map((f) => path.join(dir, f))
    .map((f) => ({ f, t: fs.statSync(f, { throwIfNoEntry: false })?.mtimeMs ?? 0 })).sort((a, b) => b.t - a.t).map((e) => e.f)
    .filter((f) => f !== keep).slice(KEEP_PER_NOTEBOOK - 1);
  for (const f of old) fs.rmSync(f, { force: true });
}
