/**
 * schedule.ts reuses one tslab kernel per job: a notebook run after another in the same kernel must
 * give exactly the outputs and input records it gives in a kernel of its own. Real tslab kernels and
 * the real toolkit (its show(), which sends plotly.js with a kernel session's first figure, and its
 * input notes); no model is needed.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { runNotebooks, type Executed, type NotebookJob } from "../../src/report/schedule.js";

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "pa-schedule-test-"));
process.on("exit", () => fs.rmSync(tmp, { recursive: true, force: true }));
const index = path.resolve(__dirname, "..", "..", "src", "index.js");
const extra = path.join(tmp, "extra.txt");
fs.writeFileSync(extra, "One line here.\nAnother line there.\n");

/** A notebook that shows a figure and a table, reads a text file and ends on a value. */
function notebook(name: string, title: string): string {
  const file = path.join(tmp, name);
  const code = (source: string, tags: string[] = []) => ({ cell_type: "code", execution_count: null, id: `c${source.length}`, metadata: tags.length ? { tags } : {}, outputs: [], source });
  const figure = `{ id: "f-${name}", title: ${JSON.stringify(title)}, data: [{ type: "scatter", x: [1, 2, n], y: [3, 4, 5] }], layout: {} }`;
  fs.writeFileSync(file, JSON.stringify({
    nbformat: 4, nbformat_minor: 5, metadata: {},
    cells: [
      code(`import * as pa from ${JSON.stringify(index)};`),
      code("let n = 3;", ["parameters"]),
      code(`pa.show(${figure});\npa.show({ id: "t", title: "rows", columns: ["a"], rows: [[n]] });\nconsole.error("a line on stderr");`),
      code(`pa.loadCorpus(${JSON.stringify(extra)}).length + n`),
    ],
  }));
  return file;
}

const job = (index: number, file: string, parameters: Record<string, unknown> = {}): NotebookJob => ({ index, file, name: path.basename(file), parameters });
/** The outputs with each figure's uid (kernel pid, show count, random bytes) reduced to its show count. */
const outputs = (e: Executed) => JSON.stringify(e.notebook.cells.map((c) => [c.execution_count, c.outputs])).replace(/\b[0-9a-z]+-(\d+)-[0-9a-f]{6}\b/g, "UID-$1");

test("a notebook run after another in the same kernel gives the outputs and inputs it gives alone", async () => {
  const a = notebook("a.ipynb", "first"), b = notebook("b.ipynb", "second");
  const alone = (await runNotebooks([job(0, b, { n: 7 })], { cellTimeoutMs: 120000, total: 1 })).get(0)!;
  const after = await runNotebooks([job(0, a), job(1, b, { n: 7 })], { cellTimeoutMs: 120000, total: 2, jobs: 1 });
  assert.equal(after.get(0)!.kernelPid, after.get(1)!.kernelPid, "one kernel ran both");
  assert.notEqual(alone.kernelPid, after.get(1)!.kernelPid);
  const shown = after.get(1)!.notebook.cells[3].outputs!;
  assert.ok(String((shown[0] as { data: Record<string, unknown> }).data["text/html"]).length > 1e6, "the second notebook's first figure carries plotly.js again");
  assert.deepEqual(after.get(1)!.notebook.cells.filter((c) => c.cell_type === "code").map((c) => c.execution_count), [1, 2, 3, 4, 5], "counted from 1 (the injected cell included)");
  assert.equal(outputs(after.get(1)!), outputs(alone));
  assert.deepEqual(after.get(1)!.inputs, alone.inputs);
  assert.deepEqual(alone.inputs, [{ kind: "file", path: extra }]);
  assert.deepEqual(after.get(0)!.inputs, alone.inputs, "each notebook has its own input log");
});

test("reuseKernels: false gives every notebook its own kernel, with the same outputs", async () => {
  const a = notebook("c.ipynb", "first"), b = notebook("d.ipynb", "second");
  const shared = await runNotebooks([job(0, a), job(1, b)], { cellTimeoutMs: 120000, total: 2, jobs: 1 });
  const fresh = await runNotebooks([job(0, a), job(1, b)], { cellTimeoutMs: 120000, total: 2, jobs: 1, reuseKernels: false });
  assert.notEqual(fresh.get(0)!.kernelPid, fresh.get(1)!.kernelPid);
  for (const i of [0, 1]) assert.equal(outputs(shared.get(i)!), outputs(fresh.get(i)!));
});

test("a notebook in another folder gets a kernel started there (its working directory, as in Jupyter)", async () => {
  fs.mkdirSync(path.join(tmp, "sub"), { recursive: true });
  const a = notebook("e.ipynb", "first"), b = notebook(path.join("sub", "f.ipynb"), "second");
  const ran = await runNotebooks([job(0, a), job(1, b)], { cellTimeoutMs: 120000, total: 2, jobs: 1 });
  assert.notEqual(ran.get(0)!.kernelPid, ran.get(1)!.kernelPid);
});

test("the kernel module evaluated again (a reused kernel reloads the toolkit) adds no second exit handler", () => {
  const file = require.resolve("../../src/report/kernel.js");
  require(file);
  const before = process.listenerCount("exit");
  delete require.cache[file];
  require(file);
  assert.equal(process.listenerCount("exit"), before);
});
