/**
 * createEncoder on SYNTHETIC checkpoints (seeded random weights, not trained): batching by length, order
 * restoration, every EncodedBatch field, truncation counting and its single warning, input errors, the
 * ONNX-folder path and its static tensors. Agreement with PyTorch is in reference.test.ts.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { createEncoder, initializerName, onnxStaticTensors } from "../../src/model/encoder.js";
import { readConfig } from "../../src/model/config.js";
import { decodeModel, encodeModel } from "../../src/model/onnx/proto.js";
import { synthesize } from "../../src/model/synth.js";
import { exportOnnx } from "../../src/model/export.js";
import type { EncodedBatch } from "../../src/model/types.js";

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "pa-encoder-test-"));
process.on("exit", () => fs.rmSync(tmp, { recursive: true, force: true }));
const FIXTURES = path.join(__dirname, "..", "..", "..", "test", "fixtures");

let bertDir: string, robertaDir: string;
const ready = (async () => {
  bertDir = await synthesize({ arch: "bert", layers: 2, hidden: 8, heads: 2, seed: 5, positions: 24, out: path.join(tmp, "bert") });
  robertaDir = await synthesize({ arch: "roberta", layers: 2, hidden: 8, heads: 2, seed: 6, positions: 26, out: path.join(tmp, "roberta") });
})();

const SENTENCES = [
  "The people said hello again and again to the man.", // longest
  "Water",
  "A few children walked",
  "Hello world",
  "Sun",
];

async function collect(gen: AsyncGenerator<EncodedBatch>): Promise<EncodedBatch[]> {
  const out: EncodedBatch[] = [];
  for await (const b of gen) out.push(b);
  return out;
}

test("Encoder.encode batches sentences by length (stable) and every row carries its input index", async () => {
  await ready;
  const enc = await createEncoder(bertDir, { threads: 1 });
  try {
    assert.equal(enc.layers, 2);
    assert.equal(enc.hidden, 8);
    assert.equal(enc.maxLength, 24);
    const progress: [number, number][] = [];
    const batches = await collect(enc.encode(SENTENCES, { batchSize: 2, onProgress: (d, t) => progress.push([d, t]) }));
    // token counts 16, 3, 7, 7, 3 ("hello" is he ##l ##l ##o, "walked" walk ##ed in the synthetic vocabulary);
    // stable sort by count: 1 (3), 4 (3), 2 (7), 3 (7), 0 (16)
    assert.deepEqual(batches.map((b) => b.sentenceIndex), [[1, 4], [2, 3], [0]]);
    assert.deepEqual(batches.map((b) => b.tokenCounts), [[3, 3], [7, 7], [16]]);
    assert.deepEqual(batches.map((b) => b.length), [3, 7, 16]);
    assert.deepEqual(progress, [[2, 5], [4, 5], [5, 5]]);
    assert.deepEqual(enc.stats, { sentences: 5, tokens: 16 + 3 + 7 + 7 + 3, truncated: 0 });
  } finally {
    await enc.dispose();
  }
});

test("Encoder.encode fills every EncodedBatch field; padding gets -1 positions and words, special 1, mask 0", async () => {
  await ready;
  const enc = await createEncoder(bertDir, { threads: 1 });
  try {
    const [b] = await collect(enc.encode(["Water", "Hello world"], { batchSize: 8 }));
    assert.deepEqual(b.sentenceIndex, [0, 1]);
    assert.equal(b.batch, 2);
    assert.equal(b.length, 7);
    assert.equal(b.hidden, 8);
    assert.equal(b.layers.length, 3);
    for (const l of b.layers) assert.equal(l.length, 2 * 7 * 8);
    assert.deepEqual(b.tokens, [["[CLS]", "water", "[SEP]"], ["[CLS]", "he", "##l", "##l", "##o", "world", "[SEP]"]]);
    assert.deepEqual(Array.from(b.attentionMask), [1, 1, 1, 0, 0, 0, 0, /**/ 1, 1, 1, 1, 1, 1, 1]);
    assert.deepEqual(Array.from(b.positionIds), [0, 1, 2, -1, -1, -1, -1, /**/ 0, 1, 2, 3, 4, 5, 6]);
    assert.deepEqual(Array.from(b.specialMask), [1, 0, 1, 1, 1, 1, 1, /**/ 1, 0, 0, 0, 0, 0, 1]);
    assert.deepEqual(Array.from(b.wordIds), [-1, 0, -1, -1, -1, -1, -1, /**/ -1, 0, 0, 0, 0, 1, -1]);
    assert.deepEqual(Array.from(b.inputIds.subarray(3, 7)), [0, 0, 0, 0]); // [PAD]
    assert.deepEqual(b.tokenCounts, [3, 7]);
    assert.deepEqual(b.truncated, [false, false]);
  } finally {
    await enc.dispose();
  }
});

test("Encoder hidden states do not depend on batching: padding is masked out", async () => {
  await ready;
  const enc = await createEncoder(robertaDir, { threads: 1 });
  try {
    const together = await collect(enc.encode(SENTENCES, { batchSize: 5 }));
    const alone = await collect(enc.encode(SENTENCES, { batchSize: 1 }));
    assert.equal(together.length, 1);
    const b = together[0];
    let worst = 0;
    for (let r = 0; r < b.batch; ++r) {
      const s = b.sentenceIndex[r];
      const one = alone.find((a) => a.sentenceIndex[0] === s)!;
      for (let l = 0; l <= enc.layers; ++l) {
        const n = b.tokenCounts[r] * b.hidden;
        const x = b.layers[l].subarray(r * b.length * b.hidden, r * b.length * b.hidden + n);
        const y = one.layers[l].subarray(0, n);
        for (let i = 0; i < n; ++i) worst = Math.max(worst, Math.abs(x[i] - y[i]));
      }
    }
    assert.ok(worst < 1e-5, `max |delta| ${worst} >= 1e-5`);
    // RoBERTa positions start at padding_idx + 1 = 2
    const r0 = b.sentenceIndex.indexOf(1);
    assert.deepEqual(Array.from(b.positionIds.subarray(r0 * b.length, r0 * b.length + 3)), [2, 3, 4]);
  } finally {
    await enc.dispose();
  }
});

test("Encoder truncates long sentences to maxLength, counts them and warns once", async () => {
  await ready;
  const warnings: string[] = [];
  const enc = await createEncoder(bertDir, { threads: 1, maxLength: 6, warn: (m) => warnings.push(m) });
  try {
    assert.equal(enc.maxLength, 6);
    const batches = await collect(enc.encode(SENTENCES, { batchSize: 2 }));
    // token counts 16, 3, 7, 7, 3: sentences 0, 2 and 3 are cut to 6
    const rows = batches.flatMap((b) => b.sentenceIndex.map((s, r) => [s, b.truncated[r], b.tokenCounts[r]] as const)).sort((x, y) => x[0] - y[0]);
    assert.deepEqual(rows, [[0, true, 6], [1, false, 3], [2, true, 6], [3, true, 6], [4, false, 3]]);
    assert.equal(enc.stats.truncated, 3);
    // 12 and 8 tokens: two more, and still one warning
    await collect(enc.encode(["The people said hello again and again", "and again and again and again"], { batchSize: 1 }));
    assert.equal(enc.stats.truncated, 5);
    assert.equal(warnings.length, 1);
    assert.match(warnings[0], /sentences longer than 6 tokens are truncated to 6 \(the model's maximum\); encoder.stats.truncated counts them/);
  } finally {
    await enc.dispose();
  }
});

test("Encoder.encode rejects an empty list, non-strings (naming the index) and a bad batch size", async () => {
  await ready;
  const enc = await createEncoder(bertDir, { threads: 1 });
  try {
    await assert.rejects(collect(enc.encode([])), (e: Error) => e instanceof RangeError && /sentences: the list is empty/.test(e.message));
    await assert.rejects(collect(enc.encode(["ok", 42 as unknown as string])), (e: Error) => e instanceof TypeError && /sentences\[1\]: expected a string, got number/.test(e.message));
    await assert.rejects(collect(enc.encode(["ok", null as unknown as string])), /sentences\[1\]: expected a string, got null/);
    await assert.rejects(collect(enc.encode("text" as unknown as string[])), /sentences: expected an array of strings, got string/);
    await assert.rejects(collect(enc.encode(["ok"], { batchSize: 0 })), /invalid batchSize: 0/);
    assert.equal(enc.stats.sentences, 0);
  } finally {
    await enc.dispose();
  }
});

test("createEncoder on an exported ONNX folder gives the same hidden states and static tensors as on the Hugging Face folder", async () => {
  await ready;
  const onnxDir = path.join(tmp, "bert-onnx");
  await exportOnnx(bertDir, onnxDir);
  const a = await createEncoder(bertDir, { threads: 1 });
  const b = await createEncoder(onnxDir, { threads: 1 });
  try {
    const [x] = await collect(a.encode(SENTENCES, { batchSize: 8 }));
    const [y] = await collect(b.encode(SENTENCES, { batchSize: 8 }));
    assert.deepEqual(x.sentenceIndex, y.sentenceIndex);
    for (let l = 0; l <= 2; ++l) assert.deepEqual(y.layers[l], x.layers[l]);
    const sa = a.staticTensors(), sb = b.staticTensors();
    assert.deepEqual(sb.positionEmbeddings, sa.positionEmbeddings);
    assert.deepEqual(sb.tokenTypeEmbeddings, sa.tokenTypeEmbeddings);
    assert.deepEqual(sb.layerNorms, sa.layerNorms);
    assert.equal(sb.layerNorms.length, 5);
    assert.equal(sa.positionOffset, 0);
    const pa = a.provenance(), pb = b.provenance();
    assert.equal(pa.kind, "hf-folder");
    assert.equal(pb.kind, "onnx-folder");
    assert.equal(pa.threads, 1);
    assert.match(String(pa.onnxruntime), /^\d+\.\d+\.\d+/);
    assert.deepEqual((pa.files as { name: string }[]).map((f) => f.name), ["config.json", "model.safetensors"]);
    assert.equal((pa.synthetic as { seed: number }).seed, 5);
  } finally {
    await a.dispose();
    await b.dispose();
  }
});

test("onnxStaticTensors reads a torch.onnx.export graph's initializers under their Hugging Face names, prefixes dropped", async () => {
  // the fixture export wraps the model ("model.embeddings.LayerNorm.weight"); it came from models/synth-bert
  const src = await createEncoder(path.join(FIXTURES, "models", "synth-bert"), { threads: 1 });
  try {
    for (const opset of [14, 17]) {
      const dir = path.join(FIXTURES, "onnx", `synth-bert-op${opset}`);
      const st = onnxStaticTensors(path.join(dir, "onnx", "model.onnx"), readConfig(dir));
      const ref = src.staticTensors();
      assert.deepEqual(st.positionEmbeddings, ref.positionEmbeddings, `op${opset} position table`);
      assert.deepEqual(st.tokenTypeEmbeddings, ref.tokenTypeEmbeddings, `op${opset} token types`);
      assert.deepEqual(st.layerNorms, ref.layerNorms, `op${opset} LayerNorms`);
    }
  } finally {
    await src.dispose();
  }
  assert.equal(initializerName("model.encoder.layer.1.output.LayerNorm.bias", readConfig(path.join(FIXTURES, "models", "synth-bert"))), "encoder.layer.1.output.LayerNorm.bias");
  assert.equal(initializerName("onnx::MatMul_330", readConfig(path.join(FIXTURES, "models", "synth-bert"))), null);
});

test("onnxStaticTensors names the initializers it cannot find", () => {
  const dir = path.join(FIXTURES, "onnx", "synth-bert-op14");
  const model = decodeModel(fs.readFileSync(path.join(dir, "onnx", "model.onnx")));
  model.graph!.initializer.forEach((t, i) => { t.name = `w${i}`; });
  const file = path.join(tmp, "renamed.onnx");
  fs.writeFileSync(file, encodeModel(model));
  assert.throws(() => onnxStaticTensors(file, readConfig(dir)),
    /renamed\.onnx: initializers embeddings\.LayerNorm\.weight, embeddings\.LayerNorm\.bias, .* and 8 more not found under their Hugging Face names; the export renamed them, so read the static tensors from the Hugging Face folder instead/);
});
