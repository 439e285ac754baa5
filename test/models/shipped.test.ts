/**
 * The two shipped self-trained models (models/mlm-pos, models/mlm-nopos; tools/train/): createEncoder must
 * load each folder, tokenise two fixed sentences exactly as the Python tokenizer did, and give every
 * hidden state (0..L) within 1e-4 of the values the plain PyTorch model of tools/train/train.py computed
 * (test/fixtures/shipped/<name>.json, written by tools/train/make_fixtures.py). The fixture records the
 * sha256 of the files it was made from, so a retrained model cannot pass against stale values.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { TOLERANCE, assertSameFiles, checkAgreement } from "../model/referenceFixture.js";

const ROOT = path.join(__dirname, "..", "..", "..");

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
    assertSameFiles(fx.files, dir, "regenerate with tools/train/make_fixtures.py");
    const worst = await checkAgreement(fx, dir, name, (l, s) => Float32Array.from(fx.hidden_states[s][l]));
    t.diagnostic(`max |delta| ${worst}`);
  });
}
