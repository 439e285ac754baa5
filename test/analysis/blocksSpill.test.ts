/**
 * Pending block tree nodes on disk (spill.ts): a parked node gives back the same envelopes, each read
 * once and its file deleted; a whole run parks its pending nodes while later blocks run (the files
 * are there mid-pass) and leaves nothing behind. The bits of the results are checked by shard.test.ts
 * (every run parks) and golden.test.ts.
 */
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { BlockTree } from "../../src/analysis/blocks.js";
import { fromStates, toStates } from "../../src/analysis/blockState.js";
import { Spill, writeJson } from "../../src/analysis/spill.js";
import { wrapState } from "../../src/analysis/state.js";
import { runAnalyses } from "../../src/analysis/run.js";
import { createEncoder, type Encoder } from "../../src/model/encoder.js";
import { loadCorpus } from "../../src/data/corpus.js";
import { sampleSentences } from "../../src/data/sample.js";

const root = path.join(__dirname, "..", "..", "..");
const model = { model: "m", files: [{ name: "w", sha256: "00" }] };
let tmp: string, saved: string | undefined, encoder: Encoder;

before(async () => {
  saved = process.env.TMPDIR;
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "spill-test-"));
  process.env.TMPDIR = tmp;
  encoder = await createEncoder(path.join(root, "models", "mlm-pos"), { threads: 1 });
});
after(async () => {
  if (saved === undefined) delete process.env.TMPDIR;
  else process.env.TMPDIR = saved;
  fs.rmSync(tmp, { recursive: true, force: true });
  await encoder?.dispose();
});

const folders = () => fs.readdirSync(tmp).filter((d) => d.startsWith("pa-blocks-"));
const files = () => folders().flatMap((d) => fs.readdirSync(path.join(tmp, d)));

test("Spill.park: the same envelopes back, each file read once and deleted; a parked node is parked once; close removes the folder", () => {
  const states = [wrapState("a", model, { k: 1 }, { x: [1.5, -2, 0.1], s: "AAAA" }), wrapState("b", model, null, 3)];
  const want = JSON.stringify({ sentences: 4, tokens: 20, truncated: 1, states });
  const spill = new Spill();
  const parked = spill.park(fromStates(JSON.parse(want)));
  assert.equal(spill.park(parked), parked);
  assert.equal(files().length, 2);
  assert.ok(spill.bytes > 0);
  assert.equal(JSON.stringify(toStates(parked)), want);
  assert.equal(files().length, 0);
  assert.throws(() => toStates(parked), /already taken/);
  spill.close();
  assert.deepEqual(folders(), []);
});

test("writeJson writes the text JSON.stringify gives, long strings in slices", () => {
  const long = "QUJD".repeat(40) + "+/=";
  const values: unknown[] = [
    { a: long, b: [1, -0, 1.5e-300, NaN, Infinity, null, undefined, () => 1, true], c: { d: undefined, e: "x\"y\\z\n\u0001", f: [] }, g: {} },
    [long, `${long}"quoted"`, `${long}\u2028\ud800`, "é€😀", { toJSON: () => "custom" }, new Date(0)],
    "plain", 3, null,
  ];
  const file = path.join(tmp, "w.json");
  for (const v of values) {
    const fd = fs.openSync(file, "w");
    const bytes = writeJson(fd, v, 16);
    fs.closeSync(fd);
    const text = fs.readFileSync(file, "utf8");
    assert.equal(text, JSON.stringify(v));
    assert.equal(bytes, Buffer.byteLength(text));
  }
  fs.rmSync(file);
});

test("BlockTree.park replaces the pending nodes only, and the root is unchanged by it", async () => {
  const t = new BlockTree<string>(5, (l, r) => `(${l}+${r})`);
  for (let b = 0; b < 5; ++b) {
    await t.park((v) => (v.startsWith("p:") ? v : `p:${v}`));
    await t.push(0, b, `b${b}`);
  }
  assert.equal(t.root(), "(p:(p:(p:b0+b1)+(p:b2+b3))+b4)");
});

test("runAnalyses parks its pending nodes on disk while later blocks run, and removes them", async () => {
  const sentences = sampleSentences(loadCorpus("default"), { n: 40, seed: 5, minWords: 4, maxWords: 30 });
  let most = 0;
  await runAnalyses(encoder, sentences, {
    seed: 3, fitSentences: 10, blockSentences: 9, batchSize: 4, worker: false,
    anisotropy: { pairs: 200, sampleSize: 300 }, probe: { maxTrainTokens: 300, maxTestTokens: 100, epochs: 2 },
    onProgress: ({ stage }) => {
      if (stage === "encode") most = Math.max(most, files().length);
    },
  });
  // blocks 0..4: while block 2 runs, node (1, 0) waits on disk, one file per stateful analysis
  assert.ok(most > 0, "no pending node was on disk during the pass");
  assert.deepEqual(folders(), []);
});
