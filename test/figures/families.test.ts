import { test } from "node:test";
import assert from "node:assert/strict";
import * as path from "node:path";
import { outlierOrigins } from "../../src/analysis/origins.js";
import type { OutlierResult } from "../../src/analysis/outliers.js";
import { familyComparisonTable, familyOutlierCountFigure } from "../../src/figures/families.js";
import { loadCheckpoint, staticTensors } from "../../src/model/checkpoint.js";

const fixtures = path.join(__dirname, "..", "..", "..", "test", "fixtures", "families");
// hand-made outlier results over the SYNTHETIC fixtures' static tensors: the table's wording is checked, not any finding
const outliers = (dims: { dim: number; kind: "min" | "max"; layers: number[] }[], L: number): OutlierResult => ({
  analysis: "outliers", settings: { includeSpecial: false, minShare: 0.25, minLayers: 1, tokens: "non-special" }, dim: 32,
  layerIndices: Array.from({ length: L + 1 }, (_, l) => l),
  layers: Array.from({ length: L + 1 }, (_, l) => ({ layer: l, tokens: 10, argmin: [], argmax: [], minShare: null, maxShare: null, mean: null, outliers: dims.filter((d) => d.layers.includes(l)).map((d) => ({ dim: d.dim, kind: d.kind, share: 0.5 })) })),
  pooled: { layers: [], tokens: 0, argmin: [], argmax: [], minShare: null, maxShare: null },
  dimensions: dims.map((d) => ({ ...d, share: 0.5 })) as unknown as OutlierResult["dimensions"],
});

test("familyComparisonTable names each origin by the family's tensors and labels SYNTHETIC rows; the figure dots them", () => {
  const entry = (name: string, dims: { dim: number; kind: "min" | "max"; layers: number[] }[]) => {
    const st = staticTensors(loadCheckpoint(path.join(fixtures, name)));
    return { label: name, synthetic: true, outliers: outliers(dims, st.layerNorms.length > 6 ? 3 : 2), origins: outlierOrigins(st, dims) };
  };
  const entries = [entry("mpnet", [{ dim: 4, kind: "max", layers: [1, 2] }]), entry("modernbert", []), entry("electra", [{ dim: 1, kind: "min", layers: [2] }])];
  const t = familyComparisonTable(entries);
  assert.equal(t.rows.length, 3);
  assert.equal(t.rows[0][0], "mpnet (SYNTHETIC)");
  assert.match(String(t.rows[0][7]), /encoder\.relative_attention_bias\.weight: per attention head, not per dim/);
  assert.match(String(t.rows[0][6]), /of 258 rows at \|z\| >= 4/);
  assert.deepEqual(t.rows[1].slice(0, 2), ["modernbert (SYNTHETIC)", "modernbert"]);
  assert.equal(t.rows[1][7], "no table (none to inspect)");
  assert.equal(t.rows[2][6], "table in embedding space (projected), not per hidden dim");
  const f = familyOutlierCountFigure(entries);
  assert.ok(f.data.every((s) => String(s.name).endsWith("(SYNTHETIC)") && (s.line as { dash: string }).dash === "dot"));
});
