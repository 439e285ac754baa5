import { test } from "node:test";
import assert from "node:assert/strict";
import { jsLinalg, type Linalg } from "../../src/numerics/linalg.js";
import { PositionProbe, neuronContributions, predictWith } from "../../src/analysis/probe.js";
import { predict, trainSoftmax } from "../../src/numerics/softmax.js";
import { createRandom } from "../../src/numerics/random.js";
import { createOrtLinalg } from "../../src/model/linalg.js";
import { lb, split } from "./fixtures.js";

test("neuronContributions is |W[row, i] · v_i|", () => {
  // W = [[1, -2], [3, 0.5]]; v = (2, -4): row 1 -> (|3·2|, |0.5·-4|) = (6, 2); row 0 -> (2, 8)
  const W = Float32Array.from([1, -2, 3, 0.5]);
  assert.deepEqual(Array.from(neuronContributions(W, 2, 1, [9, 2, -4], 1, new Float64Array(2))), [6, 2]);
  assert.deepEqual(Array.from(neuronContributions(W, 2, 0, [2, -4], 0, new Float64Array(2))), [2, 8]);
});

// SYNTHETIC: 60 sentences of 4 tokens; dims 0-3 hold 3 at the token's position (one-hot) plus noise,
// dim 4 is always 0 (so its contribution is exactly 0), dim 5 is noise. [CLS] at position 0 is special.
function corpus(layer: number) {
  const g = createRandom(21), data: number[] = [], sentence: number[] = [], position: number[] = [], special: number[] = [];
  for (let s = 0; s < 60; ++s) {
    for (let p = 0; p < 4; ++p) {
      for (let i = 0; i < 6; ++i) data.push(i === 4 ? 0 : (i === p ? 3 : 0) + 0.1 * g.normal());
      sentence.push(s); position.push(p); special.push(p === 0 ? 1 : 0);
    }
  }
  return lb({ layer, dim: 6, data, sentence, position, special, word: position.map((p) => p - 1) });
}
const opts = { epochs: 40, batchSize: 16, lr: 0.05, seed: 3 };

test("PositionProbe decodes a planted position code on held-out sentences and ranks its neurons", () => {
  const r = new PositionProbe({ ...opts, includeSpecial: true }).add(corpus(1)).result([1, 4]);
  const l = r.layers[0];
  assert.equal(l.classes, 4);
  assert.equal(l.trainTokens + l.testTokens, 240);
  assert.ok(l.testTokens > 0 && l.testTokens % 4 === 0, "whole sentences are held out");
  assert.equal(l.accuracy, 1);
  assert.equal(l.dims[1].contribution, 0);
  assert.equal(l.dims[1].rank, 6);
  assert.ok(l.dims[0].rank <= 4);
  assert.equal(l.meanContribution, Number((l.contributions.reduce((a, b) => a + b, 0) / 6).toPrecision(7)));
  assert.deepEqual(l.heatmap.counts.length, 4);
  assert.equal(l.heatmap.byPosition[1].mean[2], 0);
  assert.ok(l.heatmap.highestOther.every((h) => h.dim !== 1 && h.dim !== 4));
  assert.deepEqual([r.settings.contribution, r.settings.bias, r.settings.maxClasses, r.settings.testFraction], ["true-row", false, 300, 0.2]);
});

test("PositionProbe excludes special tokens by default (position 0 then has no class data)", () => {
  const l = new PositionProbe(opts).add(corpus(1)).result().layers[0];
  assert.equal(l.trainTokens + l.testTokens, 180);
  assert.equal(l.heatmap.counts[0], 0);
});

test("PositionProbe gives identical JSON for any batching or sharding", () => {
  const b = corpus(2);
  const whole = JSON.stringify(new PositionProbe(opts).add(b).result([0]));
  const [p, q] = split(b, 37);
  assert.equal(JSON.stringify(new PositionProbe(opts).add(q).add(p).result([0])), whole);
  assert.equal(JSON.stringify(new PositionProbe(opts).add(p).merge(new PositionProbe(opts).add(q)).result([0])), whole);
});

test("PositionProbe caps classes at maxClasses and rejects bad options and dims", () => {
  const l = new PositionProbe({ ...opts, maxClasses: 2, includeSpecial: true }).add(corpus(1)).result().layers[0];
  assert.equal(l.classes, 2);
  assert.ok(l.droppedTrain > 0 && l.unseenTest > 0);
  assert.throws(() => new PositionProbe({ contribution: "sum" as never }), /invalid contribution: "sum"; expected one of true-row, predicted-row/);
  assert.throws(() => new PositionProbe(opts).add(corpus(1)).result([6]), /invalid dimension: 6; expected an integer in \[0, 5\]/);
});

test("PositionProbe with contribution \"predicted-row\" uses the argmax class's row (same as true-row when every prediction is right)", () => {
  const t = new PositionProbe({ ...opts, includeSpecial: true }).add(corpus(1)).result([0]).layers[0];
  const p = new PositionProbe({ ...opts, includeSpecial: true, contribution: "predicted-row" }).add(corpus(1)).result([0]);
  assert.equal(p.settings.contribution, "predicted-row");
  // accuracy is 1, so the predicted row is the true row for every held-out token
  assert.deepEqual(p.layers[0].contributions, t.contributions);
});

// SYNTHETIC: three layers of the same 60 sentences x 4 tokens; the position code weakens and the
// noise grows with the layer, so each layer's probe differs.
function layered(): ReturnType<typeof corpus>[] {
  return [0, 1, 2].map((layer) => {
    const b = corpus(layer), g = createRandom(100 + layer);
    for (let i = 0; i < b.data.length; ++i) b.data[i] = b.data[i] * (1 - 0.3 * layer) + 0.2 * layer * g.normal();
    return b;
  });
}

test("PositionProbe.resultWith(jsLinalg) equals result() (stacked layers, dropped tokens, and the per-layer fallback)", async () => {
  for (const o of [opts, { ...opts, maxClasses: 3, includeSpecial: true }]) {
    const probe = new PositionProbe(o);
    for (const b of layered()) probe.add(b);
    assert.deepEqual(await probe.resultWith(jsLinalg, [1, 4]), probe.result([1, 4]));
  }
  // layer 2 sees only part of the corpus, so its sample holds other tokens: one training call per layer
  const [b0, b1, b2] = layered(), partial = new PositionProbe(opts).add(b0).add(b1).add(split(b2, 100)[0]);
  const r = partial.result([0]);
  assert.notEqual(r.layers[2].trainTokens, r.layers[0].trainTokens);
  const calls: number[] = [];
  const counting: Linalg = { ...jsLinalg, trainSoftmaxStack: (x, y, count, ...rest) => (calls.push(count), jsLinalg.trainSoftmaxStack(x, y, count, ...rest)) };
  assert.deepEqual(await partial.resultWith(counting, [0]), r);
  assert.deepEqual(calls, [1, 1, 1]);
  await assert.rejects(partial.resultWith(jsLinalg, [6]), /invalid dimension: 6; expected an integer in \[0, 5\]/);
});

test("PositionProbe.resultWith(onnxruntime) trains every layer in one call and agrees with result() to float32 rounding", async () => {
  const ort = await createOrtLinalg({ threads: 1 });
  try {
    const probe = new PositionProbe({ ...opts, includeSpecial: true });
    for (const b of layered()) probe.add(b);
    const calls: number[] = [];
    const counting: Linalg = { ...ort, trainSoftmaxStack: (x, y, count, ...rest) => (calls.push(count), ort.trainSoftmaxStack(x, y, count, ...rest)) };
    const ref = probe.result([1, 4]), got = await probe.resultWith(counting, [1, 4]);
    assert.deepEqual(calls, [3], "one call trains all three layers");
    assert.deepEqual(got.settings, ref.settings);
    assert.deepEqual(got.layerIndices, [0, 1, 2]);
    got.layers.forEach((l, k) => {
      const e = ref.layers[k];
      assert.deepEqual([l.layer, l.trainTokens, l.testTokens, l.classes, l.droppedTrain, l.unseenTest], [e.layer, e.trainTokens, e.testTokens, e.classes, e.droppedTrain, e.unseenTest]);
      assert.ok(Math.abs(l.accuracy! - e.accuracy!) <= 2 / e.testTokens, `layer ${k}: accuracy ${l.accuracy} vs ${e.accuracy}`);
      assert.ok(Math.abs(l.loss! - e.loss!) < 1e-4, `layer ${k}: loss ${l.loss} vs ${e.loss}`);
      l.contributions.forEach((c, i) => assert.ok(Math.abs(c - e.contributions[i]) < 1e-3 * (Math.abs(e.contributions[i]) + 0.01), `layer ${k} dim ${i}: ${c} vs ${e.contributions[i]}`));
      if (k === 0) assert.equal(l.dims[1].contribution, 0);
      assert.deepEqual(l.heatmap.counts, e.heatmap.counts);
    });
  } finally {
    await ort.release();
  }
});

test("predictWith (logits through linalg) gives predict()'s classes, on both backends", async () => {
  const g = createRandom(21), n = 40, dim = 6, classes = 5;
  const x = Float32Array.from({ length: n * dim }, () => g.normal());
  const y = Int32Array.from({ length: n }, (_, i) => i % classes);
  const model = trainSoftmax(x, y, n, dim, classes, { epochs: 3, batchSize: 8, seed: 2 });
  const ort = await createOrtLinalg({ threads: 1 });
  try {
    assert.deepEqual(await predictWith(jsLinalg, model, x, n), predict(model, x, n));
    assert.deepEqual(await predictWith(ort, model, x, n), predict(model, x, n));
  } finally {
    await ort.release();
  }
  await assert.rejects(predictWith(jsLinalg, model, x, n - 1), /predictWith: x has 240 values; expected n x dim = 39 x 6/);
});
