/**
 * Issue 14 item 3: what `artefacts report` costs beside `artefacts analyze` on the same model and
 * sample, now that every notebook reads one shared analysis pass. Each measurement is a child process
 * (`node bin/artefacts.js ...`), wall time:
 *
 *   {report_vs_analyze: {model, sample, analyze_s, report_cold_s, ratio}}   target ratio <= 1.3
 *     (report: every default notebook with --model M --sample N, on an empty results cache; analyze_s: the
 *     mean of one analyze before and one after the report, both in analyze_runs_s)
 *     and what bounds it: floor_ratio (floorRatio: the cold report's CPU over the cores, perfectly packed,
 *     over analyze's wall time); report_passes_cached_s/_cpu_s, the same report again on the results
 *     the cold one left (every analysis pass read, the notebooks run afresh in tslab: the notebooks' own
 *     work); tslab_compile_cpu_s, the CPU tslab's TypeScript compiler spends on the report's cells
 *   {report_warm: {cold_s, warm_s}}   the default report twice on one results cache; targets cold < 3 min
 *     (issue 14 item 4, downloads excluded: run once before to fetch), warm < 20 s (outputs reused), same bytes
 *   each line also gives seconds per notebook (report_notebooks_s, cold_notebooks_s, warm_notebooks_s; 0: reused)
 *   and the load average: on a loaded machine wall times are not final, CPU seconds are steadier.
 *
 *   npm run bench -- report                      # 2000 and 20000, then cold + warm default report
 *   npm run bench -- report --report-samples 2000
 *
 *   node dist/bench/report.js [--samples 2000,20000] [--model all-MiniLM-L6-v2] [--notebooks 00,01,...] [--no-warm]
 *   (--notebooks: report vs analyze with those notebooks only, by their two-digit numbers)
 * (also run by `npm run bench` unless --report-samples none).
 */
import * as child from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { performance } from "node:perf_hooks";
import { SHARED_SAMPLING } from "../src/report/cache.js";
import { cellSource, injectParameters, readNotebook } from "../src/report/execute.js";
import { planParameters, startOrder } from "../src/report/generate.js";
import { defaultNotebooks } from "../src/cli/report.js";
import { notebookCacheDir } from "../src/report/notebookCache.js";
import { resolveTslab } from "../src/report/optional.js";
import { preludeCell } from "../src/report/schedule.js";
import { processCpuSeconds } from "./threadCpu.js";

const ROOT = path.join(__dirname, "..", "..");
const BIN = path.join(ROOT, "bin", "artefacts.js");

const TIME = "/usr/bin/time";

/**
 * Wall seconds of `artefacts ARGS`, and CPU seconds (user + sys, the kernels included: they are
 * waited-for descendants) when /usr/bin/time exists: on a shared, loaded machine the CPU time is the
 * steadier measure of the work done.
 */
function timed(args: string[], env: Record<string, string>): { wall: number; cpu: number | null; notebooks: Record<string, number> } {
  const started = performance.now();
  const withTime = fs.existsSync(TIME);
  const argv = withTime ? [TIME, "-f", "PA_TIME %U %S", process.execPath, BIN, ...args] : [process.execPath, BIN, ...args];
  const r = child.spawnSync(argv[0], argv.slice(1), { cwd: ROOT, env: { ...process.env, ...env }, encoding: "utf8", maxBuffer: 1 << 26 });
  const seconds = (performance.now() - started) / 1000;
  if (r.status !== 0) throw new Error(`artefacts ${args.join(" ")}: exit ${r.status}\n${(r.stderr ?? "").split("\n").slice(-8).join("\n")}`);
  const m = /PA_TIME ([\d.]+) ([\d.]+)\s*$/.exec(r.stderr ?? "");
  return { wall: Math.round(seconds * 10) / 10, cpu: m ? Math.round((Number(m[1]) + Number(m[2])) * 10) / 10 : null, notebooks: notebookSeconds(r.stderr ?? "") };
}

/** Seconds per notebook from the report's progress ("NN: done in S s"; 0 for "outputs reused"): where the time goes. */
export function notebookSeconds(stderr: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const m of stderr.matchAll(/\] (?:.*\/)?(\d\d)-[^/:]*\.ipynb: (?:done in ([\d.]+) s|outputs reused)/g)) out[m[1]] = m[2] === undefined ? 0 : Number(m[2]);
  return out;
}
const mean = (a: number, b: number) => Math.round(((a + b) / 2) * 100) / 100;

/** The reference of two runs of one command, one before and one after the measured one: their mean wall and CPU seconds (CPU null if either lacks it). */
export function bracket(before: { wall: number; cpu: number | null }, after: { wall: number; cpu: number | null }): { wall: number; cpu: number | null } {
  return { wall: mean(before.wall, after.wall), cpu: before.cpu === null || after.cpu === null ? null : mean(before.cpu, after.cpu) };
}
const ratio = (a: number | null, b: number | null) => (a === null || b === null ? null : Math.round((a / b) * 100) / 100);

/**
 * A lower bound of the cold report's ratio to analyze: its CPU seconds (every process, the kernels
 * included) over `cores`, however well they were packed, over analyze's wall time. No scheduling brings
 * the ratio below it; only less work does. Null when the CPU time is missing.
 */
export function floorRatio(reportCpu: number | null, analyzeWall: number, cores: number): number | null {
  if (reportCpu === null) return null;
  return Math.round((reportCpu / (cores * analyzeWall)) * 100) / 100;
}

/**
 * CPU seconds tslab's TypeScript compiler (its own converter, in this process) spends on a report's
 * cells, as its kernels get them: the fresh-module prelude, then the notebook with its parameters
 * injected, cell after cell, each compiled against the declarations of the ones before. No cell runs.
 * `create`: one converter (each kernel makes one); `cells`: every cell of `notebooks` through one.
 */
export function tslabCompileCpu(notebooks: readonly string[], parameters: Record<string, unknown>): { create_s: number; cells_s: number; cells: number } {
  const converterFile = path.join(path.dirname(resolveTslab()), "dist", "converter.js");
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { createConverter } = require(converterFile) as { createConverter(o: { isJS: boolean; isBrowser: boolean }): { convert(prev: string, src: string): { declOutput?: string; diagnostics: unknown[] }; close(): void } };
  const cwd = process.cwd();
  // the kernels run in the notebooks' folder, and tslab compiles against what it sees from there
  process.chdir(path.dirname(path.resolve(notebooks[0])));
  try {
    const t0 = processCpuSeconds();
    const converter = createConverter({ isJS: false, isBrowser: false });
    const t1 = processCpuSeconds();
    let prev = "";
    let cells = 0;
    const read = notebooks.map((file) => ({ file, notebook: readNotebook(file) }));
    const plans = planParameters(read, parameters);
    for (const [i, { file, notebook }] of read.entries()) {
      const sources = [preludeCell("/dev/null"), ...injectParameters(notebook, plans[i], file).cells.filter((c) => c.cell_type === "code").map(cellSource)];
      for (const src of sources) {
        const out = converter.convert(prev, src);
        if (out.diagnostics.length) throw new Error(`${file}: tslab's compiler reports ${JSON.stringify(out.diagnostics).slice(0, 300)}`);
        prev = out.declOutput ?? "";
        ++cells;
      }
    }
    const t2 = processCpuSeconds();
    converter.close();
    return { create_s: Math.round((t1 - t0) * 100) / 100, cells_s: Math.round((t2 - t1) * 100) / 100, cells };
  } finally {
    process.chdir(cwd);
  }
}

/**
 * The default notebooks in the order the report starts them (the rank in their metadata, then report
 * order); `only`: those whose names start with one of these numbers ("00", "04"), each of which must match.
 */
export function reportNotebooks(only?: readonly string[]): string[] {
  let files = defaultNotebooks();
  const numbered = (f: string, n: string) => path.basename(f).startsWith(`${n}-`);
  if (only) {
    for (const n of only) if (!files.some((f) => numbered(f, n))) throw new RangeError(`--notebooks: no notebook ${JSON.stringify(n)} in ${path.dirname(files[0] ?? "notebooks/")} (there: ${files.map((f) => path.basename(f).slice(0, 2)).join(", ")}); pass their two-digit numbers, comma-separated`);
    files = files.filter((f) => only.some((n) => numbered(f, n)));
  }
  // the report's own start order (generate.ts), on jobs that carry nothing but the file
  return startOrder(files.map((file, index) => ({ index, file, name: file, parameters: {} })), files).map((j) => j.file);
}

const load = () => os.loadavg().map((x) => Math.round(x * 100) / 100);

/** analyze vs a cold report on `model` at each sample size (every default notebook, or `only`: reportNotebooks); prints one JSON line per size. */
export function reportVsAnalyze(model: string, samples: number[], log: (m: string) => void, only?: readonly string[]): Record<string, unknown>[] {
  const notebooks = reportNotebooks(only);
  const out: Record<string, unknown>[] = [];
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "pa-bench-report-"));
  try {
    for (const n of samples) {
      log(`report vs analyze: ${model}, ${n} sentences`);
      // the report's shared pass draws 4..30-word sentences (SHARED_SAMPLING); analyze draws 4..40 by default: the same bounds make it the same
      // sample (its probe caps, SHARED_RUN_OPTIONS, are half analyze's defaults and have no CLI flag: under a second of result time)
      const words = ["--min-words", String(SHARED_SAMPLING.minWords), "--max-words", String(SHARED_SAMPLING.maxWords)];
      // analyze before AND after the report, their mean the reference (as the analyses bench brackets its
      // analyses with two extraction passes): a machine that speeds up or slows down over the minutes of a
      // run shows as two different analyze times, not as a wrong ratio
      const analyzeOnce = () => timed(["analyze", "--model", model, "--sample", String(n), "--seed", "1", ...words, "--out", path.join(tmp, "a.json")], {});
      const before = analyzeOnce();
      const results = fs.mkdtempSync(path.join(tmp, "results-"));
      const reportArgs = ["report", "--model", model, "--sample", String(n), "--seed", "1", ...(only ? ["--notebooks", notebooks.join(",")] : []), "--out", path.join(tmp, "r.html")];
      const report = timed(reportArgs, { PA_RESULTS_DIR: results });
      // the same report on the results the cold one left, its reused notebook outputs dropped: every
      // analysis pass is read, every notebook runs afresh in tslab: the notebooks' own work
      fs.rmSync(notebookCacheDir(results), { recursive: true, force: true });
      const passesCached = timed(reportArgs, { PA_RESULTS_DIR: results });
      const after = analyzeOnce();
      const analyze = bracket(before, after);
      const cores = os.availableParallelism();
      const compile = tslabCompileCpu(notebooks, { models: [model], sample: n, seed: 1 });
      const line = { report_vs_analyze: { model, sample: n, ...(only ? { notebooks: only } : {}), analyze_s: analyze.wall, analyze_runs_s: [before.wall, after.wall], report_cold_s: report.wall, ratio: ratio(report.wall, analyze.wall), analyze_cpu_s: analyze.cpu, analyze_runs_cpu_s: [before.cpu, after.cpu], report_cold_cpu_s: report.cpu, cpu_ratio: ratio(report.cpu, analyze.cpu), target_max: 1.3, report_passes_cached_s: passesCached.wall, report_passes_cached_cpu_s: passesCached.cpu, floor_ratio: floorRatio(report.cpu, analyze.wall, cores), tslab_compile_cpu_s: compile, report_notebooks_s: report.notebooks, passes_cached_notebooks_s: passesCached.notebooks, load_average: load(), cpus: cores } };
      process.stdout.write(JSON.stringify(line) + "\n");
      out.push(line);
    }
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  return out;
}

/** The default report twice on one fresh results cache: cold, then warm. */
export function warmReport(log: (m: string) => void): Record<string, unknown> {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "pa-bench-warm-"));
  try {
    const env = { PA_RESULTS_DIR: path.join(tmp, "results") };
    log("default report, cold results cache");
    const cold = timed(["report", "--out", path.join(tmp, "r1.html")], env);
    log("default report, warm results cache");
    const warm = timed(["report", "--out", path.join(tmp, "r2.html")], env);
    const same = fs.readFileSync(path.join(tmp, "r1.html")).equals(fs.readFileSync(path.join(tmp, "r2.html")));
    const line = { report_warm: { cold_s: cold.wall, warm_s: warm.wall, cold_cpu_s: cold.cpu, warm_cpu_s: warm.cpu, target_cold_max_s: 180, target_warm_max_s: 20, same_bytes: same, cold_notebooks_s: cold.notebooks, warm_notebooks_s: warm.notebooks, load_average: load(), cpus: os.cpus().length } };
    process.stdout.write(JSON.stringify(line) + "\n");
    return line;
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

if (require.main === module) {
  const argv = process.argv.slice(2);
  const get = (name: string, fallback: string) => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 && argv[i + 1] ? argv[i + 1] : fallback;
  };
  const log = (m: string) => process.stderr.write(`bench: ${m}\n`);
  try {
    const samples = get("samples", "2000,20000");
    const only = get("notebooks", "");
    if (samples !== "none") reportVsAnalyze(get("model", "all-MiniLM-L6-v2"), samples.split(",").map(Number), log, only ? only.split(",") : undefined);
    if (!argv.includes("--no-warm")) warmReport(log);
  } catch (e) {
    process.stderr.write(`${(e as Error).message}\n`);
    process.exit(1);
  }
}
