import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import * as api from "../../src/index.js";

// The generator is plain JS under tools/ (not compiled); load it from the source tree.
const root = path.resolve(__dirname, "..", "..", "..");
// eslint-disable-next-line @typescript-eslint/no-require-imports
const build = require(path.join(root, "tools", "notebooks", "build.js")) as {
  parseSource(file: string, text: string): { type: string; tags: string[]; source: string }[];
  parseMetadata(file: string, text: string): Record<string, unknown>;
  toNotebook(name: string, cells: { type: string; tags: string[]; source: string }[], meta?: Record<string, unknown>): Record<string, unknown>;
};
const srcDir = path.join(root, "tools", "notebooks", "src");
const sources = fs.readdirSync(srcDir).filter((f) => f.endsWith(".nb")).sort();

test("there is one notebook source per figure group, 00 (summary) and 01-10", () => {
  assert.deepEqual(sources.map((f) => f.slice(0, 2)), ["00", "01", "02", "03", "04", "05", "06", "07", "08", "09", "10"]);
});

test("parseSource splits cells on %% markers and rejects unknown markers", () => {
  const cells = build.parseSource("x.nb", "%% markdown\n# T\n\n%% code parameters\nlet a = 1;\n%% code\nf();\n");
  assert.deepEqual(cells, [{ type: "markdown", tags: [], source: "# T" }, { type: "code", tags: ["parameters"], source: "let a = 1;" }, { type: "code", tags: [], source: "f();" }]);
  assert.throws(() => build.parseSource("x.nb", "%% python\n"), /x\.nb:1: unknown cell marker/);
  assert.throws(() => build.toNotebook("00-x", cells.slice(0, 1)), /0 cells tagged parameters/);
});

test("a %% metadata line before the first cell joins the notebook's metadata (the report's start rank); elsewhere or not an object it is refused", () => {
  const text = '%% metadata {"positional-artefacts": {"start": 1}}\n%% code parameters\nlet a = 1;\n';
  const cells = build.parseSource("x.nb", text);
  assert.deepEqual(cells, [{ type: "code", tags: ["parameters"], source: "let a = 1;" }]);
  const nb = build.toNotebook("00-x", cells, build.parseMetadata("x.nb", text)) as { metadata: Record<string, unknown> };
  assert.deepEqual(nb.metadata["positional-artefacts"], { start: 1 });
  assert.deepEqual((nb.metadata.kernelspec as { name: string }).name, "tslab");
  assert.deepEqual(build.parseMetadata("x.nb", "%% code parameters\nlet a = 1;\n"), {});
  assert.throws(() => build.parseSource("x.nb", '%% code parameters\nlet a = 1;\n%% metadata {"a": 1}\n'), /x\.nb:3: "%% metadata" must come before the first cell/);
  assert.throws(() => build.parseMetadata("x.nb", "%% metadata [1]\n"), /x\.nb:1: "%% metadata" must be followed by a JSON object/);
  assert.throws(() => build.parseMetadata("x.nb", "%% metadata {oops\n"), /x\.nb:1: "%% metadata" is not followed by JSON/);
});

for (const f of sources) {
  const name = f.replace(/\.nb$/, "");
  test(`notebooks/${name}.ipynb is built from its source, with the tslab kernelspec, one parameters cell and no outputs`, () => {
    const text = fs.readFileSync(path.join(srcDir, f), "utf8");
    const expected = JSON.stringify(build.toNotebook(name, build.parseSource(f, text), build.parseMetadata(f, text)), null, 1) + "\n";
    const file = path.join(root, "notebooks", `${name}.ipynb`);
    assert.equal(fs.readFileSync(file, "utf8"), expected, `${file} is out of date; run node tools/notebooks/build.js`);
    const nb = JSON.parse(expected);
    assert.deepEqual(nb.metadata.kernelspec, { name: "tslab", display_name: "TypeScript", language: "typescript" });
    const params = nb.cells.filter((c: { metadata: { tags?: string[] } }) => c.metadata.tags?.includes("parameters"));
    assert.equal(params.length, 1);
    assert.match(params[0].source.join(""), /^let (model|models)\b/m);
    for (const c of nb.cells) if (c.cell_type === "code") assert.deepEqual(c.outputs, []);
  });

  test(`notebooks/${name} calls only names the public API exports`, () => {
    const text = fs.readFileSync(path.join(srcDir, f), "utf8");
    const used = new Set([...text.matchAll(/\bpa\.([A-Za-z_]\w*)/g)].map((m) => m[1]));
    const types = new Set(["FigureSpec", "TableSpec", "StsSet", "StsResult", "LabelledTexts", "SupervisedResult", "AnalysisResults", "TrainingLog", "SharedAnalyses", "FamilyEntry", "MlmInterventionResult"]);
    const missing = [...used].filter((n) => !(n in api) && !types.has(n));
    assert.deepEqual(missing, []);
  });
}

for (const f of sources) {
  test(`${f}: the first markdown cell says which cell to edit and documents every parameter`, () => {
    const cells = build.parseSource(f, fs.readFileSync(path.join(srcDir, f), "utf8"));
    assert.equal(cells[0].type, "markdown");
    const index = cells.findIndex((c) => c.tags.includes("parameters"));
    assert.equal(index, 2, "the parameters cell is the third cell, as the text says");
    assert.match(cells[0].source, /edit the parameters cell\*\* \(the third cell, right after the import; it is tagged\n`parameters`\)/);
    const names = [...cells[index].source.matchAll(/^let (\w+)/gm)].map((m) => m[1]);
    assert.ok(names.length >= 3);
    for (const n of names) assert.match(cells[0].source, new RegExp(`^- \`${n}\`: \\S`, "m"), `${f}: parameter ${n} is documented`);
  });
}
