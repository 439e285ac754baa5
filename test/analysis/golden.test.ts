/**
 * Golden results: runAnalyses on the embedded pair (models/mlm-pos, models/mlm-nopos) and a SYNTHETIC
 * model with a planted outlier (test/fixtures/models/synth-bert-outlier), every analysis, compared as
 * JSON with test/fixtures/golden/*.json (provenance stripped: it names versions and paths). The goldens
 * were written on the code before the registry move (issue 21) so that a refactor shows it keeps the
 * same bytes. `GOLDEN_UPDATE=1` rewrites them (only when a change of numbers is intended: say why in
 * the commit).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { createEncoder } from "../../src/model/encoder.js";
import { runAnalyses, type RunOptions } from "../../src/analysis/run.js";
import { loadCorpus } from "../../src/data/corpus.js";
import { sampleSentences } from "../../src/data/sample.js";

const root = path.join(__dirname, "..", "..", "..");
const goldenDir = path.join(root, "test", "fixtures", "golden");

interface Case {
  name: string;
  model: string;
  sample: number;
  opts: RunOptions;
}

const small: RunOptions = {
  seed: 3, fitSentences: 40, batchSize: 16, worker: false,
  anisotropy: { pairs: 400, sampleSize: 600 }, probe: { maxTrainTokens: 600, maxTestTokens: 200, epochs: 3 },
  selfsim: { minOccurrences: 3, maxWords: 40 },
};

const cases: Case[] = [
  // onnxruntime linear algebra (the default backend) with one thread: float32 sums in a fixed order
  { name: "mlm-pos", model: path.join(root, "models", "mlm-pos"), sample: 160, opts: { ...small, linalg: "onnxruntime" } },
  // the float64 reference loops
  { name: "mlm-nopos", model: path.join(root, "models", "mlm-nopos"), sample: 160, opts: { ...small, linalg: "js" } },
  { name: "synth-bert-outlier", model: path.join(root, "test", "fixtures", "models", "synth-bert-outlier"), sample: 80, opts: { ...small, fitSentences: 20, linalg: "js" } },
];

for (const c of cases) {
  test(`golden: runAnalyses on ${c.name} gives the committed JSON`, async () => {
    const sentences = sampleSentences(loadCorpus("default"), { n: c.sample, seed: 5, minWords: 4, maxWords: 30 });
    const encoder = await createEncoder(c.model, { threads: 1 });
    let json: string;
    try {
      const r = await runAnalyses(encoder, sentences, c.opts);
      json = JSON.stringify({ ...r, provenance: undefined }, null, 1) + "\n";
    } finally {
      await encoder.dispose();
    }
    const file = path.join(goldenDir, `${c.name}.json`);
    if (process.env.GOLDEN_UPDATE === "1") {
      fs.mkdirSync(goldenDir, { recursive: true });
      fs.writeFileSync(file + ".tmp", json);
      fs.renameSync(file + ".tmp", file);
    }
    assert.ok(fs.existsSync(file), `${file} is missing; run the test with GOLDEN_UPDATE=1 to write it`);
    const want = fs.readFileSync(file, "utf8");
    if (json !== want) {
      const a = JSON.parse(json), b = JSON.parse(want);
      assert.deepEqual(a, b, `${c.name}: results differ from ${file}`);
      assert.equal(json, want, `${c.name}: same values, different bytes (key order or formatting) from ${file}`);
    }
  });
}
