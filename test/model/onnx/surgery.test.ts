import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as ort from "onnxruntime-node";
import { loadCheckpoint } from "../../../src/model/checkpoint.js";
import { buildOnnxModel } from "../../../src/model/onnx/build.js";
import {
  DataType, attributeProto, decodeModel, encodeModel, graphProto, nodeProto, tensorProto, valueInfo, type ModelProto,
} from "../../../src/model/onnx/proto.js";
import { exposeHiddenStates, findLayerNorms, refuseIfNotAnalysable } from "../../../src/model/onnx/surgery.js";
import { writeSyntheticCheckpoint } from "../synthCheckpoint.js";

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "surgery-test-"));
process.on("exit", () => fs.rmSync(tmp, { recursive: true, force: true }));
const ROOT = path.resolve(__dirname, "../../../..");

/** A SYNTHETIC BERT graph from the builder with its hidden_states outputs removed and its LayerNorm outputs renamed. */
function strippedBert(): { full: ModelProto; stripped: ModelProto } {
  const synth = writeSyntheticCheckpoint(path.join(tmp, "bert"), "bert", { seed: 11 });
  const ckpt = loadCheckpoint(synth.dir);
  const full = buildOnnxModel(ckpt);
  const stripped = decodeModel(encodeModel(buildOnnxModel(ckpt)));
  const g = stripped.graph!;
  g.output = g.output.filter((o) => o.name === "last_hidden_state");
  // rename hidden_states.k values so surgery must add Identity nodes, as on a real export
  const rename = (v: string) => (/^hidden_states\.\d+$/.test(v) ? `/ln/${v.split(".")[1]}/out` : v);
  for (const n of g.node) { n.input = n.input.map(rename); n.output = n.output.map(rename); }
  return { full, stripped };
}

const run = async (bytes: Uint8Array, length = 4) => {
  const session = await ort.InferenceSession.create(bytes, { intraOpNumThreads: 1 });
  try {
    const dims = [2, length];
    const ids = BigInt64Array.from({ length: 2 * length }, (_, i) => BigInt(2 + (i * 7) % 13));
    const mask = BigInt64Array.from({ length: 2 * length }, (_, i) => (i === 2 * length - 1 ? 0n : 1n));
    const feeds: Record<string, ort.Tensor> = { input_ids: new ort.Tensor("int64", ids, dims), attention_mask: new ort.Tensor("int64", mask, dims) };
    if (session.inputNames.includes("token_type_ids")) feeds.token_type_ids = new ort.Tensor("int64", new BigInt64Array(2 * length), dims);
    const out = await session.run(feeds);
    return { names: [...session.outputNames], out };
  } finally {
    await session.release();
  }
};

test("exposeHiddenStates re-exposes a stripped builder graph, with the original outputs (within 1e-5)", async () => {
  const { full, stripped } = strippedBert();
  const r = exposeHiddenStates(encodeModel(stripped), "model.onnx");
  assert.equal(r.layers, 2);
  assert.deepEqual(r.outputs, ["hidden_states.0", "hidden_states.1", "hidden_states.2", "last_hidden_state"]);
  const a = await run(encodeModel(full));
  const b = await run(r.model);
  // not bit-identical: onnxruntime fuses differently when intermediate values are graph outputs
  for (const name of r.outputs) {
    const x = a.out[name].data as Float32Array, y = b.out[name].data as Float32Array;
    assert.equal(y.length, x.length);
    const worst = x.reduce((m, v, i) => Math.max(m, Math.abs(v - y[i])), 0);
    assert.ok(worst <= 1e-5, `${name}: max |exposed - built| = ${worst}, tolerance 1e-5`);
  }
});

test("exposeHiddenStates is idempotent and checks the layer count from config", () => {
  const { stripped } = strippedBert();
  const once = exposeHiddenStates(encodeModel(stripped), "model.onnx", { layers: 2 });
  const twice = exposeHiddenStates(once.model, "model.onnx", { layers: 2 });
  assert.deepEqual(twice.outputs, once.outputs);
  assert.equal(decodeModel(twice.model).graph!.node.length, decodeModel(once.model).graph!.node.length);
  assert.throws(() => exposeHiddenStates(encodeModel(stripped), "model.onnx", { layers: 3 }),
    /model\.onnx: found 5 LayerNorms \(LayerNormalization, .*\), expected 2 x 3 \+ 1 = 7 \(config\.json layers 3\)/);
});

test("exposeHiddenStates refuses a graph without last_hidden_state", () => {
  const { stripped } = strippedBert();
  stripped.graph!.output[0].name = "logits";
  stripped.graph!.node.find((n) => n.output[0] === "last_hidden_state")!.output[0] = "logits";
  assert.throws(() => exposeHiddenStates(encodeModel(stripped), "dir/model.onnx"), /model\.onnx: no last_hidden_state output \(outputs: logits\); pass an encoder export/);
});

// ---- a hand-written graph with the decomposed LayerNorm pattern (opset 14, as torch exports it) ----

/** Decomposed LN nodes: ReduceMean -> Sub -> Pow -> ReduceMean -> Add -> Sqrt -> Div -> Mul -> Add. */
function decomposedLN(nodes: ReturnType<typeof nodeProto>[], x: string, id: string, out: string) {
  const axes = attributeProto({ name: "axes", type: 7, ints: [-1] });
  const n = (opType: string, input: string[], o: string, attrs = [] as ReturnType<typeof attributeProto>[]) =>
    nodes.push(nodeProto({ opType, name: `${id}/${opType}_${nodes.length}`, input, output: [o], attribute: attrs }));
  n("ReduceMean", [x], `${id}/mean`, [axes]);
  n("Sub", [x, `${id}/mean`], `${id}/centered`);
  n("Pow", [`${id}/centered`, "two"], `${id}/sq`);
  n("ReduceMean", [`${id}/sq`], `${id}/var`, [axes]);
  n("Add", [`${id}/var`, "eps"], `${id}/var_eps`);
  n("Sqrt", [`${id}/var_eps`], `${id}/std`);
  n("Div", [`${id}/centered`, `${id}/std`], `${id}/normed`);
  n("Mul", [`${id}/normed`, "gamma"], `${id}/scaled`);
  n("Add", [`${id}/scaled`, "beta"], out);
}

/**
 * SYNTHETIC one-block encoder, hidden 2: e = emb[ids]; h0 = LN(e); a = LN(h0 W + h0); h1 = LN(relu(a) + a).
 * With gamma = 1 and beta = 0, a 2-wide LayerNorm maps any [p, q] with p != q to +-[1, -1] (times
 * sqrt(1/(1+eps')) ~ 1), which gives exact expectations by hand.
 */
function decomposedModel(): Uint8Array {
  const nodes: ReturnType<typeof nodeProto>[] = [];
  const f32 = (name: string, dims: number[], v: number[]) => tensorProto({ name, dims, dataType: DataType.FLOAT, rawData: new Uint8Array(Float32Array.from(v).buffer) });
  nodes.push(nodeProto({ opType: "Gather", name: "emb", input: ["emb", "input_ids"], output: ["e"] }));
  decomposedLN(nodes, "e", "ln0", "h0");
  nodes.push(nodeProto({ opType: "MatMul", name: "mm", input: ["h0", "W"], output: ["hw"] }));
  nodes.push(nodeProto({ opType: "Add", name: "res1", input: ["hw", "h0"], output: ["r1"] }));
  decomposedLN(nodes, "r1", "ln1", "a");
  nodes.push(nodeProto({ opType: "Relu", name: "relu", input: ["a"], output: ["ra"] }));
  nodes.push(nodeProto({ opType: "Add", name: "res2", input: ["ra", "a"], output: ["r2"] }));
  decomposedLN(nodes, "r2", "ln2", "last_hidden_state");
  const graph = graphProto({
    name: "decomposed",
    node: nodes,
    // emb rows: id 0 -> [0, 1], id 1 -> [3, 1], id 2 -> [2, 2] (p == q: normalises to [0, 0])
    initializer: [f32("emb", [3, 2], [0, 1, 3, 1, 2, 2]), f32("W", [2, 2], [1, 0, 0, 1]), f32("two", [], [2]), f32("eps", [], [1e-12]), f32("gamma", [2], [1, 1]), f32("beta", [2], [0, 0])],
    input: [valueInfo("input_ids", DataType.INT64, ["batch", "sequence"]), valueInfo("attention_mask", DataType.INT64, ["batch", "sequence"])],
    output: [valueInfo("last_hidden_state", DataType.FLOAT, ["batch", "sequence", 2])],
  });
  return encodeModel({ irVersion: 8, opsetImport: [{ domain: "", version: 14 }], metadataProps: [], graph });
}

test("findLayerNorms recognises the decomposed ReduceMean ... Mul -> Add pattern", () => {
  const norms = findLayerNorms(decodeModel(decomposedModel()).graph!, "model.onnx");
  assert.deepEqual(norms.map((n) => [n.kind, n.output]), [["decomposed", "h0"], ["decomposed", "a"], ["decomposed", "last_hidden_state"]]);
});

test("exposeHiddenStates on a decomposed-LN graph gives the hand-computed hidden states", async () => {
  const r = exposeHiddenStates(decomposedModel(), "model.onnx");
  assert.equal(r.layers, 1);
  const session = await ort.InferenceSession.create(r.model, { intraOpNumThreads: 1 });
  try {
    const out = await session.run({
      input_ids: new ort.Tensor("int64", BigInt64Array.from([0n, 1n, 2n]), [1, 3]),
      attention_mask: new ort.Tensor("int64", BigInt64Array.from([1n, 1n, 1n]), [1, 3]),
    });
    // h0: [0,1] -> [-1, 1]; [3,1] -> [1, -1]; [2,2] -> [0, 0]
    // a = LN(2 h0) = h0; h1 = LN(relu(a) + a): [-1, 1] -> [-1, 2] -> [-1, 1]; [1,-1] -> [2,-1] -> [1,-1]; [0,0] -> [0,0]
    const close = (t: ort.Tensor, want: number[]) => (t.data as Float32Array).forEach((v, i) => assert.ok(Math.abs(v - want[i]) < 1e-5, `${v} vs ${want[i]}`));
    close(out["hidden_states.0"], [-1, 1, 1, -1, 0, 0]);
    close(out["hidden_states.1"], [-1, 1, 1, -1, 0, 0]);
    assert.deepEqual(out["hidden_states.1"].data, out.last_hidden_state.data);
  } finally {
    await session.release();
  }
});

test("refuseIfNotAnalysable refuses quantized and fp16 exports by name", () => {
  for (const f of ["model_quantized.onnx", "model_q8.onnx", "model_int8.onnx", "model_uint8.onnx", "model_q4.onnx", "model_bnb4.onnx"]) {
    assert.throws(() => refuseIfNotAnalysable(`onnx/${f}`), /quantized export; q8 exports quantize the embedding tables, position embeddings included, which changes the very values under study; export float32 with `artefacts export`/, f);
  }
  assert.throws(() => refuseIfNotAnalysable("onnx/model_fp16.onnx"), /model_fp16\.onnx: the file name marks a float16 export; float16 weights round the position embeddings/);
  refuseIfNotAnalysable("onnx/model.onnx");
});

test("refuseIfNotAnalysable refuses quantization nodes, int8 and float16 initializers", () => {
  const model = (node: string | null, dataType: number) => encodeModel({
    irVersion: 8, opsetImport: [{ domain: "", version: 17 }], metadataProps: [],
    graph: graphProto({
      node: node ? [nodeProto({ opType: node, name: "q", input: ["w"], output: ["y"] })] : [],
      initializer: [tensorProto({ name: "w", dims: [1], dataType, rawData: new Uint8Array(dataType === DataType.FLOAT ? 4 : dataType === DataType.FLOAT16 ? 2 : 1) })],
    }),
  });
  assert.throws(() => refuseIfNotAnalysable("model.onnx", model("DequantizeLinear", DataType.FLOAT)), /model\.onnx: node "q" is DequantizeLinear, so the model is quantized; q8 exports/);
  assert.throws(() => refuseIfNotAnalysable("model.onnx", model(null, DataType.INT8)), /initializer "w" is int8, so the model is quantized/);
  assert.throws(() => refuseIfNotAnalysable("model.onnx", model(null, DataType.UINT8)), /initializer "w" is uint8/);
  assert.throws(() => refuseIfNotAnalysable("model.onnx", model(null, DataType.FLOAT16)), /initializer "w" is float16; float16 weights round/);
  refuseIfNotAnalysable("model.onnx", model("Identity", DataType.FLOAT));
});

// ---- real torch.onnx exports of SYNTHETIC models (tools/reference/export_onnx.py), compared with PyTorch ----
const fixtures = [
  ["synth-bert-op14", "synth-bert", 2],
  ["synth-bert-op17", "synth-bert", 2],
  ["synth-distilbert-op17", "synth-distilbert", 2],
] as const;
for (const [folder, ref, layers] of fixtures) {
  const file = path.join(ROOT, "test/fixtures/onnx", folder, "onnx/model.onnx");
  const refJson = path.join(ROOT, "test/fixtures/reference", `${ref}.json`);
  test(`exposeHiddenStates on the torch export ${folder} matches PyTorch's hidden states`, { skip: !(fs.existsSync(file) && fs.existsSync(refJson)) && "fixture not present" }, async () => {
    const bytes = fs.readFileSync(file);
    refuseIfNotAnalysable(file, bytes);
    const r = exposeHiddenStates(bytes, file, { layers });
    assert.deepEqual(r.outputs.filter((o) => o.startsWith("hidden_states.")), Array.from({ length: layers + 1 }, (_, k) => `hidden_states.${k}`));
    const refData = JSON.parse(fs.readFileSync(refJson, "utf8"));
    const raw = fs.readFileSync(path.join(ROOT, "test/fixtures/reference", refData.data.file));
    const golden = new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.length));
    const { input_ids: ids, attention_mask: mask } = refData.batch as { input_ids: number[][]; attention_mask: number[][] };
    const session = await ort.InferenceSession.create(r.model, { intraOpNumThreads: 1 });
    try {
      const dims = [ids.length, ids[0].length];
      const t = (rows: number[][]) => new ort.Tensor("int64", BigInt64Array.from(rows.flat().map(BigInt)), dims);
      const feeds: Record<string, ort.Tensor> = { input_ids: t(ids), attention_mask: t(mask) };
      if (session.inputNames.includes("token_type_ids")) feeds.token_type_ids = t(ids.map((row) => row.map(() => 0)));
      const out = await session.run(feeds);
      const H = refData.hidden as number, length = ids[0].length, tokens = mask.flat().reduce((a, b) => a + b, 0);
      for (let l = 0; l <= layers; ++l) {
        const data = out[`hidden_states.${l}`].data as Float32Array;
        let worst = 0, k = 0;
        for (let b = 0; b < ids.length; ++b) for (let i = 0; i < length; ++i) {
          if (!mask[b][i]) continue;
          for (let d = 0; d < H; ++d) worst = Math.max(worst, Math.abs(data[(b * length + i) * H + d] - golden[(l * tokens + k) * H + d]));
          k++;
        }
        assert.ok(worst <= 1e-4, `${folder} hidden_states.${l}: max |onnx - torch| = ${worst}, tolerance 1e-4`);
      }
    } finally {
      await session.release();
    }
  });
}

test("exposeHiddenStates recognises onnxruntime's fused EmbedLayerNormalization and SkipLayerNormalization", async () => {
  // SYNTHETIC fused graph, hidden 2: h0 = EmbedLN(ids); h_a = SkipLN(h0 W, h0); h1 = SkipLN(h_a, h_a)
  const f32 = (name: string, dims: number[], v: number[]) => tensorProto({ name, dims, dataType: DataType.FLOAT, rawData: new Uint8Array(Float32Array.from(v).buffer) });
  const ms = "com.microsoft";
  const eps = attributeProto({ name: "epsilon", type: 1, f: 1e-12 });
  const graph = graphProto({
    node: [
      nodeProto({ opType: "Cast", name: "c", input: ["input_ids"], output: ["ids32"], attribute: [attributeProto({ name: "to", type: 2, i: DataType.INT32 })] }),
      nodeProto({ opType: "EmbedLayerNormalization", domain: ms, name: "emb", input: ["ids32", "", "word", "pos", "", "gamma", "beta"], output: ["h0", "mask_index"], attribute: [eps] }),
      nodeProto({ opType: "MatMul", name: "mm", input: ["h0", "W"], output: ["hw"] }),
      nodeProto({ opType: "SkipLayerNormalization", domain: ms, name: "sln1", input: ["hw", "h0", "gamma", "beta"], output: ["ha"], attribute: [eps] }),
      nodeProto({ opType: "SkipLayerNormalization", domain: ms, name: "sln2", input: ["ha", "ha", "gamma", "beta"], output: ["last_hidden_state"], attribute: [eps] }),
    ],
    // word rows: 0 -> [0, 1], 1 -> [3, 1]; positions zero; W swaps the two dims
    initializer: [f32("word", [2, 2], [0, 1, 3, 1]), f32("pos", [4, 2], [0, 0, 0, 0, 0, 0, 0, 0]), f32("gamma", [2], [1, 1]), f32("beta", [2], [0, 0]), f32("W", [2, 2], [0, 1, 1, 0])],
    input: [valueInfo("input_ids", DataType.INT64, ["batch", "sequence"]), valueInfo("attention_mask", DataType.INT64, ["batch", "sequence"])],
    output: [valueInfo("last_hidden_state", DataType.FLOAT, ["batch", "sequence", 2])],
  });
  const bytes = encodeModel({ irVersion: 8, opsetImport: [{ domain: "", version: 17 }, { domain: ms, version: 1 }], metadataProps: [], graph });
  assert.deepEqual(findLayerNorms(decodeModel(bytes).graph!, "m").map((n) => n.kind), ["EmbedLayerNormalization", "SkipLayerNormalization", "SkipLayerNormalization"]);
  const r = exposeHiddenStates(bytes, "model.onnx");
  assert.equal(r.layers, 1);
  const session = await ort.InferenceSession.create(r.model, { intraOpNumThreads: 1 });
  try {
    const out = await session.run({
      input_ids: new ort.Tensor("int64", BigInt64Array.from([0n, 1n]), [1, 2]),
      attention_mask: new ort.Tensor("int64", BigInt64Array.from([1n, 1n]), [1, 2]),
    });
    // h0: [0,1] -> [-1,1]; [3,1] -> [1,-1]. ha = LN(swap(h0) + h0) = LN([0,0]) = [0,0]; h1 = LN(0) = [0,0]
    const h0 = out["hidden_states.0"].data as Float32Array;
    [-1, 1, 1, -1].forEach((v, i) => assert.ok(Math.abs(h0[i] - v) < 1e-5, `hidden_states.0[${i}] = ${h0[i]}, expected ${v}`));
    assert.deepEqual(out["hidden_states.0"].dims, [1, 2, 2]);
    assert.deepEqual(out["hidden_states.1"].data, out.last_hidden_state.data);
  } finally {
    await session.release();
  }
});
