/**
 * Task scores by layer, raw against clipped: WiC accuracy (best threshold per layer), STS
 * Spearman and supervised-probe accuracy. The paper reports only each task's best layer
 * (Tables 1-3); these curves show the layers behind those numbers.
 */
import type { WicResult } from "../analysis/senses.js";
import type { StsResult } from "../analysis/sts.js";
import type { SupervisedResult } from "../analysis/supervised.js";
import { axis, baseLayout, plotConfig } from "./layout.js";
import { lineTrace, seriesTable, slug, type Series } from "./lines.js";
import { variantStyle } from "./anisotropy.js";
import type { FigureSpec } from "./spec.js";

function figure(id: string, title: string, yTitle: string, series: Series[], sub: string): FigureSpec {
  return {
    id, title,
    data: series.map((s) => lineTrace(s)),
    layout: baseLayout(`${title}<br><sup>${sub}</sup>`, { xaxis: axis("layer (0 = embeddings)", { dtick: 1 }), yaxis: axis(yTitle), margin: { l: 64, r: 24, t: 76, b: 104 } }),
    config: plotConfig(),
    table: seriesTable(series, "layer", yTitle),
  };
}

/** WiC accuracy per layer at that layer's best threshold, raw and clipped, one pair of series per model. */
export function wicLayerFigure(runs: { model: string; result: WicResult }[], { id, title }: { id?: string; title?: string } = {}): FigureSpec {
  const series: Series[] = [];
  runs.forEach(({ model, result }, k) => {
    for (const [scores, variant] of [[result.raw, "raw"], [result.clipped, "clipped"]] as const) {
      if (!scores) continue;
      series.push({
        name: model + (variant === "clipped" ? "-clip" : ""), x: scores.table.map((_, l) => l),
        y: scores.table.map((row) => (row.length ? Math.round(Math.max(...row) * 1e6) / 1e4 : null)), style: variantStyle(model, variant, k),
      });
    }
  });
  const source = runs[0]?.result.source ?? "";
  return figure(id ?? `wic-layers-${runs.map((r) => slug(r.model)).join("-")}`, title ?? "Word in context: accuracy by layer (best threshold per layer)", "accuracy %", series,
    `${source}; same sense when cosine > threshold; thresholds ${runs[0]?.result.thresholds.map((t) => t.toFixed(1)).join(", ") ?? ""}`);
}

/** STS Spearman x 100 per layer, raw and clipped, one pair of series per (model, set). */
export function stsLayerFigure(runs: { model: string; set: string; result: StsResult }[], { id, title }: { id?: string; title?: string } = {}): FigureSpec {
  const series: Series[] = [];
  runs.forEach(({ model, set, result }, k) => {
    for (const variant of ["raw", "clipped"] as const) {
      if (variant === "clipped" && result.layers.every((l) => !l.clipped)) continue;
      series.push({
        name: `${set}, ${model}${variant === "clipped" ? "-clip" : ""}`, x: result.layers.map((l) => l.layer),
        y: result.layers.map((l) => (variant === "raw" ? l.raw.all.spearman : l.clipped?.all.spearman ?? null)), style: variantStyle(model, variant, k),
      });
    }
  });
  return figure(id ?? "sts-layers", title ?? "Semantic textual similarity by layer", "Spearman x 100", series, "mean-pooled subword vectors; cosine against gold scores");
}

/** Supervised-probe held-out accuracy per layer, raw and clipped, one pair of series per (model, task). */
export function supervisedLayerFigure(runs: { model: string; result: SupervisedResult }[], { id, title }: { id?: string; title?: string } = {}): FigureSpec {
  const series: Series[] = [];
  runs.forEach(({ model, result }, k) => {
    for (const variant of ["raw", "clipped"] as const) {
      if (variant === "clipped" && result.layers.every((l) => !l.clipped)) continue;
      series.push({
        name: `${result.task}, ${model}${variant === "clipped" ? "-clip" : ""}`, x: result.layers.map((l) => l.layer),
        y: result.layers.map((l) => { const a = variant === "raw" ? l.raw.accuracy : l.clipped?.accuracy; return a === null || a === undefined ? null : Math.round(a * 1e6) / 1e4; }),
        style: variantStyle(model, variant, k),
      });
    }
  });
  return figure(id ?? "supervised-layers", title ?? "Supervised linear probes by layer", "accuracy % (held-out)", series, "one linear classifier per layer on mean-pooled vectors");
}
