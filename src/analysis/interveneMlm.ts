/**
 * Interventions scored by the masked-LM loss (or pseudo-perplexity): one MaskedLm graph whose edit
 * points are the site's values in the chosen layers, fed keep/fill vectors per condition (no weights
 * copied per condition); the clean model, the chosen dims and R random draws see the same sentences
 * and the same seeded masks.
 *
 * Sentences: when the model folder has a corpus.json listing split.heldout_ids (the project's trained
 * pair, tools/train/corpus.py), they are drawn from those held-out documents; otherwise from `corpus`
 * (default "default"), and the result says they are not known to be held out.
 * Mean ablation: fills are the clean model's mean over a separate fit sample (real tokens, specials
 * included, as the ablation acts on every token); for weight sites the mean over the table's rows
 * (position table: each column's mean over positions) or over a vector's entries (LayerNorm gain/bias).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { loadCorpus, loadDocuments } from "../data/corpus.js";
import { sampleSentences } from "../data/sample.js";
import { readConfig } from "../model/config.js";
import { editTargets, interventionLayers, interventionSite, type EditTarget } from "../model/editTargets.js";
import { MaskedLm, type EditFeeds } from "../model/mlm.js";
import { ablationVectors } from "../model/onnx/edits.js";
import { resolveSource } from "../model/source.js";
import { compareWithRandom, interventionStatement, resolveIntervention, type Comparison, type InterventionOptions, type InterventionRecord } from "./intervene.js";
import { planMasks, planPseudo, scorePlan, type MaskPlan } from "./mlmScore.js";

export interface MlmInterventionOptions extends InterventionOptions {
  /** "mlm" (default): masked-token loss over seeded masks; "pppl": pseudo-log-likelihood loss (each token masked alone). */
  score?: "mlm" | "pppl";
  /** Sentences to score; default a seeded sample (see the file comment). */
  sentences?: string[];
  /** Corpus for the default sample when the model lists no held-out documents; default "default". */
  corpus?: string;
  /** Sentences scored (default 200). */
  sample?: number;
  /** Sentences for the mean-ablation fit, disjoint from the scored ones (default 100). */
  fitSample?: number;
  /** Share of each sentence's tokens masked (default 0.15). */
  rate?: number;
  /** Rows per onnxruntime run (default 16). */
  batchSize?: number;
  threads?: number;
  /** Cap on tokens per sentence, specials included (default 128). */
  maxLength?: number;
}

export interface MlmInterventionResult extends InterventionRecord {
  kind: "mlm-intervention";
  head: string;
  /** What the numbers are: "masked-token loss (nats)" or "pseudo-log-likelihood loss (nats)". */
  score: string;
  /** exp of clean, ablated and the random mean. */
  perplexity: { clean: number; ablated: number; random: number };
  statement: string;
  sentences: { source: string; heldOut: boolean; count: number; maskedTokens: number; skipped: number; fit: number };
  settings: Record<string, unknown>;
}

/** Runs the intervention on a model with a masked-LM head (see the file comment). */
export async function interveneMlm(source: string, options: MlmInterventionOptions): Promise<MlmInterventionResult> {
  const { dir } = await resolveSource(source);
  const config = readConfig(dir);
  const targets = editTargets(config, interventionSite(options.site ?? "hidden_states"), options.layers ?? "all");
  const width = targets[0].width;
  const o = resolveIntervention(options, width);
  const scoreKind = options.score ?? "mlm";
  if (scoreKind !== "mlm" && scoreKind !== "pppl") throw new RangeError(`invalid score: ${JSON.stringify(scoreKind)}; expected mlm or pppl`);
  const layers = interventionLayers(o.layers, config);
  const progress = options.onProgress;
  const lm = await MaskedLm.open(dir, { threads: options.threads, editPoints: targets.map((t) => t.target), maxLength: options.maxLength ?? 128 });
  try {
    const text = chooseSentences(dir, options, o.seed);
    const tokenized = text.scored.map((s) => lm.tokenize(s));
    const plan: MaskPlan = scoreKind === "mlm" ? planMasks(tokenized, { maskId: lm.maskId, rate: options.rate ?? 0.15, seed: o.seed }) : planPseudo(tokenized, { maskId: lm.maskId });
    const fills = o.ablation === "mean" ? await fitMeans(lm, targets, text.fit, options.batchSize ?? 16, progress) : null;
    const score = async (dims: number[]) => {
      const edits: EditFeeds = new Map(dims.length ? targets.map((t) => [t.target, ablationVectors(t.width, dims, fills?.get(t.target) ?? o.value ?? 0)]) : []);
      return (await scorePlan(async (b) => (await lm.run(b, edits)).logits, plan, config.vocab, { batchSize: options.batchSize ?? 16 })).loss;
    };
    const c = await compareWithRandom(score, o.dims, width, o.repeats, o.seed, progress);
    const what = scoreKind === "mlm" ? "MLM loss" : "pseudo-log-likelihood loss";
    return {
      kind: "mlm-intervention", model: lm.id, head: lm.head.className, site: o.site, layers, targets: targets.map((t) => t.target),
      dims: o.dims, ablation: o.ablation, value: o.value, score: `${scoreKind === "mlm" ? "masked-token" : "pseudo-log-likelihood"} loss (nats)`,
      clean: c.clean, ablated: c.ablated, random: c.random,
      perplexity: { clean: Math.exp(c.clean), ablated: Math.exp(c.ablated), random: Math.exp(c.random.mean) },
      statement: interventionStatement(what, c, o.dims, layers, o.site, o.ablation),
      sentences: { source: text.source, heldOut: text.heldOut, count: text.scored.length, maskedTokens: plan.tokens, skipped: plan.skipped, fit: fills ? text.fit.length : 0 },
      settings: { seed: o.seed, repeats: o.repeats, rate: plan.rate, maxLength: lm.tokenizer.maxLength, masking: "every chosen token replaced by the mask token" },
    };
  } finally {
    await lm.dispose();
  }
}

/** The scored sentences and the disjoint fit sentences (see the file comment). */
export function chooseSentences(dir: string, options: Pick<MlmInterventionOptions, "sentences" | "corpus" | "sample" | "fitSample">, seed: number): { scored: string[]; fit: string[]; source: string; heldOut: boolean } {
  const sample = options.sample ?? 200, fit = options.fitSample ?? 100;
  if (options.sentences) {
    if (options.sentences.length < 2) throw new RangeError("invalid sentences: give at least 2 (some are kept apart for the mean-ablation fit)");
    const k = Math.max(1, Math.min(fit, Math.floor(options.sentences.length / 3)));
    return { scored: options.sentences.slice(k), fit: options.sentences.slice(0, k), source: "sentences passed in", heldOut: false };
  }
  const heldout = heldoutIds(dir);
  const pool = heldout ? loadDocuments(heldout) : loadCorpus(options.corpus ?? "default");
  const drawn = sampleSentences(pool, { n: sample + fit, seed, minWords: 5, maxWords: 40 });
  const source = heldout ? `held-out documents of ${path.join(dir, "corpus.json")} (${heldout.length} documents)` : `corpus ${options.corpus ?? "default"} (not known to be held out from training)`;
  return { scored: drawn.slice(0, sample), fit: drawn.slice(sample), source, heldOut: heldout !== null };
}

function heldoutIds(dir: string): string[] | null {
  const file = path.join(dir, "corpus.json");
  if (!fs.existsSync(file)) return null;
  const ids = (JSON.parse(fs.readFileSync(file, "utf8")) as { split?: { heldout_ids?: unknown } }).split?.heldout_ids;
  return Array.isArray(ids) && ids.length && ids.every((x) => typeof x === "string") ? (ids as string[]) : null;
}

/** The clean model's mean of each target over the fit sentences (see the file comment). */
async function fitMeans(lm: MaskedLm, targets: EditTarget[], sentences: string[], batchSize: number, progress?: (m: string) => void): Promise<Map<string, Float64Array>> {
  progress?.(`fitting means over ${sentences.length} sentences`);
  const sums = new Map(targets.map((t) => [t.target, new Float64Array(t.width)]));
  const counts = new Map(targets.map((t) => [t.target, 0]));
  const names = targets.map((t) => t.target);
  for (let s = 0; s < sentences.length; s += batchSize) {
    const ids = sentences.slice(s, s + batchSize).map((x) => Int32Array.from(lm.tokenize(x).ids));
    const { outputs } = await lm.run({ ids, positions: ids.map(() => [0]) }, new Map(), names);
    const T = Math.max(...ids.map((r) => r.length));
    for (const t of targets) {
      const { data, dims } = outputs[t.target];
      const sum = sums.get(t.target)!;
      const W = t.width;
      if (dims.length === 3) {
        // activations [batch, sequence, width]: real tokens only
        ids.forEach((r, b) => { for (let i = 0; i < r.length; ++i) for (let d = 0; d < W; ++d) sum[d] += data[(b * T + i) * W + d]; });
        counts.set(t.target, counts.get(t.target)! + ids.reduce((a, r) => a + r.length, 0));
      } else if (s === 0) {
        // weights: a table's column means over rows, a vector's mean over its entries
        const rows = dims.length === 2 ? dims[0] : 1;
        if (rows > 1) for (let k = 0; k < data.length; ++k) sum[k % W] += data[k];
        else { const m = data.reduce((a, v) => a + v, 0); sum.fill(m); }
        counts.set(t.target, rows > 1 ? rows : W);
      }
    }
  }
  return new Map([...sums].map(([k, v]) => [k, v.map((x) => x / counts.get(k)!)]));
}
