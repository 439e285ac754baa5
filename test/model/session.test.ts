/**
 * EncoderSession on real onnxruntime-node with graphs built from SYNTHETIC checkpoints (seeded random
 * weights, not trained) and a torch.onnx.export fixture that lacks hidden_states outputs.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { EncoderSession, encoderOutputs, resolveThreads } from "../../src/model/session.js";
import { loadCheckpoint } from "../../src/model/checkpoint.js";
import { buildOnnx } from "../../src/model/onnx/build.js";
import { synthesize } from "../../src/model/synth.js";

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "pa-session-test-"));
process.on("exit", () => fs.rmSync(tmp, { recursive: true, force: true }));
const FIXTURES = path.join(__dirname, "..", "..", "..", "test", "fixtures");

const graphs = new Map<string, Uint8Array>();
/** The ONNX bytes of a tiny SYNTHETIC checkpoint (2 layers x 8 hidden), built once per family. */
async function graph(arch: "bert" | "roberta"): Promise<Uint8Array> {
  if (!graphs.has(arch)) {
    const dir = await synthesize({ arch, layers: 2, hidden: 8, heads: 2, seed: 3, positions: 16, out: path.join(tmp, arch) });
    graphs.set(arch, buildOnnx(loadCheckpoint(dir)));
  }
  return graphs.get(arch)!;
}

test("EncoderSession.open reads the layer count and inputs; run returns L + 1 float32 [batch x length x hidden] arrays", async () => {
  const s = await EncoderSession.open(await graph("bert"), { threads: 1 });
  try {
    assert.equal(s.layers, 2);
    assert.equal(s.threads, 1);
    assert.equal(s.file, "<in-memory model>");
    assert.deepEqual([...s.inputNames].sort(), ["attention_mask", "input_ids", "token_type_ids"]);
    const ids = BigInt64Array.from([2n, 10n, 11n, 3n, 2n, 12n, 3n, 0n]);
    const mask = BigInt64Array.from([1n, 1n, 1n, 1n, 1n, 1n, 1n, 0n]);
    const out = await s.run(ids, mask, 2, 4);
    assert.equal(out.length, 3);
    for (const a of out) {
      assert.ok(a instanceof Float32Array);
      assert.equal(a.length, 2 * 4 * 8);
    }
    // a LayerNorm output has mean beta-ish and unit-ish scale: finite, not all zero
    assert.ok(out[2].every(Number.isFinite));
    assert.ok(out[0].some((x) => x !== 0));
  } finally {
    await s.dispose();
  }
});

test("EncoderSession runs a RoBERTa graph, which declares no token_type_ids", async () => {
  const s = await EncoderSession.open(await graph("roberta"), { threads: 1 });
  try {
    assert.deepEqual([...s.inputNames].sort(), ["attention_mask", "input_ids"]);
    const out = await s.run(BigInt64Array.from([0n, 300n, 2n]), BigInt64Array.from([1n, 1n, 1n]), 1, 3);
    assert.equal(out.length, 3);
    assert.equal(out[1].length, 3 * 8);
  } finally {
    await s.dispose();
  }
});

test("EncoderSession.open refuses a graph without hidden_states outputs and points to artefacts export", async () => {
  const file = path.join(FIXTURES, "onnx", "synth-bert-op14", "onnx", "model.onnx");
  await assert.rejects(EncoderSession.open(file, { threads: 1 }), (err: Error) => {
    assert.match(err.message, /model\.onnx: no hidden_states\.N outputs \(found last_hidden_state\); export the checkpoint with `artefacts export`/);
    return true;
  });
  await assert.rejects(EncoderSession.open(path.join(tmp, "missing.onnx")), /missing\.onnx: onnxruntime cannot load the graph .*; re-export it with `artefacts export`/);
});

test("EncoderSession.run checks input sizes and rethrows onnxruntime failures with the inputs and the cause", async () => {
  const s = await EncoderSession.open(await graph("bert"), { threads: 1 });
  try {
    await assert.rejects(s.run(new BigInt64Array(3), new BigInt64Array(4), 2, 2), /input_ids has 3 and attention_mask 4 values; expected batch 2 x length 2 = 4/);
    // id 99999 is outside the vocabulary: the Gather fails inside onnxruntime
    await assert.rejects(s.run(BigInt64Array.from([2n, 99999n]), BigInt64Array.from([1n, 1n]), 1, 2), (err: Error) => {
      assert.match(err.message, /onnxruntime run failed with inputs input_ids int64 \[1, 2\], attention_mask int64 \[1, 2\], token_type_ids int64 \[1, 2\]/);
      assert.ok(err.cause instanceof Error);
      return true;
    });
  } finally {
    await s.dispose();
  }
});

test("encoderOutputs checks every output a run returns: type, the hidden states' dims, each extra output's dims", () => {
  const f32 = (dims: number[]) => ({ type: "float32", dims, data: new Float32Array(dims.reduce((a, b) => a * b, 1)) });
  const good = { "hidden_states.0": f32([2, 3, 4]), "hidden_states.1": f32([2, 3, 4]), "probs.0": f32([2, 5, 3, 3]) };
  const extra = [{ name: "probs.0", dims: [-1, 5, -2, -2] }];
  const ok = encoderOutputs("g.onnx", good, { batch: 2, length: 3, layers: 1 }, extra);
  assert.deepEqual([ok.layers.length, ok.layers[1].length, ok.extra[0].length], [2, 24, 90]);
  assert.equal(ok.layers[0], good["hidden_states.0"].data, "the outputs' own buffers");
  assert.throws(() => encoderOutputs("g.onnx", { ...good, "hidden_states.1": { ...f32([2, 3, 4]), type: "float16" } }, { batch: 2, length: 3, layers: 1 }, extra), /^Error: g\.onnx: hidden_states\.1 is float16; expected float32, re-export with `artefacts export`/);
  assert.throws(() => encoderOutputs("g.onnx", { ...good, "hidden_states.1": f32([2, 3, 5]) }, { batch: 2, length: 3, layers: 1 }, extra), /^Error: g\.onnx: hidden_states\.1 has dims \[2, 3, 5\]; expected \[2, 3, 4\]$/);
  assert.throws(() => encoderOutputs("g.onnx", good, { batch: 2, length: 3, layers: 1, hidden: 8 }, extra), /hidden_states\.0 has dims \[2, 3, 4\]; expected \[2, 3, 8\]$/);
  assert.throws(() => encoderOutputs("g.onnx", { ...good, "probs.0": f32([2, 5, 3, 4]) }, { batch: 2, length: 3, layers: 1 }, extra), /^Error: g\.onnx: output probs\.0 is float32 \[2, 5, 3, 4\]; expected float32 \[2, 5, 3, 3\]$/);
});

test("resolveThreads takes the option, then PA_THREADS, then the core count", () => {
  const saved = process.env.PA_THREADS;
  try {
    const cores = os.availableParallelism();
    assert.equal(resolveThreads(1), 1);
    process.env.PA_THREADS = "1";
    assert.equal(resolveThreads(), 1);
    assert.equal(resolveThreads(cores), cores);
    // above the core count: capped (with one warning on stderr)
    assert.equal(resolveThreads(cores + 3), cores);
    process.env.PA_THREADS = String(cores + 1);
    assert.equal(resolveThreads(), cores);
    process.env.PA_THREADS = "many";
    assert.throws(() => resolveThreads(), /PA_THREADS: "many" is not an integer >= 1/);
    delete process.env.PA_THREADS;
    assert.equal(resolveThreads(), os.availableParallelism());
    assert.throws(() => resolveThreads(0), /invalid threads: 0/);
  } finally {
    if (saved === undefined) delete process.env.PA_THREADS;
    else process.env.PA_THREADS = saved;
  }
});
