/**
 * Interventions scored by the masked-LM loss. Ground truth from a SYNTHETIC checkpoint (`synthesize` with
 * mlmHead and a planted outlier, src/model/synthHead.ts): its head predicts a Zipf prior over words
 * through the planted dim alone, so ablating that dim must raise the loss on Zipf-drawn sentences to about
 * the uniform loss, while random dims leave it where it was.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { interveneMlm } from "../../src/analysis/interveneMlm.js";
import { synthesize } from "../../src/model/synth.js";
import { WORDPIECE_MIN_VOCAB, wordPieceVocab } from "../../src/model/synthTokenizer.js";
import { synthZipfSentences } from "../../src/model/synthHead.js";

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "intervene-"));
process.on("exit", () => fs.rmSync(tmp, { recursive: true, force: true }));
const HEAD = path.join(__dirname, "..", "..", "..", "test", "fixtures", "heads", "bert");

/** Sentences of 12 words drawn with p(word) proportional to 1 / rank (rank = id - first word id + 1). */
function zipfSentences(n: number, seed: number): string[] {
  return synthZipfSentences(n, seed);
}

test("synthZipfSentences draws words by 1 / rank, seeded", () => {
  const s = synthZipfSentences(200, 1);
  assert.deepEqual(synthZipfSentences(200, 1), s);
  const vocab = wordPieceVocab();
  const counts = new Map<string, number>();
  for (const w of s.join(" ").split(" ")) counts.set(w, (counts.get(w) ?? 0) + 1);
  // the first word ("the", rank 1) is drawn about twice as often as the second (rank 2)
  const first = vocab[WORDPIECE_MIN_VOCAB], second = vocab[WORDPIECE_MIN_VOCAB + 1];
  const ratio = counts.get(first)! / counts.get(second)!;
  assert.ok(ratio > 1.5 && ratio < 2.6, `ratio ${ratio}`);
});

test("SYNTHETIC ground truth: ablating the planted dim raises the MLM loss far more than random dims", async () => {
  const dir = await synthesize({ arch: "bert", layers: 2, hidden: 32, heads: 2, seed: 3, plantOutlier: { dim: 5, sign: "max" }, mlmHead: true, out: path.join(tmp, "planted") });
  const vocab = wordPieceVocab().length;
  const r = await interveneMlm(dir, { dims: [5], sentences: zipfSentences(60, 1), repeats: 5, threads: 1 });
  // without the planted dim the head predicts almost uniformly: the loss goes to about ln(vocab)
  assert.ok(r.clean < Math.log(vocab) - 1, `clean ${r.clean}`);
  assert.ok(Math.abs(r.ablated - Math.log(vocab)) < 0.3, `ablated ${r.ablated} vs ln V ${Math.log(vocab)}`);
  const rise = r.ablated - r.clean;
  for (const s of r.random.scores) assert.ok(Math.abs(s - r.clean) < 0.02 * rise, `random ${s} vs clean ${r.clean}`);
  assert.match(r.statement, /^ablating dim 5 \(zero, hidden_states, layers 0-2\) raises the MLM loss from \d\.\d{3} to \d\.\d{3}; random dims: /);
  assert.equal(r.head, "BertForMaskedLM");
  assert.deepEqual(r.targets, ["hidden_states.0", "hidden_states.1", "hidden_states.2"]);
  // the planted LayerNorm bias carries the dim: zeroing it in every norm does the same
  const ln = await interveneMlm(dir, { dims: [5], site: "ln_bias", sentences: zipfSentences(60, 1), repeats: 2, threads: 1 });
  assert.ok(ln.ablated - ln.clean > 0.8 * rise, `ln_bias ${ln.clean} -> ${ln.ablated}`);
});

test("ablation value 0 equals zero ablation; mean ablation fits on sentences kept apart", async () => {
  const sentences = ["hello world.", "the wind came from the north.", "the people of the old town built a great fire on the hill.", "the king found gold under the mountain.", "every man and child would come to hear the stories."];
  const zero = await interveneMlm(HEAD, { dims: [1, 2], layers: [1], sentences, repeats: 2, threads: 1 });
  const value = await interveneMlm(HEAD, { dims: [1, 2], layers: [1], sentences, repeats: 2, threads: 1, ablation: "value", value: 0 });
  assert.equal(value.ablated, zero.ablated);
  assert.deepEqual(value.random.scores, zero.random.scores);
  const mean = await interveneMlm(HEAD, { dims: [1, 2], layers: [1], sentences, repeats: 2, threads: 1, ablation: "mean" });
  assert.equal(mean.clean, zero.clean);
  assert.notEqual(mean.ablated, zero.ablated);
  assert.equal(mean.sentences.fit, 1);
  assert.equal(mean.sentences.count, 4);
});

test("the embedded model is scored on its held-out documents by default", async () => {
  const r = await interveneMlm(path.join(__dirname, "..", "..", "..", "models", "mlm-pos"), { dims: [8, 66], layers: [4], sample: 8, repeats: 1, threads: 1, score: "pppl" });
  assert.equal(r.sentences.heldOut, true);
  assert.match(r.sentences.source, /held-out documents of .*corpus\.json \(17 documents\)/);
  assert.equal(r.sentences.count, 8);
  assert.equal(r.score, "pseudo-log-likelihood loss (nats)");
  assert.ok(r.clean > 3 && r.clean < Math.log(4096));
});
