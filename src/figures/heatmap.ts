/**
 * Figs 11 and 12: heatmaps of the position probe's contributions by token position (x) and layer
 * (y): one panel per outlier neuron, and a last panel with the highest contribution of any other
 * neuron at each (layer, position), all on one colour scale.
 */
import type { ProbeResult } from "../analysis/probe.js";
import { axis, baseLayout, plotConfig } from "./layout.js";
import { sequentialScale } from "./palette.js";
import { slug } from "./lines.js";
import type { Cell, FigureSpec } from "./spec.js";

/** Options of {@link contributionHeatmapFigure}. */
export interface ContributionHeatmapOptions {
  model?: string;
  /** Highest token position drawn; default the last with held-out tokens. */
  maxPosition?: number;
  /** Positions with fewer held-out tokens are left blank (their means are noise); default 3. */
  minTokens?: number;
  id?: string;
  title?: string;
}

/** The contribution heatmaps of one model (Fig 11 for BERT, Fig 12 for RoBERTa). */
export function contributionHeatmapFigure(result: ProbeResult, options: ContributionHeatmapOptions = {}): FigureSpec {
  const model = options.model ?? "model";
  const minTokens = options.minTokens ?? 3;
  const layers = result.layers.filter((l) => l.layer > 0 && l.testTokens > 0);
  if (layers.length === 0) throw new RangeError(`contributionHeatmapFigure: ${model} has no probed layer with held-out tokens; encode more sentences`);
  const seen = Math.max(...layers.map((l) => l.heatmap.counts.length)) - 1;
  const last = Math.min(seen, options.maxPosition ?? Infinity);
  const x = Array.from({ length: last + 1 }, (_, p) => p);
  const keep = (l: (typeof layers)[number], p: number) => (l.heatmap.counts[p] ?? 0) >= minTokens;
  const panels: { title: string; z: (number | null)[][]; text?: string[][] }[] = result.settings.dims.map((d) => ({
    title: `neuron ${d}`,
    z: layers.map((l) => x.map((p) => (keep(l, p) ? l.heatmap.byPosition.find((b) => b.dim === d)?.mean[p] ?? null : null))),
  }));
  panels.push({
    title: "highest other neuron",
    z: layers.map((l) => x.map((p) => (keep(l, p) ? l.heatmap.highestOther[p]?.mean ?? null : null))),
    text: layers.map((l) => x.map((p) => { const d = l.heatmap.highestOther[p]?.dim; return d === null || d === undefined ? "" : `neuron ${d}`; })),
  });
  const n = panels.length, gap = 0.08, h = (1 - gap * (n - 1)) / n;
  const layout: Record<string, unknown> = {};
  const annotations: Record<string, unknown>[] = [];
  const data: Record<string, unknown>[] = [];
  const rows: Cell[][] = [];
  panels.forEach((panel, k) => {
    const suffix = k === 0 ? "" : String(k + 1);
    const top = 1 - k * (h + gap);
    layout[`xaxis${suffix}`] = axis(k === n - 1 ? "token position" : "", { anchor: `y${suffix}`, domain: [0, 1] });
    layout[`yaxis${suffix}`] = axis("layer", { anchor: `x${suffix}`, domain: [Math.round((top - h) * 1e6) / 1e6, Math.round(top * 1e6) / 1e6], dtick: 1 });
    annotations.push({ text: panel.title, showarrow: false, xref: "paper", yref: "paper", x: 0.5, y: top, xanchor: "center", yanchor: "bottom" });
    const trace: Record<string, unknown> = {
      type: "heatmap", name: panel.title, x, y: layers.map((l) => l.layer), z: panel.z, coloraxis: "coloraxis",
      xaxis: `x${suffix}`, yaxis: `y${suffix}`,
      hovertemplate: `${panel.title}<br>position %{x}<br>layer %{y}<br>contribution %{z:.3f}${panel.text ? "<br>%{text}" : ""}<extra></extra>`,
    };
    if (panel.text) trace.text = panel.text;
    data.push(trace);
    layers.forEach((l, i) => x.forEach((p) => rows.push([panel.title, l.layer, p, l.heatmap.counts[p] ?? 0, panel.z[i][p], panel.text ? panel.text[i][p] || null : null])));
  });
  const title = options.title ?? `${model}: contribution to position prediction by position and layer`;
  return {
    id: options.id ?? `probe-heatmap-${slug(model)}`,
    title,
    data,
    layout: baseLayout(`${title}<br><sup>mean |w_i v_i| over held-out tokens at each position; blank: fewer than ${minTokens} tokens</sup>`, {
      ...layout, annotations, coloraxis: { colorscale: sequentialScale, colorbar: { title: { text: "contribution" } } },
      height: 220 * n + 100, margin: { l: 64, r: 24, t: 84, b: 56 },
    }),
    config: plotConfig(),
    table: { columns: ["panel", "layer", "token position", "held-out tokens", "contribution", "neuron"], rows },
  };
}
