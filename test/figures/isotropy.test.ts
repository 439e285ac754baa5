/** The figures of notebook 09 on SYNTHETIC results built by hand: isotropy lines, the massive-activation map, sink mass. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { isotropyFigure } from "../../src/figures/isotropy.js";
import { massiveMapFigure } from "../../src/figures/massive.js";
import { sinkMassFigure } from "../../src/figures/sinks.js";
import { isotropyNarrative, isotropyTable, massiveNarrative, sinkNarrative } from "../../src/figures/sitesNarrative.js";
import type { IsotropyResult } from "../../src/analysis/isotropy.js";
import type { MassiveResult, MassiveSite } from "../../src/analysis/massive.js";
import type { SinkResult } from "../../src/analysis/sinks.js";
import { okabeIto } from "../../src/figures/palette.js";
import { assertSnapshot } from "./snapshot.js";

function isotropy(): IsotropyResult {
  const v = (iso: number, cos: number | null) => ({ isoScore: iso, isoScoreStar: iso + 0.1, effectiveRank: 10 * iso, top1: 1 - iso, top5: 1, averageCosine: cos });
  return {
    analysis: "isotropy",
    settings: { zeta: 0.2, c0: "trace / d x identity", covariance: "unbiased (N - 1), every token of the sentences read", sentences: 2048, stride: 1, subset: "sentence index % stride == 0, stride = max(1, ceil(sample sentences / sentences)); 1 when sentences is 0", block: 1024, tokens: "non-special", variants: ["raw", "clipped", "whitening"], postprocessing: {} },
    layerIndices: [0, 1],
    layers: [
      { layer: 0, tokens: 50, dim: 4, variants: { raw: v(0.2, 0.5), clipped: v(0.3, 0.1), whitening: v(0.9, null) } },
      { layer: 1, tokens: 50, dim: 4, variants: { raw: v(0.1, 0.8), clipped: v(0.4, 0.2), whitening: v(0.95, 0) } },
    ],
  };
}

function site(kind: MassiveSite["kind"], layer: number, dimMaxAbs: number[]): MassiveSite {
  const max = Math.max(...dimMaxAbs);
  return {
    site: `${kind}.${layer}`, kind, layer, width: dimMaxAbs.length, tokens: 5, values: 5 * dimMaxAbs.length, median: 1, medianBounds: [0.99, 1.01], maxAbs: max, dimMaxAbs,
    top: [], aboveAbsolute: max > 100 ? 1 : 0, threshold: 1000, massive: max > 1000 ? 1 : 0, massiveBounds: [0, 0], exact: true,
    byClass: { cls: 0, sep: max > 1000 ? 1 : 0, first: 0, punct: 0, other: 0 }, dims: [],
  };
}

function massive(): MassiveResult {
  return {
    analysis: "massive",
    settings: { absolute: 100, ratio: 1000, topK: 10, maxCandidates: 10000, topDims: 10, tokens: "all", histogram: { binsPerOctave: 128, relativeResolution: 0.0054 } },
    sites: [site("hidden_states", 0, [1, 2, 0.5]), site("ffn_resid", 1, [3, 2000, 1]), site("hidden_states", 1, [1, 10, 0])],
    persistence: [],
    overflow: [],
  };
}

function sinks(): SinkResult {
  const head = (h: number, cls: number) => ({ head: h, mass: { cls, sep: 0.1, first: 0.05, punct: 0 }, sinkShare: { cls: cls > 0.3 ? 1 : 0, sep: 0, first: 0, punct: 0 } });
  return {
    analysis: "sinks",
    settings: { epsilon: 0.3, queries: "all" },
    sentences: 4, queries: 30,
    layers: [1, 2].map((layer) => ({
      layer, heads: [head(0, 0.9), head(1, 0.1 * layer)], sinkRate: { cls: 0.5, sep: 0, first: 0, punct: 0 },
      sinkClass: null, massiveClass: null, topClass: null, sinkIsMassive: null, sinkIsTop: null,
    })),
    sinkRate: { cls: 0.5, sep: 0, first: 0, punct: 0 },
    sinkHeads: [{ layer: 1, head: 0, class: "cls", mass: 0.9 }, { layer: 2, head: 0, class: "cls", mass: 0.9 }],
  };
}

test("isotropyFigure: one panel per measure, one line per variant in each, raw in the model's style and clipped dashed (synthetic)", () => {
  const fig = isotropyFigure(isotropy(), { model: "BERT-synthetic" });
  assert.equal(fig.data.length, 6 * 3);
  assert.deepEqual(fig.data.slice(0, 3).map((t) => t.name), ["raw", "clipped (outlier dims set to 0)", "whitened"]);
  assert.deepEqual(fig.data[0].y, [0.2, 0.1]);
  assert.deepEqual(fig.data[1].y, [0.3, 0.4]);
  // the last panel is the average cosine; whitening lacks layer 0's
  assert.deepEqual(fig.data[15].y, [0.5, 0.8]);
  assert.deepEqual(fig.data[17].y, [null, 0]);
  assert.equal(fig.data[17].xaxis, "x6");
  assert.equal((fig.data[0].line as { color: string }).color, okabeIto.blue);
  assert.equal((fig.data[1].line as { dash: string }).dash, "dash");
  assert.deepEqual(fig.data.map((t) => t.showlegend), fig.data.map((_, i) => i < 3));
  assert.deepEqual(fig.table!.columns, ["panel", "series", "layer", "value"]);
  assert.equal(fig.table!.rows.length, 6 * 3 * 2);
  assertSnapshot("isotropy-synthetic", fig);
  const two = isotropyFigure(isotropy(), { variants: ["raw", "clipped"], measures: ["isoScore", "effectiveRank"] });
  assert.deepEqual(two.data.map((t) => t.y), [[0.2, 0.1], [0.3, 0.4], [2, 1], [3, 4]]);
  assert.throws(() => isotropyFigure(isotropy(), { variants: ["zscore"] }), /variant "zscore" is not in the result \(raw, clipped, whitening\)/);
  assert.throws(() => isotropyFigure(isotropy(), { measures: ["nope" as "top1"] }), /unknown measure "nope"/);
});

test("massiveMapFigure: a layer x dim panel per site kind, log10 of the largest |a| with the values on hover and in the table (synthetic)", () => {
  const fig = massiveMapFigure(massive(), { model: "synthetic" });
  assert.deepEqual(fig.data.map((t) => t.name), ["hidden_states", "ffn_resid"]);
  assert.deepEqual(fig.data[0].y, [0, 1]);
  // log10 of 1, 2, 0.5 and 1, 10, (0: no value)
  assert.deepEqual(fig.data[0].z, [[0, 0.301, -0.301], [0, 1, null]]);
  assert.deepEqual(fig.data[1].z, [[0.477, 3.301, 0]]);
  assert.deepEqual(fig.data[1].customdata, [[3, 2000, 1]]);
  assert.deepEqual(fig.table!.columns, ["site kind", "layer", "max |a| dim 0", "max |a| dim 1", "max |a| dim 2"]);
  assert.deepEqual(fig.table!.rows, [["hidden_states", 0, 1, 2, 0.5], ["hidden_states", 1, 1, 10, 0], ["ffn_resid", 1, 3, 2000, 1]]);
  assertSnapshot("massive-map-synthetic", fig);
  assert.deepEqual(massiveMapFigure(massive(), { kinds: ["ffn_resid"] }).data.map((t) => t.name), ["ffn_resid"]);
  assert.throws(() => massiveMapFigure(massive(), { kinds: ["attn_resid"] }), /site kind "attn_resid" is not in the result \(hidden_states, ffn_resid\)/);
});

test("sinkMassFigure: a layer x head panel per token class on one 0..1 scale, sink shares on hover and in the table (synthetic)", () => {
  const fig = sinkMassFigure(sinks(), { model: "synthetic" });
  assert.deepEqual(fig.data.map((t) => t.name), ["[CLS] / <s>", "[SEP] / </s>", "first content token", "punctuation"]);
  assert.deepEqual(fig.data[0].z, [[0.9, 0.1], [0.9, 0.2]]);
  assert.deepEqual(fig.data[0].customdata, [[1, 0], [1, 0]]);
  assert.deepEqual((fig.layout.coloraxis as { cmin: number; cmax: number }), { ...(fig.layout.coloraxis as object), cmin: 0, cmax: 1 });
  assert.equal(fig.table!.rows.length, 4 * 2 * 2);
  assertSnapshot("sink-mass-synthetic", fig);
  assert.throws(() => sinkMassFigure(sinks(), { classes: ["other" as "cls"] }), /unknown token class "other"/);
  assert.throws(() => sinkMassFigure({ ...sinks(), layers: [] }), /no layers/);
});

test("isotropyTable and the narratives quote the results' numbers (synthetic)", () => {
  const t = isotropyTable(isotropy(), { model: "m" });
  assert.deepEqual(t.columns.slice(0, 4), ["layer", "tokens", "IsoScore raw", "IsoScore clipped"]);
  assert.deepEqual(t.rows[1].slice(0, 4), [1, 50, 0.1, 0.4]);
  assert.deepEqual(t.rows[1].slice(-2), [0.8, 0.2]);
  // layer 1 only (layer 0 is the embeddings): raw 0.1, clipped 0.4, whitened 0.95
  assert.equal(isotropyNarrative(isotropy(), { model: "m" }), "**m** (layers 1-1): IsoScore 0.1-0.1 raw, 0.4-0.4 clipped (clipping changes it most at layer 1: +0.3); whitened 0.95-0.95. The average cosine of random pairs is 0.8-0.8 raw and 0.2-0.2 clipped; the top principal component holds 0.9-0.9 of the variance raw.");
  const m = massive();
  m.sites[1].top = [{ value: -2000, sentence: 3, token: "[SEP]", position: 7, dim: 1, class: "sep" }];
  m.persistence = [{ kind: "ffn_resid", dim: 1, class: "sep", layers: [1], count: 1 }];
  assert.equal(massiveNarrative(m, { model: "m" }), "**m**: massive activations (|a| > 100 and > 1000 x the site's median |a|) per site kind: hidden_states: 0; ffn_resid: 1 (layers 1). The largest |a| is 2000 at ffn_resid.1, dim 1, on \"[SEP]\" (sep, position 7), 2000 times the site's median |a|. The most persistent pair is dim 1 on sep tokens at ffn_resid, massive in 1 layer(s).");
  assert.equal(sinkNarrative(sinks(), { model: "m" }), "**m** (4 sentences, ε = 0.3): Gu et al.'s sink rate per token class cls 0.5, sep 0, first 0, punct 0. 2 head(s) put more than ε on one class over the whole sample; the strongest: layer 1 head 0 on cls (0.9), layer 2 head 0 on cls (0.9).");
});
