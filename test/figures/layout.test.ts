import { test } from "node:test";
import assert from "node:assert/strict";
import { axisIds, baseLayout, formatCount, gridLayout, gridShape, layerRange, plotConfig, scopeText, scopedTitle } from "../../src/figures/layout.js";

test("plotConfig is interactive, without the plotly logo, responsive", () => {
  assert.deepEqual(plotConfig(), { staticPlot: false, displaylogo: false, responsive: true });
});

test("gridShape lays panels out as the paper does (12 -> 3x4, 6 -> 2x3, 24 -> 6x4, 4 -> 2x2)", () => {
  assert.deepEqual(gridShape(12), { rows: 3, columns: 4 });
  assert.deepEqual(gridShape(6), { rows: 2, columns: 3 });
  assert.deepEqual(gridShape(24), { rows: 6, columns: 4 });
  assert.deepEqual(gridShape(4), { rows: 2, columns: 2 });
  assert.deepEqual(gridShape(1), { rows: 1, columns: 1 });
  assert.throws(() => gridShape(0), /invalid panel count: 0/);
});

test("layerRange and scopeText describe what a result covers", () => {
  assert.equal(layerRange([3, 1, 2, 4]), "layers 1–4");
  assert.equal(layerRange([0, 2, 5]), "layers 0, 2, 5");
  assert.equal(layerRange([2]), "layer 2");
  assert.equal(layerRange([]), "");
  assert.equal(scopeText({ layers: [1, 2], includeSpecial: false, tokens: 12345 }), "layers 1–2; special tokens excluded; 12,345 tokens");
  assert.equal(scopeText({}), "");
  assert.equal(scopedTitle("mean value", ""), "mean value");
  assert.equal(scopedTitle("mean value", "layer 1"), "mean value (layer 1)");
  assert.equal(formatCount(1234567), "1,234,567");
});

test("gridLayout gives each panel its axes, titles on the outer panels only, and a title annotation", () => {
  const g = gridLayout(["a", "b", "c"], { columns: 2, xTitle: "dim", yTitle: "mean" }) as Record<string, any>;
  assert.deepEqual(axisIds(2), { x: "x3", y: "y3", xKey: "xaxis3", yKey: "yaxis3" });
  assert.equal(g.xaxis.title.text, ""); // panel a is not on the bottom row (c is below it)
  assert.equal(g.xaxis2.title.text, "dim"); // nothing below b
  assert.equal(g.yaxis2.title.text, "");
  assert.equal(g.yaxis3.title.text, "mean");
  assert.equal(g.xaxis3.anchor, "y3");
  assert.deepEqual(g.annotations.map((a: { text: string }) => a.text), ["a", "b", "c"]);
});

test("baseLayout puts the title and shared defaults, extras override", () => {
  const l = baseLayout("T", { height: 300 }) as Record<string, any>;
  assert.equal(l.title.text, "T");
  assert.equal(l.height, 300);
  assert.equal(l.plot_bgcolor, "#ffffff");
});
