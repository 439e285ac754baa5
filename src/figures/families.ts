/**
 * Families side by side (notebook 08, issue 13 item 5): per model, the persistent outlier dimensions,
 * their origin (absolute table, relative table, norm parameters) and their correlation with position,
 * as one table, and the number of outlier dimensions per layer as one figure. Every series and row of
 * a SYNTHETIC checkpoint says so. Nothing here branches on a family name: the origins result carries
 * the family's position scheme and tensors.
 */
import type { OriginResult } from "../analysis/origins.js";
import type { OutlierResult } from "../analysis/outliers.js";
import type { PositionResult } from "../analysis/positions.js";
import type { Cell, FigureSpec, TableSpec } from "./spec.js";
import { axis, baseLayout, plotConfig } from "./layout.js";
import { neuronStyle } from "./palette.js";

/** One model's results for the comparison. */
export interface FamilyEntry {
  /** Display name; " (SYNTHETIC)" is appended when `synthetic`. */
  label: string;
  synthetic: boolean;
  outliers: OutlierResult;
  origins: OriginResult;
  positions?: PositionResult;
}

const name = (e: FamilyEntry) => (e.synthetic ? `${e.label} (SYNTHETIC)` : e.label);

/** Largest |Pearson r| of a dim with position over the layers, and its layer; null without positions. */
function positionalCorrelation(e: FamilyEntry, dim: number): { r: number; layer: number } | null {
  let best: { r: number; layer: number } | null = null;
  for (const l of e.positions?.layers ?? []) {
    const r = l.correlation[dim];
    if (r !== null && r !== undefined && (!best || Math.abs(r) > Math.abs(best.r))) best = { r, layer: l.layer };
  }
  return best;
}

/** Per model and persistent outlier dim: layers, origin and positional correlation (one row "none" when there is none). */
export function familyComparisonTable(entries: readonly FamilyEntry[], { id = "families-outlier-origins" }: { id?: string } = {}): TableSpec {
  const columns = ["model", "family", "position scheme", "dim", "kind", "layers", "absolute table", "relative tables", "strongest norm", "max |r| with position (layer)"];
  const rows: Cell[][] = [];
  for (const e of entries) {
    const o = e.origins;
    const tensors = o.positionTensors ?? [];
    const head = [name(e), o.architecture, o.positionScheme ?? ""];
    const projected = tensors.some((t) => t.kind === "absolute" && !t.hiddenSpace);
    const noTable = projected ? "table in embedding space (projected), not per hidden dim" : "no absolute table";
    if (e.outliers.dimensions.length === 0) {
      const relatives = tensors.filter((t) => t.kind === "relative").map((t) => t.name).join("; ");
      rows.push([...head, null, null, "no persistent outlier", o.positionRows ? `${o.positionRows} rows` : noTable, relatives || (tensors.length ? "none" : "no table (none to inspect)"), null, null]);
      continue;
    }
    for (const d of e.outliers.dimensions) {
      const od = o.dimensions.find((x) => x.dim === d.dim);
      const absolute = o.positionRows === 0 ? noTable : od ? `${od.carrierCount} of ${o.positionRows} rows at |z| >= ${o.settings.minZ}` : null;
      const relative = (od?.tables ?? []).filter((t) => t.kind === "relative").map((t) => `${t.name}: ${t.carrierCount} rows`);
      const headOnly = tensors.filter((t) => t.kind === "relative" && !t.hiddenSpace).map((t) => `${t.name}: per ${t.colMeaning}, not per dim`);
      const norms = od?.layerNorms ?? [];
      const best = norms.length ? norms.reduce((a, b) => (b.gammaRank < a.gammaRank ? b : a)) : null;
      const r = positionalCorrelation(e, d.dim);
      rows.push([
        ...head, d.dim, d.kind, d.layers.join(" "), absolute,
        [...relative, ...headOnly].join("; ") || (tensors.length ? "none" : "no table (none to inspect)"),
        best ? `gain rank ${best.gammaRank} in layer ${best.layer} (${best.site ?? best.which})` : null,
        r ? `${r.r.toFixed(3)} (layer ${r.layer})` : null,
      ]);
    }
  }
  return { id, title: "Persistent outlier dimensions per family: origin and positional correlation", columns, rows, note: "Rows marked (SYNTHETIC) come from seeded random checkpoints (exact-arithmetic fixtures): their outliers, if any, mean nothing about trained models." } as TableSpec;
}

/** Outlier dimensions per layer (dims that are the argmin or argmax of >= minShare of tokens), x = layer / L. */
export function familyOutlierCountFigure(entries: readonly FamilyEntry[], { id = "families-outliers-per-layer" }: { id?: string } = {}): FigureSpec {
  const data: Record<string, unknown>[] = [];
  const rows: Cell[][] = [];
  entries.forEach((e, k) => {
    const L = Math.max(...e.outliers.layerIndices);
    const x = e.outliers.layers.map((l) => l.layer / L);
    const y = e.outliers.layers.map((l) => l.outliers.length);
    data.push({ type: "scatter", mode: "lines+markers", name: name(e), x, y, line: { ...neuronStyle(k).line, dash: e.synthetic ? "dot" : "solid" } });
    e.outliers.layers.forEach((l, i) => rows.push([name(e), l.layer, x[i], y[i]]));
  });
  const title = "Outlier dimensions per layer, by family (dotted: SYNTHETIC)";
  return {
    id, title, data,
    layout: baseLayout(title, { xaxis: axis("relative depth (layer / L)", { range: [-0.02, 1.02] }), yaxis: axis("dims that are the argmin/argmax of >= 25% of tokens") }),
    config: plotConfig(),
    table: { columns: ["model", "layer", "layer / L", "outlier dims"], rows },
  };
}
