import { test } from "node:test";
import assert from "node:assert/strict";
import { layerNormRankFigure, positionRowFigure, positionValuesFigure } from "../../src/figures/positionRow.js";
import { outlierOrigins } from "../../src/analysis/origins.js";
import { assertSnapshot } from "./snapshot.js";
import { syntheticTensors } from "./fixtures.js";

test("positionRowFigure draws the row of the token position, offset applied (synthetic)", () => {
  const fig = positionRowFigure(syntheticTensors(), { model: "synthetic", annotate: 1 });
  assert.deepEqual(fig.data[0].y, [0.1, -0.9, 0.05, 0.2].map(Math.fround));
  // the largest |value| of row 0 is dim 1 (-0.9)
  assert.deepEqual((fig.layout.annotations as { text: string }[]).map((a) => a.text), ["1"]);
  const shifted = positionRowFigure(syntheticTensors(2), { position: 0 });
  assert.equal(shifted.data[0].name, "row 2");
  assertSnapshot("position-row-synthetic", fig);
});

test("positionRowFigure rejects rows outside the table and models without positions", () => {
  assert.throws(() => positionRowFigure(syntheticTensors(), { row: 3 }), /invalid row: 3; the position table has rows 0..2/);
  assert.throws(() => positionRowFigure({ ...syntheticTensors(), positionEmbeddings: null }), /no position embeddings/);
});

test("positionValuesFigure draws a dimension's value at each token position (synthetic)", () => {
  const fig = positionValuesFigure(outlierOrigins(syntheticTensors(), [{ dim: 1, kind: "min" }]), { model: "synthetic" });
  assert.deepEqual(fig.data[0].x, [0, 1, 2]);
  assert.deepEqual(fig.data[0].y, [-0.9, 0.1, 0.1]);
  assertSnapshot("position-values-synthetic", fig);
});

test("layerNormRankFigure gives gamma and beta ranks per layer, first and second LN (synthetic)", () => {
  const fig = layerNormRankFigure(outlierOrigins(syntheticTensors(), [1]), { model: "synthetic" });
  assert.deepEqual(fig.data.map((t) => t.name), ["dim 1 γ (first LN)", "dim 1 β (first LN)", "dim 1 γ (second LN)", "dim 1 β (second LN)"]);
  // first LN of layer 1: gamma [1, 3, 2, 1] -> dim 1 is rank 1
  assert.deepEqual(fig.data[0].x, [0, 1]);
  assert.equal((fig.data[0].y as number[])[1], 1);
  assertSnapshot("layernorm-ranks-synthetic", fig);
});
