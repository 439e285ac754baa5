/**
 * Reused notebook outputs (notebookCache.ts) on a SYNTHETIC checkpoint (seeded random weights, no
 * meaning beyond being a real model the kernels can encode fast). Real tslab kernels run the notebooks.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { generateReport } from "../../src/report/generate.js";
import { KEEP_PER_NOTEBOOK, reusableNotebook, storeNotebook } from "../../src/report/notebookCache.js";
import { synthesize } from "../../src/model/synth.js";

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "pa-nbcache-test-"));
process.on("exit", () => fs.rmSync(tmp, { recursive: true, force: true }));
process.env.PA_RESULTS_DIR = path.join(tmp, "results");
const index = path.resolve(__dirname, "..", "..", "src", "index.js");
const model = path.join(tmp, "model");
const corpus = path.join(tmp, "corpus.txt");
const extra = path.join(tmp, "extra.txt");
const entries = () => fs.readdirSync(path.join(tmp, "results", "notebooks")).filter((f) => f.endsWith(".json")).sort();

/** A notebook that reads the shared pass of `model` on the corpus file and one more text file. */
function notebook(name: string, comment = ""): string {
  const file = path.join(tmp, name);
  const code = (source: string, tags: string[] = []) => ({ cell_type: "code", execution_count: null, id: `c${tags.length}${source.length}`, metadata: tags.length ? { tags } : {}, outputs: [], source });
  fs.writeFileSync(file, JSON.stringify({
    nbformat: 4, nbformat_minor: 5, metadata: {},
    cells: [
      code(`import * as pa from ${JSON.stringify(index)};${comment}`),
      code("let sample = 12;\nlet seed = 1;", ["parameters"]),
      code(`const run = await pa.sharedAnalyses(${JSON.stringify(model)}, { sample: sample, seed: seed, corpus: ${JSON.stringify(corpus)} });\nconsole.log(run.results.sample.tokens, run.results.outliers.dimensions.map((d) => d.dim).join(","), pa.loadCorpus(${JSON.stringify(extra)}).length);`),
    ],
  }));
  return file;
}

const report = async (notebooks: string[], out: string, more: Record<string, unknown> = {}) => {
  const progress: string[] = [];
  await generateReport({ notebooks, out: path.join(tmp, out), onProgress: (m) => progress.push(m), ...more });
  return { bytes: fs.readFileSync(path.join(tmp, out)), progress: progress.join("\n") };
};

test("a warm report reuses every notebook's outputs and equals the cold one byte for byte; cache: false reruns and stores nothing", async () => {
  await synthesize({ arch: "bert", layers: 2, hidden: 32, heads: 4, seed: 1, plantOutlier: { dim: 7, sign: "min" }, out: model });
  fs.writeFileSync(corpus, Array.from({ length: 40 }, (_, i) => `The ${i} small cats sat on the warm mat today.`).join("\n"));
  fs.writeFileSync(extra, "One line here.\nAnother line there.\n");
  const nbs = [notebook("a.ipynb"), notebook("b.ipynb", " // b")];
  const cold = await report(nbs, "cold.html", { jobs: 2 });
  assert.equal(cold.progress.match(/: starting/g)?.length, 2, cold.progress);
  assert.equal(entries().length, 2);
  const warm = await report(nbs, "warm.html");
  assert.equal(warm.progress.match(/: outputs reused/g)?.length, 2, warm.progress);
  assert.doesNotMatch(warm.progress, /starting/);
  assert.ok(warm.bytes.equals(cold.bytes), "warm report = cold report");
  const before = entries().map((f) => fs.statSync(path.join(tmp, "results", "notebooks", f)).mtimeMs);
  const bypass = await report(nbs, "bypass.html", { cache: false, jobs: 1 });
  assert.equal(bypass.progress.match(/: starting/g)?.length, 2);
  assert.ok(bypass.bytes.equals(cold.bytes), "one job at a time gives the same bytes as two");
  assert.deepEqual(entries().map((f) => fs.statSync(path.join(tmp, "results", "notebooks", f)).mtimeMs), before, "cache: false writes nothing");
});

test("a changed input, notebook or parameter reruns the notebook; a corrupt or partial entry is rerun, never trusted", async () => {
  const nb = notebook("a.ipynb");
  const base = await report([nb], "base.html");
  assert.match(base.progress, /outputs reused/);
  fs.appendFileSync(extra, "A third line.\n");
  const data = await report([nb], "data.html");
  assert.match(data.progress, new RegExp(`cached outputs not used \\(${extra.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")} changed\\)`));
  assert.ok(!data.bytes.equals(base.bytes), "the new line is counted");
  fs.appendFileSync(corpus, "\nA brand new sentence about dogs.");
  const pass = await report([nb], "pass.html");
  assert.match(pass.progress, /cached outputs not used \(the shared pass of .*model \(sample 12, seed 1\) changed\)/);
  assert.match((await report([nb], "again.html")).progress, /outputs reused/);
  assert.match((await report([nb], "sample.html", { sample: 13 })).progress, /: starting/, "another parameter is another key");
  notebook("a.ipynb", " // edited");
  assert.match((await report([nb], "edited.html")).progress, /: starting/, "another notebook text is another key");
  const file = path.join(tmp, "results", "notebooks", entries().find((f) => fs.readFileSync(path.join(tmp, "results", "notebooks", f), "utf8").includes("// edited"))!);
  const good = fs.readFileSync(file, "utf8");
  const nl = good.indexOf("\n");
  const flipped = good.slice(0, nl) + good.slice(nl).replace("// edited", "// EDITED");
  for (const [what, text, problem] of [["corrupt", flipped, /corrupt/], ["partial", good.slice(0, -50), /partial/]] as const) {
    fs.writeFileSync(file, text);
    const r = await report([nb], `${what}.html`);
    assert.match(r.progress, problem, what);
    assert.match(r.progress, /: starting/, what);
    assert.equal(fs.readFileSync(file, "utf8"), good, `${what}: rewritten sound`);
  }
});

test("storeNotebook keeps the newest KEEP_PER_NOTEBOOK entries of a notebook and leaves other notebooks' entries alone", async () => {
  const dir = path.join(tmp, "prune");
  const notebook = { nbformat: 4, nbformat_minor: 5, metadata: {}, cells: [] };
  const key = (prefix: string, n: number) => ({ key: String(n).padStart(64, "0"), fields: { n }, prefix });
  await storeNotebook(dir, key("other-1-", 0), [], notebook);
  for (let n = 1; n <= KEEP_PER_NOTEBOOK + 2; ++n) {
    await storeNotebook(dir, key("nb-1-", n), [], notebook);
    const t = new Date(Date.now() - 1000 * (10 - n)); // distinct mtimes, newest last
    fs.utimesSync(path.join(dir, `nb-1-${key("", n).key}.json`), t, t);
  }
  const left = fs.readdirSync(dir).sort();
  assert.equal(left.filter((f) => f.startsWith("nb-1-")).length, KEEP_PER_NOTEBOOK);
  assert.ok(left.includes(`other-1-${key("", 0).key}.json`));
  assert.equal((await reusableNotebook(dir, key("nb-1-", KEEP_PER_NOTEBOOK + 2))).notebook?.nbformat, 4, "the newest is kept");
  assert.equal((await reusableNotebook(dir, key("nb-1-", 1))).notebook, null, "the oldest is gone");
});
