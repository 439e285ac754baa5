import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { spawnSync } from "node:child_process";
import { resolveDevice } from "../../src/model/session.js";
import { createEncoder } from "../../src/model/encoder.js";

const root = path.join(__dirname, "..", "..", "..");
const bin = path.join(root, "bin", "artefacts.js");
const model = path.join(root, "models", "mlm-pos");
const ortDir = path.dirname(require.resolve("onnxruntime-node/package.json"));
/** Whether this install carries onnxruntime's CUDA provider (npm's package does not; its install script can add it). */
const cudaLib = (() => {
  const found: string[] = [];
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      if (e.isDirectory()) walk(path.join(d, e.name));
      else if (e.name === "libonnxruntime_providers_cuda.so") found.push(path.join(d, e.name));
    }
  };
  walk(path.join(ortDir, "bin"));
  return found.length > 0;
})();

test("resolveDevice accepts cpu and refuses unknown names, listing the valid ones", () => {
  assert.equal(resolveDevice("cpu"), "cpu");
  assert.equal(resolveDevice(undefined), "cpu");
  assert.throws(() => resolveDevice("tpu"), /invalid device: "tpu"; expected cpu or cuda/);
});

test("--device cuda without onnxruntime's CUDA binaries fails at once and says how to get them", { skip: cudaLib ? "this onnxruntime-node carries the CUDA provider" : false }, async () => {
  assert.throws(() => resolveDevice("cuda"), /no CUDA provider.*onnxruntime-node-install=cuda12.*--device cpu/);
  await assert.rejects(createEncoder(model, { device: "cuda" }), /no CUDA provider/);
  const t0 = Date.now();
  const r = spawnSync(process.execPath, [bin, "encode", "--model", model, "--device", "cuda", "a sentence"], { encoding: "utf8" });
  assert.equal(r.status, 1, r.stderr);
  assert.match(r.stderr, /^device cuda: the installed onnxruntime-node .* has no CUDA provider/);
  assert.equal(r.stdout, "");
  assert.ok(Date.now() - t0 < 10_000, "the refusal comes before any encoding");
});

test("--device cpu is the default and is recorded in provenance; a bad --device is a usage error", async () => {
  const enc = await createEncoder(model, { threads: 1 });
  try {
    assert.equal(enc.provenance().device, "cpu");
  } finally {
    await enc.dispose();
  }
  const r = spawnSync(process.execPath, [bin, "analyze", "--model", model, "--device", "gpu", "--out", "/tmp/never.json"], { encoding: "utf8" });
  assert.equal(r.status, 2);
  assert.match(r.stderr, /invalid --device: "gpu"; expected cpu or cuda/);
});
