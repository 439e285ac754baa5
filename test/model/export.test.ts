import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as ort from "onnxruntime-node";
import { detectSource, exportOnnx, inspectSource, MANIFEST } from "../../src/model/export.js";
import { writeSyntheticCheckpoint } from "./synthCheckpoint.js";

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "export-test-"));
process.on("exit", () => fs.rmSync(tmp, { recursive: true, force: true }));
const ROOT = path.resolve(__dirname, "../../..");
const listing = (dir: string) => fs.readdirSync(dir).sort();

test("exportOnnx(hf-folder) writes onnx/model.onnx, copies config and tokenizer files, and a manifest", async () => {
  const s = writeSyntheticCheckpoint(path.join(tmp, "src-bert"), "bert", { seed: 1 });
  fs.writeFileSync(path.join(s.dir, "vocab.txt"), "[PAD]\n[UNK]\n");
  const progress: string[] = [];
  const out = path.join(tmp, "out-bert");
  const r = await exportOnnx(s.dir, out, { onProgress: (m) => progress.push(m) });
  assert.deepEqual(r, { dir: out, outputs: ["hidden_states.0", "hidden_states.1", "hidden_states.2", "last_hidden_state"], layers: 2 });
  assert.deepEqual(listing(out), ["config.json", "onnx", MANIFEST, "vocab.txt"].sort());
  const m = JSON.parse(fs.readFileSync(path.join(out, MANIFEST), "utf8"));
  assert.equal(m.model.opset, 17);
  assert.equal(m.source.kind, "hf-folder");
  assert.deepEqual(m.source.files.map((f: { name: string }) => f.name), ["config.json", "model.safetensors"]);
  assert.equal(m.model.bytes, fs.statSync(path.join(out, "onnx/model.onnx")).size);
  assert.ok(progress.length >= 3);
  const session = await ort.InferenceSession.create(path.join(out, "onnx/model.onnx"));
  assert.deepEqual([...session.outputNames], r.outputs);
  await session.release();
  // no temporary folders left beside the output
  assert.deepEqual(listing(tmp).filter((f) => f.includes(".tmp-")), []);
});

test("exportOnnx is deterministic and may overwrite a previous export, but not another folder", async () => {
  const s = writeSyntheticCheckpoint(path.join(tmp, "src-det"), "distilbert", { seed: 2 });
  const out = path.join(tmp, "out-det");
  await exportOnnx(s.dir, out);
  const first = fs.readFileSync(path.join(out, "onnx/model.onnx"));
  await exportOnnx(s.dir, out);
  assert.deepEqual(fs.readFileSync(path.join(out, "onnx/model.onnx")), first);
  const other = path.join(tmp, "not-an-export");
  fs.mkdirSync(other);
  fs.writeFileSync(path.join(other, "notes.txt"), "mine");
  await assert.rejects(exportOnnx(s.dir, other), /not-an-export: exists, is not empty and is not a previous export \(no positional-artefacts\.json\); choose another --out or empty it/);
  assert.deepEqual(listing(other), ["notes.txt"]);
});

test("exportOnnx refuses an unwritable output folder with a clear error and writes nothing", async () => {
  const s = writeSyntheticCheckpoint(path.join(tmp, "src-w"), "bert", { seed: 3 });
  const file = path.join(tmp, "a-file");
  fs.writeFileSync(file, "x");
  // a folder below a regular file cannot be created, even by root
  await assert.rejects(exportOnnx(s.dir, path.join(file, "out")), /a-file\/out: cannot create the output folder \(ENOTDIR.*\); choose a writable --out/);
  await assert.rejects(exportOnnx(s.dir, file), /a-file: exists and is not a folder; choose another --out/);
});

test("exportOnnx refuses a bad checkpoint before writing anything", async () => {
  const s = writeSyntheticCheckpoint(path.join(tmp, "src-bad"), "bert", { seed: 4, config: { hidden_size: 16 } });
  const out = path.join(tmp, "out-bad");
  await assert.rejects(exportOnnx(s.dir, out), /src-bad\/config\.json: hidden_size 16 disagrees with .*src-bad\/model\.safetensors, which holds hidden_size 8; use the config\.json saved with these weights/);
  assert.equal(fs.existsSync(out), false);
  assert.deepEqual(listing(tmp).filter((f) => f.includes(".tmp-")), []);
});

test("exportOnnx(onnx-folder) applies surgery to a torch export and inspectSource lists the outputs", { skip: !fs.existsSync(path.join(ROOT, "test/fixtures/onnx/synth-bert-op14/onnx/model.onnx")) && "fixture not present" }, async () => {
  const src = path.join(ROOT, "test/fixtures/onnx/synth-bert-op14");
  assert.deepEqual(detectSource(src), { kind: "onnx-folder", modelFile: "onnx/model.onnx" });
  const before = inspectSource(src);
  assert.equal(before.hiddenStates, 0);
  assert.deepEqual(before.outputs, ["last_hidden_state"]);
  const out = path.join(tmp, "out-op14");
  const r = await exportOnnx(src, out);
  assert.equal(r.layers, 2);
  const info = inspectSource(out);
  assert.equal(info.kind, "onnx-folder");
  assert.equal(info.exported, true);
  assert.equal(info.dtype, "float32");
  assert.deepEqual(info.outputs, ["hidden_states.0", "hidden_states.1", "hidden_states.2", "last_hidden_state"]);
  const m = JSON.parse(fs.readFileSync(path.join(out, MANIFEST), "utf8"));
  assert.equal(m.model.opset, 14);
  assert.equal(m.source.kind, "onnx-folder");
});

test("detectSource refuses a folder holding only a quantized export, and an empty folder", () => {
  const q = path.join(tmp, "q8only");
  fs.mkdirSync(path.join(q, "onnx"), { recursive: true });
  fs.writeFileSync(path.join(q, "onnx/model_quantized.onnx"), "");
  assert.throws(() => detectSource(q), /model_quantized\.onnx: the file name marks a quantized export; q8 exports quantize the embedding tables/);
  const empty = path.join(tmp, "empty");
  fs.mkdirSync(empty);
  assert.throws(() => detectSource(empty), /empty: neither a Hugging Face folder \(config\.json \+ model\.safetensors\) nor an ONNX folder \(onnx\/model\.onnx\)/);
});
