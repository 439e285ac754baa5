/**
 * The two shipped self-trained models (models/mlm-pos, models/mlm-nopos; tools/train/): createEncoder must
 * load each folder, tokenise two fixed sentences exactly as the Python tokenizer did, and give every
 * hidden state (0..L) within 1e-4 of the values the plain PyTorch model of tools/train/train.py computed
 * (test/fixtures/shipped/<name>.json, written by tools/train/make_fixtures.py). The fixture records the
 * sha256 of the files it was made from, so a retrained model cannot pass against stale values.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { createEncoder } from "../../src/model/encoder.js";

const ROOT = path.join(__dirname, "..", "..", "..");
const TOLERANCE = 1e-4;

interface ShippedFixture {
  name: string;
  sentences: string[];
  files: Record<string, string>;
  layers: number;
  hidden: number;
  input_ids: number[][];
  tokens: string[][];
  /** [sentence][layer][token * hidden] */
  hidden_states: number[][][];
}

for (const name of ["mlm-pos", "mlm-nopos"]) {
  test(`shipped model ${name}: createEncoder matches the PyTorch fixture at every layer within ${TOLERANCE}`, async (t) => {
    const dir = path.join(ROOT, "models", name);
    const fx = JSON.parse(fs.readFileSync(path.join(ROOT, "test", "fixtures", "shipped", `${name}.json`), "utf8")) as ShippedFixture;
    for (const [file, sha] of Object.entries(fx.files)) {
      const actual = crypto.createHash("sha256").update(fs.readFileSync(path.join(dir, file))).digest("hex");
      assert.equal(actual, sha, `${dir}/${file}: sha256 differs from the fixture; regenerate with tools/train/make_fixtures.py`);
    }
    const encoder = await createEncoder(dir, { threads: 1 });
    let worst = 0;
    const seen = new Set<number>();
    try {
      assert.equal(encoder.layers + 1, fx.layers, "layers");
      assert.equal(encoder.hidden, fx.hidden, "hidden");
      for await (const b of encoder.encode(fx.sentences, { batchSize: 2 })) {
        for (let r = 0; r < b.batch; ++r) {
          const s = b.sentenceIndex[r];
          seen.add(s);
          const n = b.tokenCounts[r];
          const o = r * b.length;
          assert.deepEqual(Array.from(b.inputIds.subarray(o, o + n)), fx.input_ids[s], `sentence ${s} input_ids`);
          assert.deepEqual(b.tokens[r], fx.tokens[s], `sentence ${s} tokens`);
          for (let l = 0; l < fx.layers; ++l) {
            const actual = b.layers[l].subarray(o * b.hidden, (o + n) * b.hidden);
            const expected = fx.hidden_states[s][l];
            assert.equal(actual.length, expected.length, `sentence ${s} layer ${l} size`);
            for (let i = 0; i < expected.length; ++i) {
              const d = Math.abs(actual[i] - expected[i]);
              if (!(d <= TOLERANCE)) {
                assert.fail(`${name} sentence ${s} layer ${l} token ${Math.floor(i / fx.hidden)} dim ${i % fx.hidden}: ${actual[i]} vs ${expected[i]} (|delta| ${d} > ${TOLERANCE})`);
              }
              worst = Math.max(worst, d);
            }
          }
        }
      }
    } finally {
      await encoder.dispose();
    }
    assert.equal(seen.size, fx.sentences.length, "every sentence encoded once");
    t.diagnostic(`max |delta| ${worst}`);
  });
}
