/**
 * End to end on a SYNTHETIC checkpoint with a planted outlier (issue item 4): `artefacts synth`'s
 * library writes a 2-layer, 32-wide BERT whose dimension 7 is planted as every token's minimum
 * (position row 0 holds -1 in dim 7; every LayerNorm has gamma[7] = 2, beta[7] = -16). The analyses
 * must find dim 7 in every layer and name position row 0 as its carrier.
 *
 * | case                       | expectation                                        |
 * |----------------------------|----------------------------------------------------|
 * | outliers, per layer 0..2   | dim 7 is the "min" outlier with share 1            |
 * | persistent outliers        | {dim 7, min, share 1, layers [0, 1, 2]} first      |
 * | origins                    | strongest carrier is row 0 (position 0), z < -4    |
 * | origins, LayerNorm ranks   | |beta[7]| ranks 1st and gamma[7] 1st in every LN    |
 * | anisotropy clipped         | clipping dim 7 lowers the mean cosine in layers 1-2 |
 */
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { synthesize } from "../../src/model/synth.js";
import { COMMON_WORDS } from "../../src/model/synthTokenizer.js";
import { createEncoder, type Encoder } from "../../src/model/encoder.js";
import { runAnalyses, type AnalysisResults } from "../../src/analysis/run.js";
import { createRandom } from "../../src/numerics/random.js";

let dir: string, encoder: Encoder, results: AnalysisResults;

before(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "planted-"));
  const out = path.join(dir, "model");
  await synthesize({ arch: "bert", layers: 2, hidden: 32, heads: 4, seed: 1, plantOutlier: { dim: 7, sign: "min" }, out });
  encoder = await createEncoder(out, { threads: 1 });
  const g = createRandom(5), words = COMMON_WORDS.slice(0, 200);
  const sentences = Array.from({ length: 40 }, () => Array.from({ length: 4 + g.int(8) }, () => words[g.int(words.length)]).join(" "));
  results = await runAnalyses(encoder, sentences, {
    only: ["origins", "anisotropy"], seed: 3, fitSentences: 20, anisotropy: { pairs: 300, sampleSize: 400 },
  });
});

after(async () => {
  await encoder?.dispose();
  fs.rmSync(dir, { recursive: true, force: true });
});

test("planted outlier: dim 7 is the min of every token in every layer", () => {
  for (const l of results.outliers.layers) {
    assert.deepEqual(l.outliers.find((o) => o.kind === "min"), { dim: 7, kind: "min", share: 1 }, `layer ${l.layer}`);
    assert.equal(l.minShare![7], 1);
  }
  // With L = 2, minLayers is ceil(2/2) = 1, so the seeded random weights' own max in layer 2 (dim 2) is
  // listed too; it is not planted, and it is absent from layers 0-1.
  assert.deepEqual(results.outliers.dimensions, [
    { dim: 7, kind: "min", share: 1, layers: [0, 1, 2] },
    { dim: 2, kind: "max", share: 0.5536913, layers: [2] },
  ]);
  assert.deepEqual(results.clip, { dims: [2, 7], source: "fit-sample", fitSentences: 20, matchesOutliers: true });
});

test("planted outlier: position row 0 carries it and the LayerNorms restore it", () => {
  const d = results.origins!.dimensions[0];
  assert.equal(d.dim, 7);
  assert.equal(d.carriers[0].row, 0);
  assert.equal(d.carriers[0].position, 0);
  assert.ok(d.carriers[0].z < -4, `z ${d.carriers[0].z}`);
  assert.equal(d.carrierCount, 1);
  assert.equal(results.origins!.dimensions[0].layerNorms.length, 5);
  for (const ln of d.layerNorms) {
    assert.equal(ln.betaAbsRank, 1, `${ln.which} ${ln.layer}`);
    assert.equal(ln.gammaRank, 1, `${ln.which} ${ln.layer}`);
    assert.equal(ln.beta, -16);
  }
});

test("planted outlier: clipping it lowers anisotropy, and the results record scope and provenance", () => {
  for (const l of results.anisotropy!.layers.filter((x) => x.layer > 0)) assert.ok(l.clipped! < l.raw!, `layer ${l.layer}: ${l.clipped} vs ${l.raw}`);
  assert.equal(results.settings.tokens, "non-special");
  assert.deepEqual(results.settings.only, ["outliers", "origins", "anisotropy"]);
  assert.equal(results.provenance.architecture, "bert");
  assert.equal(results.sample.sentences, 40);
});
