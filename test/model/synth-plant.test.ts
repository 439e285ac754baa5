/**
 * Planted ground truth in SYNTHETIC checkpoints (seeded random weights, not trained; src/model/synthPlant.ts):
 * encoded through the real ONNX graph with every site exposed, the planted massive activation is the
 * largest |a| of the model at exactly (ffn_resid.LAYER, [SEP], DIM), above 100 and 1000x that site's
 * median |a|, and the planted head puts > 0.95 of every real query's mass on [CLS]; the same seed without
 * plants shows neither. Values are found by plain loops over every stored activation.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { createEncoder } from "../../src/model/encoder.js";
import { synthesize, type SynthOptions } from "../../src/model/synth.js";
import type { Architecture, EncodedBatch, SiteInfo } from "../../src/model/types.js";

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "pa-plant-test-"));
process.on("exit", () => fs.rmSync(tmp, { recursive: true, force: true }));
let n = 0;
const SENTENCES = ["the people said hello", "water", "a few children walked to the man again and again", "hello world, the sun."];
const PLANTS = { plantMassive: { layer: 2, dim: 5 }, plantSink: { layer: 3, head: 1 } };
const opts = (arch: Architecture, extra: Partial<SynthOptions> = {}): SynthOptions =>
  ({ arch, layers: 3, hidden: 16, heads: 4, seed: 7, positions: 64, out: path.join(tmp, `m${n++}`), ...extra });

interface Scan {
  /** Largest |a| over every token site: its value, site, token string, dim. */
  top: { value: number; site: string; token: string; dim: number };
  /** Per token site: |a| of real tokens (for medians and threshold counts). */
  abs: Map<string, number[]>;
  /** Per attn_probs site and head: the smallest mass on key 0 ([CLS]) over every real query. */
  minCls: Map<string, number>;
  sites: readonly SiteInfo[];
  batches: EncodedBatch[];
}

async function scan(dir: string): Promise<Scan> {
  const enc = await createEncoder(dir, { threads: 1, sites: ["attn_out", "attn_resid", "ffn_act", "ffn_out", "ffn_resid", "attn_probs", "hidden_states"] });
  const out: Scan = { top: { value: 0, site: "", token: "", dim: -1 }, abs: new Map(), minCls: new Map(), sites: enc.sites, batches: [] };
  try {
    for await (const b of enc.encode(SENTENCES)) {
      out.batches.push(b);
      for (const s of enc.sites) {
        const a = b.sites![s.name];
        for (let r = 0; r < b.batch; ++r) {
          const n = b.tokenCounts[r];
          if (s.layout === "heads") {
            for (let h = 0; h < s.width; ++h) {
              const key = `${s.name}/${h}`;
              for (let q = 0; q < n; ++q) out.minCls.set(key, Math.min(out.minCls.get(key) ?? 1, a[((r * s.width + h) * b.length + q) * b.length]));
            }
            continue;
          }
          const list = out.abs.get(s.name) ?? [];
          out.abs.set(s.name, list);
          for (let t = 0; t < n; ++t) {
            for (let d = 0; d < s.width; ++d) {
              const v = Math.abs(a[(r * b.length + t) * s.width + d]);
              list.push(v);
              if (v > out.top.value) out.top = { value: v, site: s.name, token: b.tokens[r][t], dim: d };
            }
          }
        }
      }
    }
  } finally {
    await enc.dispose();
  }
  return out;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

for (const arch of ["bert", "roberta", "distilbert"] as const) {
  const sep = arch === "roberta" ? "</s>" : "[SEP]";
  test(`${arch}: the planted massive activation is the largest |a| at (ffn_resid.2, ${sep}, dim 5), > 100 and > 1000x the median; the planted head sinks on [CLS]`, async () => {
    const dir = await synthesize(opts(arch, PLANTS));
    const rec = JSON.parse(fs.readFileSync(path.join(dir, "config.json"), "utf8")).positional_artefacts_synthetic;
    assert.equal(rec.plantedMassive.site, "ffn_resid.2");
    assert.equal(rec.plantedSink.site, "attn_probs.3");
    const s = await scan(dir);
    // among the residual sums (the pre-LN sites) the top is exactly the plant; ffn_out.2, the FFN output that writes it, is its only rival
    const resid = [...s.abs.keys()].filter((k) => k.startsWith("ffn_resid") || k.startsWith("attn_resid"));
    let best = { value: 0, site: "" };
    for (const k of resid) for (const v of s.abs.get(k)!) if (v > best.value) best = { value: v, site: k };
    assert.equal(best.site, "ffn_resid.2");
    assert.ok(s.top.site === "ffn_resid.2" || s.top.site === "ffn_out.2", `top |a| at ${s.top.site}`);
    assert.deepEqual([s.top.token, s.top.dim], [sep, 5]);
    const m = median(s.abs.get("ffn_resid.2")!);
    const massive = s.abs.get("ffn_resid.2")!.filter((v) => v > 100 && v > 1000 * m).length;
    assert.equal(massive, SENTENCES.length, `one massive value per sentence (its ${sep}); median ${m}, top ${s.top.value}`);
    for (const [site, list] of s.abs) {
      if (site === "ffn_resid.2" || site === "ffn_out.2") continue;
      const mm = median(list);
      assert.equal(list.filter((v) => v > 100 && v > 1000 * mm).length, 0, `${site} has massive values`);
    }
    assert.ok(s.minCls.get("attn_probs.3/1")! > 0.95, `planted head: min mass on [CLS] ${s.minCls.get("attn_probs.3/1")}`);
    for (const [key, v] of s.minCls) if (key !== "attn_probs.3/1") assert.ok(v < 0.95, `${key} also sinks (${v})`);
  });
}

test("the same seed without plants has no massive activation and no sink head", async () => {
  const s = await scan(await synthesize(opts("bert")));
  assert.ok(s.top.value < 100, `top |a| ${s.top.value} at ${s.top.site}`);
  for (const [site, list] of s.abs) assert.equal(list.filter((v) => v > 1000 * median(list)).length, 0, site);
  for (const [key, v] of s.minCls) assert.ok(v < 0.95, `${key}: ${v}`);
});

test("plants change only the planted weights and are recorded; bad plant options name the option", async () => {
  const plain = await synthesize(opts("bert"));
  const planted = await synthesize(opts("bert", PLANTS));
  const read = (d: string) => fs.readFileSync(path.join(d, "model.safetensors"));
  assert.notDeepEqual(read(plain), read(planted));
  const rec = JSON.parse(fs.readFileSync(path.join(planted, "config.json"), "utf8")).positional_artefacts_synthetic;
  assert.deepEqual([rec.plantedMassive.token, rec.plantedMassive.dim, rec.plantedMassive.markerDim, rec.plantedSink.token, rec.plantedSink.head, rec.plantedSink.markerDim], ["[SEP]", 5, 14, "[CLS]", 1, 15]);
  assert.equal(JSON.parse(fs.readFileSync(path.join(plain, "config.json"), "utf8")).positional_artefacts_synthetic.plantedMassive, undefined);
  assert.match(fs.readFileSync(path.join(planted, "README.md"), "utf8"), /Planted massive activation: dim 5 of \[SEP\] at ffn_resid\.2\. Planted sink: head 1 of block 3 attends to \[CLS\]\./);
  await assert.rejects(synthesize(opts("bert", { plantMassive: { layer: 4, dim: 5 } })), /invalid plant-massive: layer 4; expected a block 1\.\.3/);
  await assert.rejects(synthesize(opts("bert", { plantMassive: { layer: 1, dim: 15 } })), /dim 15 is a token marker/);
  await assert.rejects(synthesize(opts("bert", { plantSink: { layer: 1, head: 4 } })), /invalid plant-sink: head 4; expected an integer in 0\.\.3/);
  await assert.rejects(synthesize(opts("bert", { hidden: 8, heads: 2, plantSink: { layer: 1, head: 0 } })), /needs hidden >= 16/);
  await assert.rejects(synthesize(opts("bert", { plantSink: { layer: 1, head: 0 }, plantOutlier: { dim: 3, sign: "min" } })), /cannot be combined with --plant-outlier/);
});
