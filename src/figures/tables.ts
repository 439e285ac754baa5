/**
 * The paper's tables from this run's results, each with the paper's own numbers as reference rows
 * labelled "paper" (source column): Table 1/5 (WiC), Tables 2/6/7 (STS), Table 3 (supervised
 * probes), Table 4 (pre-training settings of the models trained here). Accuracies and correlations
 * are shown x 100 as in the paper, rounded to 2 decimals for this run.
 */
import type { WicResult } from "../analysis/senses.js";
import type { StsResult } from "../analysis/sts.js";
import type { SupervisedResult } from "../analysis/supervised.js";
import type { TrainingLog } from "../defaults.js";
import { paperGloveSts, paperPretraining, paperSts, paperSupervised, paperWic, paperWicBaseline, stsSets } from "./paperNumbers.js";
import type { Cell, TableSpec } from "./spec.js";

/** Which of the paper's reference rows to add: base models, distil and large, all, or none. */
export type PaperRows = "base" | "distil-large" | "all" | "none";

function keepPaperModel(model: string, which: PaperRows): boolean {
  if (which === "none") return false;
  if (which === "all") return true;
  const base = /-base$/.test(model);
  return which === "base" ? base : !base;
}

const r2 = (v: number | null | undefined): number | null => (v === null || v === undefined || !Number.isFinite(v) ? null : Math.round(v * 100) / 100);
const delta = (a: number | null, b: number | null): number | null => (a === null || b === null ? null : r2(b - a));

/**
 * Table 1 (and 5): best WiC accuracy over (layer, threshold), raw and clipped, with the held-out
 * accuracy this project adds (best cell picked on one half, scored on the other).
 */
export function wicTable(runs: { model: string; result: WicResult }[], { paper = "base", id = "table-1-wic", title }: { paper?: PaperRows; id?: string; title?: string } = {}): TableSpec {
  const columns = ["source", "pairs", "model", "layer", "threshold", "accuracy %", "clipped layer", "clipped threshold", "clipped accuracy %", "Δ", "held-out accuracy %", "held-out clipped %"];
  const rows: Cell[][] = [];
  const sources = new Set<string>();
  for (const { model, result } of runs) {
    sources.add(result.source);
    const b = result.raw.best, c = result.clipped?.best ?? null;
    rows.push([
      "this run", `${result.source} (${result.sizes.pairs})`, model, b?.layer ?? null, b?.threshold ?? null, r2(b ? b.accuracy * 100 : null),
      c?.layer ?? null, c?.threshold ?? null, r2(c ? c.accuracy * 100 : null), delta(r2(b ? b.accuracy * 100 : null), r2(c ? c.accuracy * 100 : null)),
      r2(result.raw.heldOut ? result.raw.heldOut.evaluation * 100 : null), r2(result.clipped?.heldOut ? result.clipped.heldOut.evaluation * 100 : null),
    ]);
  }
  if (runs.length) rows.push(["this run", `${runs[0].result.source} (${runs[0].result.sizes.pairs})`, "baseline (all True)", null, null, r2(runs[0].result.baseline * 100), null, null, null, null, null, null]);
  for (const p of paperWic.filter((p) => keepPaperModel(p.model, paper))) {
    rows.push(["paper", "WiC train (5428)", p.model, p.layer, p.threshold, p.accuracy, p.clipped.layer, p.clipped.threshold, p.clipped.accuracy, r2(p.clipped.accuracy - p.accuracy), null, null]);
  }
  if (paper !== "none") rows.push(["paper", "WiC train (5428)", "baseline (all True)", null, null, paperWicBaseline, null, null, null, null, null, null]);
  return {
    id, columns, rows,
    title: title ?? "Table 1: word-in-context, best accuracy over layer and threshold",
    note: `Same sense predicted when the cosine of the target word's vectors exceeds the threshold (0.1-0.9). ` +
      `"accuracy" picks the layer and threshold on the pairs it scores, as the paper does; "held-out" picks them on one half and scores the other. ` +
      (sources.size ? `This run's pairs: ${[...sources].join("; ")}. ` : "") + `Paper rows: Luo et al. 2021, Tables 1 and 5.`,
  };
}

/** One model's STS result on one set, as the tables take it. */
export interface StsRun {
  model: string;
  /** The set's name, e.g. "STS-B" (the paper's labels match when the names do). */
  set: string;
  result: StsResult;
  /** Which correlation to read: "all" (SentEval pooled) or "wmean"; default "all". */
  pooling?: "all" | "wmean";
}

/**
 * Table 2 (and 6, 7): Spearman x 100 of mean-pooled sentence vectors with the best layer, raw and
 * clipped, per set; the paper's rows (and averaged GloVe) for the same sets follow.
 */
export function stsTable(runs: StsRun[], { paper = "base", id = "table-2-sts", title }: { paper?: PaperRows; id?: string; title?: string } = {}): TableSpec {
  const columns = ["source", "set", "model", "Spearman x 100", "layer", "clipped", "clipped layer", "Δ"];
  const rows: Cell[][] = [];
  for (const { model, set, result, pooling = "all" } of runs) {
    const b = result.best.raw[pooling], c = result.best.clipped?.[pooling] ?? null;
    rows.push(["this run", set, model, r2(b?.spearman), b?.layer ?? null, r2(c?.spearman), c?.layer ?? null, delta(r2(b?.spearman), r2(c?.spearman))]);
  }
  const sets = paper === "none" ? [] : runs.length ? stsSets.filter((s) => runs.some((r) => sameSet(r.set, s))) : [...stsSets];
  for (const s of sets) {
    const i = stsSets.indexOf(s);
    rows.push(["paper", s, "Avg GloVe", paperGloveSts[s], null, null, null, null]);
    for (const p of paperSts.filter((p) => keepPaperModel(p.model, paper))) {
      rows.push(["paper", s, p.model, p.raw[i][0], p.raw[i][1], p.clipped[i][0], p.clipped[i][1], r2(p.clipped[i][0] - p.raw[i][0])]);
    }
  }
  return {
    id, columns, rows,
    title: title ?? "Table 2: semantic textual similarity, Spearman x 100 (best layer)",
    note: "Sentence vector = mean of the layer's subword vectors; score = cosine; Spearman correlation with the gold scores x 100; best layer shown. " +
      "Paper rows: Luo et al. 2021, Tables 2, 6, 7 (GloVe from Reimers & Gurevych 2019), for the sets this run scored.",
  };
}

/** "sts-b", "STSBenchmark", "STS-B" -> the same set; "sts12" matches "STS-12". */
export function sameSet(name: string, paperName: string): boolean {
  const norm = (s: string) => s.toLowerCase().replace(/benchmark/, "b").replace(/[^a-z0-9]/g, "");
  return norm(name) === norm(paperName);
}

/** Table 3: frozen linear classifiers on mean-pooled layers; best accuracy % (layer), raw and clipped. */
export function supervisedTable(runs: { model: string; result: SupervisedResult }[], { paper = "base", id = "table-3-supervised", title }: { paper?: PaperRows; id?: string; title?: string } = {}): TableSpec {
  const columns = ["source", "task", "model", "accuracy %", "layer", "clipped %", "clipped layer", "Δ", "majority baseline %"];
  const rows: Cell[][] = runs.map(({ model, result }) => {
    const { raw, clipped } = result.best;
    const a = r2(raw ? raw.accuracy * 100 : null), c = r2(clipped ? clipped.accuracy * 100 : null);
    return ["this run", result.task, model, a, raw?.layer ?? null, c, clipped?.layer ?? null, delta(a, c), r2(result.majorityBaseline * 100)];
  });
  const tasks = new Set(runs.map((r) => r.result.task.toLowerCase()));
  for (const p of paperSupervised.filter((p) => keepPaperModel(p.model, paper) && (runs.length === 0 || tasks.has(p.task.toLowerCase())))) {
    rows.push(["paper", p.task, p.model, p.raw[0], p.raw[1], p.clipped[0], p.clipped[1], r2(p.clipped[0] - p.raw[0]), null]);
  }
  return {
    id, columns, rows,
    title: title ?? "Table 3: supervised linear probes on frozen sentence vectors (best layer)",
    note: "One linear classifier per layer on mean-pooled vectors, raw and clipped; accuracy on held-out examples. Paper rows: Luo et al. 2021, Table 3.",
  };
}

/** Logged arguments that describe the training run's machinery, not the model: left out of Table 4 by default. */
export const hyperparameterOmit: readonly string[] = ["out", "workdir", "deadline", "dry_run", "threads", "log_every", "eval_every"];

/**
 * Table 4: the pre-training settings of the models trained here (from their training logs), beside
 * the paper's fairseq settings for its RoBERTa-base pair.
 */
export function hyperparameterTable(
  logs: { model: string; log: TrainingLog }[],
  { id = "table-4-pretraining", title, omit = hyperparameterOmit }: { id?: string; title?: string; omit?: readonly string[] } = {},
): TableSpec {
  const keys: string[] = [];
  for (const { log } of logs) for (const k of Object.keys(log.hyperparameters)) if (!keys.includes(k) && !omit.includes(k)) keys.push(k);
  const show = (v: unknown): Cell => (v === undefined ? null : typeof v === "number" || typeof v === "string" ? v : JSON.stringify(v));
  const rows: Cell[][] = keys.map((k) => [k, ...logs.map(({ log }) => show(log.hyperparameters[k]))]);
  rows.push(["final validation perplexity", ...logs.map(({ log }) => (log.finalPerplexity === null ? null : r2(log.finalPerplexity)))]);
  return {
    id, title: title ?? "Table 4: pre-training settings of the embedded models",
    columns: ["setting", ...logs.map((l) => l.model)],
    rows,
    note: `Paper (Luo et al. 2021, Table 4; fairseq RoBERTa-base, 12 layers): ${paperPretraining.map(([k, v]) => `${k} ${v}`).join(", ")}; ` +
      `validation perplexity 4.3 with and 354.0 without position embeddings (§3.4).`,
  };
}

/** The paper's Table 4 as its own table (setting, value). */
export function paperPretrainingTable(): TableSpec {
  return { id: "table-4-paper", title: "Table 4 (paper): pre-training settings of Luo et al.'s RoBERTa-base pair", columns: ["setting", "paper"], rows: paperPretraining.map(([k, v]) => [k, v]) };
}
