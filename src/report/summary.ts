/**
 * "What this report found": the report's first section. Per model, the persistent outlier dimensions
 * (kind, layers, pooled share, origin in the position embeddings and LayerNorms), each linked to the
 * model's section in notebook 01; before that, the models that could not be analysed and why. Plain
 * markdown (links need it; every value is a number or an identity from the analysis).
 */
import type { AnalysisResults } from "../analysis/run.js";
import type { OriginResult } from "../analysis/origins.js";
import type { OutlierResult } from "../analysis/outliers.js";
import { slugify } from "./escape.js";

export interface FindingsRun {
  model: string;
  sample: number;
  results: Pick<AnalysisResults, "outliers" | "origins" | "sample">;
}

/** The heading notebook 01 gives each model's section; the summary links to its id. */
export function outlierSectionTitle(model: string): string {
  return `Outliers of ${model}`;
}

/** The id the report gives that heading (the first heading with that text in the report). */
export function outlierSectionId(model: string): string {
  return slugify(outlierSectionTitle(model));
}

const pct = (v: number) => `${(100 * v).toFixed(1)}%`;
const cell = (s: string) => s.replace(/\|/g, "\\|").replace(/[\r\n]+/g, " ");

/** Layers as compact ranges: [1,2,3,5] -> "1-3, 5". */
export function layerRanges(layers: readonly number[]): string {
  const out: string[] = [];
  for (let i = 0; i < layers.length; ) {
    let j = i;
    while (j + 1 < layers.length && layers[j + 1] === layers[j] + 1) j++;
    out.push(i === j ? `${layers[i]}` : `${layers[i]}-${layers[j]}`);
    i = j + 1;
  }
  return out.join(", ");
}

/** One line on where `dim` comes from: its position rows and its best LayerNorm gain rank. */
export function originText(origins: OriginResult | undefined, dim: number): string {
  const d = origins?.dimensions.find((x) => x.dim === dim);
  if (!origins || !d) return "not traced";
  const parts: string[] = [];
  if (origins.positionRows === 0) parts.push("no position embeddings");
  else {
    const rows = d.kind === "max" ? d.argmaxRows : d.argminRows;
    parts.push(`${d.kind === "max" ? "argmax" : "argmin"} of ${rows.count}/${origins.positionRows} position rows; ${d.carrierCount} row${d.carrierCount === 1 ? "" : "s"} at |z| ≥ ${origins.settings.minZ}`);
  }
  if (d.layerNorms.length) {
    const best = d.layerNorms.reduce((a, b) => (b.gammaRank < a.gammaRank ? b : a));
    parts.push(`LayerNorm gain rank ${best.gammaRank}/${origins.hidden} (layer ${best.layer}, ${best.which})`);
  }
  return parts.join("; ");
}

/** The largest per-layer share of any dimension in layers 1..L (for models without persistent outliers). */
function topShare(o: OutlierResult): { dim: number; kind: "min" | "max"; share: number; layer: number } | null {
  let best: { dim: number; kind: "min" | "max"; share: number; layer: number } | null = null;
  for (const l of o.layers) {
    if (l.layer === 0 || l.tokens === 0) continue;
    for (const kind of ["min", "max"] as const) {
      ((kind === "min" ? l.minShare : l.maxShare) ?? []).forEach((share, dim) => {
        if (!best || share > best.share) best = { dim, kind, share, layer: l.layer };
      });
    }
  }
  return best;
}

/** The summary's markdown: skipped models (with reasons), then one table row per persistent outlier per model. */
export function findingsMarkdown(runs: readonly FindingsRun[], skipped: readonly { model: string; reason: string }[] = []): string {
  const lines: string[] = [];
  if (skipped.length) {
    lines.push(`**Not analysed** (${skipped.length} model${skipped.length === 1 ? "" : "s"}; \`artefacts report --strict\` fails instead):`, "");
    for (const s of skipped) lines.push(`- ${s.model}: ${cell(s.reason)}`);
    lines.push("");
  }
  if (runs.length === 0) {
    lines.push("No model could be analysed.");
    return lines.join("\n");
  }
  lines.push("| model | sample | outlier dim | kind | layers | pooled share | origin |", "| --- | --- | --- | --- | --- | --- | --- |");
  for (const r of runs) {
    const o = r.results.outliers;
    const link = `[${cell(r.model)}](#${outlierSectionId(r.model)})`;
    const sample = `${r.results.sample.sentences.toLocaleString("en-US")} sentences, ${r.results.sample.tokens.toLocaleString("en-US")} tokens`;
    if (o.dimensions.length === 0) {
      const t = topShare(o);
      const what = t ? `none persistent; top: dim ${t.dim} ${t.kind === "min" ? "argmin" : "argmax"} of ${pct(t.share)} in layer ${t.layer}` : "none";
      lines.push(`| ${link} | ${sample} | ${what} | | | | |`);
      continue;
    }
    for (const d of o.dimensions) {
      lines.push(`| ${link} | ${sample} | **${d.dim}** | ${d.kind === "min" ? "argmin" : "argmax"} | ${layerRanges(d.layers)} | ${pct(d.share)} | ${cell(originText(r.results.origins, d.dim))} |`);
    }
  }
  const o = runs[0].results.outliers.settings;
  lines.push("", `A dimension is a persistent outlier when it is the argmin (or argmax) of at least ${pct(o.minShare)} of a layer's tokens in at least ${o.minLayers} layers; the share is pooled over layers 1..L, special tokens ${o.includeSpecial ? "included" : "excluded"}. Each model's name links to its section in notebook 1.`);
  return lines.join("\n");
}
