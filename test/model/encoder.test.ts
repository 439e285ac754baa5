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
import { createEncoder, onnxStaticTensors } from "../../src/model/encoder.js";
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
    // token counts: 12, 3, 6, 5, 3 -> sorted stable: 1 (3), 4 (3), 3 (5), 2 (6), 0 (12)
    assert.deepEqual(batches.map((b) => b.sentenceIndex), [[1, 4], [3, 2], [0]]);
    assert.deepEqual(batches.map((b) => b.tokenCounts), [[3, 3], [4, 5], [12]]);
    assert.deepEqual(batches.map((b) => b.length), [3, 5, 12]);
    assert.deepEqual(progress, [[2, 5], [4, 5], [5, 5]]);
    assert.deepEqual(enc.stats, { sentences: 5, tokens: 3 + 3 + 4 + 5 + 12, truncated: 0 });
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
    assert.equal(b.length, 5);
    assert.equal(b.hidden, 8);
    assert.equal(b.layers.length, 3);
    for (const l of b.layers) assert.equal(l.length, 2 * 5 * 8);
    assert.deepEqual(b.tokens, [["[CLS]", "water", "[SEP]"], ["[CLS]", "he", "##l", "##l", "##o", "world", "[SEP]"].slice(0, 0).concat(b.tokens[1])]);
    assert.deepEqual(b.tokens[0], ["[CLS]", "water", "[SEP]"]);
    assert.deepEqual(Array.from(b.attentionMask), [1, 1, 1, 0, 0, 1, 1, 1, 1, 1]);
    assert.deepEqual(Array.from(b.positionIds), [0, 1, 2, -1, -1, 0, 1, 2, 3, 4]);
    assert.deepEqual(Array.from(b.specialMask), [1, 0, 1, 1, 1, 1, 0, 0, 0, 1]);
    assert.deepEqual(Array.from(b.wordIds), [-1, 0, -1, -1, -1, -1, 0, 0, 1, -1]);
    assert.equal(b.inputIds[3], 0); // [PAD]
    assert.deepEqual(b.tokenCounts, [3, 5]);
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
    // sentences 0 (12 tokens) and 2 (6 tokens... exactly 6: not truncated); only 0 is cut
    const rows = batches.flatMap((b) => b.sentenceIndex.map((s, r) => [s, b.truncated[r], b.tokenCounts[r]] as const)).sort((x, y) => x[0] - y[0]);
    assert.deepEqual(rows, [[0, true, 6], [1, false, 3], [2, false, 6], [3, false, 5], [4, false, 3]]);
    await collect(enc.encode(["The people said hello again and again", "and again and again and again"], { batchSize: 1 }));
    assert.equal(enc.stats.truncated, 3);
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

test("static tensors of a torch.onnx.export folder whose initializers lost their names: a clear error", async () => {
  // the opset-14 torch export keeps LayerNorm names but folds the position table into a renamed constant or keeps it;
  // either way the call must succeed with the right shapes or throw naming the missing initializers
  const dir = path.join(FIXTURES, "onnx", "synth-bert-op14");
  const config = (await import("../../src/model/config.js")).readConfig(dir);
  try {
    const st = onnxStaticTensors(path.join(dir, "onnx", "model.onnx"), config);
    assert.equal(st.layerNorms.length, 2 * config.layers + 1);
    assert.equal(st.positionEmbeddings!.data.length, config.maxPositions * config.hidden);
  } catch (err) {
    assert.match((err as Error).message, /model\.onnx: initializers .* not found under their Hugging Face names; the export renamed them, so read the static tensors from the Hugging Face folder instead/);
  }
});
