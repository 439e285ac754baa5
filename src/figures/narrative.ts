/**
 * Narrative text computed from results, for the notebooks' showMarkdown cells: what this run
 * found, in sentences, with its numbers taken from the results (never typed in). The paper's
 * numbers appear only attributed ("the paper reports ..."), from paperNumbers.ts.
 */
import type { OutlierResult } from "../analysis/outliers.js";
import type { OriginResult } from "../analysis/origins.js";
import { formatCount, layerRange } from "./layout.js";
import { paperOutlierShares } from "./paperNumbers.js";
import { modelFamily } from "./palette.js";

/** A percentage with one decimal ("14.3%"). */
export function percent(share: number): string {
  return `${(Math.round(share * 1000) / 10).toFixed(1)}%`;
}

/** A number with `digits` decimals, "n/a" for null. */
export function fixed(v: number | null | undefined, digits = 3): string {
  return v === null || v === undefined || !Number.isFinite(v) ? "n/a" : v.toFixed(digits);
}

/** The persistent outliers of a result, in words, with where they are strongest; or why there are none. */
export function outlierNarrative(result: OutlierResult, { model = "this model" }: { model?: string } = {}): string {
  const upper = result.layers.filter((l) => l.layer > 0 && l.tokens > 0);
  if (upper.length === 0) return `No tokens reached layers 1..L of ${model}; nothing to report.`;
  const tokens = upper[0].tokens;
  const scope = `${model}, ${layerRange(upper.map((l) => l.layer))}, ${formatCount(tokens)} tokens per layer, special tokens ${result.settings.includeSpecial ? "included" : "excluded"}`;
  const lines: string[] = [];
  if (result.dimensions.length === 0) {
    let best = { share: -1, dim: 0, layer: 0, kind: "min" };
    for (const l of upper) {
      for (const kind of ["min", "max"] as const) {
        const s = (kind === "min" ? l.minShare : l.maxShare)!;
        s.forEach((v, dim) => { if (v > best.share) best = { share: v, dim, layer: l.layer, kind }; });
      }
    }
    lines.push(
      `**In this run** (${scope}) no dimension is the ${"argmin or argmax"} of at least ${percent(result.settings.minShare)} of tokens ` +
      `in ${result.settings.minLayers} or more layers. The largest single share is dimension ${best.dim} as the ${best.kind === "min" ? "argmin" : "argmax"} ` +
      `of ${percent(best.share)} of tokens in layer ${best.layer} (chance is ${percent(1 / result.dim)}).`,
    );
  } else {
    lines.push(`**In this run** (${scope}):`);
    lines.push("");
    for (const d of result.dimensions) {
      const per = upper.map((l) => ({ layer: l.layer, share: ((d.kind === "min" ? l.minShare : l.maxShare) ?? [])[d.dim] ?? 0 }));
      const top = per.reduce((a, b) => (b.share > a.share ? b : a));
      const low = per.reduce((a, b) => (b.share < a.share ? b : a));
      lines.push(
        `- dimension **${d.dim}** is the ${d.kind === "min" ? "smallest" : "largest"} value (${d.kind === "min" ? "argmin" : "argmax"}) of ` +
        `**${percent(d.share)}** of token vectors pooled over layers 1–${upper[upper.length - 1].layer}; ` +
        `from ${percent(low.share)} (layer ${low.layer}) to ${percent(top.share)} (layer ${top.layer}).`,
      );
    }
  }
  const family = modelFamily(model);
  const paper = paperOutlierShares.filter((p) => (family === "bert" ? p.model === "BERT-base" : family === "roberta" ? p.model === "RoBERTa-base" : false));
  if (paper.length) {
    lines.push("");
    lines.push(
      `For comparison, the paper (Luo et al. 2021, §2) reports ${paper.map((p) => `dimension ${p.dim} as the ${p.extreme === "min" ? "minimum" : "maximum"} of ${p.percent === null ? "nearly all" : `${p.percent}%`} of vectors`).join(" and ")} ` +
      `for ${paper[0].model}; the indices match only for the same checkpoint (bert-base-cased for 557; bert-base-uncased shows 308/381 instead).`,
    );
  }
  return lines.join("\n");
}

/** Where the outliers come from (§3.2): the position rows that carry each dim and its LayerNorm ranks. */
export function originNarrative(origins: OriginResult, { model = "this model" }: { model?: string } = {}): string {
  if (origins.dimensions.length === 0) return `No outlier dimension was given for ${model}, so there is no origin to trace.`;
  const lines = [`**In this run** (${model}, ${origins.positionRows} position rows, offset ${origins.positionOffset}):`, ""];
  for (const d of origins.dimensions) {
    const parts: string[] = [];
    if (origins.positionRows === 0) parts.push("the model has no position embeddings");
    else {
      const rows = d.kind === "max" ? d.argmaxRows : d.argminRows;
      parts.push(`it is the ${d.kind === "max" ? "argmax" : "argmin"} of ${rows.count} of ${origins.positionRows} position rows (${percent(rows.share)})`);
      if (d.carriers.length) {
        const c = d.carriers[0];
        parts.push(`its strongest carrier is row ${c.row} (token position ${c.position}), value ${fixed(c.value)}, z = ${fixed(c.z, 1)}, rank ${c.absRank} by |value|; ${d.carrierCount} rows pass |z| ≥ ${origins.settings.minZ}`);
      } else parts.push(`no position row holds it at |z| ≥ ${origins.settings.minZ}`);
    }
    const first = d.layerNorms.filter((l) => l.which === "attention");
    if (first.length) {
      const bestGamma = first.reduce((a, b) => (b.gammaRank < a.gammaRank ? b : a));
      const bestBeta = first.reduce((a, b) => (b.betaAbsRank < a.betaAbsRank ? b : a));
      parts.push(
        `in the first LayerNorm of each block its gain ranks between ${Math.min(...first.map((l) => l.gammaRank))} and ${Math.max(...first.map((l) => l.gammaRank))} of ${origins.hidden} ` +
        `(best in layer ${bestGamma.layer}) and its |bias| ranks as high as ${bestBeta.betaAbsRank} (layer ${bestBeta.layer})`,
      );
    }
    lines.push(`- dimension **${d.dim}**${d.kind ? ` (${d.kind})` : ""}: ${parts.join("; ")}.`);
  }
  return lines.join("\n");
}
