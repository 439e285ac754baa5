import { test } from "node:test";
import assert from "node:assert/strict";
import { stsLayerFigure, supervisedLayerFigure, wicLayerFigure } from "../../src/figures/scores.js";
import { assertSnapshot } from "./snapshot.js";
import { syntheticSts, syntheticSupervised, syntheticWic } from "./fixtures.js";

test("wicLayerFigure takes each layer's best threshold, raw and clipped, in % (synthetic)", () => {
  const fig = wicLayerFigure([{ model: "BERT-synthetic", result: syntheticWic() }]);
  assert.deepEqual(fig.data.map((t) => t.name), ["BERT-synthetic", "BERT-synthetic-clip"]);
  assert.deepEqual(fig.data[0].y, [50, 60]);
  assert.deepEqual(fig.data[1].y, [50, 70]);
  assertSnapshot("wic-layers-synthetic", fig);
});

test("stsLayerFigure and supervisedLayerFigure draw every layer, raw and clipped (synthetic)", () => {
  const sts = stsLayerFigure([{ model: "m", set: "STS-B", result: syntheticSts() }]);
  assert.deepEqual(sts.data.map((t) => t.name), ["STS-B, m", "STS-B, m-clip"]);
  assert.deepEqual(sts.data[1].y, [31, 45]);
  const sup = supervisedLayerFigure([{ model: "m", result: syntheticSupervised() }]);
  assert.deepEqual(sup.data[0].y, [60, 80]);
  assert.deepEqual(sup.data[1].y, [60, 75]);
  assertSnapshot("sts-layers-synthetic", sts);
  assertSnapshot("supervised-layers-synthetic", sup);
});
