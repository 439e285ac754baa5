/**
 * Where the largest activations sit (issue 15 item 7): for each site kind (hidden_states, the residual
 * sums before each norm, ...), a layer x dim map of the largest |a| any token reaches (Sun et al.
 * 2024's massive activations show as a few bright dims), on a log10 colour scale shared by the panels.
 */
import type { MassiveResult } from "../analysis/massive.js";
import type { SiteKind } from "../model/types.js";
import { axis, baseLayout, plotConfig } from "./layout.js";
import { sequentialScale } from "./palette.js";
import { slug } from "./lines.js";
import type { Cell, FigureSpec } from "./spec.js";

/** Options of {@link massiveMapFigure}. */
export interface MassiveMapOptions {
  model?: string;
  /** Site kinds drawn, one panel each; default every kind in the result, in its order. */
  kinds?: SiteKind[];
  id?: string;
  title?: string;
}

/**
 * The largest |a| per layer and dim, one heatmap panel per site kind (log10 colour, values on hover and
 * in the table: one row per site, one column per dim).
 */
export function massiveMapFigure(result: MassiveResult, options: MassiveMapOptions = {}): FigureSpec {
  const model = options.model ?? "model";
  const present = [...new Set(result.sites.map((s) => s.kind))];
  const kinds = options.kinds ?? present;
  for (const k of kinds) if (!present.includes(k)) throw new RangeError(`massiveMapFigure: site kind ${JSON.stringify(k)} is not in the result (${present.join(", ") || "none"}); ask the encoder for it (--sites)`);
  if (kinds.length === 0) throw new RangeError("massiveMapFigure: the result has no sites; run the massive analysis on some sentences");
  const n = kinds.length, gap = 0.1, h = (1 - gap * (n - 1)) / n;
  const widest = Math.max(0, ...result.sites.filter((s) => kinds.includes(s.kind)).map((s) => s.dimMaxAbs.length));
  const layout: Record<string, unknown> = {}, annotations: Record<string, unknown>[] = [], data: Record<string, unknown>[] = [], rows: Cell[][] = [];
  kinds.forEach((kind, k) => {
    const sites = result.sites.filter((s) => s.kind === kind && s.tokens > 0).sort((a, b) => a.layer - b.layer);
    const width = Math.max(0, ...sites.map((s) => s.dimMaxAbs.length));
    const x = Array.from({ length: width }, (_, d) => d);
    const suffix = k === 0 ? "" : String(k + 1), top = 1 - k * (h + gap);
    layout[`xaxis${suffix}`] = axis(k === n - 1 ? "dim" : "", { anchor: `y${suffix}`, domain: [0, 1] });
    layout[`yaxis${suffix}`] = axis("layer", { anchor: `x${suffix}`, domain: [r6(top - h), r6(top)], dtick: 1 });
    const worst = sites.reduce((m, s) => Math.max(m, s.maxAbs ?? 0), 0);
    annotations.push({ text: `${kind}: largest |a| ${worst.toPrecision(4)}`, showarrow: false, xref: "paper", yref: "paper", x: 0.5, y: r6(top), xanchor: "center", yanchor: "bottom" });
    data.push({
      type: "heatmap", name: kind, x, y: sites.map((s) => s.layer), coloraxis: "coloraxis", xaxis: `x${suffix}`, yaxis: `y${suffix}`,
      z: sites.map((s) => x.map((d) => (s.dimMaxAbs[d] > 0 ? r3(Math.log10(s.dimMaxAbs[d])) : null))),
      customdata: sites.map((s) => x.map((d) => p4(s.dimMaxAbs[d]))),
      hovertemplate: `${kind}.%{y}<br>dim %{x}<br>max |a| %{customdata:.4g}<extra></extra>`,
    });
    // wide: one row per site, one column per dim (the long form repeats kind, layer and dim per value: 4x the bytes)
    for (const s of sites) rows.push([kind, s.layer, ...Array.from({ length: widest }, (_, d) => p4(s.dimMaxAbs[d]))]);
  });
  const t = options.title ?? `${model}: largest |activation| per layer and dim`;
  const { absolute, ratio } = result.settings;
  return {
    id: options.id ?? `massive-map-${slug(model)}`,
    title: t,
    data,
    layout: baseLayout(`${t}<br><sup>every real token, special ones included; massive (Sun et al. 2024): |a| > ${absolute} and > ${ratio} x the site's median |a|</sup>`, {
      ...layout, annotations, coloraxis: { colorscale: sequentialScale, colorbar: { title: { text: "log10 max |a|" } } },
      height: 240 * n + 120, margin: { l: 64, r: 24, t: 84, b: 56 },
    }),
    config: plotConfig(),
    table: { columns: ["site kind", "layer", ...Array.from({ length: widest }, (_, d) => `max |a| dim ${d}`)], rows },
  };
}

function r6(v: number): number {
  return Math.round(v * 1e6) / 1e6;
}

/** 4 significant digits: the map's hover and table (a real model has layers x dims x kinds of them). */
function p4(v: number | undefined): number | null {
  return v === undefined ? null : Number(v.toPrecision(4));
}

function r3(v: number): number {
  return Math.round(v * 1e3) / 1e3;
}
