import { test } from "node:test";
import assert from "node:assert/strict";
import { positionCorrelationFigure, valueByPositionFigure } from "../../src/figures/positions.js";
import { PositionProfile } from "../../src/analysis/positions.js";
import { assertSnapshot } from "./snapshot.js";
import { layerBatch } from "./fixtures.js";

/** Synthetic profile: 2 dims, layers 1-2, 3 tokens at positions 0, 1, 2; dim 0 equals the position. */
function profile() {
  const p = new PositionProfile({ maxPositions: 8 });
  for (const layer of [1, 2]) p.add(layerBatch(layer, 2, [0, 1, 1, 0, 2, 1]));
  return p.result([0]);
}

test("valueByPositionFigure is a layer x position heatmap of one dim's mean (synthetic)", () => {
  const fig = valueByPositionFigure(profile(), 0, { model: "synthetic", minTokens: 1 });
  assert.equal(fig.data[0].type, "heatmap");
  assert.deepEqual(fig.data[0].x, [0, 1, 2]);
  assert.deepEqual(fig.data[0].y, [1, 2]);
  assert.deepEqual(fig.data[0].z, [[0, 1, 2], [0, 1, 2]]);
  assertSnapshot("value-by-position-synthetic", fig);
});

test("valueByPositionFigure blanks positions with too few tokens and rejects dims the profile lacks", () => {
  const fig = valueByPositionFigure(profile(), 0, { minTokens: 2 });
  assert.deepEqual(fig.data[0].z, [[null, null, null], [null, null, null]]);
  assert.throws(() => valueByPositionFigure(profile(), 1), /invalid dim: 1; the position profile kept dims \[0\]/);
});

test("positionCorrelationFigure draws |r| per layer beside the mean over all dims (synthetic)", () => {
  const fig = positionCorrelationFigure(profile(), { model: "synthetic" });
  assert.deepEqual(fig.data.map((t) => t.name), ["dim 0", "Mean value of all neurons"]);
  // dim 0 = position: r = 1; dim 1 = [1, 0, 1]: r = 0; mean |r| = 0.5
  assert.deepEqual(fig.data[0].y, [1, 1]);
  assert.deepEqual(fig.data[1].y, [0.5, 0.5]);
  assertSnapshot("position-correlation-synthetic", fig);
});
