import { test } from "node:test";
import assert from "node:assert/strict";
import { meanVectorsFigure, outlierShareFigure, topShareComparisonFigure } from "../../src/figures/meanVectors.js";
import { assertSnapshot } from "./snapshot.js";
import { syntheticOutliers } from "./fixtures.js";

test("meanVectorsFigure draws one panel per layer 1..L with the outlier dimension annotated (synthetic)", () => {
  const fig = meanVectorsFigure(syntheticOutliers(), { model: "synthetic" });
  assert.deepEqual(fig.data.map((t) => t.name), ["Layer-1", "Layer-2"]);
  // mean of dim 2 over 4 tokens is -5; x runs over the 4 dimensions
  assert.deepEqual(fig.data[0].x, [0, 1, 2, 3]);
  assert.equal((fig.data[0].y as number[])[2], -5);
  assert.equal(fig.data[1].xaxis, "x2");
  const notes = (fig.layout.annotations as { text: string; xref?: string }[]).filter((a) => a.xref?.startsWith("x"));
  assert.deepEqual(notes.map((a) => a.text), ["2", "2"]);
  assert.equal(fig.table!.rows.length, 8);
  assert.deepEqual(fig.table!.columns, ["layer", "dim", "mean value"]);
  assert.equal(fig.config!.displaylogo, false);
  assertSnapshot("mean-vectors-synthetic", fig);
});

test("meanVectorsFigure draws layer 0 when asked and rejects layers without tokens", () => {
  const fig = meanVectorsFigure(syntheticOutliers(), { layers: [0], model: "synthetic" });
  assert.deepEqual(fig.data.map((t) => t.name), ["Layer-0"]);
  assert.throws(() => meanVectorsFigure(syntheticOutliers(), { layers: [7] }), /no layer with tokens among \[7\]/);
});

test("outlierShareFigure gives the percentage of tokens whose argmin is the outlier, per layer (synthetic)", () => {
  const fig = outlierShareFigure(syntheticOutliers(), { model: "synthetic" });
  assert.deepEqual(fig.data.map((t) => t.name), ["dim 2 (argmin)"]);
  // layer 0: dim 2 is the argmin of no token (ties go to the lower index); layers 1, 2: all 4 tokens
  assert.deepEqual(fig.data[0].x, [0, 1, 2]);
  assert.deepEqual(fig.data[0].y, [0, 100, 100]);
  assertSnapshot("outlier-share-synthetic", fig);
});

test("outlierShareFigure falls back to each layer's most frequent argmin and argmax dimension", () => {
  const fig = outlierShareFigure(syntheticOutliers(), { dims: [] });
  assert.deepEqual(fig.data.map((t) => t.name), ["most frequent argmin dim", "most frequent argmax dim"]);
  // layer 0: dims 0 (2 tokens), 3 and 1 are minima, so dim 0 leads; layers 1, 2: dim 2
  assert.deepEqual(fig.data[0].text, ["0", "2", "2"]);
});

test("topShareComparisonFigure puts one series per model with the top share per layer (synthetic)", () => {
  const r = syntheticOutliers();
  const fig = topShareComparisonFigure([{ model: "synthetic-a", result: r }, { model: "synthetic-b", result: r }]);
  assert.deepEqual(fig.data.map((t) => t.name), ["synthetic-a", "synthetic-b"]);
  assert.deepEqual(fig.data[0].y, [50, 100, 100]);
  assert.notEqual((fig.data[0].line as { color: string }).color, (fig.data[1].line as { color: string }).color);
  assertSnapshot("top-share-synthetic", fig);
});
