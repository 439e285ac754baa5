/**
 * `artefacts report`: executes the notebooks through the Jupyter protocol (tslab kernel, Node
 * only) and writes one self-contained HTML file. Progress goes to stderr; a failing cell stops
 * the run with exit code 1, naming the notebook, the cell and the error, and leaves no file.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { parseCommand, intOption, type OptionSpec } from "./args.js";
import { generateReport, packageRoot } from "../report/generate.js";
import { checkOutFile } from "./output.js";

const spec: Record<string, OptionSpec> = {
  model: { type: "list", help: "model source (folder or hub id); may repeat. Notebooks with a `models` parameter get all, those with `model` the first (default: the notebooks' own, the embedded models)" },
  notebooks: { type: "list", help: "notebook files in report order, comma-separated or repeated (default: notebooks/*.ipynb in name order)" },
  sample: { type: "string", help: "sentences sampled, for notebooks with a `sample` parameter (default: the notebooks' own)" },
  seed: { type: "string", help: "seed, for notebooks with a `seed` parameter (default: the notebooks' own)" },
  title: { type: "string", help: "the report's title", default: "Positional artefacts report" },
  "cell-timeout": { type: "string", help: "seconds one cell may run before the run stops", default: "600" },
  out: { type: "string", help: "the HTML file to write, e.g. reports/NAME.html (required)" },
};

const usage = "artefacts report [--model SRC ...] [--notebooks LIST] [--sample N] [--seed S] [--title T] [--cell-timeout SECONDS] --out reports/NAME.html";

const description =
  "Runs every notebook in a tslab kernel over the Jupyter messaging protocol (no Python needed) and writes ONE\n" +
  "HTML file: markdown with a table of contents, code folded, plotly figures drawn offline (plotly.js inlined,\n" +
  "no network request), each figure's data downloadable as JSON and CSV, and a provenance block. The same\n" +
  "inputs give the same bytes. The file is written only when every cell succeeded.";

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
    const models = o.model as string[] | undefined;
    if (!models && !o.notebooks) checkDefaultModels();
    options = {
      notebooks,
      out: o.out as string,
      models,
      sample: o.sample === undefined ? undefined : intOption(o.sample, "sample", 1),
      seed: o.seed === undefined ? undefined : intOption(o.seed, "seed", 0, 0xffffffff),
      title: o.title as string,
      cellTimeoutMs: intOption(o["cell-timeout"], "cell-timeout", 1) * 1000,
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
  try {
    const started = Date.now();
    const file = await generateReport(options);
    process.stderr.write(`artefacts report: finished in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
    process.stdout.write(`${file}\n`);
    return 0;
  } catch (err) {
    process.stderr.write(`artefacts report: ${(err as Error).message}\n`);
    return err instanceof RangeError ? 2 : 1;
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
