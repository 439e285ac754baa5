/**
 * Shard and merge (shard.ts) against the single run, on the embedded model models/mlm-pos (a real
 * small masked LM trained by the project) with every analysis: 40 sentences in 5 blocks (the 10 fit
 * sentences, then 9, 9, 9 and 3), so N = 3 gives shards of 1, 2 and 2 blocks and N = 7 two shards
 * with no sentence. Every shard goes through JSON text, as a file would. The merged results must be
 * the single run's bytes (provenance aside): the block tree fixes the order of every float sum.
 */
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import * as path from "node:path";
import { createEncoder, type Encoder } from "../../src/model/encoder.js";
import { runAnalyses, type RunOptions } from "../../src/analysis/run.js";
import { mergeShards, runShard, shardSource, type ShardState } from "../../src/analysis/shard.js";
import { loadCorpus } from "../../src/data/corpus.js";
import { sampleSentences } from "../../src/data/sample.js";

const root = path.join(__dirname, "..", "..", "..");
const sentences = sampleSentences(loadCorpus("default"), { n: 40, seed: 5, minWords: 4, maxWords: 30 });
const opts: RunOptions = {
  seed: 3, fitSentences: 10, blockSentences: 9, batchSize: 4, worker: false,
  anisotropy: { pairs: 200, sampleSize: 300 }, probe: { maxTrainTokens: 300, maxTestTokens: 100, epochs: 2 },
  selfsim: { minOccurrences: 2, maxWords: 30 },
};
let encoder: Encoder;

before(async () => {
  encoder = await createEncoder(path.join(root, "models", "mlm-pos"), { threads: 1 });
});
after(async () => {
  await encoder?.dispose();
});

const bare = (r: object) => JSON.stringify({ ...r, provenance: null });

async function shards(count: number, o: RunOptions = opts): Promise<ShardState[]> {
  const out: ShardState[] = [];
  for (let k = 0; k < count; ++k) out.push(JSON.parse(JSON.stringify(await runShard(encoder, sentences, o, { index: k, count }))) as ShardState);
  return out;
}

test("mergeShards of N = 1, 3 and 7 shards (unequal, two empty) is the single run's bytes, states and results", async () => {
  // the states' float64 sums (base64) show a changed order of additions that the results' 7 digits may round away
  let singleStates = "", mergedStates = "";
  const single = bare(await runAnalyses(encoder, sentences, { ...opts, onStates: (s) => void (singleStates = JSON.stringify(s)) }));
  for (const count of [1, 3, 7]) {
    const set = await shards(count);
    const sizes = set.map((s) => s.nodes.reduce((n, x) => n + x.value.sentences, 0));
    if (count === 3) assert.deepEqual(sizes, [10, 18, 12]);
    if (count === 7) assert.deepEqual(sizes, [0, 10, 9, 0, 9, 9, 3]);
    // the order the files come in does not matter
    const merged = await mergeShards(encoder, sentences, { ...opts, onStates: (s) => void (mergedStates = JSON.stringify(s)) }, set.reverse());
    assert.ok(mergedStates === singleStates, `N = ${count}: the merged states are not the single run's bits`);
    assert.equal(bare(merged), single, `N = ${count}`);
    assert.equal((merged.provenance.shards as unknown[]).length, count);
  }
});

test("mergeShards: the side worker and given clip dims take the same path to the same bytes", async () => {
  for (const extra of [{ worker: true }, { clipDims: [3, 1] }, { only: ["selfsim", "probe"] }] as RunOptions[]) {
    const o = { ...opts, ...extra };
    let a = "", b = "";
    const single = bare(await runAnalyses(encoder, sentences, { ...o, onStates: (s) => void (a = JSON.stringify(s)) }));
    assert.equal(bare(await mergeShards(encoder, sentences, { ...o, onStates: (s) => void (b = JSON.stringify(s)) }, await shards(3, o))), single, JSON.stringify(extra));
    assert.ok(a === b, `${JSON.stringify(extra)}: the merged states are not the single run's bits`);
  }
});

test("mergeShards refuses mixed samples, seeds and options, a duplicate or missing shard, and a damaged one", async () => {
  const set = await shards(3);
  const merge = (s: ShardState[], o = opts, names?: string[]) => mergeShards(encoder, sentences, o, s.map((x, i) => (names ? shardSource(x, names[i]) : x)));
  const names = ["a.json", "b.json", "c.json"];
  await assert.rejects(merge([set[0], set[1]]), /merge: shard 2 of 3 missing \(got 0, 1\); rerun it with --shard K\/3/);
  await assert.rejects(merge([set[0], set[1], set[1]], opts, names), /c\.json: duplicate shard 1\/3 \(also b\.json\); pass each shard once/);
  const other = (await runShard(encoder, sentences.slice(1), opts, { index: 1, count: 3 }));
  await assert.rejects(merge([set[0], other, set[2]], opts, names), /b\.json: sample of 39 sentences \(sha256 \w+\) is not a\.json's 40/);
  const seed = await runShard(encoder, sentences, { ...opts, seed: 4 }, { index: 2, count: 3 });
  await assert.rejects(merge([set[0], set[1], seed], opts, names), /c\.json: seed 4 is not a\.json's 3; merge shards run with one seed/);
  const option = await runShard(encoder, sentences, { ...opts, probe: { ...opts.probe, epochs: 3 } }, { index: 2, count: 3 });
  await assert.rejects(merge([set[0], set[1], option], opts, names), /c\.json: options differ from a\.json's in probe \(.*"epochs":3.* vs .*"epochs":2.*\); merge shards run with the same options/);
  await assert.rejects(merge(set, { ...opts, anisotropy: { pairs: 100, sampleSize: 300 } }), /shard 0: options differ from this run's in anisotropy/);
  const model = JSON.parse(JSON.stringify(set[1])) as ShardState;
  model.model.model = "someone/else";
  await assert.rejects(merge([set[0], model, set[2]], opts, names), /b\.json: model "someone\/else" .* is not a\.json's .*; merge shards of one checkpoint/);
  const cut = JSON.parse(JSON.stringify(set[2])) as ShardState;
  delete (cut as Partial<ShardState>).nodes;
  await assert.rejects(merge([set[0], set[1], cut], opts, names), /c\.json: a shard with missing or malformed fields .*; the file is damaged: rerun that shard/);
  await assert.rejects(merge([set[0], set[1], { format: "x" } as unknown as ShardState], opts, names), /c\.json: not a shard \(format "x"/);
});
