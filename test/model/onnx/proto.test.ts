import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { decodeModel, encodeModel, graphProto, nodeProto, attributeProto, tensorProto, valueInfo, type ModelProto } from "../../../src/model/onnx/proto.js";

const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");

test("encodeModel writes the protobuf wire bytes computed by hand", () => {
  // ir_version (field 1, varint) = 8 -> 08 08; opset_import (field 8, bytes) {domain "" (0a 00), version 17 (10 11)} -> 42 04 0a 00 10 11
  const bytes = encodeModel({ irVersion: 8, opsetImport: [{ domain: "", version: 17 }], metadataProps: [] });
  assert.equal(hex(bytes), "0808" + "4204" + "0a00" + "1011");
});

test("encodeModel writes 300 as a two-byte varint and -1 as ten bytes", () => {
  // 300 = 0b10_0101100 -> ac 02; int64 -1 -> ff x9 01
  assert.equal(hex(encodeModel({ irVersion: 300, opsetImport: [], metadataProps: [] })), "08ac02");
  assert.equal(hex(encodeModel({ irVersion: -1, opsetImport: [], metadataProps: [] })), "08ffffffffffffffffff01");
});

const sample = (): ModelProto => ({
  irVersion: 8,
  producerName: "test",
  opsetImport: [{ domain: "", version: 17 }, { domain: "com.microsoft", version: 1 }],
  metadataProps: [{ key: "k", value: "v" }],
  graph: graphProto({
    name: "g",
    node: [nodeProto({
      opType: "Slice", name: "s", input: ["x", "starts", "ends"], output: ["y"],
      attribute: [
        attributeProto({ name: "big", type: 7, ints: [9223372036854775807n, -9223372036854775808n, -1, 0, 2 ** 40] }),
        attributeProto({ name: "eps", type: 1, f: 1e-12 }),
        attributeProto({ name: "mode", type: 3, s: new TextEncoder().encode("constant") }),
      ],
    })],
    initializer: [tensorProto({ name: "w", dims: [2], dataType: 1, rawData: new Uint8Array(new Float32Array([1.5, -2]).buffer) })],
    input: [valueInfo("x", 1, ["batch", 3])],
    output: [valueInfo("y", 1, ["batch", 3])],
  }),
});

test("decodeModel(encodeModel(m)) reproduces every modelled field, int64 extremes included", () => {
  const m = sample();
  const bytes = encodeModel(m);
  const back = decodeModel(bytes);
  const attrs = back.graph!.node[0].attribute;
  assert.deepEqual(attrs[0].ints, [9223372036854775807n, -9223372036854775808n, -1, 0, 2 ** 40]);
  assert.equal(attrs[1].f, Math.fround(1e-12));
  assert.equal(new TextDecoder().decode(attrs[2].s), "constant");
  assert.deepEqual(Array.from(new Float32Array(back.graph!.initializer[0].rawData!.slice().buffer)), [1.5, -2]);
  assert.deepEqual(back.graph!.input[0].type!.tensorType!.shape!.dim, [{ dimParam: "batch" }, { dimValue: 3 }]);
  assert.deepEqual(back.metadataProps, [{ key: "k", value: "v" }]);
  assert.equal(hex(encodeModel(back)), hex(bytes));
});

test("decodeModel keeps fields it does not model and encodeModel writes them back", () => {
  // append to the ModelProto: field 20 (training_info, bytes) "ab", field 99 varint 5, field 98 fixed64, field 97 fixed32
  const extra = Uint8Array.from([0xa2, 0x01, 0x02, 0x61, 0x62, 0x98, 0x06, 0x05, 0x91, 0x06, 1, 2, 3, 4, 5, 6, 7, 8, 0x8d, 0x06, 9, 9, 9, 9]);
  const base = encodeModel(sample());
  const withExtra = new Uint8Array(base.length + extra.length);
  withExtra.set(base);
  withExtra.set(extra, base.length);
  const back = decodeModel(withExtra);
  assert.equal(back.$unknown!.length, 4);
  assert.equal(hex(encodeModel(back)), hex(withExtra));
});

test("decodeModel accepts packed and unpacked repeated int64 (proto2 and proto3 writers)", () => {
  // TensorProto dims field 1: packed form 0a 02 03 04 (dims [3, 4]) inside graph.initializer (field 5) inside model.graph (field 7)
  const tensor = Uint8Array.from([0x0a, 0x02, 0x03, 0x04, 0x10, 0x01]);
  const graph = Uint8Array.from([0x2a, tensor.length, ...tensor]);
  const model = Uint8Array.from([0x3a, graph.length, ...graph]);
  const t = decodeModel(model).graph!.initializer[0];
  assert.deepEqual(t.dims, [3, 4]);
  assert.equal(t.dataType, 1);
});

test("decodeModel names the file and byte on a truncated message", () => {
  const bytes = encodeModel(sample());
  assert.throws(() => decodeModel(bytes.subarray(0, bytes.length - 3), "bad.onnx"), /bad\.onnx: .* at byte \d+; the ONNX file is corrupt or not an ONNX model/);
});

const TORCH_EXPORT = path.resolve(__dirname, "../../../../test/fixtures/onnx/synth-bert-op14/onnx/model.onnx");
test("decodeModel/encodeModel round-trip a real torch.onnx export to the same model", { skip: !fs.existsSync(TORCH_EXPORT) && "fixture not present" }, () => {
  const file = TORCH_EXPORT;
  const bytes = new Uint8Array(fs.readFileSync(file));
  const first = decodeModel(bytes, file);
  const again = encodeModel(first);
  // same length: every field is written back (order of fields may differ from torch's writer, content may not)
  assert.equal(again.length, bytes.length);
  assert.deepEqual(decodeModel(again, file), first);
  assert.equal(hex(encodeModel(decodeModel(again))), hex(again));
});
