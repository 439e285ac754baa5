import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { ZipArchive } from "../../src/model/zip.js";
import { writeZip } from "../helpers/zipWriter.js";

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "pa-zip-test-"));
process.on("exit", () => fs.rmSync(tmp, { recursive: true, force: true }));

function bytes(n: number, seed: number): Buffer {
  const b = Buffer.alloc(n);
  let x = seed >>> 0;
  for (let i = 0; i < n; i++) b[i] = (x = (Math.imul(x, 1664525) + 1013904223) >>> 0) >>> 24; // LCG: incompressible enough
  return b;
}

const inputs = [
  { name: "dir/a.txt", data: Buffer.from("hello hello hello hello\n".repeat(100)) },
  { name: "dir/b.bin", data: bytes(70_000, 1), deflate: false },
  { name: "dir/sub/c.json", data: Buffer.from("{}") },
];

for (const zip64 of [false, true]) {
  test(`ZipArchive lists and extracts stored and deflated entries${zip64 ? " (zip64 fields)" : ""}`, async () => {
    const file = path.join(tmp, `plain${zip64 ? 64 : ""}.zip`);
    fs.writeFileSync(file, writeZip(inputs, { zip64 }));
    const z = new ZipArchive(file);
    try {
      assert.deepEqual(z.entries.map((e) => [e.name, e.size, e.method]), [["dir/a.txt", 2400, 8], ["dir/b.bin", 70000, 0], ["dir/sub/c.json", 2, 8]]);
      for (const input of inputs) {
        const out = path.join(tmp, "out" + (zip64 ? 64 : ""), input.name);
        await z.extract(z.entry(input.name)!, out);
        assert.ok(fs.readFileSync(out).equals(input.data), input.name);
      }
    } finally {
      z.close();
    }
  });
}

test("ZipArchive reads a zip split into parts as their concatenation", async () => {
  const whole = writeZip(inputs);
  const cuts = [0, 1000, 40_000, whole.length];
  const parts = cuts.slice(1).map((end, i) => {
    const f = path.join(tmp, `split.zip.00${i + 1}`);
    fs.writeFileSync(f, whole.subarray(cuts[i], end));
    return f;
  });
  const z = new ZipArchive(parts);
  try {
    const out = path.join(tmp, "split-out", "b.bin");
    await z.extract(z.entry("dir/b.bin")!, out); // spans parts 1-3
    assert.ok(fs.readFileSync(out).equals(inputs[1].data));
  } finally {
    z.close();
  }
  assert.throws(() => new ZipArchive(parts.slice(0, 2)), /no end-of-central-directory record/);
});

test("ZipArchive refuses a corrupt entry (CRC-32) and a truncated archive", async () => {
  const good = writeZip([{ name: "x.bin", data: bytes(5000, 2), deflate: false }]);
  const bad = Buffer.from(good);
  bad[30 + 5 + 100] ^= 0xff; // one byte of the stored data
  const file = path.join(tmp, "corrupt.zip");
  fs.writeFileSync(file, bad);
  const z = new ZipArchive(file);
  await assert.rejects(z.extract(z.entries[0], path.join(tmp, "corrupt-out")), /x\.bin: CRC-32 [0-9a-f]+ differs from the directory's [0-9a-f]+; the entry is corrupt/);
  z.close();
  const cut = path.join(tmp, "cut.zip");
  fs.writeFileSync(cut, good.subarray(0, 2000));
  assert.throws(() => new ZipArchive(cut), /cut\.zip: no end-of-central-directory record/);
  const deflated = writeZip([{ name: "y.txt", data: Buffer.from("abc".repeat(1000)) }]);
  deflated[35 + 3] ^= 0x55;
  fs.writeFileSync(file, deflated);
  const d = new ZipArchive(file);
  await assert.rejects(d.extract(d.entries[0], path.join(tmp, "corrupt-out2")), /y\.txt: .*(corrupt)/);
  d.close();
});
