/**
 * Attention sinks (issue 15 item 7): per layer and head, the mean attention mass on [CLS], [SEP], the
 * first content token and punctuation (Gu et al. 2025), one heatmap panel per token class on one
 * 0..1 colour scale; hover and the table add the share of sentences in which the head sinks (> ε).
 */
import type { SinkClass, SinkResult } from "../analysis/sinks.js";
import { baseLayout, gridLayout, plotConfig } from "./layout.js";
import { sequentialScale } from "./palette.js";
import { slug } from "./lines.js";
import type { Cell, FigureSpec } from "./spec.js";

const classTitle: Record<SinkClass, string> = { cls: "[CLS] / <s>", sep: "[SEP] / </s>", first: "first content token", punct: "punctuation" };

/** Options of {@link sinkMassFigure}. */
export interface SinkMassOptions {
  model?: string;
  /** Token classes drawn, one panel each; default cls, sep, first, punct. */
  classes?: SinkClass[];
  id?: string;
  title?: string;
}

/** Attention mass per layer (y) and head (x), one panel per token class. */
export function sinkMassFigure(result: SinkResult, options: SinkMassOptions = {}): FigureSpec {
  const model = options.model ?? "model";
  const classes = options.classes ?? (["cls", "sep", "first", "punct"] as SinkClass[]);
  for (const c of classes) if (!(c in classTitle)) throw new RangeError(`sinkMassFigure: unknown token class ${JSON.stringify(c)}; expected one of ${Object.keys(classTitle).join(", ")}`);
  if (result.layers.length === 0) throw new RangeError("sinkMassFigure: the result has no layers; run the sinks analysis (--sites attn_probs) on some sentences");
  const heads = Math.max(...result.layers.map((l) => l.heads.length));
  const x = Array.from({ length: heads }, (_, h) => h), y = result.layers.map((l) => l.layer);
  const grid = gridLayout(classes.map((c) => classTitle[c]), { columns: Math.min(2, classes.length), xTitle: "head", yTitle: "layer" });
  const data: Record<string, unknown>[] = [], rows: Cell[][] = [];
  classes.forEach((c, k) => {
    const suffix = k === 0 ? "" : String(k + 1);
    const mass = result.layers.map((l) => x.map((h) => l.heads[h]?.mass[c] ?? null));
    const share = result.layers.map((l) => x.map((h) => l.heads[h]?.sinkShare[c] ?? null));
    data.push({
      type: "heatmap", name: classTitle[c], x, y, z: mass, customdata: share, coloraxis: "coloraxis", xaxis: `x${suffix}`, yaxis: `y${suffix}`,
      hovertemplate: `${classTitle[c]}<br>layer %{y}, head %{x}<br>mass %{z:.3f}<br>sentences over ε: %{customdata:.0%}<extra></extra>`,
    });
    result.layers.forEach((l, i) => x.forEach((h) => rows.push([c, l.layer, h, mass[i][h], share[i][h]])));
  });
  for (const [key, value] of Object.entries(grid)) if (key.startsWith("yaxis")) (value as Record<string, unknown>).dtick = 1;
  const t = options.title ?? `${model}: attention mass per head on each token class`;
  const sinkHeads = result.sinkHeads.length;
  return {
    id: options.id ?? `sink-mass-${slug(model)}`,
    title: t,
    data,
    layout: baseLayout(`${t}<br><sup>mean over ${result.queries} query tokens of ${result.sentences} sentences; ${sinkHeads} head(s) put more than ε = ${result.settings.epsilon} on one class</sup>`, {
      ...grid, coloraxis: { colorscale: sequentialScale, cmin: 0, cmax: 1, colorbar: { title: { text: "attention mass" } } }, margin: { l: 64, r: 24, t: 96, b: 56 },
    }),
    config: plotConfig(),
    table: { columns: ["token class", "layer", "head", "mass", "share of sentences over epsilon"], rows },
  };
}

