/**
 * The isotropy panel of one model (issue 15 item 5): per layer, IsoScore, IsoScore*, effective rank,
 * the variance share of the top 1 and top 5 principal components and anisotropy's average cosine,
 * one panel per measure, one line per variant (raw, clipped, z-scored, all-but-the-top, whitened).
 */
import type { IsotropyResult, IsotropyScoresJson, IsotropyVariant } from "../analysis/isotropy.js";
import { baseLayout, gridLayout, plotConfig } from "./layout.js";
import { modelFamily, modelStyle, neuronStyle } from "./palette.js";
import { lineTrace, seriesTable, slug, type Series } from "./lines.js";
import type { FigureSpec } from "./spec.js";

/** The measures drawn, in panel order, with their panel titles. */
export const ISOTROPY_MEASURES = [
  ["isoScore", "IsoScore (1 = isotropic)"],
  ["isoScoreStar", "IsoScore*"],
  ["effectiveRank", "effective rank (of d dims)"],
  ["top1", "variance share, top principal component"],
  ["top5", "variance share, top 5 principal components"],
  ["averageCosine", "average cosine of random token pairs"],
] as const satisfies readonly (readonly [keyof IsotropyScoresJson, string])[];

export type IsotropyMeasure = (typeof ISOTROPY_MEASURES)[number][0];

const variantName: Record<IsotropyVariant, string> = {
  raw: "raw", clipped: "clipped (outlier dims set to 0)", zscore: "z-scored", allButTheTop: "all-but-the-top", whitening: "whitened",
};

/** Options of {@link isotropyFigure}. */
export interface IsotropyFigureOptions {
  model?: string;
  /** Variants drawn; default every variant of the result. */
  variants?: IsotropyVariant[];
  /** Measures drawn (one panel each); default all six. */
  measures?: IsotropyMeasure[];
  id?: string;
  title?: string;
}

/**
 * Isotropy per layer of one model, raw vs clipped vs each post-processing: one panel per measure,
 * the same colours for a variant in every panel (raw in the model's paper style, clipped dashed).
 */
export function isotropyFigure(result: IsotropyResult, options: IsotropyFigureOptions = {}): FigureSpec {
  const model = options.model ?? "model";
  const variants = options.variants ?? result.settings.variants;
  const measures = options.measures ?? ISOTROPY_MEASURES.map(([m]) => m);
  for (const v of variants) if (!result.settings.variants.includes(v)) throw new RangeError(`isotropyFigure: variant ${JSON.stringify(v)} is not in the result (${result.settings.variants.join(", ")}); run the isotropy analysis with postprocess`);
  const known = ISOTROPY_MEASURES.map(([m]) => m) as string[];
  for (const m of measures) if (!known.includes(m)) throw new RangeError(`isotropyFigure: unknown measure ${JSON.stringify(m)}; expected one of ${known.join(", ")}`);
  const titles = measures.map((m) => ISOTROPY_MEASURES.find(([k]) => k === m)![1]);
  const grid = gridLayout(titles, { xTitle: "layer (0 = embeddings)", yTitle: "", columns: measures.length <= 3 ? measures.length : 3 });
  const series: Series[] = [], data: Record<string, unknown>[] = [];
  measures.forEach((m, p) => {
    const suffix = p === 0 ? "" : String(p + 1);
    variants.forEach((v, k) => {
      const style = v === "raw" ? modelStyle(modelFamily(model)) : v === "clipped" ? modelStyle(modelFamily(model), { clipped: true }) : neuronStyle(k + 1);
      const s: Series = {
        name: variantName[v], panel: titles[p], style, xaxis: `x${suffix}`, yaxis: `y${suffix}`,
        x: result.layers.map((l) => l.layer), y: result.layers.map((l) => l.variants[v]?.[m] ?? null),
      };
      series.push(s);
      data.push({ ...lineTrace(s), legendgroup: v, showlegend: p === 0 });
    });
  });
  const dims = result.layers[0]?.dim ?? 0, tokens = Math.max(0, ...result.layers.map((l) => l.tokens));
  const t = options.title ?? `${model}: isotropy per layer, raw, clipped and post-processed`;
  const scope = `covariance of ${tokens} ${result.settings.tokens} tokens per layer, d = ${dims}; IsoScore* shrinks toward (tr Σ / d) I with ζ = ${result.settings.zeta}`;
  return {
    id: options.id ?? `isotropy-${slug(model)}`,
    title: t,
    data,
    layout: baseLayout(`${t}<br><sup>${scope}</sup>`, { ...grid, margin: { l: 64, r: 24, t: 96, b: 96 } }),
    config: plotConfig(),
    table: seriesTable(series, "layer", "value"),
  };
}
