/**
 * artefacts report's model preparation: a pinned checkpoint missing from an empty cache under
 * --offline is skipped and named with its reason (the report still builds); --strict turns that into
 * exit 1 before any notebook runs. The notebook is written here (a real tslab kernel runs it).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { prepareModels } from "../../src/report/models.js";

const root = path.resolve(__dirname, "..", "..", "..");
const bin = path.join(root, "bin", "artefacts.js");
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "pa-report-models-"));
process.on("exit", () => fs.rmSync(tmp, { recursive: true, force: true }));
const env = { ...process.env, PA_CACHE_DIR: path.join(tmp, "empty-cache") };
const cli = (...args: string[]) => spawnSync(process.execPath, [bin, "report", ...args], { cwd: root, encoding: "utf8", env, timeout: 300000 });

function notebook(): string {
  const file = path.join(tmp, "01-models.ipynb");
  const code = (source: string, tags: string[] = []) => ({ cell_type: "code", execution_count: null, id: `c${tags.length}${source.length}`, metadata: tags.length ? { tags } : {}, outputs: [], source });
  fs.writeFileSync(file, JSON.stringify({
    nbformat: 4, nbformat_minor: 5,
    metadata: { kernelspec: { name: "tslab", display_name: "TypeScript", language: "typescript" } },
    cells: [
      code('let models: string[] = [];\nlet skipped: { model: string; reason: string }[] = [];', ["parameters"]),
      code('console.log(`models=${JSON.stringify(models)} skipped=${JSON.stringify(skipped)}`);'),
    ],
  }));
  return file;
}

test("prepareModels skips what cannot be fetched or loaded, with the reason, and keeps the rest in order", async () => {
  const cacheDir = env.PA_CACHE_DIR;
  process.env.PA_CACHE_DIR = cacheDir;
  try {
    const broken = path.join(tmp, "broken");
    fs.mkdirSync(broken, { recursive: true });
    fs.writeFileSync(path.join(broken, "config.json"), JSON.stringify({ model_type: "gpt2" }));
    const pos = path.join(root, "models", "mlm-pos");
    const r = await prepareModels(["all-MiniLM-L6-v2", pos, broken], { offline: true });
    assert.deepEqual(r.available, [pos]);
    assert.deepEqual(r.skipped.map((s) => s.model), ["sentence-transformers/all-MiniLM-L6-v2", broken]);
    assert.match(r.skipped[0].reason, /^all-MiniLM-L6-v2: offline and not in the cache \(…\/checkpoints\/all-MiniLM-L6-v2\); run `artefacts fetch all-MiniLM-L6-v2`/);
    assert.match(r.skipped[1].reason, /broken: neither a Hugging Face folder/);
    assert.equal(r.downloadSeconds, 0);
  } finally {
    if (env.PA_CACHE_DIR === process.env.PA_CACHE_DIR) delete process.env.PA_CACHE_DIR;
  }
});

test("artefacts report --offline builds without an uncached pinned model and injects the skip; --strict exits 1 first", () => {
  const nb = notebook();
  const out = path.join(tmp, "r.html");
  const r = cli("--notebooks", nb, "--model", "all-MiniLM-L6-v2", "--model", "models/mlm-pos", "--offline", "--out", out);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, /skipping sentence-transformers\/all-MiniLM-L6-v2: all-MiniLM-L6-v2: offline and not in the cache/);
  assert.match(r.stderr, /finished in [\d.]+ s: downloads 0\.0 s, .* compute [\d.]+ s; 1 model\(s\) skipped/);
  const html = fs.readFileSync(out, "utf8");
  assert.ok(html.includes("models=[&quot;models/mlm-pos&quot;]"), "the available model is injected");
  assert.ok(html.includes("skipped=[{&quot;model&quot;:&quot;sentence-transformers/all-MiniLM-L6-v2&quot;"), "the skip is injected");
  fs.rmSync(out);
  const strict = cli("--notebooks", nb, "--model", "all-MiniLM-L6-v2", "--model", "models/mlm-pos", "--offline", "--strict", "--out", out);
  assert.equal(strict.status, 1);
  assert.match(strict.stderr, /--strict: 1 model\(s\) skipped: sentence-transformers\/all-MiniLM-L6-v2 \(all-MiniLM-L6-v2: offline/);
  assert.ok(!strict.stderr.includes("starting"), "no notebook ran");
  assert.ok(!fs.existsSync(out));
});
