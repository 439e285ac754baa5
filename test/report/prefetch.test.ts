/**
 * prefetch.ts computes the report's shared passes in a child process: the entry it writes is the one a
 * notebook asks for (same key, same results as computed in this process). A SYNTHETIC checkpoint
 * (seeded random weights with a planted outlier: no meaning beyond the test).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { startPrefetch } from "../../src/report/prefetch.js";
import { sharedAnalyses } from "../../src/report/cache.js";
import { startOrder } from "../../src/report/generate.js";
import { synthesize } from "../../src/model/synth.js";

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "pa-prefetch-test-"));
process.on("exit", () => fs.rmSync(tmp, { recursive: true, force: true }));

test("startPrefetch writes the shared pass a notebook then reads from the cache, equal to computing it here", async () => {
  const model = path.join(tmp, "planted");
  await synthesize({ arch: "bert", layers: 2, hidden: 32, heads: 4, seed: 1, plantOutlier: { dim: 7, sign: "min" }, out: model });
  const results = path.join(tmp, "results");
  const lines: string[] = [];
  const p = startPrefetch([model, path.join(tmp, "no-such-model")], { sample: 30, seed: 3, env: { PA_RESULTS_DIR: results }, onProgress: (m) => lines.push(m) });
  await p.done;
  assert.match(lines[0], /^shared pass: planted \([0-9a-f]{8}\): computed in [\d.]+ s$/);
  assert.match(lines[1], /^shared pass: .*no-such-model: left to the notebooks \(.*no such folder/);
  const read = await sharedAnalyses(model, { sample: 30, seed: 3, corpus: "default", dir: results });
  assert.equal(read.cached, true, "the notebook finds the child's entry");
  const here = await sharedAnalyses(model, { sample: 30, seed: 3, cache: false });
  assert.deepEqual(read.results, here.results);
  await p.stop(); // after the end: nothing to stop
});

test("stop() ends a child still computing: no entry is written, and the results folder stays usable", async () => {
  const model = path.join(tmp, "slow");
  await synthesize({ arch: "bert", layers: 2, hidden: 32, heads: 4, seed: 2, out: model });
  const results = path.join(tmp, "results-stopped");
  const p = startPrefetch([model], { sample: 20000, seed: 1, env: { PA_RESULTS_DIR: results } }); // many seconds of work
  await new Promise((r) => setTimeout(r, 1000));
  await p.stop();
  assert.deepEqual(fs.existsSync(results) ? fs.readdirSync(results).filter((f) => f.endsWith(".json")) : [], []);
  const run = await sharedAnalyses(model, { sample: 40, seed: 1, dir: results });
  assert.equal(run.cached, false);
  assert.equal(run.results.sample.sentences, 40);
});

test("startOrder: notebooks by their metadata's start rank, then the rest, report order within a rank", () => {
  const write = (name: string, meta: Record<string, unknown>) => {
    const file = path.join(tmp, name);
    fs.writeFileSync(file, JSON.stringify({ nbformat: 4, nbformat_minor: 5, metadata: meta, cells: [] }));
    return file;
  };
  const files = [write("a.ipynb", {}), write("b.ipynb", { "positional-artefacts": { start: 2 } }), write("c.ipynb", { "positional-artefacts": { start: 1 } }), write("d.ipynb", {}), write("e.ipynb", { "positional-artefacts": { start: 1 } }), write("f.ipynb", { "positional-artefacts": { start: "soon" } })];
  const todo = files.map((file, index) => ({ index, file, name: path.basename(file), parameters: {} }));
  assert.deepEqual(startOrder(todo, files).map((j) => j.name), ["c.ipynb", "e.ipynb", "b.ipynb", "a.ipynb", "d.ipynb", "f.ipynb"]);
  assert.deepEqual(startOrder(todo.slice(0, 2), files).map((j) => j.name), ["b.ipynb", "a.ipynb"], "only the jobs to run");
});

