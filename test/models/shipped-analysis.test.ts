/**
 * The analysis figures recorded in models/README.md for the shipped models (per-layer argmax/argmin
 * tails, detected outliers, anisotropy raw and with dims 8 and 66 clipped) must be reproduced by
 * `artefacts analyze` (test/fixtures/shipped/findings.json, made from the same command).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

const ROOT = path.join(__dirname, "..", "..", "..");

interface LayerFinding {
  layer: number;
  argmax_top: [number, number][];
  argmin_top: [number, number][];
  outliers: { dim: number; kind: string; share: number }[];
  anisotropy_raw: number;
  anisotropy_clipped: number;
}
interface Findings {
  tolerance: { share: number; anisotropy: number };
  models: Record<string, { sample: number; tokens: number; persistent_outliers: unknown[]; clip: number[]; layers: LayerFinding[] }>;
}

const findings = JSON.parse(fs.readFileSync(path.join(ROOT, "test", "fixtures", "shipped", "findings.json"), "utf8")) as Findings;

for (const [name, want] of Object.entries(findings.models)) {
  test(`artefacts analyze reproduces the models/README.md figures of ${name}`, () => {
    const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "pa-shipped-")), "r.json");
    const r = spawnSync(process.execPath, [path.join(ROOT, "bin", "artefacts.js"), "analyze", "--model", path.join(ROOT, "models", name),
      "--threads", "1", "--sample", String(want.sample), "--seed", "0", "--only", "anisotropy", "--clip", want.clip.join(","), "--out", out], { encoding: "utf8" });
    assert.equal(r.status, 0, r.stderr);
    const got = JSON.parse(fs.readFileSync(out, "utf8"));
    assert.equal(got.sample.sentences, want.sample);
    assert.equal(got.sample.tokens, want.tokens);
    assert.deepEqual(got.outliers.dimensions, want.persistent_outliers, "persistent outliers");
    const { share, anisotropy } = findings.tolerance;
    want.layers.forEach((w, l) => {
      const L = got.outliers.layers[l];
      const A = got.anisotropy.layers[l];
      for (const [dim, s] of w.argmax_top) assert.ok(Math.abs(L.maxShare[dim] - s) <= share, `${name} layer ${l} dim ${dim} argmax share ${L.maxShare[dim]} vs ${s}`);
      for (const [dim, s] of w.argmin_top) assert.ok(Math.abs(L.minShare[dim] - s) <= share, `${name} layer ${l} dim ${dim} argmin share ${L.minShare[dim]} vs ${s}`);
      assert.deepEqual(L.outliers.map((o: { dim: number; kind: string }) => `${o.dim}:${o.kind}`), w.outliers.map((o) => `${o.dim}:${o.kind}`), `${name} layer ${l} outliers`);
      assert.ok(Math.abs(A.raw - w.anisotropy_raw) <= anisotropy, `${name} layer ${l} anisotropy raw ${A.raw} vs ${w.anisotropy_raw}`);
      assert.ok(Math.abs(A.clipped - w.anisotropy_clipped) <= anisotropy, `${name} layer ${l} anisotropy clipped ${A.clipped} vs ${w.anisotropy_clipped}`);
    });
  });
}
