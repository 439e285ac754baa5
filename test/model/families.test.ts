/**
 * Every encoder family against current Hugging Face transformers (5.x, eager, float32): our graph of
 * each SYNTHETIC fixture in test/fixtures/families/ (every parameter randomised) gives
 * hidden_states.0..L and last_hidden_state within 1e-5 relative (|ours - ref| <= 1e-5 * max(1, max|ref|))
 * on one padded batch holding a short sentence, a punctuated one, the empty sentence and a long one.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { SentenceTokenizer } from "../../src/model/tokenizer.js";
import { familyFixtureNames, loadFamilyFixture, maxAbsDiff, referenceBlock, runOurs } from "./familyFixture.js";

const RELATIVE = 1e-5;

for (const name of familyFixtureNames()) {
  test(`family fixture ${name}: hidden_states.0..L and last_hidden_state equal transformers within 1e-5 relative`, async () => {
    const fx = loadFamilyFixture(name);
    const ours = await runOurs(fx);
    const lines: string[] = [];
    // extra diagnostic blocks (ModernBERT's final_norm_input: the residual before the final norm) are not outputs of ours
    const blocks = fx.blocks.filter((b) => /^hidden_states\.\d+$|^last_hidden_state$/.test(b.name));
    assert.equal(blocks.length, fx.layers + 1, `${name}: reference.json lists ${blocks.length} hidden-state blocks; expected layers ${fx.layers} + last_hidden_state`);
    for (const block of blocks) {
      const got = ours.get(block.name);
      assert.ok(got, `${name}: our graph has no output ${block.name}`);
      const d = maxAbsDiff(got, referenceBlock(fx, block.name));
      const tol = RELATIVE * Math.max(1, block.max_abs);
      lines.push(`${block.name} ${d.toExponential(2)} (tol ${tol.toExponential(2)})`);
      assert.ok(d <= tol, `${name} ${block.name}: max |ours - transformers| = ${d}, tolerance ${tol}\n  ${lines.join("\n  ")}`);
    }
    process.stdout.write(`# ${name}: ${lines.join(", ")}\n`);
  });

  test(`family fixture ${name}: our tokenizer gives the fixture's ids`, async () => {
    const fx = loadFamilyFixture(name);
    const tok = await SentenceTokenizer.load(fx.dir);
    fx.sentences.forEach((s, i) => assert.deepEqual([...tok.tokenize(s).ids], fx.input_ids[i], `${name}: sentence ${i} ${JSON.stringify(s.slice(0, 40))}`));
  });
}

test("every family fixture exports to ONNX whose graph and static tensors equal the Hugging Face folder's", async () => {
  const fs = await import("node:fs");
  const os = await import("node:os");
  const path = await import("node:path");
  const { exportOnnx } = await import("../../src/model/export.js");
  const { createEncoder } = await import("../../src/model/encoder.js");
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "families-export-"));
  try {
    for (const name of familyFixtureNames()) {
      const fx = loadFamilyFixture(name);
      const out = path.join(tmp, name);
      await exportOnnx(fx.dir, out);
      const hf = await createEncoder(fx.dir, { threads: 1 });
      const onnx = await createEncoder(out, { threads: 1 });
      try {
        const a = hf.staticTensors(), b = onnx.staticTensors();
        assert.deepEqual((b.positionTensors ?? []).map((t) => [t.name, t.rows, t.cols]), (a.positionTensors ?? []).map((t) => [t.name, t.rows, t.cols]), name);
        assert.deepEqual(b.layerNorms.map((l) => [l.layer, l.which, l.site, [...l.gamma]]), a.layerNorms.map((l) => [l.layer, l.which, l.site, [...l.gamma]]), name);
        const sentences = fx.sentences.slice(0, 2);
        const [x, y] = [[] as Float32Array[], [] as Float32Array[]];
        for await (const batch of hf.encode(sentences)) x.push(...batch.layers);
        for await (const batch of onnx.encode(sentences)) y.push(...batch.layers);
        assert.deepEqual(y, x, `${name}: ONNX export and Hugging Face folder give different hidden states`);
      } finally {
        await hf.dispose();
        await onnx.dispose();
      }
    }
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
});
