import { test } from "node:test";
import assert from "node:assert/strict";
import { anisotropyFigure, cosineContributionFigure, postprocessFigure, selfSimilarityFigure } from "../../src/figures/anisotropy.js";
import { okabeIto } from "../../src/figures/palette.js";
import { assertSnapshot } from "./snapshot.js";
import { syntheticAnisotropy, syntheticContributions, syntheticSelfSim } from "./fixtures.js";

test("anisotropyFigure draws raw and clipped per model in the paper's styles, with interval bars (synthetic)", () => {
  const fig = anisotropyFigure([{ model: "BERT-synthetic", result: syntheticAnisotropy() }, { model: "RoBERTa-synthetic", result: syntheticAnisotropy() }]);
  assert.deepEqual(fig.data.map((t) => t.name), ["BERT-synthetic", "BERT-synthetic-clip", "RoBERTa-synthetic", "RoBERTa-synthetic-clip"]);
  assert.deepEqual(fig.data[0].y, [0.5, 0.8]);
  assert.deepEqual(fig.data[1].y, [0.1, 0.2]);
  assert.deepEqual((fig.data[0].marker as { symbol: string }).symbol, "square");
  assert.deepEqual((fig.data[2].marker as { symbol: string }).symbol, "circle");
  assert.equal((fig.data[3].line as { dash: string; color: string }).dash, "dash");
  assert.equal((fig.data[3].line as { color: string }).color, okabeIto.vermillion);
  const bars = fig.data[0].error_y as { array: number[]; arrayminus: number[] };
  assert.deepEqual(bars.array.map((v) => Math.round(v * 100) / 100), [0.05, 0.05]);
  assert.equal(fig.table!.rows.length, 8);
  assertSnapshot("anisotropy-synthetic", fig);
});

test("anisotropyFigure names clipped series with the given suffix and rejects absent variants", () => {
  const fig = anisotropyFigure([{ model: "m", result: syntheticAnisotropy() }], { clipSuffix: "-cut", intervals: false });
  assert.deepEqual(fig.data.map((t) => t.name), ["m", "m-cut"]);
  assert.equal(fig.data[0].error_y, undefined);
  assert.throws(() => anisotropyFigure([{ model: "m", result: syntheticAnisotropy() }], { variants: ["zscore"] }), /none of the variants \["zscore"\]/);
});

test("selfSimilarityFigure plots self-similarity minus anisotropy, raw and clipped (synthetic)", () => {
  const fig = selfSimilarityFigure([{ model: "BERT-synthetic", result: syntheticSelfSim([0.6, 0.3]), clipped: syntheticSelfSim([0.7, 0.5]) }]);
  assert.deepEqual(fig.data.map((t) => t.name), ["BERT-synthetic", "BERT-synthetic-clip"]);
  assert.deepEqual(fig.data[1].y, [0.7, 0.5]);
  const raw = selfSimilarityFigure([{ model: "m", result: syntheticSelfSim([0.6, 0.3]) }], { adjusted: false });
  assert.deepEqual(raw.data[0].y, [0.8, 0.5]);
  assertSnapshot("self-similarity-synthetic", fig);
});

test("postprocessFigure has one series per variant on the same pairs (synthetic)", () => {
  const fig = postprocessFigure(syntheticAnisotropy(), { model: "synthetic" });
  assert.deepEqual(fig.data.map((t) => t.name), ["raw", "clipped (outlier dims set to 0)", "whitened"]);
  assert.deepEqual(fig.data[2].y, [0, 0.01]);
  assertSnapshot("postprocess-synthetic", fig);
});

test("cosineContributionFigure draws the totals and each layer's top dimension term (synthetic)", () => {
  const fig = cosineContributionFigure(syntheticContributions(), { model: "synthetic" });
  assert.deepEqual(fig.data.map((t) => t.name), ["mean cosine", "mean cosine (clipped)", "dim 3 term (raw)"]);
  assert.deepEqual(fig.data[2].y, [0.2, 0.6]);
  assertSnapshot("cosine-contributions-synthetic", fig);
});
