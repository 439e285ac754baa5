/**
 * bench/report.ts (issue 14's report vs analyze): the two-run reference (`bracket`: analyze before and
 * after the report, their mean) by hand, and one real run of the bench on the embedded mlm-pos pair
 * (20 sentences: real analyze, real report with real tslab kernels) for the line it prints. The ratio
 * itself is the bench's business, not a test's.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { bracket, floorRatio } from "../../bench/report.js";

const ROOT = path.join(__dirname, "..", "..", "..");

test("bracket: the mean of the runs before and after (2 decimals), CPU null when either run lacks it", () => {
  assert.deepEqual(bracket({ wall: 18.3, cpu: 29.7 }, { wall: 20.4, cpu: 34.9 }), { wall: 19.35, cpu: 32.3 });
  assert.deepEqual(bracket({ wall: 1.8, cpu: 2.3 }, { wall: 1.5, cpu: null }), { wall: 1.65, cpu: null });
  assert.deepEqual(bracket({ wall: 5, cpu: null }, { wall: 5, cpu: 1 }), { wall: 5, cpu: null });
});

test("floorRatio: the cold report's CPU over the cores times analyze's wall time", () => {
  // 50.6 CPU-s on 2 cores take at least 25.3 s: 1.49 x a 17 s analyze
  assert.equal(floorRatio(50.6, 17, 2), 1.49);
  assert.equal(floorRatio(40, 10, 4), 1);
  assert.equal(floorRatio(null, 10, 2), null);
});

test("the report bench runs analyze before and after a real report and prints both, their mean and the ratio to it", () => {
  const model = path.join(ROOT, "models", "mlm-pos");
  const r = spawnSync(process.execPath, [path.join(ROOT, "dist", "bench", "report.js"), "--samples", "20", "--model", model, "--no-warm"], { cwd: ROOT, encoding: "utf8" });
  assert.equal(r.status, 0, r.stderr.split("\n").slice(-8).join("\n"));
  const line = JSON.parse(r.stdout.trim().split("\n").pop()!).report_vs_analyze;
  assert.equal(line.model, model);
  assert.equal(line.sample, 20);
  assert.equal(line.analyze_runs_s.length, 2);
  for (const s of [...line.analyze_runs_s, line.report_cold_s]) assert.ok(s > 0, JSON.stringify(line));
  assert.deepEqual(line.analyze_s, bracket({ wall: line.analyze_runs_s[0], cpu: null }, { wall: line.analyze_runs_s[1], cpu: null }).wall);
  assert.ok(Math.abs(line.ratio - line.report_cold_s / line.analyze_s) <= 0.005 + 1e-9, JSON.stringify(line));
  // every default notebook ran (seconds per notebook from the report's progress)
  assert.equal(Object.keys(line.report_notebooks_s).length, 11, JSON.stringify(line.report_notebooks_s));
  // the second report read every pass but ran every notebook again (0 s would be outputs reused)
  assert.equal(Object.keys(line.passes_cached_notebooks_s).length, 11, JSON.stringify(line.passes_cached_notebooks_s));
  for (const s of Object.values(line.passes_cached_notebooks_s) as number[]) assert.ok(s > 0, JSON.stringify(line.passes_cached_notebooks_s));
  assert.ok(line.report_passes_cached_s > 0 && line.report_passes_cached_s <= line.report_cold_s + 5, JSON.stringify(line));
  assert.equal(line.floor_ratio, floorRatio(line.report_cold_cpu_s, line.analyze_s, line.cpus));
  // tslab's compiler on every cell the kernels get: each notebook's prelude, code cells and injected parameters
  const c = line.tslab_compile_cpu_s;
  assert.ok(c.create_s > 0 && c.cells_s > 0, JSON.stringify(c));
  const dir = path.join(ROOT, "notebooks");
  const notebooks = fs.readdirSync(dir).filter((f) => f.endsWith(".ipynb")).map((f) => JSON.parse(fs.readFileSync(path.join(dir, f), "utf8")) as { cells: { cell_type: string }[] });
  const code = notebooks.reduce((n, nb) => n + nb.cells.filter((x) => x.cell_type === "code").length, 0);
  // every default notebook declares a model or models parameter, so each gets an injected cell
  assert.equal(c.cells, code + 2 * notebooks.length, JSON.stringify(c));
});

test("--notebooks: report vs analyze on those notebooks only (by number); an unknown number is refused before any run", () => {
  const model = path.join(ROOT, "models", "mlm-pos");
  const bench = path.join(ROOT, "dist", "bench", "report.js");
  const r = spawnSync(process.execPath, [bench, "--samples", "20", "--model", model, "--notebooks", "01", "--no-warm"], { cwd: ROOT, encoding: "utf8" });
  assert.equal(r.status, 0, r.stderr.split("\n").slice(-8).join("\n"));
  const line = JSON.parse(r.stdout.trim().split("\n").pop()!).report_vs_analyze;
  assert.deepEqual(line.notebooks, ["01"]);
  assert.deepEqual(Object.keys(line.report_notebooks_s), ["01"]);
  assert.deepEqual(Object.keys(line.passes_cached_notebooks_s), ["01"]);
  const nb = JSON.parse(fs.readFileSync(path.join(ROOT, "notebooks", fs.readdirSync(path.join(ROOT, "notebooks")).find((f) => f.startsWith("01-"))!), "utf8")) as { cells: { cell_type: string }[] };
  assert.equal(line.tslab_compile_cpu_s.cells, nb.cells.filter((c) => c.cell_type === "code").length + 2);
  const bad = spawnSync(process.execPath, [bench, "--samples", "20", "--model", model, "--notebooks", "01,99", "--no-warm"], { cwd: ROOT, encoding: "utf8" });
  assert.equal(bad.status, 1);
  assert.match(bad.stderr, /--notebooks: no notebook "99"/);
  assert.doesNotMatch(bad.stderr, /report vs analyze/);
});
