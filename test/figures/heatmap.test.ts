import { test } from "node:test";
import assert from "node:assert/strict";
import { contributionHeatmapFigure } from "../../src/figures/heatmap.js";
import { assertSnapshot } from "./snapshot.js";
import { syntheticProbe } from "./fixtures.js";

test("contributionHeatmapFigure has one panel per outlier neuron and one for the highest other (synthetic)", () => {
  const fig = contributionHeatmapFigure(syntheticProbe(), { model: "synthetic", minTokens: 1 });
  assert.deepEqual(fig.data.map((t) => t.name), ["neuron 3", "highest other neuron"]);
  assert.deepEqual(fig.data[0].x, [0, 1, 2]);
  assert.deepEqual(fig.data[0].y, [1, 2]);
  assert.deepEqual(fig.data[0].z, [[2, 1, null], [4, 2, null]]);
  assert.deepEqual(fig.data[1].text, [["neuron 2", "neuron 1", ""], ["neuron 2", "neuron 1", ""]]);
  assert.equal(fig.data[1].yaxis, "y2");
  assertSnapshot("probe-heatmap-synthetic", fig);
});

test("contributionHeatmapFigure blanks positions with too few held-out tokens", () => {
  const fig = contributionHeatmapFigure(syntheticProbe(), { minTokens: 3 });
  assert.deepEqual(fig.data[0].z, [[null, null, null], [null, null, null]]);
});
