/**
 * Figs 3 and 4: one row of the position-embedding table against the dimension index (BERT-base's
 * first row, RoBERTa-base's fourth), with its largest-magnitude dimensions annotated; and the
 * extras of the origins analysis (§3.2): outlier values across position rows, LayerNorm ranks.
 */
import type { StaticTensors } from "../model/types.js";
import { axis, baseLayout, plotConfig } from "./layout.js";
import type { OriginResult } from "../analysis/origins.js";
import { modelFamily, modelStyle, neuronStyle } from "./palette.js";
import { lineTrace, range, seriesTable, slug, type Series } from "./lines.js";
import type { Cell, FigureSpec } from "./spec.js";

/** Options of {@link positionRowFigure}. */
export interface PositionRowOptions {
  model?: string;
  /**
   * Token position whose embedding row is drawn (row = positionOffset + position); default 0.
   * The paper's "fourth positional embedding" of RoBERTa is row 3 = token position 1 (offset 2).
   */
  position?: number;
  /** Draw this table row directly instead (overrides `position`). */
  row?: number;
  /** Dimensions annotated, largest |value| first; default 4 (RoBERTa's row has four outliers). */
  annotate?: number;
  id?: string;
  title?: string;
}

const defaults = { model: "model", position: 0, annotate: 4 };

/** One position-embedding row as a line over dimensions (Figs 3, 4). */
export function positionRowFigure(tensors: StaticTensors, options: PositionRowOptions = {}): FigureSpec {
  const { model, position, annotate } = { ...defaults, ...options };
  const table = tensors.positionEmbeddings;
  if (!table) throw new Error(`positionRowFigure: ${model} has no position embeddings (positionEmbeddingType "none"); nothing to draw`);
  const row = options.row ?? tensors.positionOffset + position;
  if (!Number.isInteger(row) || row < 0 || row >= table.rows) {
    throw new RangeError(`invalid row: ${JSON.stringify(row)}; the position table has rows 0..${table.rows - 1}`);
  }
  const h = tensors.hidden;
  const values = Array.from(table.data.subarray(row * h, (row + 1) * h));
  const tokenPosition = row - tensors.positionOffset;
  const dims = values.map((_, i) => i);
  const top = [...dims].sort((a, b) => Math.abs(values[b]) - Math.abs(values[a]) || a - b).slice(0, annotate);
  const style = modelStyle(modelFamily(model));
  const title = options.title ?? `${model}: position embedding row ${row} (token position ${tokenPosition})`;
  const rows: Cell[][] = dims.map((d) => [row, tokenPosition, d, values[d]]);
  return {
    id: options.id ?? `position-row-${slug(model)}-${row}`,
    title,
    data: [{
      type: "scatter", mode: "lines", name: `row ${row}`, x: dims, y: values, line: { color: style.line.color, width: 1.2 },
      hovertemplate: "dim %{x}<br>value %{y:.3f}<extra></extra>",
    }],
    layout: baseLayout(title, {
      xaxis: axis("dim"),
      yaxis: axis("value"),
      showlegend: false,
      annotations: top.map((d) => ({ x: d, y: values[d], text: String(d), showarrow: true, arrowhead: 0, ax: 16, ay: values[d] < 0 ? 18 : -18, font: { size: 11 } })),
    }),
    config: plotConfig(),
    table: { columns: ["row", "token position", "dim", "value"], rows },
  };
}

/** Options of {@link positionValuesFigure}. */
export interface PositionValuesOptions {
  model?: string;
  /** Highest token position drawn; default every row of the table. */
  maxPosition?: number;
  id?: string;
  title?: string;
}

/**
 * "Neuron value by position": each outlier dimension's value in every position-embedding row,
 * x = token position (row - offset; RoBERTa's unused rows below the offset are left out), one
 * series per dimension. A spike at one position is the paper's finding for BERT (position 0);
 * a plateau from one position on is RoBERTa's (588 from the fourth row on).
 */
export function positionValuesFigure(origins: OriginResult, options: PositionValuesOptions = {}): FigureSpec {
  const model = options.model ?? "model";
  const offset = origins.positionOffset;
  const last = Math.min(origins.positionRows - 1 - offset, options.maxPosition ?? Infinity);
  const series: Series[] = origins.dimensions.filter((d) => d.positionValues.length > 0).map((d, k) => ({
    name: `dim ${d.dim}${d.kind ? ` (${d.kind === "min" ? "argmin" : "argmax"} outlier)` : ""}`,
    x: range(0, last),
    y: range(0, last).map((p) => d.positionValues[p + offset]),
    style: neuronStyle(k),
  }));
  const empty = series.length === 0 ? (origins.positionRows === 0 ? `${model} has no position embeddings${origins.positionStatement && !origins.positionTensors?.length ? ` (${origins.positionScheme})` : ""}` : "no outlier dimension was detected") : null;
  const title = options.title ?? `${model}: outlier dimensions' values in the position embeddings`;
  return {
    id: options.id ?? `position-values-${slug(model)}`,
    title,
    data: series.map((s) => lineTrace(s, "lines")),
    layout: baseLayout(title, {
      xaxis: axis(offset ? `token position (embedding row = position + ${offset})` : "token position (= embedding row)"),
      yaxis: axis("value in the position embedding"),
      ...(empty ? { annotations: [emptyNote(empty)] } : {}),
    }),
    config: plotConfig(),
    table: seriesTable(series, "token position", "value"),
  };
}

/** Options of {@link layerNormRankFigure}. */
export interface LayerNormRankOptions {
  model?: string;
  id?: string;
  title?: string;
}

/**
 * The rank of each outlier dimension among every LayerNorm's gains (gamma) and biases (beta),
 * per layer (paper §3.2: BERT's gamma[557] of the first LN is among the 6 largest in layers 1-10).
 * y = rank (1 = largest), drawn on a reversed log axis so the top ranks sit high; series =
 * dimension x parameter x LN (attention / output; the embeddings LN at layer 0).
 */
export function layerNormRankFigure(origins: OriginResult, options: LayerNormRankOptions = {}): FigureSpec {
  const model = options.model ?? "model";
  const series: Series[] = [];
  origins.dimensions.forEach((d, k) => {
    const base = neuronStyle(k);
    for (const which of ["attention", "output"] as const) {
      for (const param of ["gamma", "beta"] as const) {
        const lns = d.layerNorms.filter((ln) => ln.which === which || (which === "attention" && ln.which === "embeddings"));
        if (lns.length === 0) continue;
        series.push({
          name: `dim ${d.dim} ${param === "gamma" ? "γ" : "β"} (${which === "attention" ? "first LN" : "second LN"})`,
          x: lns.map((ln) => ln.layer),
          y: lns.map((ln) => (param === "gamma" ? ln.gammaRank : ln.betaRank)),
          style: { line: { ...base.line, dash: which === "attention" ? "solid" : "dash" }, marker: { ...base.marker, symbol: param === "gamma" ? base.marker.symbol : `${base.marker.symbol}-open` } },
        });
      }
    }
  });
  const title = options.title ?? `${model}: rank of the outlier dimensions among LayerNorm gains and biases`;
  return {
    id: options.id ?? `layernorm-ranks-${slug(model)}`,
    title,
    data: series.map((s) => lineTrace(s)),
    layout: baseLayout(title, {
      xaxis: axis("layer (0 = embeddings LN)", { dtick: 1 }),
      yaxis: axis(`rank among ${origins.hidden} values (1 = largest)`, { type: "log", autorange: "reversed" }),
      ...(series.length === 0 ? { annotations: [emptyNote("no outlier dimension was detected")] } : {}),
    }),
    config: plotConfig(),
    table: seriesTable(series, "layer", "rank"),
  };
}

/** A centred note for a figure with nothing to draw. */
function emptyNote(text: string): Record<string, unknown> {
  return { text, showarrow: false, xref: "paper", yref: "paper", x: 0.5, y: 0.5, font: { size: 14, color: "#555" } };
}

/**
 * Figs 3-4 for whatever this model has: the row of token position 0 (Fig 3, BERT's [CLS] row) and
 * the strongest carrier row of each outlier dimension (Fig 4 for RoBERTa's fourth row), without
 * repeats; [] for a model without position embeddings.
 */
export function originRowFigures(tensors: StaticTensors, origins: OriginResult, options: Omit<PositionRowOptions, "row" | "position" | "id"> = {}): FigureSpec[] {
  if (!tensors.positionEmbeddings) return [];
  const rows = [tensors.positionOffset];
  for (const d of origins.dimensions) if (d.carriers.length && !rows.includes(d.carriers[0].row)) rows.push(d.carriers[0].row);
  return rows.map((row) => positionRowFigure(tensors, { ...options, row }));
}
