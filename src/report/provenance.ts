/**
 * The report's provenance block: what produced it (git commit, package and runtime versions, the
 * notebooks with their hashes and injected parameters) and what each notebook says about its
 * models (the provenance mime output: model id, file hashes, dtype, seed, sample, settings).
 * Nothing here reads a clock, so the same inputs give the same block.
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { hashFileMemo } from "../model/files.js";
import { stableStringify } from "./escape.js";
import type { Notebook } from "./execute.js";

export const PROVENANCE_MIME = "application/vnd.positional-artefacts.provenance+json";

/** What a notebook displays once per model (fields beyond `model` are optional). */
export interface ModelProvenance {
  model: string;
  files?: { name: string; sha256: string }[];
  dtype?: string;
  seed?: number;
  sample?: number;
  settings?: Record<string, unknown>;
  [key: string]: unknown;
}

export interface NotebookProvenance {
  /** The notebook's path relative to the package root (absolute when outside it). */
  file: string;
  sha256: string;
  /** The overrides injected into its parameters cell. */
  parameters: Record<string, unknown>;
}

export interface ReportProvenance {
  /** `git rev-parse HEAD` of the package root, or null when it is not a git checkout. */
  commit: string | null;
  runtime: { node: string; platform: string };
  /** Package name -> installed version (null when not installed). */
  packages: Record<string, string | null>;
  notebooks: NotebookProvenance[];
  /** Distinct model records from the notebooks, sorted by model id then content. */
  models: ModelProvenance[];
  /** Report settings (models, sample, seed, cell timeout). */
  settings: Record<string, unknown>;
}

/** Packages whose versions a reader needs to rerun the report. */
export const TRACKED_PACKAGES = ["@huggingface/transformers", "markdown-it", "onnxruntime-node", "plotly.js-dist-min", "tslab", "typescript", "zeromq"];

/**
 * The commit checked out in `dir` when `dir` is the top of a git checkout, else null (git or the
 * repository absent, or `dir` a folder inside another repository, as an installed package inside
 * a user's project is: that project's commit says nothing about this package).
 */
export function gitCommit(dir: string): string | null {
  try {
    const [top, head] = execFileSync("git", ["rev-parse", "--show-toplevel", "HEAD"], { cwd: dir, stdio: ["ignore", "pipe", "ignore"], timeout: 10000 }).toString().trim().split("\n");
    if (fs.realpathSync(top) !== fs.realpathSync(dir)) return null;
    return /^[0-9a-f]{40,64}$/.test(head) ? head : null;
  } catch {
    return null;
  }
}

/** Installed versions of `names` as resolved from `root` (null for a package that is not installed). */
export function packageVersions(root: string, names: readonly string[] = TRACKED_PACKAGES): Record<string, string | null> {
  const out: Record<string, string | null> = {};
  for (const name of [...names].sort()) {
    // Look the folder up directly: packages whose "exports" hide package.json cannot be require.resolve'd.
    out[name] = null;
    for (let dir = path.resolve(root); ; dir = path.dirname(dir)) {
      const file = path.join(dir, "node_modules", ...name.split("/"), "package.json");
      if (fs.existsSync(file)) {
        out[name] = String(JSON.parse(fs.readFileSync(file, "utf8")).version);
        break;
      }
      if (path.dirname(dir) === dir) break;
    }
  }
  return out;
}

/** A file's sha256 (hex), streamed, remembered while the file is unchanged (hashFileMemo). */
export function sha256File(file: string): string {
  return hashFileMemo(file).sha256;
}

/** A project mime value as an object: kernels may send JSON mime data as an object or as a JSON string. */
export function mimeJson(value: unknown, where: string): unknown {
  if (typeof value !== "string") return value;
  try {
    return JSON.parse(value);
  } catch (e) {
    throw new Error(`${where}: the output is not valid JSON (${(e as Error).message}); display the spec object or JSON.stringify(spec)`, { cause: e });
  }
}

/** Every provenance record the executed notebooks displayed, deduplicated and sorted. */
export function modelProvenance(notebooks: readonly { file: string; notebook: Notebook }[]): ModelProvenance[] {
  const seen = new Map<string, ModelProvenance>();
  for (const { file, notebook } of notebooks) {
    for (const [i, cell] of notebook.cells.entries()) {
      for (const o of cell.outputs ?? []) {
        if (o.output_type !== "display_data" && o.output_type !== "execute_result") continue;
        if (!(PROVENANCE_MIME in o.data)) continue;
        const where = `${file}: cell ${i + 1}: ${PROVENANCE_MIME}`;
        const p = mimeJson(o.data[PROVENANCE_MIME], where) as ModelProvenance;
        if (p === null || typeof p !== "object" || typeof p.model !== "string") {
          throw new Error(`${where}: expected an object with a string "model" field, got ${JSON.stringify(p)?.slice(0, 80)}; display {model, files, dtype, seed, sample, settings}`);
        }
        seen.set(stableStringify(p), p);
      }
    }
  }
  return [...seen.entries()].sort(([a, pa], [b, pb]) => (pa.model < pb.model ? -1 : pa.model > pb.model ? 1 : a < b ? -1 : a > b ? 1 : 0)).map(([, p]) => p);
}

/** Assembles the provenance block for a report built from `notebooks` in the package at `root`. */
export function reportProvenance({ root, notebooks, settings }: {
  root: string;
  notebooks: readonly { file: string; notebook: Notebook; parameters: Record<string, unknown> }[];
  settings: Record<string, unknown>;
}): ReportProvenance {
  const own = JSON.parse(fs.readFileSync(path.join(root, "package.json"), "utf8"));
  return {
    commit: gitCommit(root),
    runtime: { node: process.version, platform: `${os.platform()}-${os.arch()}` },
    packages: { [String(own.name)]: String(own.version), ...packageVersions(root) },
    notebooks: notebooks.map(({ file, parameters }) => ({ file: displayPath(root, file), sha256: sha256File(file), parameters })),
    models: modelProvenance(notebooks),
    settings,
  };
}

/** `file` relative to `root` when inside it, else absolute; always with forward slashes. */
export function displayPath(root: string, file: string): string {
  const rel = path.relative(root, path.resolve(file));
  return (rel.startsWith("..") || path.isAbsolute(rel) ? path.resolve(file) : rel).split(path.sep).join("/");
}
