import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { floatToHalf, halfToFloat, readSafetensors, readSafetensorsHeader, writeSafetensors } from "../../src/model/safetensors.js";

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "st-test-"));
process.on("exit", () => fs.rmSync(tmp, { recursive: true, force: true }));

/** Builds a safetensors file byte by byte (independent of writeSafetensors). */
function rawFile(name: string, header: unknown, data: number[], headerText?: string): string {
  const text = headerText ?? JSON.stringify(header);
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(Buffer.byteLength(text)));
  const file = path.join(tmp, name);
  fs.writeFileSync(file, Buffer.concat([len, Buffer.from(text), Buffer.from(data)]));
  return file;
}

test("readSafetensors reads F16 and BF16 exactly (values set by hand)", () => {
  // F16: 0x3c00 = 1, 0xc000 = -2, 0x7bff = 65504 (max), 0x0001 = 2^-24 (smallest subnormal)
  // BF16: 0x3f80 = 1, 0xc040 = -3, 0x3fc0 = 1.5
  const file = rawFile("half.safetensors", {
    a: { dtype: "F16", shape: [2, 2], data_offsets: [0, 8] },
    b: { dtype: "BF16", shape: [3], data_offsets: [8, 14] },
    __metadata__: { format: "pt" },
  }, [0x00, 0x3c, 0x00, 0xc0, 0xff, 0x7b, 0x01, 0x00, 0x80, 0x3f, 0x40, 0xc0, 0xc0, 0x3f]);
  const { tensors, metadata } = readSafetensors(file);
  assert.deepEqual(metadata, { format: "pt" });
  assert.deepEqual(tensors.get("a")!.shape, [2, 2]);
  assert.deepEqual(Array.from(tensors.get("a")!.data), [1, -2, 65504, 2 ** -24]);
  assert.equal(tensors.get("a")!.storedAs, "F16");
  assert.deepEqual(Array.from(tensors.get("b")!.data), [1, -3, 1.5]);
  assert.equal(tensors.get("b")!.storedAs, "BF16");
});

test("writeSafetensors then readSafetensors round-trips F32, F16 and BF16 with an 8-aligned header", () => {
  const file = path.join(tmp, "rt.safetensors");
  const f32 = Float32Array.from([0.1, -2.5, 3e-8, 1e30, 0, -0]);
  writeSafetensors(file, {
    z: { shape: [2, 3], data: f32 },
    h: { shape: [3], data: Float32Array.from([1, 0.5, -65504]), dtype: "F16" },
    b: { shape: [1, 2], data: Float32Array.from([1, -0.75]), dtype: "BF16" },
  }, { note: "synthetic" });
  const bytes = fs.readFileSync(file);
  const n = Number(bytes.readBigUInt64LE(0));
  assert.equal((8 + n) % 8, 0);
  const header = JSON.parse(bytes.subarray(8, 8 + n).toString());
  assert.deepEqual(Object.keys(header), ["__metadata__", "b", "h", "z"]);
  assert.deepEqual(header.b.data_offsets, [0, 4]);
  assert.deepEqual(header.h.data_offsets, [4, 10]);
  assert.deepEqual(header.z.data_offsets, [10, 34]);
  const { tensors, metadata } = readSafetensors(file);
  assert.deepEqual(metadata, { note: "synthetic" });
  assert.deepEqual(Array.from(tensors.get("z")!.data), Array.from(f32));
  assert.deepEqual(Array.from(tensors.get("h")!.data), [1, 0.5, -65504]);
  assert.deepEqual(Array.from(tensors.get("b")!.data), [1, -0.75]);
  assert.equal(readSafetensorsHeader(file).entries.length, 3);
  assert.deepEqual(fs.readdirSync(tmp).filter((f) => f.includes(".tmp-")), []);
});

test("floatToHalf rounds to nearest even and halfToFloat inverts it", () => {
  assert.equal(floatToHalf(1), 0x3c00);
  assert.equal(floatToHalf(1 + 2 ** -11), 0x3c00); // tie -> even
  assert.equal(floatToHalf(1 + 3 * 2 ** -11), 0x3c02); // tie -> even (up)
  assert.equal(floatToHalf(2 ** -24), 0x0001);
  assert.equal(floatToHalf(2 ** -26), 0);
  assert.equal(floatToHalf(1e6), 0x7c00);
  for (let h = 0; h < 0x7c00; h += 37) assert.equal(floatToHalf(halfToFloat(h)), h);
});

test("readSafetensors refuses files shorter than 8 bytes", () => {
  const file = path.join(tmp, "short.safetensors");
  fs.writeFileSync(file, Buffer.from([1, 2, 3]));
  assert.throws(() => readSafetensors(file), /short\.safetensors: file size 3 is smaller than the 8-byte header length; the file is truncated/);
});

test("readSafetensors refuses a header length beyond the file", () => {
  const file = path.join(tmp, "huge.safetensors");
  const b = Buffer.alloc(1024);
  b.writeBigUInt64LE(9000000000000000000n);
  fs.writeFileSync(file, b);
  assert.throws(() => readSafetensors(file), /huge\.safetensors: header length 9,000,000,000,000,000,000 exceeds file size 1024; the file is truncated/);
});

test("readSafetensors prints a 2^60 header length in full, not as 1e18, and names the whole path", () => {
  const file = path.join(tmp, "pow60.safetensors");
  const b = Buffer.alloc(64);
  b.writeBigUInt64LE(2n ** 60n);
  fs.writeFileSync(file, b);
  assert.throws(() => readSafetensors(file), (e: Error) => e.message.startsWith(`${file}: header length 1,152,921,504,606,846,976 exceeds file size 64;`));
});

test("readSafetensors refuses a header over the format's 100 MB limit before reading it", () => {
  const file = path.join(tmp, "bighead.safetensors");
  const fd = fs.openSync(file, "w");
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(100_000_001n);
  fs.writeSync(fd, b);
  fs.ftruncateSync(fd, 8 + 100_000_001 + 16);
  fs.closeSync(fd);
  assert.throws(() => readSafetensors(file), /bighead\.safetensors: header length 100,000,001 exceeds the format's 100,000,000-byte limit/);
  fs.rmSync(file);
});

test("readSafetensors refuses a corrupt header JSON", () => {
  const file = rawFile("bad.safetensors", null, [], '{"a": {"dtype": "F32",');
  assert.throws(() => readSafetensors(file), /bad\.safetensors: header is not valid JSON .*; the file is corrupt/);
});

test("readSafetensors refuses unsupported dtypes, naming tensor and dtype", () => {
  const file = rawFile("i64.safetensors", { ids: { dtype: "I64", shape: [1], data_offsets: [0, 8] } }, [0, 0, 0, 0, 0, 0, 0, 0]);
  assert.throws(() => readSafetensors(file), /i64\.safetensors: ids has dtype "I64"; only F32, F16 and BF16 are supported, save the checkpoint in float32/);
});

test("readSafetensors refuses truncated data, size mismatches and overlaps", () => {
  const trunc = rawFile("trunc.safetensors", { a: { dtype: "F32", shape: [4], data_offsets: [0, 16] } }, [0, 0, 0, 0, 0, 0, 0, 0]);
  assert.throws(() => readSafetensors(trunc), /trunc\.safetensors: a data_offsets \[0, 16\] run past the data section \(8 bytes\); the file is truncated/);
  const size = rawFile("size.safetensors", { a: { dtype: "F32", shape: [3], data_offsets: [0, 8] } }, [0, 0, 0, 0, 0, 0, 0, 0]);
  assert.throws(() => readSafetensors(size), /size\.safetensors: a spans 8 bytes but shape \[3\] of F32 needs 12/);
  const over = rawFile("over.safetensors", {
    a: { dtype: "F32", shape: [2], data_offsets: [0, 8] },
    b: { dtype: "F32", shape: [1], data_offsets: [4, 8] },
  }, [0, 0, 0, 0, 0, 0, 0, 0]);
  assert.throws(() => readSafetensors(over), /over\.safetensors: a \[0, 8\] and b \[4, 8\] overlap/);
});

test("writeSafetensors refuses a shape that does not match the data and leaves no file", () => {
  const file = path.join(tmp, "mismatch.safetensors");
  assert.throws(() => writeSafetensors(file, { a: { shape: [2, 2], data: new Float32Array(3) } }), /a has shape \[2,2\] \(4 values\) but 3 values/);
  assert.equal(fs.existsSync(file), false);
});

test("readSafetensors skips tensors outside `only`, so an int64 buffer beside the weights is harmless", () => {
  // old BERT checkpoints store embeddings.position_ids as I64 next to float weights
  const file = rawFile("mixed.safetensors", {
    "embeddings.position_ids": { dtype: "I64", shape: [1], data_offsets: [0, 8] },
    w: { dtype: "F32", shape: [1], data_offsets: [8, 12] },
  }, [0, 0, 0, 0, 0, 0, 0, 0, 0x00, 0x00, 0x80, 0x3f]);
  const { tensors } = readSafetensors(file, { only: (n) => n === "w" });
  assert.deepEqual([...tensors.keys()], ["w"]);
  assert.deepEqual(Array.from(tensors.get("w")!.data), [1]);
});

test("readSafetensorsHeader refuses a dtype the format does not define", () => {
  const file = rawFile("q.safetensors", { w: { dtype: "Q4", shape: [1], data_offsets: [0, 1] } }, [0]);
  assert.throws(() => readSafetensorsHeader(file), /q\.safetensors: w has dtype "Q4", which is not a safetensors dtype; the file is corrupt/);
});
