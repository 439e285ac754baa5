/**
 * Figs 1, 2, 7-10 and 16: the mean token vector of each layer against the dimension index, one
 * panel per layer in the paper's grid (3x4 for 12 layers, 2x3 for 6, 6x4 for 24), with the
 * detected outlier dimensions annotated. Also the extras from the same result: the share of
 * tokens whose argmin/argmax is each outlier dimension, per layer, and the largest such share per
 * layer for several models side by side (notebook 07).
 */
import type { OutlierResult } from "../analysis/outliers.js";
import { axis, baseLayout, gridLayout, layerRange, plotConfig, scopedTitle, formatCount } from "./layout.js";
import { modelFamily, modelStyle, neuronStyle } from "./palette.js";
import { lineTrace, slug, type Series } from "./lines.js";
import type { Cell, FigureSpec } from "./spec.js";

/** Options of {@link meanVectorsFigure}. */
export interface MeanVectorsOptions {
  /** Model label in the title, e.g. "BERT-base"; default "model". */
  model?: string;
  /** Layers to draw; default the Transformer blocks 1..L (the paper leaves out layer 0). */
  layers?: number[];
  /** Panels per row; default as the paper (4 for 12 or 24 layers, 3 for 6, 2 for 4). */
  columns?: number;
  /** Most outlier dimensions annotated per panel, largest share first; default 3. */
  annotate?: number;
  /** Figure id; default "mean-vectors-<model>". */
  id?: string;
  /** Figure title; default "<model>: mean token vector per layer". */
  title?: string;
}

const meanDefaults = { model: "model", annotate: 3 };

/** The mean-vector grid of one model (Figs 1, 2, 7-10; Fig 16 is one call per model). */
export function meanVectorsFigure(result: OutlierResult, options: MeanVectorsOptions = {}): FigureSpec {
  const { model, annotate } = { ...meanDefaults, ...options };
  const layers = (options.layers ?? result.layerIndices.filter((l) => l > 0)).filter((l) => result.layers.some((r) => r.layer === l && r.mean));
  if (layers.length === 0) throw new RangeError(`meanVectorsFigure: no layer with tokens among ${JSON.stringify(options.layers ?? result.layerIndices)}; encode some sentences first`);
  const dims = Array.from({ length: result.dim }, (_, i) => i);
  const family = modelFamily(model);
  const style = modelStyle(family);
  const data: Record<string, unknown>[] = [];
  const annotations: Record<string, unknown>[] = [];
  const rows: Cell[][] = [];
  const panelTitles = layers.map((l) => `Layer-${l}`);
  let tokens = 0;
  layers.forEach((layer, k) => {
    const r = result.layers.find((x) => x.layer === layer)!;
    const mean = r.mean!;
    tokens = Math.max(tokens, r.tokens);
    const suffix = k === 0 ? "" : String(k + 1);
    data.push({
      type: "scatter", mode: "lines", name: `Layer-${layer}`, x: dims, y: mean, xaxis: `x${suffix}`, yaxis: `y${suffix}`,
      line: { color: style.line.color, width: 1 }, showlegend: false,
      hovertemplate: `layer ${layer}<br>dim %{x}<br>mean %{y:.3f}<extra></extra>`,
    });
    for (const o of r.outliers.slice(0, annotate)) {
      annotations.push({
        xref: `x${suffix}`, yref: `y${suffix}`, x: o.dim, y: mean[o.dim], text: String(o.dim),
        showarrow: true, arrowhead: 0, ax: 18, ay: mean[o.dim] < 0 ? 18 : -18, font: { size: 10, color: "#222" },
      });
    }
    dims.forEach((d) => rows.push([layer, d, mean[d]]));
  });
  const scope = [`${layerRange(layers)}`, result.settings.includeSpecial ? "special tokens included" : "special tokens excluded", `${formatCount(tokens)} tokens per layer`].join("; ");
  const grid = gridLayout(panelTitles, { columns: options.columns, xTitle: "dim", yTitle: "mean value" });
  const title = options.title ?? `${model}: mean token vector per layer`;
  return {
    id: options.id ?? `mean-vectors-${slug(model)}`,
    title,
    data,
    layout: baseLayout(`${title}<br><sup>${scope}; numbers mark the outlier dimensions (0-based)</sup>`, {
      ...grid, annotations: [...(grid.annotations as unknown[]), ...annotations], showlegend: false, margin: { l: 64, r: 24, t: 84, b: 56 },
    }),
    config: plotConfig(),
    table: { columns: ["layer", "dim", "mean value"], rows },
  };
}

/** Options of {@link outlierShareFigure}. */
export interface OutlierShareOptions {
  model?: string;
  /** Dimensions to draw; default the result's persistent outliers, else each layer's top argmin and argmax. */
  dims?: { dim: number; kind: "min" | "max" }[];
  id?: string;
  title?: string;
}

/**
 * Bar chart: per layer (x), the percentage of tokens whose smallest (kind "min") or largest
 * ("max") value sits in each outlier dimension. Without persistent outliers it draws the most
 * frequent argmin and argmax dimension of each layer, labelled with the dimension.
 */
export function outlierShareFigure(result: OutlierResult, options: OutlierShareOptions = {}): FigureSpec {
  const model = options.model ?? "model";
  const layers = result.layers.filter((l) => l.tokens > 0);
  const x = layers.map((l) => l.layer);
  const data: Record<string, unknown>[] = [];
  const rows: Cell[][] = [];
  const chosen = options.dims ?? result.dimensions.map(({ dim, kind }) => ({ dim, kind }));
  if (chosen.length > 0) {
    chosen.forEach(({ dim, kind }, k) => {
      const name = `dim ${dim} (${kind === "min" ? "argmin" : "argmax"})`;
      const y = layers.map((l) => pct((kind === "min" ? l.minShare : l.maxShare)![dim]));
      data.push({ type: "bar", name, x, y, marker: { color: neuronStyle(k).line.color } });
      x.forEach((layer, i) => rows.push([name, layer, dim, y[i]]));
    });
  } else {
    (["min", "max"] as const).forEach((kind, k) => {
      const top = layers.map((l) => topDim(kind === "min" ? l.minShare! : l.maxShare!));
      const name = `most frequent ${kind === "min" ? "argmin" : "argmax"} dim`;
      const y = top.map((t) => pct(t.share));
      data.push({ type: "bar", name, x, y, text: top.map((t) => String(t.dim)), textposition: "outside", marker: { color: neuronStyle(k).line.color } });
      x.forEach((layer, i) => rows.push([name, layer, top[i].dim, y[i]]));
    });
  }
  const scope = result.settings.includeSpecial ? "special tokens included" : "special tokens excluded";
  const title = options.title ?? `${model}: share of tokens whose extreme value is in the outlier dimension`;
  return {
    id: options.id ?? `outlier-share-${slug(model)}`,
    title,
    data,
    layout: baseLayout(title, {
      barmode: "group",
      xaxis: axis("layer", { dtick: 1 }),
      yaxis: axis(scopedTitle("% of tokens", scope), { range: [0, 105] }),
    }),
    config: plotConfig(),
    table: { columns: ["series", "layer", "dim", "% of tokens"], rows },
  };
}

/** Options of {@link topShareComparisonFigure}. */
export interface TopShareOptions {
  id?: string;
  title?: string;
}

/**
 * Line chart comparing models: per layer, the largest share of tokens that any single dimension
 * takes as argmin or argmax (100/dim % is chance). An outlier dimension shows as a curve near the
 * top; a model without one stays near chance. Used for the with/without-positions pair (Fig 16's
 * finding in one panel).
 */
export function topShareComparisonFigure(models: { model: string; result: OutlierResult }[], options: TopShareOptions = {}): FigureSpec {
  const series: Series[] = [];
  const dimsAt: Cell[][] = [];
  models.forEach(({ model, result }, k) => {
    const layers = result.layers.filter((l) => l.tokens > 0);
    const tops = layers.map((l) => {
      const lo = topDim(l.minShare!), hi = topDim(l.maxShare!);
      return lo.share >= hi.share ? { ...lo, kind: "argmin" } : { ...hi, kind: "argmax" };
    });
    series.push({ name: model, x: layers.map((l) => l.layer), y: tops.map((t) => pct(t.share)), style: modelStyle(modelFamily(model), { index: k }) });
    layers.forEach((l, i) => dimsAt.push([model, l.layer, tops[i].dim, tops[i].kind, pct(tops[i].share)]));
  });
  const data = series.map((s, k) => ({
    ...lineTrace(s),
    text: dimsAt.filter((r) => r[0] === s.name).map((r) => `dim ${r[2]} (${r[3]})`),
    hovertemplate: "layer %{x}<br>%{y:.1f}% of tokens<br>%{text}<extra>" + s.name + "</extra>",
    legendrank: k,
  }));
  const title = options.title ?? "Largest share of tokens held by one dimension (argmin or argmax)";
  return {
    id: options.id ?? "top-share-comparison",
    title,
    data,
    layout: baseLayout(title, { xaxis: axis("layer", { dtick: 1 }), yaxis: axis("% of tokens (largest over dimensions)", { range: [0, 105] }) }),
    config: plotConfig(),
    table: { columns: ["model", "layer", "dim", "extreme", "% of tokens"], rows: dimsAt },
  };
}

function topDim(share: readonly number[]): { dim: number; share: number } {
  let best = 0;
  for (let i = 1; i < share.length; ++i) if (share[i] > share[best]) best = i;
  return { dim: best, share: share[best] ?? 0 };
}

function pct(v: number): number {
  return Math.round(v * 1e6) / 1e4;
}
