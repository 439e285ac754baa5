import { test } from "node:test";
import assert from "node:assert/strict";
import { lineTrace, range, seriesTable, slug } from "../../src/figures/lines.js";
import { neuronStyle } from "../../src/figures/palette.js";

test("lineTrace copies the series into a plotly scatter trace", () => {
  const t = lineTrace({ name: "a", x: [1, 2], y: [0.5, null], style: neuronStyle(0), xaxis: "x2" });
  assert.equal(t.type, "scatter");
  assert.deepEqual(t.y, [0.5, null]);
  assert.equal(t.xaxis, "x2");
  assert.equal(t.yaxis, undefined);
});

test("seriesTable lists one row per point, with the panel column only when a series has one", () => {
  const s = [{ name: "a", x: [1, 2], y: [3, null], style: neuronStyle(0) }];
  assert.deepEqual(seriesTable(s, "layer", "v"), { columns: ["series", "layer", "v"], rows: [["a", 1, 3], ["a", 2, null]] });
  assert.deepEqual(seriesTable([{ ...s[0], panel: "m" }], "layer", "v").columns, ["panel", "series", "layer", "v"]);
});

test("range and slug", () => {
  assert.deepEqual(range(0, 3), [0, 1, 2, 3]);
  assert.deepEqual(range(2, 1), []);
  assert.equal(slug("RoBERTa-base clip"), "roberta-base-clip");
  assert.equal(slug("!!"), "figure");
});
