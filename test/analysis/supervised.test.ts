import { test } from "node:test";
import assert from "node:assert/strict";
import { evaluateSupervised, poolTexts, selectRows, splitTrainTest } from "../../src/analysis/supervised.js";
import { createRandom } from "../../src/numerics/random.js";
import type { LabelledTexts } from "../../src/data/formats/sentiment.js";
import { HIDDEN, pooled, synthEncoder } from "./helpers/synthEncoder.js";

// SYNTHETIC task: one-word sentences starting with "a" (so dims 1-3 of the synthetic vectors are constant);
// class 1 = words of 5-6 letters, class 0 = 1-3 letters. Only dim 0 (word length) separates the classes.
const words0 = ["a", "ab", "abc", "ac", "ad", "abd", "ae", "af"];
const words1 = ["abcde", "abcdef", "acdef", "adefg", "aefgh", "abcdf", "abefg", "acdeg"];
const labelled = (texts: string[], labels: number[]): LabelledTexts => ({ format: "sst-2", file: "synthetic", texts, labels: Int32Array.from(labels), classes: 2, classNames: ["0", "1"] });
const train = labelled([...words0.slice(0, 6), ...words1.slice(0, 6)], [0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1]);
const heldOut = labelled([...words0.slice(6), ...words1.slice(6)], [0, 0, 1, 1]);

test("splitTrainTest is a seeded shuffle: first round(n * f) are test", () => {
  const order = createRandom(4).shuffle([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  assert.deepEqual(splitTrainTest(10, 0.3, 4), { test: order.slice(0, 3).sort((a, b) => a - b), train: order.slice(3).sort((a, b) => a - b) });
  assert.throws(() => splitTrainTest(3, 0.1, 0), /leaves an empty train or test part/);
  assert.throws(() => splitTrainTest(3, 1, 0), /invalid testFraction: 1/);
});

test("selectRows copies rows and zeroes clipped dims", () => {
  assert.deepEqual(Array.from(selectRows(Float32Array.of(1, 2, 3, 4, 5, 6), 2, [2, 0], [1])), [5, 0, 1, 0]);
});

test("poolTexts stores each requested layer's mean-pooled vectors in input order", async () => {
  const p = await poolTexts(synthEncoder(), ["ab c", "x", "defghijk"], { layers: [2], batchSize: 2 });
  assert.deepEqual(p.layers, [2]);
  assert.deepEqual(Array.from(p.vectors.get(2)!.subarray(2 * HIDDEN, 3 * HIDDEN)), pooled("defghijk", 2));
  assert.deepEqual([p.hidden, p.modelLayers, p.emptyTexts], [HIDDEN, 2, 0]);
});

test("evaluateSupervised: the length dim separates the classes; clipping it leaves a constant vector (chance)", async () => {
  const r = await evaluateSupervised(synthEncoder(), { train, test: heldOut, task: "synthetic length" }, { clip: [0], epochs: 300, batchSize: 12, lr: 0.05, layers: [1, 2] });
  assert.deepEqual(r.layers.map((l) => l.raw.accuracy), [1, 1]);
  // clipped vectors are identical for every sentence, so every test sentence gets the same class: 2 of 4 right
  assert.deepEqual(r.layers.map((l) => l.clipped!.accuracy), [0.5, 0.5]);
  assert.deepEqual(r.best, { raw: { layer: 1, accuracy: 1 }, clipped: { layer: 1, accuracy: 0.5 } });
  assert.deepEqual(r.sizes, { train: 12, test: 4, classes: 2, emptyTexts: 0 });
  assert.equal(r.majorityBaseline, 0.5);
  assert.equal(r.settings.split, "supplied");
  assert.equal(r.task, "synthetic length");
  // seeded: the same call gives the same result
  assert.deepEqual(await evaluateSupervised(synthEncoder(), { train, test: heldOut }, { clip: [0], epochs: 300, batchSize: 12, lr: 0.05, layers: [1, 2] }), { ...r, task: "sst-2" });
});

test("evaluateSupervised splits a single set by seed and checks layers and dims", async () => {
  const r = await evaluateSupervised(synthEncoder(), { train }, { testFraction: 0.25, seed: 3, epochs: 1, layers: [2] });
  assert.deepEqual([r.sizes.train, r.sizes.test], [9, 3]);
  assert.deepEqual(r.settings.split, { testFraction: 0.25, seed: 3 });
  assert.equal(r.best.clipped, null);
  await assert.rejects(evaluateSupervised(synthEncoder(), { train }, { layers: [7] }), /invalid layer: 7; the model has layers 0..2/);
  await assert.rejects(evaluateSupervised(synthEncoder(), { train }, { clip: [9] }), /invalid clip dimension: 9/);
  await assert.rejects(evaluateSupervised(synthEncoder(), { train, test: { ...heldOut, classes: 5 } }), /invalid test: 5 classes, train has 2/);
});
