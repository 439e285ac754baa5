import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { Notebook } from "../../src/report/execute.js";
import { displayPath, gitCommit, mimeJson, modelProvenance, packageVersions, PROVENANCE_MIME, sha256File } from "../../src/report/provenance.js";

const root = path.resolve(__dirname, "..", "..", "..");
const shown = (value: unknown): Notebook => ({
  nbformat: 4, nbformat_minor: 5, metadata: {},
  cells: [{ cell_type: "code", metadata: {}, source: "", outputs: [{ output_type: "display_data", data: { [PROVENANCE_MIME]: value, "text/plain": "p" }, metadata: {} }] }],
});

test("modelProvenance collects records from every notebook, drops exact duplicates and sorts by model", () => {
  const b = { model: "b", seed: 1, sample: 10, dtype: "float32", files: [{ name: "model.onnx", sha256: "ab" }] };
  const a = { model: "a", seed: 2 };
  const records = modelProvenance([
    { file: "1.ipynb", notebook: shown(b) },
    { file: "2.ipynb", notebook: shown(JSON.stringify(a)) },
    { file: "3.ipynb", notebook: shown({ sample: 10, seed: 1, model: "b", dtype: "float32", files: [{ name: "model.onnx", sha256: "ab" }] }) },
  ]);
  assert.deepEqual(records, [a, b]);
});

test("modelProvenance names the notebook and cell of a record without a model id", () => {
  assert.throws(() => modelProvenance([{ file: "x.ipynb", notebook: shown({ seed: 1 }) }]), /^Error: x\.ipynb: cell 1: application\/vnd\.positional-artefacts\.provenance\+json: expected an object with a string "model" field/);
  assert.throws(() => mimeJson("{oops", "y.ipynb: cell 2"), /y\.ipynb: cell 2: the output is not valid JSON/);
});

test("gitCommit reads HEAD at the top of a checkout and gives null inside or outside one", () => {
  const commit = gitCommit(root);
  // The lead's checkout is a git repository; a copy without .git has no commit.
  if (fs.existsSync(path.join(root, ".git"))) assert.match(String(commit), /^[0-9a-f]{40}$/);
  // A folder inside a checkout (an installed package inside a user's project) is not that checkout's commit.
  if (fs.existsSync(path.join(root, ".git"))) assert.equal(gitCommit(path.join(root, "src")), null);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pa-prov-"));
  try {
    assert.equal(gitCommit(dir), null);
  } finally {
    fs.rmSync(dir, { recursive: true });
  }
});

test("packageVersions reads installed versions, including packages whose exports hide package.json", () => {
  const v = packageVersions(root, ["tslab", "@huggingface/transformers", "no-such-package-pa"]);
  assert.deepEqual(Object.keys(v), ["@huggingface/transformers", "no-such-package-pa", "tslab"]);
  assert.equal(v.tslab, JSON.parse(fs.readFileSync(path.join(root, "node_modules", "tslab", "package.json"), "utf8")).version);
  assert.match(String(v["@huggingface/transformers"]), /^\d+\.\d+\.\d+/);
  assert.equal(v["no-such-package-pa"], null);
});

test("sha256File hashes bytes and displayPath is relative inside the root, absolute outside", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pa-prov-"));
  try {
    fs.writeFileSync(path.join(dir, "abc"), "abc");
    assert.equal(sha256File(path.join(dir, "abc")), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  } finally {
    fs.rmSync(dir, { recursive: true });
  }
  assert.equal(displayPath("/r", "/r/notebooks/01-a.ipynb"), "notebooks/01-a.ipynb");
  assert.equal(displayPath("/r", "/elsewhere/x.ipynb"), "/elsewhere/x.ipynb");
});
