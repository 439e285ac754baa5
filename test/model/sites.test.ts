/**
 * Activation sites against transformers (tools/reference/sites_reference.py, forward hooks): every site
 * of every SYNTHETIC family fixture (test/fixtures/families/, random weights) within the family tests'
 * tolerance, 1e-5 * max(1, max |ref|) per site; attention probabilities summing to 1 over the real keys
 * with padding keys at 0; and the default graph (no site requested) byte-identical to the one built before
 * sites existed (sha256 in test/fixtures/sites/default-graphs.json; GOLDEN_UPDATE=1 rewrites it).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import * as ort from "onnxruntime-node";
import { loadCheckpoint } from "../../src/model/checkpoint.js";
import { buildOnnx } from "../../src/model/onnx/build.js";
import { listSites } from "../../src/model/sites.js";
import type { SiteInfo } from "../../src/model/types.js";
import { familyFixtureNames, FAMILY_FIXTURES, loadFamilyFixture, type FamilyFixture } from "./familyFixture.js";
import { gatherRows, loadSiteReference, SITE_FIXTURES } from "./siteFixture.js";

const RELATIVE = 1e-5;

/** Runs the fixture's padded batch through our graph with `sites` as extra outputs. */
async function runSites(fx: FamilyFixture, sites: SiteInfo[]): Promise<Record<string, Float32Array>> {
  const session = await ort.InferenceSession.create(buildOnnx(loadCheckpoint(fx.dir), { sites }), { intraOpNumThreads: 1 });
  try {
    const B = fx.batch.input_ids.length, T = fx.batch.input_ids[0].length;
    const t = (rows: number[][]) => new ort.Tensor("int64", BigInt64Array.from(rows.flat().map(BigInt)), [B, T]);
    const feeds: Record<string, ort.Tensor> = { input_ids: t(fx.batch.input_ids), attention_mask: t(fx.batch.attention_mask) };
    if (session.inputNames.includes("token_type_ids")) feeds.token_type_ids = new ort.Tensor("int64", new BigInt64Array(B * T), [B, T]);
    const out = await session.run(feeds, sites.map((s) => s.name));
    return Object.fromEntries(sites.map((s) => [s.name, out[s.name].data as Float32Array]));
  } finally {
    await session.release();
  }
}

test("with no site requested, every family's graph is byte-identical to the graph before sites existed", () => {
  const file = path.join(SITE_FIXTURES, "default-graphs.json");
  const golden = JSON.parse(fs.readFileSync(file, "utf8")) as { sha256: Record<string, string> };
  const now: Record<string, string> = {};
  for (const name of familyFixtureNames()) {
    const ckpt = loadCheckpoint(path.join(FAMILY_FIXTURES, name));
    const bytes = buildOnnx(ckpt);
    assert.deepEqual(buildOnnx(ckpt, { sites: [] }), bytes, `${name}: sites [] changes the graph`);
    now[name] = crypto.createHash("sha256").update(bytes).digest("hex");
  }
  if (process.env.GOLDEN_UPDATE === "1") {
    fs.writeFileSync(file, JSON.stringify({ ...golden, sha256: now }, null, 1) + "\n");
    return;
  }
  assert.deepEqual(now, golden.sha256, `default graphs changed; if deliberate, rerun with GOLDEN_UPDATE=1 (${file})`);
});

for (const name of familyFixtureNames()) {
  test(`family fixture ${name}: every site equals transformers' forward hooks within 1e-5 relative`, async () => {
    const fx = loadFamilyFixture(name);
    const ref = loadSiteReference(name);
    const sites = listSites(loadCheckpoint(fx.dir).config).filter((s) => s.kind !== "hidden_states");
    // every site of the family is in the reference and nothing else: no site untested, none invented
    assert.deepEqual(sites.map((s) => s.name).sort(), ref.blocks.map((b) => b.name).sort(), `${name}: our sites vs the reference's`);
    const ours = await runSites(fx, sites);
    const T = fx.batch.input_ids[0].length;
    const lines: string[] = [];
    for (const s of sites) {
      const block = ref.blocks.find((b) => b.name === s.name)!;
      const expected = ref.values.subarray(block.offset / 4, block.offset / 4 + block.values);
      const got = gatherRows(s, ours[s.name], T, ref);
      assert.equal(got.length, expected.length, `${name} ${s.name}: ${got.length} values, reference ${expected.length}`);
      let d = 0;
      for (let i = 0; i < got.length; ++i) d = Math.max(d, Math.abs(got[i] - expected[i]));
      const tol = RELATIVE * Math.max(1, block.max_abs);
      lines.push(`${s.name} ${d.toExponential(1)}`);
      assert.ok(d <= tol, `${name} ${s.name} (${s.description}): max |ours - transformers| = ${d}, tolerance ${tol}`);
    }
    process.stdout.write(`# ${name}: ${lines.join(", ")}\n`);
  });

  test(`family fixture ${name}: attention probabilities sum to 1 over the real keys of every real query, padding keys 0`, async () => {
    const fx = loadFamilyFixture(name);
    const sites = listSites(loadCheckpoint(fx.dir).config).filter((s) => s.kind === "attn_probs");
    const ours = await runSites(fx, sites);
    const B = fx.batch.input_ids.length, T = fx.batch.input_ids[0].length;
    for (const s of sites) {
      const p = ours[s.name];
      assert.equal(p.length, B * s.width * T * T, `${s.name}: [batch x heads x length x length]`);
      for (let b = 0; b < B; ++b) {
        const n = fx.token_counts[b];
        for (let h = 0; h < s.width; ++h) {
          for (let q = 0; q < n; ++q) {
            const row = p.subarray(((b * s.width + h) * T + q) * T, ((b * s.width + h) * T + q + 1) * T);
            let sum = 0;
            for (let k = 0; k < n; ++k) sum += row[k];
            assert.ok(Math.abs(sum - 1) < 1e-5, `${name} ${s.name} sentence ${b} head ${h} query ${q}: sum ${sum}`);
            for (let k = n; k < T; ++k) assert.equal(row[k], 0, `${name} ${s.name} sentence ${b} head ${h} query ${q}: padding key ${k} has ${row[k]}`);
          }
        }
      }
    }
  });
}
