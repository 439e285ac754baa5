/**
 * Isotropy's sentence subset (isotropy.sentences = S): the covariance reads every k-th sentence by
 * sample index, k = max(1, ceil(sentences / S)), so a shard run picks the single run's sentences and
 * merges to its bytes; S = 0 reads every token. On the embedded model models/mlm-pos (a real small
 * masked LM trained by the project), 40 sentences in blocks of 9 after 10 fit sentences.
 */
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import * as path from "node:path";
import { createEncoder, type Encoder } from "../../src/model/encoder.js";
import { toLayerBatches } from "../../src/analysis/batch.js";
import { runAnalyses, type RunOptions } from "../../src/analysis/run.js";
import { mergeShards, runShard, type ShardState } from "../../src/analysis/shard.js";
import { isotropyStride, LayerCovariance } from "../../src/analysis/isotropy.js";
import { jsLinalg } from "../../src/numerics/linalg.js";
import { loadCorpus } from "../../src/data/corpus.js";
import { sampleSentences } from "../../src/data/sample.js";
import { lb } from "./fixtures.js";

const root = path.join(__dirname, "..", "..", "..");
const sentences = sampleSentences(loadCorpus("default"), { n: 40, seed: 5, minWords: 4, maxWords: 30 });
const opts: RunOptions = { seed: 3, fitSentences: 10, blockSentences: 9, batchSize: 4, worker: false, only: ["isotropy"], anisotropy: { pairs: 200, sampleSize: 300 } };
let encoder: Encoder;

before(async () => {
  encoder = await createEncoder(path.join(root, "models", "mlm-pos"), { threads: 1 });
});
after(async () => {
  await encoder?.dispose();
});

/** Non-special tokens per layer of the sentences whose sample index `keep` accepts, counted from the encoder's own batches. */
async function tokensOf(keep: (sentence: number) => boolean): Promise<Map<number, number>> {
  const counts = new Map<number, number>();
  for await (const enc of encoder.encode(sentences, { batchSize: 4 })) {
    for (const b of toLayerBatches(enc)) for (let r = 0; r < b.special.length; ++r) if (!b.special[r] && keep(b.sentence[r])) counts.set(b.layer, (counts.get(b.layer) ?? 0) + 1);
  }
  return counts;
}

test("isotropyStride: k = max(1, ceil(sentences / S)), 1 for S = 0; a bad S is refused naming the option", () => {
  assert.equal(isotropyStride(2000, 2048), 1);
  assert.equal(isotropyStride(2048, 2048), 1);
  assert.equal(isotropyStride(2049, 2048), 2);
  assert.equal(isotropyStride(20000, 2048), 10);
  assert.equal(isotropyStride(20000), 10);
  assert.equal(isotropyStride(20000, 0), 1);
  assert.equal(isotropyStride(40, 7), 6);
  assert.throws(() => isotropyStride(40, -1), /isotropy\.sentences/);
  assert.throws(() => isotropyStride(40, 1.5), /isotropy\.sentences/);
  assert.throws(() => new LayerCovariance(() => jsLinalg, { stride: 0 }), /isotropy stride/);
});

test("LayerCovariance with a stride reads exactly the rows of sentences whose index is a multiple of it", async () => {
  const c = new LayerCovariance(() => jsLinalg, { block: 4, stride: 3 });
  // sentences 0..9, two tokens each; the row values are their sentence index
  const sentence = Array.from({ length: 20 }, (_, k) => Math.floor(k / 2));
  c.add(lb({ dim: 1, data: sentence, sentence }));
  const m = (await c.settle()).get(0);
  // sentences 0, 3, 6, 9: mean 4.5
  assert.equal(m.count, 8);
  assert.equal(m.mean[0], 4.5);
});

test("isotropy.sentences: shards pick the single run's sentences (merged bytes equal); the tokens are those of every k-th sentence; S = 0 reads every token", async () => {
  const subset = { ...opts, isotropy: { sentences: 7 } };
  const single = await runAnalyses(encoder, sentences, subset);
  const iso = single.isotropy!;
  assert.equal(iso.settings.sentences, 7);
  assert.equal(iso.settings.stride, 6);
  const want = await tokensOf((s) => s % 6 === 0);
  for (const l of iso.layers) assert.equal(l.tokens, want.get(l.layer), `layer ${l.layer}`);
  for (const count of [3, 7]) {
    const set: ShardState[] = [];
    for (let k = 0; k < count; ++k) set.push(JSON.parse(JSON.stringify(await runShard(encoder, sentences, subset, { index: k, count }))) as ShardState);
    const merged = await mergeShards(encoder, sentences, subset, set);
    assert.equal(JSON.stringify(merged.isotropy), JSON.stringify(iso), `N = ${count}`);
  }
  const every = (await runAnalyses(encoder, sentences, { ...opts, isotropy: { sentences: 0 } })).isotropy!;
  assert.equal(every.settings.stride, 1);
  const all = await tokensOf(() => true);
  for (const l of every.layers) assert.equal(l.tokens, all.get(l.layer), `layer ${l.layer}`);
  assert.ok(every.layers[0].tokens > 3 * iso.layers[0].tokens, "the subset reads fewer tokens");
  // at S >= the sample nothing changes: the scores of every token
  const large = (await runAnalyses(encoder, sentences, { ...opts, isotropy: { sentences: 40 } })).isotropy!;
  assert.equal(JSON.stringify(large.layers), JSON.stringify(every.layers));
});
