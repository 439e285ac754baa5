/**
 * Pending block tree nodes on disk (spill.ts): a parked node gives back the same envelopes (the same
 * JSON text), each read once and its file deleted; a run keeps the newest 2 pending nodes in memory
 * and parks older ones while later blocks run (the files are there mid-pass), leaves nothing behind,
 * and gives the same bytes whether it parks every node, some or none (on the embedded model
 * models/mlm-pos, a real small masked LM trained by the project).
 */
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { BlockTree } from "../../src/analysis/blocks.js";
import { fromStates, toStates } from "../../src/analysis/blockState.js";
import { readPart, Spill, writePart } from "../../src/analysis/spill.js";
import { encodeArray, HeldArray } from "../../src/numerics/arrays.js";
import { wrapState } from "../../src/analysis/state.js";
import { blockTree, finish, parkPending, PENDING_IN_MEMORY, runAnalyses, runBlock, withPass, type RunOptions } from "../../src/analysis/run.js";
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

/** A state body with held arrays of every dtype (odd byte lengths, an empty one), nested, beside plain values. */
const body = () => ({
  layers: [1, 2].map((layer) => ({ layer, sum: encodeArray(Float64Array.from([layer, -0, 1e-300])), idx: encodeArray(Uint32Array.from([layer, 2 ** 32 - 1])) })),
  words: { "\u0000spilled": "a key like the marker", odd: encodeArray(Uint8Array.from([9, 8, 7])), none: encodeArray(new Float32Array(0)) },
  i: encodeArray(Int32Array.from([-3])), f: encodeArray(Float32Array.from([0.1, 2])), n: 3, s: "AAAA", z: null,
  // base64 that encodeArray would not write (it decodes to [0]): kept as it is, so the text comes back the same
  odd64: { dtype: "uint8", base64: "AB==" },
});

test("Spill.park: the same envelopes back (the same JSON text), each file read once and deleted; a parked node is parked once; close removes the folder", () => {
  const states = (c: unknown) => [wrapState("a", model, { k: 1 }, body()), wrapState("b", model, null, 3), wrapState("c", model, null, c)];
  const want = JSON.stringify({ sentences: 4, tokens: 20, truncated: 1, states: states(body()) });
  // a node as a shard file gives it (base64), and one as the run holds it (held arrays, and a side worker's clone)
  for (const node of [fromStates(JSON.parse(want)), fromStates({ sentences: 4, tokens: 20, truncated: 1, states: states(structuredClone(body())) })]) {
    const spill = new Spill();
    const parked = spill.park(node);
    assert.equal(spill.park(parked), parked);
    assert.equal(files().length, 3);
    assert.equal(spill.nodes, 1);
    assert.ok(spill.bytes > 0);
    const back = toStates(parked);
    assert.ok((back.states[0].body as ReturnType<typeof body>).i instanceof HeldArray, "arrays come back held, not as base64");
    assert.equal(JSON.stringify(back), want);
    assert.equal(files().length, 0);
    assert.throws(() => toStates(parked), /already taken/);
    spill.close();
    assert.deepEqual(folders(), []);
  }
});

test("a parked part file: the skeleton JSON, then each array's raw bytes aligned to 8; a truncated file is refused", () => {
  const file = path.join(tmp, "p.bin");
  const e = wrapState("a", model, null, { u8: encodeArray(Uint8Array.from([1, 2, 3])), f: encodeArray(Float64Array.from([0.5])) });
  const bytes = writePart(file, e);
  const buf = fs.readFileSync(file);
  assert.equal(buf.length, bytes);
  const size = buf.readUInt32LE(0), head = (4 + size + 7) & ~7;
  assert.deepEqual(JSON.parse(buf.toString("utf8", 4, 4 + size)).arrays, [["uint8", 3], ["float64", 1]]);
  assert.deepEqual([...buf.subarray(head, head + 3)], [1, 2, 3]);
  assert.equal(buf.readDoubleLE(head + 8), 0.5);
  assert.equal(bytes, head + 16);
  fs.writeFileSync(file, buf.subarray(0, bytes - 4));
  assert.throws(() => readPart(file), /p\.bin is truncated/);
  assert.equal(fs.existsSync(file), false);
});

test("BlockTree.park replaces the pending nodes but the newest `keep` only, and the root is unchanged by it", async () => {
  for (const [keep, want] of [[0, "(p:(p:(p:b0+b1)+(p:b2+b3))+b4)"], [1, "((p:(b0+b1)+(b2+b3))+b4)"], [2, "(((b0+b1)+(b2+b3))+b4)"]] as const) {
    const t = new BlockTree<string>(5, (l, r) => `(${l}+${r})`);
    for (let b = 0; b < 5; ++b) {
      await t.park((v) => (v.startsWith("p:") ? v : `p:${v}`), keep);
      await t.push(0, b, `b${b}`);
    }
    assert.equal(t.root(), want, `keep ${keep}`);
  }
  // 8 blocks: before block 7 three nodes wait, (2, 0), (1, 2) and (0, 6); keep 2 parks the oldest only
  const t = new BlockTree<string>(8, (l, r) => `(${l}+${r})`);
  for (let b = 0; b < 8; ++b) {
    await t.park((v) => (v.startsWith("p:") ? v : `p:${v}`), 2);
    await t.push(0, b, `b${b}`);
  }
  assert.equal(t.root(), "(p:((b0+b1)+(b2+b3))+((b4+b5)+(b6+b7)))");
});

const sentences = sampleSentences(loadCorpus("default"), { n: 40, seed: 5, minWords: 4, maxWords: 30 });
// 11 blocks (10 fit sentences, then 3 at a time): before block 7 three nodes are pending, so the run parks one
const opts: RunOptions = {
  seed: 3, fitSentences: 10, blockSentences: 3, batchSize: 4, worker: false,
  anisotropy: { pairs: 200, sampleSize: 300 }, probe: { maxTrainTokens: 300, maxTestTokens: 100, epochs: 2 },
  selfsim: { minOccurrences: 2, maxWords: 30 },
};

/** runAnalyses' loop, keeping the newest `keep` pending nodes in memory: the results, the states' JSON and the nodes parked. */
async function run(keep: number, o: RunOptions = opts): Promise<{ results: string; states: string; parked: number }> {
  let states = "";
  return withPass(encoder, sentences, { ...o, onStates: (s) => void (states = JSON.stringify(s)) }, async (plan, pass) => {
    const tree = blockTree(plan, pass);
    for (let b = 0; b < plan.blocks.length; ++b) {
      await parkPending(plan, pass, tree, keep);
      await tree.push(0, b, await runBlock(plan, pass, b));
    }
    const results = JSON.stringify({ ...(await finish(plan, pass, tree.root())), provenance: null });
    return { results, states, parked: pass.spill.nodes };
  });
}

test("a tree with parked nodes gives the bytes of one without: every node parked, the newest 2 kept, none parked", async () => {
  const none = await run(100), all = await run(0), kept = await run(PENDING_IN_MEMORY);
  assert.equal(none.parked, 0);
  // parked once each: nodes (1,0) (1,1) (2,0) (1,2) (3,0) (1,4) ... before blocks 2..10 of 11
  assert.ok(all.parked >= 8, `${all.parked} nodes parked with keep 0`);
  assert.equal(kept.parked, 1, "keep 2 over 11 blocks parks node (2, 0) before block 7 only");
  for (const x of [all, kept]) {
    assert.equal(x.results, none.results);
    assert.equal(x.states, none.states);
  }
  // the states as JSON are the base64 text of old: no typed array leaks into them as an object of numbers
  assert.match(none.states, /"dtype":"float64","base64":"/);
  assert.doesNotMatch(none.states, /\{"0":/);
});

test("runAnalyses parks pending nodes past the newest 2 on disk while later blocks run, and removes them", async () => {
  let most = 0;
  await runAnalyses(encoder, sentences, {
    ...opts,
    onProgress: ({ stage }) => {
      if (stage === "encode") most = Math.max(most, files().length);
    },
  });
  // while block 7 runs, node (2, 0) waits on disk, one file per stateful analysis
  assert.ok(most > 0, "no pending node was on disk during the pass");
  assert.deepEqual(folders(), []);
});

test("a side worker's states (a structured clone) are written as the same JSON text: one block, the leaf is the root", async () => {
  const texts: string[] = [];
  for (const worker of [false, true]) {
    let states = "";
    // one block: no combine decodes the worker's states before onStates writes them
    await runAnalyses(encoder, sentences, { ...opts, fitSentences: 40, worker, onStates: (s) => void (states = JSON.stringify(s)) });
    texts.push(states);
  }
  assert.doesNotMatch(texts[1], /\{"0":/);
  assert.equal(texts[1], texts[0]);
});
