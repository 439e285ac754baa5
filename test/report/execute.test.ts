import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { cellError, cellSource, declaredParameters, executeNotebook, injectParameters, NotebookError, readNotebook, type Notebook } from "../../src/report/execute.js";

const fixtures = path.resolve(__dirname, "..", "..", "..", "test", "fixtures", "notebooks");
const basic = path.join(fixtures, "01-basic.ipynb");
const failing = path.join(fixtures, "02-fail.ipynb");
const nb = (cells: Notebook["cells"]): Notebook => ({ nbformat: 4, nbformat_minor: 5, metadata: {}, cells });

test("declaredParameters finds top-level let, var and const names, one per statement", () => {
  const names = declaredParameters("let model = pa.defaultModels().withPositions;\nlet sample = 400;\n  var seed: number = 1;\nconst fixed = 2;\n// let commented = 1\nfoo(let_ = 3);");
  assert.deepEqual([...names], [["model", "let"], ["sample", "let"], ["seed", "var"], ["fixed", "const"]]);
});

test("injectParameters adds a tagged block of JSON literals right after the parameters cell", () => {
  const input = nb([
    { cell_type: "markdown", metadata: {}, source: "# t" },
    { cell_type: "code", metadata: { tags: ["parameters"] }, source: ["let sample = 1;\n", "let model = \"a\";\nlet data = {};"] },
    { cell_type: "code", metadata: {}, source: "run()" },
  ]);
  const out = injectParameters(input, { sample: 7, model: 'x"</script>', data: { sts: "/d/sts.tsv" } }, "n.ipynb");
  assert.equal(out.cells.length, 4);
  assert.deepEqual(out.cells[2].metadata.tags, ["injected-parameters"]);
  assert.equal(cellSource(out.cells[2]), '{\n  data = {"sts":"/d/sts.tsv"};\n  model = "x\\"</script>";\n  sample = 7;\n}');
  assert.equal(cellSource(out.cells[3]), "run()");
  assert.equal(input.cells.length, 3, "the input is not modified");
  assert.equal(injectParameters(input, {}, "n.ipynb"), input);
});

test("injectParameters names the notebook for an undeclared, a const, or an unplaceable parameter", () => {
  const input = nb([{ cell_type: "code", metadata: { tags: ["parameters"] }, source: "let sample = 1;\nconst seed = 2;" }]);
  assert.throws(() => injectParameters(input, { corpus: "c" }, "nb/03-x.ipynb"), /^RangeError: nb\/03-x\.ipynb: parameter "corpus" is not declared in the parameters cell \(it declares sample, seed\)/);
  assert.throws(() => injectParameters(input, { seed: 3 }, "nb/03-x.ipynb"), /nb\/03-x\.ipynb: parameter "seed" is declared with const; declare it with let/);
  assert.throws(() => injectParameters(nb([]), { seed: 3 }, "e.ipynb"), /e\.ipynb: no code cell tagged "parameters", so seed cannot be set/);
});

test("cellError takes ename/evalue from the reply, else from tslab's stderr or its TypeScript diagnostics", () => {
  const stderr = (text: string) => [{ output_type: "stream" as const, name: "stderr" as const, text }];
  assert.deepEqual(cellError([], { ename: "ValueError", evalue: "bad" }), { ename: "ValueError", evalue: "bad" });
  const trace = 'evalmachine.<anonymous>:2\nthrow new RangeError("boom");\n^\n\nRangeError: boom\nsecond line\n    at evalmachine.<anonymous>:2:7\n';
  assert.deepEqual(cellError(stderr(trace), {}), { ename: "RangeError", evalue: "boom\nsecond line" });
  assert.deepEqual(cellError(stderr("1:5 - Type 'string' is not assignable to type 'number'.\n2:1 - Cannot find name 'x'.\n"), {}), {
    ename: "TypeScript", evalue: "1:5 - Type 'string' is not assignable to type 'number'.; 2:1 - Cannot find name 'x'.",
  });
  assert.deepEqual(cellError(stderr("something odd\n"), {}), { ename: "Error", evalue: "something odd" });
  // Printed text that looks like "name: value" is not mistaken for the error.
  assert.deepEqual(cellError(stderr("note: hello\nevalmachine.<anonymous>:3\n   ^\n\nReferenceError: model is not defined\n    at x\n"), {}), { ename: "ReferenceError", evalue: "model is not defined" });
  assert.deepEqual(cellError(stderr("note: hello\nBoom: custom\n    at x\n"), {}), { ename: "Boom", evalue: "custom" });
});

test("readNotebook names the file when it is not nbformat 4 JSON", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pa-exec-"));
  try {
    fs.writeFileSync(path.join(dir, "bad.ipynb"), "{");
    fs.writeFileSync(path.join(dir, "v3.ipynb"), JSON.stringify({ nbformat: 3, worksheets: [] }));
    assert.throws(() => readNotebook(path.join(dir, "bad.ipynb")), /bad\.ipynb: cannot read the notebook/);
    assert.throws(() => readNotebook(path.join(dir, "v3.ipynb")), /v3\.ipynb: nbformat 3; expected 4/);
  } finally {
    fs.rmSync(dir, { recursive: true });
  }
});

test("executeNotebook runs the fixture with injected parameters in a tslab kernel", async () => {
  const progress: string[] = [];
  const out = await executeNotebook(basic, { parameters: { sample: 2, model: "m-1" }, onProgress: (m) => progress.push(m) });
  assert.deepEqual(out.cells.map((c) => c.cell_type), ["markdown", "code", "code", "code", "markdown", "code", "markdown", "code"]);
  assert.equal(cellSource(out.cells[2]), '{\n  model = "m-1";\n  sample = 2;\n}');
  assert.deepEqual(out.cells[2].outputs, [], "the injected block prints nothing");
  assert.deepEqual(out.cells[3].outputs, [{ output_type: "stream", name: "stdout", text: "sample=2 seed=1 model=m-1\n" }]);
  const fig = out.cells[5].outputs![0] as { data: Record<string, { data: { x: number[] }[] }> };
  assert.deepEqual(fig.data["application/vnd.positional-artefacts.figure+json"].data[0].x, [0, 1]);
  assert.deepEqual(out.cells.map((c) => c.execution_count ?? null), [null, 1, 2, 3, null, 4, null, 5]);
  // Progress counts cells as the author numbers them: the injected block shares its parameters cell's number.
  assert.equal(progress[1], `${basic}: cell 2 (2/5 code cells)`);
  assert.equal(progress[4], `${basic}: cell 7 (5/5 code cells)`);
});

test("executeNotebook throws a NotebookError naming the notebook, the cell and the error", async () => {
  const err = await executeNotebook(failing).then(() => null, (e) => e);
  assert.ok(err instanceof NotebookError, String(err));
  assert.equal(err.notebook, failing);
  assert.equal(err.cell, 3);
  assert.equal(err.ename, "RangeError");
  assert.equal(err.evalue, "planted failure at n=2");
  assert.equal(err.message, `${failing}: cell 3 failed: RangeError: planted failure at n=2`);
});

test("executeNotebook rejects an undeclared parameter before starting a kernel", async () => {
  await assert.rejects(executeNotebook(failing, { parameters: { sample: 1 } }), /02-fail\.ipynb: no code cell tagged "parameters"/);
});
