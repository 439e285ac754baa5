import { test } from "node:test";
import assert from "node:assert/strict";
import { probeAccuracyFigure, probeContributionFigure } from "../../src/figures/probe.js";
import { assertSnapshot } from "./snapshot.js";
import { syntheticProbe } from "./fixtures.js";

test("probeAccuracyFigure draws accuracy for layers 1..L, one series per model (synthetic)", () => {
  const fig = probeAccuracyFigure([{ model: "BERT-synthetic", result: syntheticProbe() }, { model: "RoBERTa-synthetic", result: syntheticProbe() }]);
  assert.deepEqual(fig.data.map((t) => t.name), ["BERT-synthetic", "RoBERTa-synthetic"]);
  assert.deepEqual(fig.data[0].x, [1, 2]);
  assert.deepEqual(fig.data[0].y, [0.9, 0.5]);
  assert.throws(() => probeAccuracyFigure([]), /no results given/);
  assertSnapshot("probe-accuracy-synthetic", fig);
});

test("probeContributionFigure puts each outlier neuron beside the mean of all neurons (synthetic)", () => {
  const fig = probeContributionFigure(syntheticProbe(), { model: "synthetic" });
  assert.deepEqual(fig.data.map((t) => t.name), ["neuron 3", "Mean value of all neurons"]);
  assert.deepEqual(fig.data[0].y, [2, 4]);
  // mean of [0.1, 0.1, 0.2, 2] = 0.6; of [0.1, 0.1, 0.2, 4] = 1.1
  assert.deepEqual((fig.data[1].y as number[]).map((v) => Math.round(v * 10) / 10), [0.6, 1.1]);
  assert.equal((fig.data[1].marker as { symbol: string }).symbol, "triangle-down");
  assertSnapshot("probe-contribution-synthetic", fig);
});
