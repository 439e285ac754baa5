/**
 * Graph edits (interventions): value * keep + fill on activations and on weight initializers, fed as
 * inputs through MaskedLm on the SYNTHETIC BertForMaskedLM head fixture (test/fixtures/heads/bert).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { exportOnnx } from "../../../src/model/export.js";
import { ablationVectors, applyGraphEdits } from "../../../src/model/onnx/edits.js";
import { graphProto, nodeProto, tensorProto, DataType } from "../../../src/model/onnx/proto.js";
import { MaskedLm } from "../../../src/model/mlm.js";
import { readSafetensors } from "../../../src/model/safetensors.js";
import { createEncoder } from "../../../src/model/encoder.js";
import type { EncodedBatch } from "../../../src/model/types.js";

const BERT = path.join(__dirname, "..", "..", "..", "..", "test", "fixtures", "heads", "bert");
const ids = (lm: MaskedLm) => [Int32Array.from(lm.tokenize("Hello world.").ids), Int32Array.from(lm.tokenize("The wind came from the north.").ids)];
const all = (rows: Int32Array[]) => rows.map((r) => Array.from(r, (_, t) => t));

test("ablationVectors keeps every dim but the ablated ones, which take the fill value", () => {
  assert.deepEqual(ablationVectors(4, [1, 3], 0.5), { keep: Float32Array.of(1, 0, 1, 0), fill: Float32Array.of(0, 0.5, 0, 0.5) });
  assert.deepEqual(ablationVectors(3, [2], [7, 8, 9]), { keep: Float32Array.of(1, 1, 0), fill: Float32Array.of(0, 0, 9) });
  assert.throws(() => ablationVectors(4, [4]), /invalid dim: 4; expected an integer in \[0, 3\]/);
});

test("an edit point left at keep 1, fill 0 changes nothing; zeroing dims zeroes them in the edited value", async () => {
  const plain = await MaskedLm.open(BERT, { threads: 1 });
  const edited = await MaskedLm.open(BERT, { threads: 1, editPoints: ["hidden_states.1"] });
  try {
    const rows = ids(plain);
    const a = await plain.run({ ids: rows, positions: all(rows) });
    const b = await edited.run({ ids: rows, positions: all(rows) });
    assert.deepEqual(b.logits, a.logits);
    const H = plain.config.hidden;
    const z = await edited.run({ ids: rows, positions: all(rows) }, new Map([["hidden_states.1", ablationVectors(H, [3, 7])]]), ["hidden_states.1", "hidden_states.2"]);
    const h1 = z.outputs["hidden_states.1"].data;
    for (let r = 0; r < h1.length / H; ++r) assert.ok(h1[r * H + 3] === 0 && h1[r * H + 7] === 0);
    // the next block reads the edited value, so the logits move
    assert.ok(z.logits.some((v, i) => Math.abs(v - a.logits[i]) > 1e-3));
  } finally {
    await plain.dispose();
    await edited.dispose();
  }
});

test("a weight edit on the embedding LayerNorm gain leaves that dim of hidden_states.0 at the norm's bias", async () => {
  const lm = await MaskedLm.open(BERT, { threads: 1, editPoints: ["embeddings.LayerNorm.weight"] });
  try {
    const H = lm.config.hidden;
    const beta = readSafetensors(path.join(BERT, "model.safetensors"), { only: (k) => k === "bert.embeddings.LayerNorm.bias" }).tensors.get("bert.embeddings.LayerNorm.bias")!.data;
    const rows = ids(lm);
    const out = await lm.run({ ids: rows, positions: [[0], [0]] }, new Map([["embeddings.LayerNorm.weight", ablationVectors(H, [5])]]), ["hidden_states.0"]);
    const h0 = out.outputs["hidden_states.0"].data;
    // gamma[5] = 0: LayerNorm's output at dim 5 is 0 * normalised + beta[5] for every token, padding included
    for (let r = 0; r < h0.length / H; ++r) assert.equal(h0[r * H + 5], beta[5]);
    await assert.rejects(lm.run({ ids: rows, positions: [[0], [0]] }, new Map([["hidden_states.1", ablationVectors(H, [5])]])), /hidden_states\.1 is not an edit point of this graph \(edit points: embeddings\.LayerNorm\.weight\)/);
  } finally {
    await lm.dispose();
  }
});

test("MaskedLm refuses an unknown edit point, listing what is valid", async () => {
  await assert.rejects(MaskedLm.open(BERT, { editPoints: ["hidden_states.9"] }), /invalid edit point: "hidden_states\.9"; expected hidden_states\.0\.\.hidden_states\.2, a token site such as attn_resid\.1 \(src\/model\/sites\.ts\) or the canonical name of a loaded weight/);
});

test("applyGraphEdits refuses a missing target, an output nothing reads and a width mismatch", () => {
  const graph = () => {
    const g = graphProto({ name: "g" });
    g.initializer.push(tensorProto({ name: "w", dims: [2, 3], dataType: DataType.FLOAT, rawData: new Uint8Array(24) }));
    g.node.push(nodeProto({ opType: "Relu", input: ["x"], output: ["a"] }), nodeProto({ opType: "Identity", input: ["a"], output: ["b"] }), nodeProto({ opType: "Relu", input: ["a"], output: ["c"] }));
    return g;
  };
  assert.throws(() => applyGraphEdits(graph(), [{ target: "d", width: 3 }]), /d is neither a node output nor an initializer/);
  assert.throws(() => applyGraphEdits(graph(), [{ target: "c", width: 3 }]), /no node of the graph reads c/);
  assert.throws(() => applyGraphEdits(graph(), [{ target: "w", width: 2 }]), /last axis has 3 values; expected 2/);
  assert.throws(() => applyGraphEdits(graph(), [{ target: "a", width: 3 }, { target: "a", width: 3 }]), /a is edited twice/);
  const g = graph();
  applyGraphEdits(g, [{ target: "a", width: 3, keep: Float32Array.of(1, 0, 1), fill: new Float32Array(3) }]);
  // the edit sits between the producer and the reader, under the producer's old name
  assert.deepEqual(g.node.map((n) => `${n.opType}:${n.input.join(",")}->${n.output.join(",")}`), [
    "Relu:x->a.unedited", "Mul:a.unedited,edit.a.keep->a.kept", "Add:a.kept,edit.a.fill->a", "Identity:a->b", "Relu:a->c",
  ]);
  // b is a side output (an Identity nothing reads): the edit goes on a, which c reads too, with inputs named after b
  const h = graph();
  applyGraphEdits(h, [{ target: "b", width: 3 }]);
  assert.deepEqual(h.node.map((n) => `${n.opType}:${n.input.join(",")}->${n.output.join(",")}`), [
    "Relu:x->a.unedited", "Mul:a.unedited,edit.b.keep->a.kept", "Add:a.kept,edit.b.fill->a", "Identity:a->b", "Relu:a->c",
  ]);
  assert.ok(fs.existsSync(BERT));
});

test("a site edit point (attn_resid, ffn_act) is edited where the graph reads it, with the site's width", async () => {
  const lm = await MaskedLm.open(BERT, { threads: 1, editPoints: ["attn_resid.2", "ffn_act.1"] });
  const plain = await MaskedLm.open(BERT, { threads: 1 });
  try {
    assert.deepEqual([...lm.editPoints], [["attn_resid.2", 32], ["ffn_act.1", 64]]);
    const rows = ids(lm);
    const out = await lm.run({ ids: rows, positions: all(rows) }, new Map([["ffn_act.1", ablationVectors(64, [60, 63])]]), ["ffn_act.1"]);
    const act = out.outputs["ffn_act.1"].data;
    for (let r = 0; r < act.length / 64; ++r) assert.ok(act[r * 64 + 60] === 0 && act[r * 64 + 63] === 0);
    const a = await plain.run({ ids: rows, positions: all(rows) });
    assert.ok(out.logits.some((v, i) => Math.abs(v - a.logits[i]) > 1e-4));
    // unedited (keep 1, fill 0) it is the plain model up to float rounding (onnxruntime fuses the two graphs differently)
    const u = (await lm.run({ ids: rows, positions: all(rows) })).logits;
    assert.ok(u.every((v, i) => Math.abs(v - a.logits[i]) < 1e-4));
  } finally {
    await lm.dispose();
    await plain.dispose();
  }
});

test("createEncoder applies constant edits: later layers see them, the unedited encoder does not", async () => {
  const H = 32;
  const { keep, fill } = ablationVectors(H, [4], 2.5);
  const edited = await createEncoder(BERT, { threads: 1, edits: [{ target: "hidden_states.1", width: H, keep, fill }] });
  const plain = await createEncoder(BERT, { threads: 1 });
  try {
    const sentences = ["Hello world.", "The wind came from the north."];
    const e = await collect(edited.encode(sentences));
    const p = await collect(plain.encode(sentences));
    for (let r = 0; r < e.layers[1].length / H; ++r) assert.equal(e.layers[1][r * H + 4], 2.5);
    assert.deepEqual(e.layers[0], p.layers[0]);
    assert.ok(e.layers[2].some((v, i) => Math.abs(v - p.layers[2][i]) > 1e-4));
  } finally {
    await edited.dispose();
    await plain.dispose();
  }
});

test("createEncoder refuses an edit without constant keep/fill vectors", async () => {
  await assert.rejects(createEncoder(BERT, { edits: [{ target: "hidden_states.1", width: 32 }] }), /edits: edit of hidden_states\.1 has no keep\/fill vectors; an encoder's edits must be constants/);
});

test("an exported ONNX folder takes the same edits: its hidden_states.K output is a copy, so the value it copies is edited", async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pa-edit-onnx-"));
  try {
    await exportOnnx(BERT, path.join(dir, "onnx"));
    const edit = { target: "hidden_states.1", width: 32, ...ablationVectors(32, [4], 2.5) };
    const fromOnnx = await collect(await encodeWith(path.join(dir, "onnx"), edit));
    const fromHf = await collect(await encodeWith(BERT, edit));
    for (let r = 0; r < fromOnnx.layers[1].length / 32; ++r) assert.equal(fromOnnx.layers[1][r * 32 + 4], 2.5);
    assert.ok(fromOnnx.layers[2].every((v, i) => Math.abs(v - fromHf.layers[2][i]) < 1e-4));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

async function encodeWith(model: string, edit: { target: string; width: number; keep: Float32Array; fill: Float32Array }): Promise<AsyncIterable<EncodedBatch>> {
  const e = await createEncoder(model, { threads: 1, edits: [edit] });
  return (async function* () {
    try {
      yield* e.encode(["Hello world.", "The wind came from the north."]);
    } finally {
      await e.dispose();
    }
  })();
}

async function collect(it: AsyncIterable<EncodedBatch>): Promise<EncodedBatch> {
  for await (const b of it) return { ...b, layers: b.layers.map((l) => l.slice()) };
  throw new Error("no batch");
}
