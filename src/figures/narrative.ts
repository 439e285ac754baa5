/**
 * Narrative text computed from results, for the notebooks' showMarkdown cells: what this run
 * found, in sentences, with its numbers taken from the results (never typed in). The paper's
 * numbers appear only attributed ("the paper reports ..."), from paperNumbers.ts.
 */
import type { OutlierResult } from "../analysis/outliers.js";
import type { OriginResult } from "../analysis/origins.js";
import type { ProbeResult } from "../analysis/probe.js";
import type { AnisotropyResult } from "../analysis/anisotropy.js";
import type { WicResult } from "../analysis/senses.js";
import type { StsResult } from "../analysis/sts.js";
import type { SupervisedResult } from "../analysis/supervised.js";
import type { SelfSimResult } from "../analysis/selfsim.js";
import { formatCount, layerRange } from "./layout.js";
import { paperOutlierShares } from "./paperNumbers.js";
import { modelFamily } from "./palette.js";

/** A percentage with one decimal ("14.3%"). */
export function percent(share: number): string {
  return `${(Math.round(share * 1000) / 10).toFixed(1)}%`;
}

/** "3" when all values round alike, else "min–max" with `digits` decimals. */
export function span(values: readonly number[], digits = 3): string {
  const lo = fixed(Math.min(...values), digits), hi = fixed(Math.max(...values), digits);
  return lo === hi ? lo : `${lo}–${hi}`;
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
        (percent(low.share) === percent(top.share) ? `${percent(top.share)} in every layer.` : `from ${percent(low.share)} (layer ${low.layer}) to ${percent(top.share)} (layer ${top.layer}).`),
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
  if (origins.positionStatement) lines.push(origins.positionStatement, "");
  for (const d of origins.dimensions) {
    const parts: string[] = [];
    if (origins.positionRows === 0) parts.push("the model has no absolute position table");
    else {
      const rows = d.kind === "max" ? d.argmaxRows : d.argminRows;
      parts.push(`it is the ${d.kind === "max" ? "argmax" : "argmin"} of ${rows.count} of ${origins.positionRows} position rows (${percent(rows.share)})`);
      if (d.carriers.length) {
        const c = d.carriers[0];
        parts.push(`its strongest carrier is row ${c.row} (token position ${c.position}), value ${fixed(c.value)}, z = ${fixed(c.z, 1)}, rank ${c.absRank} by |value|; ${d.carrierCount} row${d.carrierCount === 1 ? "" : "s"} pass${d.carrierCount === 1 ? "es" : ""} |z| ≥ ${origins.settings.minZ}`);
      } else parts.push(`no position row holds it at |z| ≥ ${origins.settings.minZ}`);
    }
    for (const t of d.tables ?? []) {
      const c = t.carriers[0];
      parts.push(c ? `in ${t.name} (${t.kind}) ${t.carrierCount} row${t.carrierCount === 1 ? "" : "s"} carry it at |z| ≥ ${origins.settings.minZ}, strongest row ${c.row} (z = ${fixed(c.z, 1)})` : `no row of ${t.name} (${t.kind}) holds it at |z| ≥ ${origins.settings.minZ}`);
    }
    const first = d.layerNorms.filter((l) => l.which === "attention");
    if (first.length) {
      const bestGamma = first.reduce((a, b) => (b.gammaRank < a.gammaRank ? b : a));
      const bestBeta = first.reduce((a, b) => (b.betaAbsRank < a.betaAbsRank ? b : a));
      parts.push(
        `in the first LayerNorm of each block its gain ranks ${span(first.map((l) => l.gammaRank), 0)} of ${origins.hidden} ` +
        `(best in layer ${bestGamma.layer}) and its |bias| ranks as high as ${bestBeta.betaAbsRank} (layer ${bestBeta.layer})`,
      );
    }
    lines.push(`- dimension **${d.dim}**${d.kind ? ` (${d.kind})` : ""}: ${parts.join("; ")}.`);
  }
  return lines.join("\n");
}

/** The position probe in words: accuracy at the first and last layer, and where the outliers rank. */
export function probeNarrative(probe: ProbeResult, { model = "this model" }: { model?: string } = {}): string {
  const layers = probe.layers.filter((l) => l.layer > 0 && l.accuracy !== null);
  if (layers.length === 0) return `The position probe of ${model} had no held-out tokens; encode more sentences.`;
  const first = layers[0], last = layers[layers.length - 1];
  const best = layers.reduce((a, b) => (b.accuracy! > a.accuracy! ? b : a));
  const lines = [
    `**In this run** the bias-free probe recovers the token position of held-out tokens of ${model} with accuracy ` +
    `${fixed(first.accuracy)} at layer ${first.layer} and ${fixed(last.accuracy)} at layer ${last.layer} (best ${fixed(best.accuracy)} at layer ${best.layer}; ` +
    `${first.classes} position classes, ${formatCount(first.testTokens)} held-out tokens per layer).`,
  ];
  for (const d of probe.settings.dims) {
    const ranks = layers.map((l) => l.dims.find((e) => e.dim === d)?.rank ?? null).filter((r): r is number => r !== null);
    const ratio = layers.map((l) => { const c = l.dims.find((e) => e.dim === d)?.contribution; return c !== undefined && l.meanContribution ? c / l.meanContribution : null; }).filter((r): r is number => r !== null);
    if (ranks.length) {
      lines.push(`Neuron ${d} ranks ${span(ranks, 0)} of ${probe.layers[0].contributions.length} by contribution across layers, ` +
        `${span(ratio, 1)} times the mean over all neurons.`);
    }
  }
  if (probe.settings.dims.length === 0) lines.push("No persistent outlier was found, so no neuron is singled out; the mean over all neurons is shown alone.");
  lines.push("", "The paper (Luo et al. 2021, Fig. 5a) reads ≈1.00 in layers 1–2 for both BERT-base and RoBERTa-base, falling to 0.397 (BERT) and 0.561 (RoBERTa) at layer 12; " +
    "its Fig. 5b/5c put neuron 557 (BERT) at 8–41 against a mean of about 1, and 588 (RoBERTa) highest of all in every layer.");
  return lines.join("\n");
}

/** Anisotropy raw against clipped, per layer range, with the dims that were clipped. */
export function anisotropyNarrative(a: AnisotropyResult, { model = "this model", clipped = [] as readonly number[] } = {}): string {
  const layers = a.layers.filter((l) => l.raw !== null);
  if (layers.length === 0) return `No anisotropy could be measured for ${model} (too few token pairs).`;
  const upper = layers.filter((l) => l.layer > 0);
  const span = (f: (l: (typeof layers)[number]) => number | null | undefined) => {
    const v = upper.map(f).filter((x): x is number => typeof x === "number");
    return v.length ? `${fixed(Math.min(...v))}–${fixed(Math.max(...v))}` : "n/a";
  };
  const lines = [
    `**In this run** (${model}, ${formatCount(a.settings.pairs)} pairs per layer, seed ${a.settings.seed}) the average cosine of random tokens ranges ` +
    `${span((l) => l.raw)} over layers 1–${upper[upper.length - 1]?.layer ?? 0} (layer 0: ${fixed(layers[0].raw)}).`,
  ];
  if (clipped.length && a.settings.variants.includes("clipped")) {
    lines.push(`With dimension${clipped.length > 1 ? "s" : ""} ${clipped.join(", ")} set to 0 it ranges ${span((l) => l.clipped)}.`);
  } else lines.push("No outlier dimension was detected, so the clipped vectors equal the raw ones.");
  lines.push("", "The paper (Luo et al. 2021, Fig. 6 left, read from the figure) has BERT-base at 0.19–0.68 and RoBERTa-base at 0.50–0.82 over layers 1–12, " +
    "and 0.07–0.20 and 0.13–0.21 after clipping.");
  return lines.join("\n");
}

/** WiC (or its stand-in) in words: best cells raw and clipped, held-out accuracy, baseline. */
export function wicNarrative(r: WicResult, { model = "this model" }: { model?: string } = {}): string {
  const cell = (c: { layer: number; threshold: number; accuracy: number } | null) => (c ? `${percent(c.accuracy)} (layer ${c.layer}, threshold ${c.threshold.toFixed(1)})` : "n/a");
  const lines = [
    `**In this run** (${model}, ${r.source}, ${formatCount(r.sizes.pairs)} pairs, ${r.sizes.same} same-sense) the best accuracy is ${cell(r.raw.best)}` +
    (r.clipped ? ` raw and ${cell(r.clipped.best)} clipped` : "") + `, against ${percent(r.baseline)} for "always same sense".`,
  ];
  if (r.raw.heldOut) {
    lines.push(`Picked on one half and scored on the other, the raw accuracy is ${percent(r.raw.heldOut.evaluation)}` +
      (r.clipped?.heldOut ? ` and the clipped ${percent(r.clipped.heldOut.evaluation)}` : "") +
      (r.raw.best && r.raw.heldOut.evaluation < r.raw.best.accuracy
        ? "; the drop from the best cell shows how much choosing the cell on the scored pairs flatters it."
        : `; not lower than the best cell here, so on ${formatCount(r.sizes.evaluation)} held-out pairs the selection effect is within noise.`));
  }
  lines.push("", "The paper (Luo et al. 2021, Table 1) reports 67.5% (BERT-base) and 69.0% (RoBERTa-base) on the WiC training set, 68.4% and 69.9% after clipping, against a 50.0% baseline.");
  return lines.join("\n");
}

/** STS in words: per set, best Spearman raw and clipped. */
export function stsNarrative(runs: { model: string; set: string; result: StsResult }[]): string {
  if (runs.length === 0) return "No STS set was scored.";
  const lines = ["**In this run** (Spearman x 100, best layer):", ""];
  for (const { model, set, result } of runs) {
    const b = result.best.raw.all, c = result.best.clipped?.all ?? null;
    lines.push(`- ${set}, ${model}: ${b ? `${fixed(b.spearman, 2)} (layer ${b.layer})` : "n/a"}` + (c ? `; clipped ${fixed(c.spearman, 2)} (layer ${c.layer})` : ""));
  }
  lines.push("", "The paper (Luo et al. 2021, Table 2) finds that clipping raises every base-model score, e.g. STS-B from 58.61 to 63.06 (BERT-base) and 56.60 to 60.61 (RoBERTa-base).");
  return lines.join("\n");
}

/** Supervised probes in words: best accuracy raw and clipped per task. */
export function supervisedNarrative(runs: { model: string; result: SupervisedResult }[]): string {
  if (runs.length === 0) return "No supervised task was run.";
  const lines = ["**In this run** (held-out accuracy, best layer):", ""];
  for (const { model, result } of runs) {
    const { raw, clipped } = result.best;
    lines.push(`- ${result.task}, ${model}: ${raw ? `${percent(raw.accuracy)} (layer ${raw.layer})` : "n/a"}` +
      (clipped ? `; clipped ${percent(clipped.accuracy)} (layer ${clipped.layer})` : "") + `; majority class ${percent(result.majorityBaseline)}.`);
  }
  lines.push("", "The paper (Luo et al. 2021, Table 3) finds clipping changes little: SST-2 85.9% → 85.4% (BERT-base) and 88.4% → 88.7% (RoBERTa-base).");
  return lines.join("\n");
}

/**
 * The with/without-positions comparison (notebook 07) in words: each model's persistent outliers,
 * its largest single-dimension share, and its perplexity; then whether an outlier appears only
 * with position embeddings.
 */
export function pretrainingNarrative(runs: { model: string; outliers: OutlierResult; hasPositions: boolean; perplexity: number | null }[]): string {
  const lines = ["**In this run:**", ""];
  for (const r of runs) {
    const upper = r.outliers.layers.filter((l) => l.layer > 0 && l.tokens > 0);
    let top = 0;
    for (const l of upper) for (const s of [...(l.minShare ?? []), ...(l.maxShare ?? [])]) top = Math.max(top, s);
    const dims = r.outliers.dimensions.map((d) => `${d.dim} (${d.kind}, ${percent(d.share)})`);
    lines.push(`- ${r.model} (${r.hasPositions ? "with" : "without"} position embeddings; validation perplexity ${r.perplexity === null ? "not logged" : fixed(r.perplexity, 1)}): ` +
      (dims.length ? `persistent outlier${dims.length > 1 ? "s" : ""} ${dims.join(", ")}` : "no persistent outlier") +
      `; the largest share any one dimension takes in a layer is ${percent(top)} (chance ${percent(1 / r.outliers.dim)}).`);
  }
  const withPe = runs.filter((r) => r.hasPositions), without = runs.filter((r) => !r.hasPositions);
  const has = (rs: typeof runs) => rs.some((r) => r.outliers.dimensions.length > 0);
  lines.push("");
  if (withPe.length && without.length) {
    if (has(withPe) && !has(without)) lines.push("So an outlier dimension appears **only in the model with position embeddings**, as the paper found.");
    else if (has(withPe) && has(without)) lines.push("Both models have an outlier dimension here, so **this run does not reproduce** the paper's finding that outliers appear only with position embeddings.");
    else if (!has(withPe) && !has(without)) lines.push("**Neither model** has a persistent outlier here, so this run cannot confirm the paper's finding (the models may be too small or too briefly trained).");
    else lines.push("Only the model **without** position embeddings has an outlier here, the opposite of the paper's finding.");
  }
  lines.push("", "The paper (Luo et al. 2021, §3.4) trained RoBERTa-base twice on Wikipedia: with positions, dimension 81 is the maximum of 82.56% of vectors (perplexity 4.3); without, there is no outlier (perplexity 354.0).");
  return lines.join("\n");
}

/** The data sets notebooks 04-06 read when a file is supplied. */
export type DataKey = "wic" | "stsb" | "sick" | "sts12" | "sts13" | "sts14" | "sts15" | "sts16" | "sst2" | "sst5" | "imdb";

const dataHelp: Record<DataKey, { what: string; where: string; file: string }> = {
  wic: { what: "WiC (Pilehvar & Camacho-Collados 2019)", where: "https://pilehvar.github.io/wic/ (WiC_dataset.zip)", file: "train/train.data.txt, with its labels train/train.gold.txt as `data.wicGold`" },
  stsb: { what: "STS-B", where: "SentEval's data/downstream/get_transfer_data.bash, or GLUE", file: "STSBenchmark/sts-test.csv (SentEval) or STS-B/dev.tsv (GLUE)" },
  sick: { what: "SICK-R", where: "SentEval's data/downstream/get_transfer_data.bash", file: "SICK/SICK_test_annotated.txt" },
  sts12: { what: "STS12", where: "SentEval's data/downstream/get_transfer_data.bash", file: "the STS/STS12-en-test folder (STS.input.*.txt with STS.gs.*.txt)" },
  sts13: { what: "STS13", where: "SentEval's data/downstream/get_transfer_data.bash", file: "the STS/STS13-en-test folder" },
  sts14: { what: "STS14", where: "SentEval's data/downstream/get_transfer_data.bash", file: "the STS/STS14-en-test folder" },
  sts15: { what: "STS15", where: "SentEval's data/downstream/get_transfer_data.bash", file: "the STS/STS15-en-test folder" },
  sts16: { what: "STS16", where: "SentEval's data/downstream/get_transfer_data.bash", file: "the STS/STS16-en-test folder" },
  sst2: { what: "SST-2", where: "GLUE (https://gluebenchmark.com/tasks, SST-2.zip)", file: "SST-2/train.tsv (header sentence<TAB>label)" },
  sst5: { what: "SST-5", where: "the Stanford Sentiment Treebank (trainDevTestTrees_PTB.zip) or SentEval's SST/fine", file: "trees/train.txt (PTB trees) or SentEval's sentiment-train" },
  imdb: { what: "IMDB", where: "https://ai.stanford.edu/~amaas/data/sentiment/ (aclImdb_v1.tar.gz)", file: "the aclImdb/train folder (pos/ and neg/)" },
};

/**
 * A markdown note for a data set the notebook was not given: which file to supply, where to get
 * it, and how to pass it (the report's data parameter, or the notebook's parameters cell).
 */
export function missingDataNote(keys: readonly DataKey[], { notebook = "NN" }: { notebook?: string } = {}): string {
  const lines = ["**Data not supplied.** This section needs files that cannot be bundled (licences and size):", ""];
  for (const k of keys) {
    const h = dataHelp[k];
    if (!h) throw new RangeError(`invalid data key: ${JSON.stringify(k)}; expected one of ${Object.keys(dataHelp).join(", ")}`);
    lines.push(`- \`data.${k}\`: ${h.what}, from ${h.where}; pass ${h.file}.`);
  }
  const example = keys[0] === "wic"
    ? `{"wic": "/path/to/train.data.txt", "wicGold": "/path/to/train.gold.txt"}`
    : `{${keys.slice(0, 2).map((k) => `"${k}": "/path/to/${k}"`).join(", ")}}`;
  lines.push("", `Then set \`data = ${example};\` in the parameters cell and rerun notebook ${notebook}, ` +
    `or inject the same object as the notebook's \`data\` parameter when generating the report.`);
  return lines.join("\n");
}

/** Self-similarity raw against clipped, in words. */
export function selfSimilarityNarrative(raw: SelfSimResult, clipped: SelfSimResult | null, { model = "this model" }: { model?: string } = {}): string {
  const upper = raw.layers.filter((l) => l.layer > 0 && l.adjusted !== null);
  if (upper.length === 0) return `No word of the sample of ${model} occurs ${raw.settings.minOccurrences} or more times; encode more sentences for self-similarity.`;
  const words = Math.max(...raw.layers.map((l) => l.words));
  const first = upper[0], last = upper[upper.length - 1];
  const c = (layer: number) => clipped?.layers.find((l) => l.layer === layer)?.adjusted ?? null;
  const lines = [
    `**In this run** (${model}, ${formatCount(words)} words with at least ${raw.settings.minOccurrences} occurrences) the anisotropy-adjusted self-similarity is ` +
    `${fixed(first.adjusted)} at layer ${first.layer} and ${fixed(last.adjusted)} at layer ${last.layer}` +
    (clipped ? `; after clipping ${fixed(c(first.layer))} and ${fixed(c(last.layer))}.` : "."),
    "",
    "The paper (Luo et al. 2021, Fig. 6 right, read from the figure) finds clipping raises it in every layer, e.g. BERT-base layer 12 from 0.21 to 0.34 and RoBERTa-base from 0.09 to 0.44: a word's vectors are more alike once the positional artefact is removed.",
  ];
  return lines.join("\n");
}
