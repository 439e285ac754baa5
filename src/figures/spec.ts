/**
 * The plain-JSON shapes the figure functions return and show() displays. A FigureSpec is a plotly
 * figure (data, layout, config) with an id and a title, plus the table behind it for CSV export;
 * the same object goes into the notebook and into the HTML report.
 */

/** One cell of an exported table: a number, a label, or null for "no value". */
export type Cell = string | number | null;

/** A table as rows of cells under named columns (CSV export, and the paper's tables). */
export interface TableData {
  columns: string[];
  rows: Cell[][];
}

/** A plotly figure with an id (stable, for anchors and file names) and the data behind it. */
export interface FigureSpec {
  id: string;
  title: string;
  /** Plotly traces. */
  data: Record<string, unknown>[];
  /** Plotly layout. */
  layout: Record<string, unknown>;
  /** Plotly config. */
  config?: Record<string, unknown>;
  /** The numbers drawn, one row per point, for CSV export. */
  table?: TableData;
}

/** A table to display as such (the paper's Tables 1-7), with an optional note under it. */
export interface TableSpec extends TableData {
  id: string;
  title: string;
  note?: string;
}

/** True when `spec` is a FigureSpec (it has plotly traces) rather than a TableSpec. */
export function isFigureSpec(spec: FigureSpec | TableSpec): spec is FigureSpec {
  return Array.isArray((spec as FigureSpec).data) && typeof (spec as FigureSpec).layout === "object";
}
