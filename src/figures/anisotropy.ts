/**
 * Fig 6 left, Fig 17 top, Fig 18 (anisotropy: mean cosine of random token pairs per layer) and
 * Fig 6 right, Fig 17 bottom, Fig 19 (self-similarity adjusted by anisotropy), raw and clipped,
 * one series per model and variant in the paper's styles; and the post-processing comparison
 * (raw, clipped, z-scored, all-but-the-top, whitened) of one model.
 */
import type { AnisotropyResult } from "../analysis/anisotropy.js";
import type { PostprocessName } from "../analysis/postprocess.js";
import type { SelfSimResult } from "../analysis/selfsim.js";
import type { ContributionResult } from "../analysis/contributions.js";
import { axis, baseLayout, formatCount, plotConfig } from "./layout.js";
import { categorical, modelFamily, modelStyle, neuronStyle } from "./palette.js";
import { lineTrace, seriesTable, slug, type Series } from "./lines.js";
import type { FigureSpec } from "./spec.js";

type Variant = "raw" | PostprocessName;

/** Options of {@link anisotropyFigure}. */
export interface AnisotropyFigureOptions {
  /** Variants drawn per model; default raw and clipped (the paper's four series for two models). */
  variants?: Variant[];
  /** Suffix of clipped series names; default "-clip" (Figs 17-19 say "-cut"). */
  clipSuffix?: string;
  /** Draw the confidence interval as error bars; default true. */
  intervals?: boolean;
  id?: string;
  title?: string;
}

const variantLabel: Record<Variant, string> = { raw: "", clipped: "-clip", zscore: " z-scored", allButTheTop: " all-but-the-top", whitening: " whitened" };

/**
 * Anisotropy per layer for one or more models (Fig 6 left): one series per model and variant,
 * BERT-family blue squares, RoBERTa-family vermillion circles, clipped dashed.
 */
export function anisotropyFigure(models: { model: string; result: AnisotropyResult }[], options: AnisotropyFigureOptions = {}): FigureSpec {
  const { variants = ["raw", "clipped"], clipSuffix = "-clip", intervals = true } = options;
  const traces: Record<string, unknown>[] = [];
  const series: Series[] = [];
  models.forEach(({ model, result }, k) => {
    for (const v of variants) {
      if (!result.settings.variants.includes(v)) continue;
      const name = model + (v === "clipped" ? clipSuffix : variantLabel[v]);
      const layers = result.layers;
      const s: Series = { name, x: layers.map((l) => l.layer), y: layers.map((l) => value(l, v)), style: variantStyle(model, v, k) };
      series.push(s);
      const t = lineTrace(s);
      if (intervals) {
        const ci = layers.map((l) => l.ci[v]);
        t.error_y = {
          type: "data", symmetric: false, visible: true, thickness: 1, width: 3,
          array: ci.map((c) => (c && c.high !== null && c.mean !== null ? c.high - c.mean : null)),
          arrayminus: ci.map((c) => (c && c.low !== null && c.mean !== null ? c.mean - c.low : null)),
        };
      }
      traces.push(t);
    }
  });
  if (series.length === 0) throw new RangeError(`anisotropyFigure: none of the variants ${JSON.stringify(variants)} is in the results; run the anisotropy with those post-processors`);
  const first = models[0].result.settings;
  const scope = `${formatCount(first.pairs)} random token pairs from different sentences per layer; special tokens ${first.includeSpecial ? "included" : "excluded"}; seed ${first.seed}${intervals ? `; bars: ${Math.round(first.level * 100)}% interval` : ""}`;
  const title = options.title ?? "Average cosine similarity between random words";
  return {
    id: options.id ?? `anisotropy-${models.map((m) => slug(m.model)).join("-")}`,
    title,
    data: traces,
    layout: baseLayout(`${title}<br><sup>${scope}</sup>`, {
      xaxis: axis("layer (0 = embeddings)", { dtick: 1 }), yaxis: axis("average cosine similarity"), margin: { l: 64, r: 24, t: 76, b: 104 },
    }),
    config: plotConfig(),
    table: seriesTable(series, "layer", "average cosine"),
  };
}

/**
 * The post-processing comparison of one model: anisotropy per layer raw, clipped, z-scored,
 * all-but-the-top and whitened (whichever the result holds), on the same token pairs.
 */
export function postprocessFigure(result: AnisotropyResult, { model = "model", id, title }: { model?: string; id?: string; title?: string } = {}): FigureSpec {
  const series: Series[] = result.settings.variants.map((v, k) => ({
    name: v === "raw" ? "raw" : v === "clipped" ? "clipped (outlier dims set to 0)" : v === "zscore" ? "z-scored" : v === "allButTheTop" ? "all-but-the-top" : "whitened",
    x: result.layers.map((l) => l.layer),
    y: result.layers.map((l) => value(l, v)),
    style: v === "raw" ? modelStyle(modelFamily(model)) : neuronStyle(k),
  }));
  const t = title ?? `${model}: anisotropy after each post-processing`;
  return {
    id: id ?? `postprocess-${slug(model)}`,
    title: t,
    data: series.map((s) => lineTrace(s)),
    layout: baseLayout(`${t}<br><sup>same ${formatCount(result.settings.pairs)} token pairs for every variant; seed ${result.settings.seed}</sup>`, {
      xaxis: axis("layer (0 = embeddings)", { dtick: 1 }), yaxis: axis("average cosine similarity"), margin: { l: 64, r: 24, t: 76, b: 104 },
    }),
    config: plotConfig(),
    table: seriesTable(series, "layer", "average cosine"),
  };
}

function value(l: AnisotropyResult["layers"][number], v: Variant): number | null {
  return v === "raw" ? l.raw : (l[v] ?? l.ci[v]?.mean ?? null);
}

/** The paper's style for a model and variant; models of neither family get distinct colours. */
export function variantStyle(model: string, variant: Variant, index: number) {
  const family = modelFamily(model);
  const style = modelStyle(family, { clipped: variant !== "raw", index });
  if (family === "other") {
    const color = categorical[index % categorical.length];
    return { line: { ...style.line, color }, marker: { ...style.marker, color } };
  }
  return style;
}

/** Options of {@link selfSimilarityFigure}. */
export interface SelfSimilarityFigureOptions {
  /** Suffix of clipped series names; default "-clip" (Figs 17 bottom and 19 say "-cut"). */
  clipSuffix?: string;
  /** Plot self-similarity minus anisotropy (the paper's curves; default) or the raw mean. */
  adjusted?: boolean;
  id?: string;
  title?: string;
}

/**
 * Self-similarity adjusted by anisotropy per layer (Fig 6 right): one series per model, raw and,
 * when given, clipped (the clipped self-similarity minus the clipped anisotropy).
 */
export function selfSimilarityFigure(
  models: { model: string; result: SelfSimResult; clipped?: SelfSimResult | null }[],
  options: SelfSimilarityFigureOptions = {},
): FigureSpec {
  const { clipSuffix = "-clip", adjusted = true } = options;
  const series: Series[] = [];
  models.forEach(({ model, result, clipped }, k) => {
    for (const [r, variant] of [[result, "raw"], [clipped, "clipped"]] as const) {
      if (!r) continue;
      series.push({
        name: model + (variant === "clipped" ? clipSuffix : ""),
        x: r.layers.map((l) => l.layer),
        y: r.layers.map((l) => (adjusted ? l.adjusted : l.selfSimilarity)),
        style: variantStyle(model, variant, k),
      });
    }
  });
  if (series.length === 0) throw new RangeError("selfSimilarityFigure: no results given; pass at least one { model, result }");
  const s = models[0].result;
  const words = Math.max(0, ...s.layers.map((l) => l.words));
  const title = options.title ?? (adjusted ? "Average self similarity (adjusted by anisotropy)" : "Average self similarity");
  return {
    id: options.id ?? `self-similarity-${models.map((m) => slug(m.model)).join("-")}`,
    title,
    data: series.map((x) => lineTrace(x)),
    layout: baseLayout(`${title}<br><sup>${formatCount(words)} words with at least ${s.settings.minOccurrences} occurrences; mean cosine over all pairs i ≠ j${adjusted ? " minus the layer's anisotropy" : ""}</sup>`, {
      xaxis: axis("layer (0 = embeddings)", { dtick: 1 }),
      yaxis: axis(adjusted ? "self-similarity − anisotropy" : "self-similarity (average cosine)"),
      margin: { l: 64, r: 24, t: 76, b: 104 },
    }),
    config: plotConfig(),
    table: seriesTable(series, "layer", adjusted ? "self-similarity - anisotropy" : "self-similarity"),
  };
}

/** Options of {@link cosineContributionFigure}. */
export interface CosineContributionOptions {
  model?: string;
  /** Dimensions drawn as their own series; default each layer's top dimension of the raw variant, pooled. */
  dims?: number[];
  id?: string;
  title?: string;
}

/**
 * Per-dimension contribution to the anisotropy: the mean cosine of random pairs splits exactly into
 * one term per dimension (u_i v_i / |u||v|). Per layer: the total (raw and each post-processing)
 * and the chosen dimensions' raw terms, so one sees how much of the mean cosine an outlier carries.
 */
export function cosineContributionFigure(result: ContributionResult, options: CosineContributionOptions = {}): FigureSpec {
  const model = options.model ?? "model";
  const raw = result.layers.filter((l) => l.variant === "raw");
  const dims = options.dims ?? [...new Set(raw.map((l) => l.top[0]?.dim).filter((d): d is number => d !== undefined))].sort((a, b) => a - b);
  const series: Series[] = [];
  for (const v of result.settings.variants) {
    const ls = result.layers.filter((l) => l.variant === v);
    series.push({ name: `mean cosine${v === "raw" ? "" : ` (${v})`}`, x: ls.map((l) => l.layer), y: ls.map((l) => l.total), style: variantStyle(model, v, 0) });
  }
  dims.forEach((d, k) => series.push({ name: `dim ${d} term (raw)`, x: raw.map((l) => l.layer), y: raw.map((l) => l.contributions[d] ?? null), style: neuronStyle(k + 1) }));
  const title = options.title ?? `${model}: how much of the mean cosine each outlier dimension carries`;
  return {
    id: options.id ?? `cosine-contributions-${slug(model)}`,
    title,
    data: series.map((s) => lineTrace(s)),
    layout: baseLayout(`${title}<br><sup>${formatCount(result.settings.pairs)} random token pairs; the terms of all dimensions sum to the mean cosine</sup>`, {
      xaxis: axis("layer (0 = embeddings)", { dtick: 1 }), yaxis: axis("contribution to the average cosine"), margin: { l: 64, r: 24, t: 76, b: 104 },
    }),
    config: plotConfig(),
    table: seriesTable(series, "layer", "value"),
  };
}
