/**
 * Fig 5a and Fig 13 (position-probe accuracy per layer, one series per model) and Figs 5b/5c, 14,
 * 15 (per layer, the contribution |w_i v_i| of the outlier neurons against the mean over all
 * neurons).
 */
import type { ProbeResult } from "../analysis/probe.js";
import { axis, baseLayout, formatCount, plotConfig } from "./layout.js";
import { meanOfAllStyle, modelFamily, modelStyle, neuronStyle } from "./palette.js";
import { lineTrace, seriesTable, slug, type Series } from "./lines.js";
import type { FigureSpec } from "./spec.js";

/** Options of {@link probeAccuracyFigure}. */
export interface ProbeAccuracyOptions {
  id?: string;
  title?: string;
}

/** Held-out accuracy of the position probe per layer, one series per model (Fig 5a, Fig 13). */
export function probeAccuracyFigure(models: { model: string; result: ProbeResult }[], options: ProbeAccuracyOptions = {}): FigureSpec {
  if (models.length === 0) throw new RangeError("probeAccuracyFigure: no results given; pass at least one { model, result }");
  const series: Series[] = models.map(({ model, result }, k) => {
    const layers = result.layers.filter((l) => l.layer > 0 || result.layerIndices.every((x) => x === 0));
    return { name: model, x: layers.map((l) => l.layer), y: layers.map((l) => l.accuracy), style: modelStyle(modelFamily(model), { index: k }) };
  });
  const s = models[0].result.settings;
  const test = Math.max(0, ...models[0].result.layers.map((l) => l.testTokens));
  const title = options.title ?? "Accuracy of position prediction";
  return {
    id: options.id ?? `probe-accuracy-${models.map((m) => slug(m.model)).join("-")}`,
    title,
    data: series.map((x) => lineTrace(x)),
    layout: baseLayout(`${title}<br><sup>bias-free linear probe, up to ${s.maxClasses} positions, ${s.epochs} epochs; ${formatCount(test)} held-out tokens per layer; special tokens ${s.includeSpecial ? "included" : "excluded"}</sup>`, {
      xaxis: axis("layer", { dtick: 1 }), yaxis: axis("accuracy (held-out tokens)", { range: [0, 1.02] }), margin: { l: 64, r: 24, t: 76, b: 104 },
    }),
    config: plotConfig(),
    table: seriesTable(series, "layer", "accuracy"),
  };
}

/** Options of {@link probeContributionFigure}. */
export interface ProbeContributionOptions {
  model?: string;
  id?: string;
  title?: string;
}

/**
 * Contribution of each requested (outlier) neuron to the position probe per layer, beside the
 * mean over all neurons (Fig 5b/5c, 14, 15). Series names give the 0-based dimension index
 * ("neuron 557"), where the paper writes "557th neuron".
 */
export function probeContributionFigure(result: ProbeResult, options: ProbeContributionOptions = {}): FigureSpec {
  const model = options.model ?? "model";
  const layers = result.layers.filter((l) => l.layer > 0);
  const x = layers.map((l) => l.layer);
  const series: Series[] = result.settings.dims.map((d, k) => ({
    name: `neuron ${d}`, x, y: layers.map((l) => l.dims.find((e) => e.dim === d)?.contribution ?? null), style: neuronStyle(k),
  }));
  series.push({ name: "Mean value of all neurons", x, y: layers.map((l) => l.meanContribution), style: meanOfAllStyle() });
  const row = result.settings.contribution === "true-row" ? "W row of the true position" : "W row of the predicted position";
  const title = options.title ?? `Contribution value of position prediction of ${model}`;
  return {
    id: options.id ?? `probe-contribution-${slug(model)}`,
    title,
    data: series.map((s) => lineTrace(s)),
    layout: baseLayout(`${title}<br><sup>|w_i · v_i| averaged over held-out tokens; ${row}</sup>`, {
      xaxis: axis("layer", { dtick: 1 }), yaxis: axis("contribution |w_i v_i|"), margin: { l: 64, r: 24, t: 76, b: 104 },
    }),
    config: plotConfig(),
    table: seriesTable(series, "layer", "contribution"),
  };
}
