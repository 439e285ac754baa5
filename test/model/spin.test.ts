/**
 * PA_ORT_SPIN (src/model/session.ts): onnxruntime's intra-op threads sleep by default and spin under
 * PA_ORT_SPIN=1; the numbers are the same either way (a SYNTHETIC BERT, seeded random weights).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { ortSpinning, sessionOptions } from "../../src/model/session.js";
import { createEncoder } from "../../src/model/encoder.js";
import { synthesize } from "../../src/model/synth.js";

/** Runs fn with PA_ORT_SPIN set to value (undefined: unset), restoring it after. */
async function withSpin<T>(value: string | undefined, fn: () => T | Promise<T>): Promise<T> {
  const before = process.env.PA_ORT_SPIN;
  if (value === undefined) delete process.env.PA_ORT_SPIN;
  else process.env.PA_ORT_SPIN = value;
  try {
    return await fn();
  } finally {
    if (before === undefined) delete process.env.PA_ORT_SPIN;
    else process.env.PA_ORT_SPIN = before;
  }
}

test("PA_ORT_SPIN: unset, empty or 0 sleeps (allow_spinning 0), 1 spins (onnxruntime's default), anything else is refused", async () => {
  assert.equal(await withSpin(undefined, ortSpinning), false);
  assert.equal(await withSpin("", ortSpinning), false);
  assert.equal(await withSpin("0", ortSpinning), false);
  assert.equal(await withSpin("1", ortSpinning), true);
  assert.deepEqual(await withSpin(undefined, () => sessionOptions(2, "cpu").extra), { session: { intra_op: { allow_spinning: "0" } } });
  assert.equal(await withSpin("1", () => sessionOptions(2, "cpu").extra), undefined);
  assert.deepEqual(await withSpin("1", () => sessionOptions(2, "cpu", false).extra), { session: { intra_op: { allow_spinning: "0" } } }, "an explicit spin wins");
  await assert.rejects(withSpin("no", ortSpinning), /PA_ORT_SPIN: "no" is not 0 or 1; unset it/);
});

test("an encoder under PA_ORT_SPIN=1 gives the same hidden states as the sleeping default, bit for bit", async () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "pa-spin-test-"));
  try {
    const dir = await synthesize({ arch: "bert", layers: 2, hidden: 16, heads: 2, seed: 9, out: path.join(tmp, "m") });
    const run = (spin: string | undefined) => withSpin(spin, async () => {
      const enc = await createEncoder(dir, { threads: 2 });
      try {
        const out: Float32Array[] = [];
        for await (const b of enc.encode(["the people said hello", "water", "a few children walked home again"])) out.push(...b.layers);
        return out;
      } finally {
        await enc.dispose();
      }
    });
    const sleeping = await run(undefined);
    const spinning = await run("1");
    assert.equal(sleeping.length, spinning.length);
    sleeping.forEach((l, k) => assert.deepEqual(l, spinning[k], `layer array ${k}`));
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
});
