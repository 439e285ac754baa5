/**
 * The building blocks of the line figures (Figs 5, 6, 13-15, 17-19): one plotly scatter trace per
 * series, and the long-format table (series, x, y) behind them for CSV export.
 */
import type { SeriesStyle } from "./palette.js";
import type { Cell, TableData } from "./spec.js";

/** One named series of a line figure: y values at x positions (null = no value, drawn as a gap). */
export interface Series {
  name: string;
  x: readonly number[];
  y: readonly (number | null)[];
  style: SeriesStyle;
  /** Plotly axis ids when the figure has several panels. */
  xaxis?: string;
  yaxis?: string;
  /** The panel a series belongs to, recorded in the table (e.g. the model). */
  panel?: string;
}

/** A plotly scatter trace (lines and markers) for one series. */
export function lineTrace(s: Series, mode: "lines" | "lines+markers" = "lines+markers"): Record<string, unknown> {
  const t: Record<string, unknown> = {
    type: "scatter", mode, name: s.name, x: [...s.x], y: [...s.y],
    line: { ...s.style.line }, marker: { ...s.style.marker }, connectgaps: false,
  };
  if (s.xaxis) t.xaxis = s.xaxis;
  if (s.yaxis) t.yaxis = s.yaxis;
  return t;
}

/** The long-format table of some series: one row per point, columns [panel?,] series, x, y. */
export function seriesTable(series: readonly Series[], xName: string, yName: string): TableData {
  const withPanel = series.some((s) => s.panel !== undefined);
  const columns = withPanel ? ["panel", "series", xName, yName] : ["series", xName, yName];
  const rows: Cell[][] = [];
  for (const s of series) {
    s.x.forEach((x, i) => {
      const row: Cell[] = [s.name, x, s.y[i] ?? null];
      rows.push(withPanel ? [s.panel ?? null, ...row] : row);
    });
  }
  return { columns, rows };
}

/** The integers a..b inclusive. */
export function range(a: number, b: number): number[] {
  return Array.from({ length: Math.max(0, b - a + 1) }, (_, i) => a + i);
}

/** A lowercase id fragment from a label ("RoBERTa-base clip" -> "roberta-base-clip"). */
export function slug(label: string): string {
  return label.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-+|-+$/g, "") || "figure";
}
