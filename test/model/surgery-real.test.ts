/**
 * Graph surgery on REAL exporter output: ONNX files made by torch.onnx.export (tools/reference/export_onnx.py)
 * from the committed SYNTHETIC checkpoints, with last_hidden_state as the only output, at opset 14
 * (LayerNorm decomposed into ReduceMean/Sub/Pow/Sqrt/Div) and opset 17 (LayerNormalization op).
 * After exposeHiddenStates, every layer must match the PyTorch reference of the same checkpoint
 * (test/fixtures/reference/<model>.f32) within 1e-4.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { exposeHiddenStates, refuseIfNotAnalysable } from "../../src/model/onnx/surgery.js";
import { decodeModel } from "../../src/model/onnx/proto.js";
import { EncoderSession } from "../../src/model/session.js";
import { FIXTURES, TOLERANCE, assertClose, loadReferenceFixture, referenceSentence, type ReferenceFixture } from "./referenceFixture.js";

// export folder | reference fixture (same SYNTHETIC checkpoint) | opset | LayerNormalization nodes expected
const CASES: [string, string, number, number][] = [
  ["synth-bert-op14", "synth-bert", 14, 0],
  ["synth-bert-op17", "synth-bert", 17, 5],
  ["synth-distilbert-op17", "synth-distilbert", 17, 5],
  ["synth-roberta-op14", "synth-roberta", 14, 0],
];

const onnxFile = (folder: string, file = "model.onnx") => path.join(FIXTURES, "onnx", folder, "onnx", file);

/** Runs the fixture's padded batch through a session; returns L + 1 [batch x length x hidden] arrays. */
async function runBatch(session: EncoderSession, fx: ReferenceFixture): Promise<Float32Array[]> {
  const batch = fx.batch.input_ids.length, length = fx.batch.input_ids[0].length;
  const ids = BigInt64Array.from(fx.batch.input_ids.flat(), BigInt);
  const mask = BigInt64Array.from(fx.batch.attention_mask.flat(), BigInt);
  return session.run(ids, mask, batch, length);
}

/** The real-token rows of one padded sentence, in order: [tokens x hidden]. */
function realRows(layer: Float32Array, fx: ReferenceFixture, sentence: number): Float32Array {
  const length = fx.batch.input_ids[0].length;
  const mask = fx.batch.attention_mask[sentence];
  const out = new Float32Array(fx.token_counts[sentence] * fx.hidden);
  for (let t = 0, r = 0; t < length; ++t) {
    if (mask[t]) out.set(layer.subarray((sentence * length + t) * fx.hidden, (sentence * length + t + 1) * fx.hidden), fx.hidden * r++);
  }
  return out;
}

for (const [folder, reference, opset, layerNormOps] of CASES) {
  test(`exposeHiddenStates on the torch.onnx.export opset ${opset} graph ${folder} matches the PyTorch reference at every layer`, async (t) => {
    const file = onnxFile(folder);
    const bytes = new Uint8Array(fs.readFileSync(file));
    // the fixture really is what its name says: one output, and LayerNorm decomposed (14) or fused (17)
    const before = decodeModel(bytes, file);
    assert.deepEqual(before.graph!.output.map((o) => o.name), ["last_hidden_state"]);
    assert.equal(Number(before.opsetImport.find((o) => (o.domain ?? "") === "")?.version), opset);
    assert.equal(before.graph!.node.filter((n) => n.opType === "LayerNormalization").length, layerNormOps);

    refuseIfNotAnalysable(file, bytes);
    const fx = loadReferenceFixture(reference);
    const L = fx.layers - 1;
    const exposed = exposeHiddenStates(bytes, file, { layers: L });
    assert.equal(exposed.layers, L);
    assert.deepEqual(exposed.outputs, [...Array.from({ length: L + 1 }, (_, l) => `hidden_states.${l}`), "last_hidden_state"]);

    const session = await EncoderSession.open(exposed.model, { threads: 1 });
    try {
      const layers = await runBatch(session, fx);
      assert.equal(layers.length, L + 1);
      let worst = 0;
      for (let l = 0; l <= L; ++l) {
        for (let s = 0; s < fx.sentences.length; ++s) {
          const where = { fixture: `${folder} vs ${reference}.f32`, sentence: s, layer: l, hidden: fx.hidden, tokens: fx.tokens[s] };
          worst = Math.max(worst, assertClose(referenceSentence(fx, l, s), realRows(layers[l], fx, s), where));
        }
      }
      assert.ok(worst <= TOLERANCE);
      t.diagnostic(`max |delta| ${worst}`);
    } finally {
      await session.dispose();
    }
  });
}

test("exposeHiddenStates is idempotent on a real export: a second pass keeps the same outputs", () => {
  const file = onnxFile("synth-bert-op14");
  const once = exposeHiddenStates(new Uint8Array(fs.readFileSync(file)), file, { layers: 2 });
  const twice = exposeHiddenStates(once.model, file, { layers: 2 });
  assert.deepEqual(twice.outputs, once.outputs);
  assert.equal(twice.layers, 2);
});

test("exposeHiddenStates refuses a layer count that disagrees with config.json on a real export", () => {
  const file = onnxFile("synth-bert-op17");
  assert.throws(() => exposeHiddenStates(new Uint8Array(fs.readFileSync(file)), file, { layers: 3 }), /found 5 LayerNorms.*expected 2 x 3 \+ 1 = 7/);
});

test("refuseIfNotAnalysable refuses the onnxruntime dynamic-int8 copy by name and by its nodes", () => {
  // made by tools/reference/quantize_onnx.py (onnxruntime.quantization.quantize_dynamic, QInt8)
  const file = onnxFile("synth-bert-op14", "model_quantized.onnx");
  const bytes = new Uint8Array(fs.readFileSync(file));
  assert.throws(() => refuseIfNotAnalysable(file), /model_quantized\.onnx: the file name marks a quantized export/);
  assert.throws(() => refuseIfNotAnalysable("model.onnx", bytes), /model\.onnx: node .* is (MatMulInteger|DynamicQuantizeLinear|DequantizeLinear), so the model is quantized/);
});
