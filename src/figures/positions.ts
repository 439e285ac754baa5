/**
 * Neuron value by position (notebook 02): each outlier dimension's mean value at every token
 * position and layer, as a heatmap (x = token position, y = layer, the layout of Figs 11-12), and
 * the Pearson correlation of each dimension with the token position per layer.
 */
import type { PositionResult } from "../analysis/positions.js";
import { axis, baseLayout, plotConfig, scopedTitle, layerRange } from "./layout.js";
import { meanOfAllStyle, neuronStyle, sequentialScale } from "./palette.js";
import { lineTrace, seriesTable, slug, type Series } from "./lines.js";
import type { Cell, FigureSpec } from "./spec.js";

/** Options of {@link valueByPositionFigure}. */
export interface ValueByPositionOptions {
  model?: string;
  /** Highest token position drawn; default the last position any layer saw. */
  maxPosition?: number;
  /** Least tokens a position needs to be drawn (sparse tail positions are noise); default 5. */
  minTokens?: number;
  id?: string;
  title?: string;
}

/** Heatmap of one dimension's mean value by token position (x) and layer (y). */
export function valueByPositionFigure(result: PositionResult, dim: number, options: ValueByPositionOptions = {}): FigureSpec {
  const model = options.model ?? "model";
  const minTokens = options.minTokens ?? 5;
  const layers = result.layers.filter((l) => l.tokens > 0);
  const rowsOf = layers.map((l) => l.byPosition.find((b) => b.dim === dim));
  if (rowsOf.some((r) => !r)) {
    throw new RangeError(`invalid dim: ${JSON.stringify(dim)}; the position profile kept dims ${JSON.stringify(result.settings.dims)} (pass it in PositionOptions)`);
  }
  const seen = Math.max(0, ...layers.map((l) => l.counts.length - 1));
  const last = Math.min(seen, options.maxPosition ?? Infinity);
  const x = Array.from({ length: last + 1 }, (_, p) => p);
  const z = layers.map((l, i) => x.map((p) => ((l.counts[p] ?? 0) >= minTokens ? rowsOf[i]!.mean[p] ?? null : null)));
  const table: Cell[][] = [];
  layers.forEach((l, i) => x.forEach((p) => table.push([l.layer, p, l.counts[p] ?? 0, z[i][p]])));
  const scope = [layerRange(layers.map((l) => l.layer)), result.settings.includeSpecial ? "special tokens included" : "special tokens excluded", `positions with at least ${minTokens} tokens`].join("; ");
  const title = options.title ?? `${model}: mean value of dim ${dim} by token position and layer`;
  return {
    id: options.id ?? `value-by-position-${slug(model)}-${dim}`,
    title,
    data: [{
      type: "heatmap", name: `dim ${dim}`, x, y: layers.map((l) => l.layer), z, colorscale: sequentialScale,
      colorbar: { title: { text: "mean value" } }, hovertemplate: "position %{x}<br>layer %{y}<br>mean %{z:.3f}<extra></extra>",
    }],
    layout: baseLayout(`${title}<br><sup>${scope}</sup>`, {
      xaxis: axis("token position"), yaxis: axis("layer", { dtick: 1 }), margin: { l: 64, r: 24, t: 76, b: 104 },
    }),
    config: plotConfig(),
    table: { columns: ["layer", "token position", "tokens", "mean value"], rows: table },
  };
}

/** Options of {@link positionCorrelationFigure}. */
export interface PositionCorrelationOptions {
  model?: string;
  /** Dimensions drawn as their own series; default the dims the profile kept (settings.dims). */
  dims?: number[];
  id?: string;
  title?: string;
}

/**
 * Per layer, |Pearson r| between token position and each chosen dimension's value, beside the
 * mean |r| over all dimensions (the "mean of all neurons" reference, as in Fig 5b/5c).
 */
export function positionCorrelationFigure(result: PositionResult, options: PositionCorrelationOptions = {}): FigureSpec {
  const model = options.model ?? "model";
  const dims = options.dims ?? result.settings.dims;
  const layers = result.layers.filter((l) => l.tokens > 0);
  const x = layers.map((l) => l.layer);
  const abs = (v: number | null | undefined) => (v === null || v === undefined ? null : Math.abs(v));
  const series: Series[] = dims.map((d, k) => ({ name: `dim ${d}`, x, y: layers.map((l) => abs(l.correlation[d])), style: neuronStyle(k) }));
  series.push({
    name: "Mean value of all neurons", x, style: meanOfAllStyle(),
    y: layers.map((l) => {
      const v = l.correlation.filter((c): c is number => c !== null);
      return v.length ? v.reduce((s, c) => s + Math.abs(c), 0) / v.length : null;
    }),
  });
  const title = options.title ?? `${model}: correlation of neuron values with token position`;
  const scope = result.settings.includeSpecial ? "special tokens included" : "special tokens excluded";
  return {
    id: options.id ?? `position-correlation-${slug(model)}`,
    title,
    data: series.map((s) => lineTrace(s)),
    layout: baseLayout(title, { xaxis: axis("layer", { dtick: 1 }), yaxis: axis(scopedTitle("|Pearson r| with token position", scope), { range: [0, 1] }) }),
    config: plotConfig(),
    table: seriesTable(series, "layer", "|r|"),
  };
}
