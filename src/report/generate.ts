/**
 * Notebooks in, one HTML file out: executes each notebook with parameter overrides (`jobs` at a time,
 * one reused kernel per job: schedule.ts), or reuses its outputs when nothing it depends on
 * changed (notebookCache.ts), renders the report, and writes it atomically (a temporary file
 * renamed into place), so a failure never leaves a partial or stale-looking file: an existing
 * report is kept as it was.
 */
import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import * as os from "node:os";
import { cellSource, declaredParameters, readNotebook, type Notebook } from "./execute.js";
import { notebookCacheDir, notebookKey, reusableNotebook, storeNotebook } from "./notebookCache.js";
import { runNotebooks, type Executed, type NotebookJob } from "./schedule.js";
import { startPrefetch } from "./prefetch.js";
import { renderReport } from "./html.js";
import { PAGE_HAS_PLOTLY_ENV } from "../figures/show.js";
import { displayPath, reportProvenance } from "./provenance.js";
import { packageRoot } from "../model/files.js";

export interface ReportOptions {
  /** Notebook files, in report order. */
  notebooks: string[];
  /** The HTML file to write. */
  out: string;
  /** Model sources: notebooks declaring `models` get all of them, those declaring `model` the first (default: the notebooks' own defaults). */
  models?: string[];
  /** Overrides `sample` in notebooks that declare it (default: their own). */
  sample?: number;
  /** Overrides `seed` in notebooks that declare it (default: their own). */
  seed?: number;
  /** The report's title (default "Positional artefacts report"). */
  title?: string;
  /** The longest one cell may run, in ms (default 600000). */
  cellTimeoutMs?: number;
  /** The kernel command (default: this package's tslab). */
  kernelArgv?: string[];
  /** Progress messages, one line each (the CLI prints them on stderr). */
  onProgress?: (message: string) => void;
  /** The package root, for provenance (git commit, versions, relative paths); default: this package. */
  root?: string;
  /** Further values injected into the notebooks that declare the name (e.g. `skipped`); never an error when none does. */
  parameters?: Record<string, unknown>;
  /** Notebooks run at once, one kernel per job (default: PA_REPORT_JOBS, else the cores, at most 4). */
  jobs?: number;
  /** false: run every notebook, neither reading nor storing reused outputs (default true: notebookCache.ts). */
  cache?: boolean;
  /** false: the notebooks compute the shared passes themselves (default true when `models` is given: prefetch.ts). */
  prefetch?: boolean;
}

/** The default of `jobs`: PA_REPORT_JOBS, else the cores (at most 4: each kernel holds a model's pass in memory). */
export function defaultJobs(): number {
  const env = Number(process.env.PA_REPORT_JOBS);
  return Number.isInteger(env) && env >= 1 ? env : Math.max(1, Math.min(4, os.availableParallelism()));
}

/**
 * Each notebook's executed form, in report order: reused from the notebook cache when its key and
 * every input it read are unchanged, else run (`jobs` at a time) and stored.
 */
async function executeAll(notebooks: readonly string[], plans: Record<string, unknown>[], options: ReportOptions & { cellTimeoutMs: number; root: string }): Promise<{ file: string; notebook: Notebook; parameters: Record<string, unknown> }[]> {
  const { root, kernelArgv, onProgress, cache = true } = options;
  const dir = notebookCacheDir();
  const memo = new Map<string, Promise<string>>();
  const done = new Map<number, Notebook>();
  const keys = notebooks.map((file, i) => notebookKey({ root, file, parameters: plans[i], kernelArgv }));
  const todo: NotebookJob[] = [];
  for (const [i, file] of notebooks.entries()) {
    const name = displayPath(root, file);
    if (cache) {
      const { notebook, problem } = await reusableNotebook(dir, keys[i], memo);
      if (notebook) {
        onProgress?.(`[${i + 1}/${notebooks.length}] ${name}: outputs reused (notebook, parameters, toolkit and inputs unchanged)`);
        done.set(i, notebook);
        continue;
      }
      if (problem) onProgress?.(`[${i + 1}/${notebooks.length}] ${name}: cached outputs not used (${problem}); running it`);
    }
    todo.push({ index: i, file, name, parameters: plans[i] });
  }
  const jobs = options.jobs ?? defaultJobs();
  // the models' shared passes start at once, in a child process, while the kernels start (prefetch.ts)
  const ahead = todo.length && options.models?.length && options.prefetch !== false;
  const prefetch = ahead ? startPrefetch(options.models!, { sample: options.sample, seed: options.seed, onProgress }) : null;
  let ran: Map<number, Executed>;
  try {
    // the report inlines plotly.js once (html.ts): its kernels' figures carry none (show.ts)
    const env = { [PAGE_HAS_PLOTLY_ENV]: "1" };
    ran = await runNotebooks(startOrder(todo, notebooks), { jobs, cellTimeoutMs: options.cellTimeoutMs, kernelArgv, total: notebooks.length, onProgress, env });
  } finally {
    await prefetch?.stop();
  }
  for (const [i, { notebook, inputs }] of ran) {
    const relative = relativeToRoot(notebook, root);
    if (cache) await storeNotebook(dir, keys[i], inputs, relative);
    done.set(i, relative);
  }
  return notebooks.map((file, i) => ({ file, notebook: done.get(i)!, parameters: plans[i] }));
}

/** Notebook metadata key of the report's own settings. */
export const NOTEBOOK_META = "positional-artefacts";

/**
 * The order notebooks start in: by the rank in their metadata, `{"positional-artefacts": {"start": N}}`
 * (lower first; those that begin with passes of their own, such as 08's SYNTHETIC fixtures, run
 * while the shared passes are computed, then the long ones), then the notebooks without one; report
 * order within a rank. Outputs go back to their report positions, so the order changes timing only.
 */
export function startOrder(todo: readonly NotebookJob[], notebooks: readonly string[]): NotebookJob[] {
  const rank = (job: NotebookJob) => {
    const start = (readNotebook(notebooks[job.index]).metadata[NOTEBOOK_META] as { start?: unknown } | undefined)?.start;
    return typeof start === "number" && Number.isFinite(start) ? start : Infinity;
  };
  const ranks = new Map(todo.map((j) => [j, rank(j)]));
  return [...todo].sort((a, b) => ranks.get(a)! - ranks.get(b)! || a.index - b.index);
}

/** The overrides each notebook gets from the report options; throws when an option fits no notebook. */
export function planParameters(notebooks: readonly { file: string; notebook: Notebook }[], { models, sample, seed }: Pick<ReportOptions, "models" | "sample" | "seed">): Record<string, unknown>[] {
  const declared = notebooks.map(({ notebook }) => {
    const cell = notebook.cells.find((c) => c.cell_type === "code" && (c.metadata.tags ?? []).includes("parameters"));
    return cell ? declaredParameters(cellSource(cell)) : new Map<string, string>();
  });
  const plans = declared.map((names) => {
    const p: Record<string, unknown> = {};
    if (models?.length && names.has("models")) p.models = models;
    if (models?.length && names.has("model")) p.model = models[0];
    if (sample !== undefined && names.has("sample")) p.sample = sample;
    if (seed !== undefined && names.has("seed")) p.seed = seed;
    return p;
  });
  const unused = (key: string) => !plans.some((p) => key in p);
  if (models?.length && unused("model") && unused("models")) throw new RangeError(`--model: no notebook declares a model or models parameter (notebooks: ${notebooks.map((n) => n.file).join(", ")}); drop --model or add the parameter`);
  if (sample !== undefined && unused("sample")) throw new RangeError(`--sample: no notebook declares a sample parameter; drop --sample or add the parameter`);
  if (seed !== undefined && unused("seed")) throw new RangeError(`--seed: no notebook declares a seed parameter; drop --seed or add the parameter`);
  return plans;
}

/** Executes the notebooks and writes the report to `out`; resolves with the absolute path written. */
export async function generateReport(options: ReportOptions): Promise<string> {
  const { notebooks, out, models, sample, seed, title = "Positional artefacts report", cellTimeoutMs = 600000, onProgress, root = packageRoot() } = options;
  if (notebooks.length === 0) throw new RangeError("notebooks: the list is empty; pass at least one .ipynb file");
  const target = path.resolve(out);
  if (!fs.existsSync(path.dirname(target))) throw new Error(`--out: folder ${JSON.stringify(path.dirname(target))} does not exist; create it first`);
  const plotlyFile = require.resolve("plotly.js-dist-min/plotly.min.js", { paths: [root, __dirname] });
  const read = notebooks.map((file) => ({ file, notebook: readNotebook(file) }));
  const plans = planParameters(read, { models, sample, seed }).map((p, i) => relativeModels(withDeclared(p, read[i].notebook, options.parameters ?? {}), notebooks[i], root));
  const executed = await executeAll(notebooks, plans, { ...options, cellTimeoutMs, root });
  const provenance = reportProvenance({ root, notebooks: executed, settings: { models: models ? models.map((m) => (path.isAbsolute(m) ? displayPath(root, m) : m)) : null, sample: sample ?? null, seed: seed ?? null, cellTimeoutMs } });
  const html = renderReport({
    title,
    notebooks: executed.map(({ file, notebook }) => ({ file: displayPath(root, file), notebook })),
    provenance,
    plotly: fs.readFileSync(plotlyFile, "utf8"),
  });
  writeAtomic(target, html);
  onProgress?.(`wrote ${displayPath(root, target)} (${(Buffer.byteLength(html) / 1e6).toFixed(2)} MB)`);
  return target;
}

/** `plan` plus each of `extra` that the notebook's parameters cell declares. */
function withDeclared(plan: Record<string, unknown>, notebook: Notebook, extra: Record<string, unknown>): Record<string, unknown> {
  const cell = notebook.cells.find((c) => c.cell_type === "code" && (c.metadata.tags ?? []).includes("parameters"));
  const names = cell ? declaredParameters(cellSource(cell)) : new Map<string, string>();
  const out = { ...plan };
  for (const [k, v] of Object.entries(extra)) if (names.has(k)) out[k] = v;
  return out;
}

/**
 * Model folders inside the package root, injected relative to the notebook's folder (the kernel's
 * working directory), so the injected cell and the provenance read the same in every clone.
 */
function relativeModels(plan: Record<string, unknown>, notebook: string, root: string): Record<string, unknown> {
  const prefix = path.resolve(root) + path.sep;
  const rel = (v: unknown) => (typeof v === "string" && path.isAbsolute(v) && v.startsWith(prefix) ? path.relative(path.dirname(path.resolve(notebook)), v).split(path.sep).join("/") : v);
  const out = { ...plan };
  if ("model" in out) out.model = rel(out.model);
  if (Array.isArray(out.models)) out.models = out.models.map(rel);
  return out;
}

/**
 * The notebook with every "<root>/" inside its outputs' strings removed: paths inside the checkout
 * (the default models, say) read relative to it, as `displayPath` shows notebook files, so the same
 * inputs give the same report bytes in any clone.
 */
export function relativeToRoot(notebook: Notebook, root: string): Notebook {
  const prefix = path.resolve(root) + path.sep;
  const walk = (v: unknown): unknown => {
    if (typeof v === "string") return v.split(prefix).join("");
    if (Array.isArray(v)) return v.map(walk);
    if (v && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x)]));
    return v;
  };
  return { ...notebook, cells: notebook.cells.map((c) => (c.outputs ? { ...c, outputs: walk(c.outputs) as typeof c.outputs } : c)) };
}

/** Writes `text` to a temporary file beside `file`, then renames it over `file`; the temporary file never survives a failure. */
export function writeAtomic(file: string, text: string): void {
  // unique per process and call: two runs writing one --out never share (and delete) a temporary file
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}-${randomBytes(4).toString("hex")}.tmp`);
  try {
    fs.writeFileSync(tmp, text);
    fs.renameSync(tmp, file);
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    throw new Error(`${file}: cannot write the report (${(e as Error).message}); check the folder and free space`, { cause: e });
  }
}
