import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

const root = path.resolve(__dirname, "..", "..", "..");
const script = path.join(root, "scripts", "run-notebooks-jupyter.sh");
const fixtures = path.join(root, "test", "fixtures", "notebooks");

test("run-notebooks-jupyter.sh runs notebooks with Debian's Jupyter and the tslab kernel, and stops at a failing cell", () => {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), "pa-jupyter-"));
  try {
    const r = spawnSync("bash", [script, path.join(fixtures, "01-basic.ipynb"), path.join(fixtures, "02-fail.ipynb")], {
      cwd: root, encoding: "utf8", env: { ...process.env, JUPYTER_OUT: out, NOTEBOOK_TIMEOUT: "120" }, timeout: 300000,
    });
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stderr, /01-basic\.ipynb: ok in \d+ s/);
    assert.match(r.stderr, /02-fail\.ipynb: cell 3 failed: error: \n[\s\S]*RangeError: planted failure at n=2/);
    assert.match(r.stderr, /02-fail\.ipynb: FAILED/);
    // The executed copy holds what the kernel produced under Jupyter: the parameters' defaults and the figure bundle.
    const executed = JSON.parse(fs.readFileSync(path.join(out, "01-basic.ipynb"), "utf8"));
    assert.deepEqual(executed.metadata.kernelspec.name, "tslab");
    const outputs = executed.cells.flatMap((c: { outputs?: unknown[] }) => c.outputs ?? []);
    // nbformat may store text as a list of lines.
    const text = (t: unknown) => (Array.isArray(t) ? t.join("") : t);
    assert.ok(outputs.some((o: { text?: unknown }) => text(o.text) === "sample=3 seed=1 model=none\n"), JSON.stringify(outputs).slice(0, 400));
    assert.ok(outputs.some((o: { data?: Record<string, unknown> }) => o.data && "application/vnd.positional-artefacts.figure+json" in o.data));
    assert.deepEqual(fs.readdirSync(out), ["01-basic.ipynb"]);
    // Registration went to the package's own prefix and runs this checkout's kernel launcher.
    const spec = JSON.parse(fs.readFileSync(path.join(root, ".cache", "jupyter", "share", "jupyter", "kernels", "tslab", "kernel.json"), "utf8"));
    assert.deepEqual(spec.argv, [path.join(root, "bin", "artefacts-tslab.js"), "kernel", "--config-path", "{connection_file}"]);
  } finally {
    fs.rmSync(out, { recursive: true });
  }
});
