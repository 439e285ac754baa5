import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { readNotebook } from "../../src/report/execute.js";
import { generateReport, planParameters, relativeToRoot, writeAtomic } from "../../src/report/generate.js";

const fixtures = path.resolve(__dirname, "..", "..", "..", "test", "fixtures", "notebooks");
const basic = path.join(fixtures, "01-basic.ipynb");
const failing = path.join(fixtures, "02-fail.ipynb");
const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), "pa-gen-"));
// a results folder of this file's own: the progress asserted below is that of notebooks that run, not of reused outputs
const results = tmp();
process.env.PA_RESULTS_DIR = results;
process.on("exit", () => fs.rmSync(results, { recursive: true, force: true }));

test("planParameters gives `models` all models and `model` the first, only where declared", () => {
  const read = [{ file: basic, notebook: readNotebook(basic) }, { file: failing, notebook: readNotebook(failing) }];
  assert.deepEqual(planParameters(read, { models: ["a", "b"], sample: 5, seed: 9 }), [{ model: "a", sample: 5, seed: 9 }, {}]);
  assert.deepEqual(planParameters(read, {}), [{}, {}]);
  const onlyFailing = read.slice(1);
  assert.throws(() => planParameters(onlyFailing, { models: ["a"] }), /^RangeError: --model: no notebook declares a model or models parameter/);
  assert.throws(() => planParameters(onlyFailing, { sample: 1 }), /^RangeError: --sample: no notebook declares a sample parameter/);
  assert.throws(() => planParameters(onlyFailing, { seed: 1 }), /^RangeError: --seed: no notebook declares a seed parameter/);
});

test("generateReport gives byte-identical files for the same inputs, with no temporary file left", async () => {
  const dir = tmp();
  try {
    const progress: string[] = [];
    const a = await generateReport({ notebooks: [basic], out: path.join(dir, "a.html"), sample: 3, onProgress: (m) => progress.push(m) });
    const b = await generateReport({ notebooks: [basic], out: path.join(dir, "b.html"), sample: 3 });
    const html = fs.readFileSync(a, "utf8");
    assert.ok(fs.readFileSync(b).equals(fs.readFileSync(a)), "same bytes");
    assert.deepEqual(fs.readdirSync(dir).sort(), ["a.html", "b.html"]);
    assert.equal(progress[0], "[1/1] test/fixtures/notebooks/01-basic.ipynb: starting");
    assert.match(progress[progress.length - 1], /^wrote .*a\.html \(\d+\.\d\d MB\)$/);
    assert.ok(html.includes('"x":[0,1,2]'), "the injected sample reached the figure");
    assert.ok(html.includes("sample=3 seed=1 model=none"));
    assert.equal(html.split("* plotly.js v").length, 2, "plotly inlined once");
  } finally {
    fs.rmSync(dir, { recursive: true });
  }
});

test("the report's kernels send figures without plotly.js (the page inlines it once), and the figure still reaches the report", async () => {
  const dir = tmp();
  try {
    const index = path.resolve(__dirname, "..", "..", "src", "index.js");
    const code = (source: string, tags: string[] = []) => ({ cell_type: "code", execution_count: null, id: `c${source.length}`, metadata: tags.length ? { tags } : {}, outputs: [], source });
    const nb = path.join(dir, "shows.ipynb");
    fs.writeFileSync(nb, JSON.stringify({
      nbformat: 4, nbformat_minor: 5, metadata: {},
      cells: [
        code(`import * as pa from ${JSON.stringify(index)};`),
        code("let sample = 4;", ["parameters"]),
        code(`pa.show({ id: "shown-line", title: "shown", data: [{ type: "scatter", x: [1, 2, sample], y: [3, 4, 5] }], layout: {} });`),
      ],
    }));
    const out = await generateReport({ notebooks: [nb], out: path.join(dir, "r.html") });
    const stored = fs.readdirSync(path.join(results, "notebooks")).filter((f) => f.startsWith("shows-")).map((f) => fs.readFileSync(path.join(results, "notebooks", f), "utf8"));
    assert.equal(stored.length, 1);
    assert.ok(stored[0].includes("application/vnd.positional-artefacts.figure+json"), "the figure was shown");
    assert.ok(!stored[0].includes("* plotly.js v") && stored[0].length < 100000, `outputs without plotly.js (${stored[0].length} characters)`);
    const html = fs.readFileSync(out, "utf8");
    assert.equal(html.split("* plotly.js v").length, 2, "plotly inlined once");
    assert.ok(html.includes('"x":[1,2,4]'), "the figure is in the report");
  } finally {
    fs.rmSync(dir, { recursive: true });
  }
});

test("generateReport stops at a failing cell and leaves an existing report untouched and no temporary file", async () => {
  const dir = tmp();
  try {
    const out = path.join(dir, "r.html");
    fs.writeFileSync(out, "previous report");
    await assert.rejects(generateReport({ notebooks: [basic, failing], out }), /02-fail\.ipynb: cell 3 failed: RangeError: planted failure at n=2$/);
    assert.equal(fs.readFileSync(out, "utf8"), "previous report");
    assert.deepEqual(fs.readdirSync(dir), ["r.html"]);
  } finally {
    fs.rmSync(dir, { recursive: true });
  }
});

test("writeAtomic replaces the file in one step and removes its temporary file when writing fails", () => {
  const dir = tmp();
  try {
    const file = path.join(dir, "x.html");
    writeAtomic(file, "one");
    writeAtomic(file, "two");
    assert.equal(fs.readFileSync(file, "utf8"), "two");
    fs.mkdirSync(path.join(dir, "taken.html"));
    fs.writeFileSync(path.join(dir, "taken.html", "keep"), "");
    // Renaming a file over a non-empty folder fails after the temporary file was written.
    assert.throws(() => writeAtomic(path.join(dir, "taken.html"), "three"), /taken\.html: cannot write the report/);
    assert.deepEqual(fs.readdirSync(dir).sort(), ["taken.html", "x.html"]);
  } finally {
    fs.rmSync(dir, { recursive: true });
  }
});

test("generateReport refuses an empty notebook list and a missing output folder", async () => {
  await assert.rejects(generateReport({ notebooks: [], out: "/tmp/x.html" }), /^RangeError: notebooks: the list is empty/);
  await assert.rejects(generateReport({ notebooks: [basic], out: "/nonexistent-pa/x.html" }), /--out: folder "\/nonexistent-pa" does not exist; create it first/);
});

test("relativeToRoot shows paths inside the checkout relative to it in every output, and leaves other paths alone", () => {
  const root = path.join(os.tmpdir(), "pa-root");
  const nb = {
    nbformat: 4, nbformat_minor: 5, metadata: {},
    cells: [
      { cell_type: "markdown", metadata: {}, source: `see ${root}/models/x` },
      {
        cell_type: "code", metadata: {}, source: "", execution_count: 1,
        outputs: [
          { output_type: "stream", name: "stderr", text: `warning: ${root}/models/mlm-pos: truncated` },
          { output_type: "display_data", metadata: {}, data: { "application/json": { model: `${root}/models/mlm-pos`, other: "/elsewhere/models/y", n: 3 } } },
        ],
      },
    ],
  };
  const out = relativeToRoot(nb as never, root) as unknown as typeof nb;
  assert.equal(out.cells[0].source, `see ${root}/models/x`); // markdown sources are the notebook's own text
  assert.equal((out.cells[1].outputs![0] as { text: string }).text, "warning: models/mlm-pos: truncated");
  assert.deepEqual((out.cells[1].outputs![1] as { data: unknown }).data, { "application/json": { model: "models/mlm-pos", other: "/elsewhere/models/y", n: 3 } });
});
