/**
 * Interventions scored downstream, for encoders with or without a masked-LM head (sentence encoders
 * such as all-MiniLM-L6-v2): one encoder session whose edits' keep/fill vectors are graph inputs
 * (createEditableEncoder), fed per condition (the same bytes as one graph per condition with the edits
 * as constants, and a fraction of the cost: one graph build and one session instead of 2 + repeats), then
 *  - "sts": Spearman x 100 of mean-pooled sentence cosines with the gold scores at one layer (default
 *    the last, where sentence encoders pool), all pairs pooled (evaluateSts, raw);
 *  - "wic": word-in-context accuracy x 100 on the held-out half of the pairs, threshold chosen on the
 *    other half at one layer (evaluateWic); the default pairs are the bundled WordNet stand-in for WiC;
 *  - "probe": the paper's position probe (runAnalyses only "probe"): held-out accuracy x 100 of predicting
 *    each token's position from its vector at one layer, on a seeded corpus sample.
 * Mean ablation fills with the clean encoder's mean over `fitSample` sentences of `corpus` (activations,
 * real tokens) or the weight's mean (as in interveneMlm.ts).
 */
import { loadCorpus } from "../data/corpus.js";
import type { StsSet } from "../data/formats/sts.js";
import type { SensePair } from "../data/formats/wic.js";
import { sampleSentences } from "../data/sample.js";
import { buildSensePairs } from "../data/wordnet.js";
import { loadCheckpoint } from "../model/checkpoint.js";
import { readConfig } from "../model/config.js";
import { editTargets, interventionLayers, interventionSite, type EditTarget } from "../model/editTargets.js";
import { createEditableEncoder } from "../model/editableEncoder.js";
import type { Encoder } from "../model/encoder.js";
import { ablationVectors } from "../model/onnx/edits.js";
import { resolveSource } from "../model/source.js";
import { compareWithRandom, interventionStatement, resolveIntervention, type Comparison, type InterventionOptions, type InterventionRecord } from "./intervene.js";
import { runAnalyses } from "./run.js";
import { evaluateWic } from "./senses.js";
import { evaluateSts } from "./sts.js";

export interface DownstreamInterventionOptions extends InterventionOptions {
  score: "sts" | "wic" | "probe";
  /** The STS set (score "sts", required): loadStsB, loadSick or loadSentEvalSts. */
  sts?: StsSet;
  /** Word-sense pairs (score "wic"); default buildSensePairs({ n: 200, seed }) (WordNet stand-in, not WiC). */
  pairs?: readonly SensePair[];
  /** The layer scored (default the last). */
  layer?: number;
  /** Sentences of the probe's sample (score "probe"; default 300). */
  sample?: number;
  /** Corpus of the mean-ablation fit sample and of the probe's sentences (default "default"). */
  corpus?: string;
  /** Sentences of the mean-ablation fit (default 100). */
  fitSample?: number;
  threads?: number;
  batchSize?: number;
}

export interface DownstreamInterventionResult extends InterventionRecord {
  kind: "downstream-intervention";
  /** The layer whose vectors are scored. */
  layer: number;
  statement: string;
  data: { source: string; pairs: number };
  settings: Record<string, unknown>;
}

/** Runs the intervention and scores it downstream (see the file comment). */
export async function interveneDownstream(source: string, options: DownstreamInterventionOptions): Promise<DownstreamInterventionResult> {
  const { dir, id } = await resolveSource(source);
  const config = readConfig(dir);
  const targets = editTargets(config, interventionSite(options.site ?? "hidden_states"), options.layers ?? "all");
  const width = targets[0].width;
  const o = resolveIntervention(options, width);
  const layers = interventionLayers(o.layers, config);
  const layer = options.layer ?? config.layers;
  if (!Number.isInteger(layer) || layer < 0 || layer > config.layers) throw new RangeError(`invalid layer: ${JSON.stringify(layer)}; the scored layer must be in 0..${config.layers}`);
  const task = downstreamTask(options, layer, o.seed);
  const siteNames = targets.filter((t) => /^[a-z_]+\.\d+$/.test(t.target) && !t.target.startsWith("hidden_states.")).map((t) => t.target);
  // an activation site is built into the graph only when asked for, so the edit has a value to act on
  const editable = await createEditableEncoder(dir, { threads: options.threads, points: targets.map((t) => ({ target: t.target, width: t.width })), sites: siteNames });
  let c: Comparison, fills: Map<string, Float64Array> | null;
  try {
    // the clean condition (no point edited) fits the mean fills
    fills = o.ablation === "mean" ? await fitMeans(dir, targets, options, editable.withEdits(new Map())) : null;
    const score = async (dims: number[]) => {
      const edits = new Map(dims.length ? targets.map((t) => [t.target, ablationVectors(t.width, dims, fills?.get(t.target) ?? o.value ?? 0)]) : []);
      return task.score(editable.withEdits(edits), options.batchSize ?? 32);
    };
    c = await compareWithRandom(score, o.dims, width, o.repeats, o.seed, options.onProgress);
  } finally {
    await editable.dispose();
  }
  return {
    kind: "downstream-intervention", model: id, site: o.site, layers, targets: targets.map((t) => t.target), dims: o.dims, ablation: o.ablation, value: o.value,
    score: task.what, layer, clean: c.clean, ablated: c.ablated, random: c.random,
    statement: interventionStatement(task.short, c, o.dims, layers, o.site, o.ablation, 2),
    data: { source: task.source, pairs: task.pairs },
    settings: { seed: o.seed, repeats: o.repeats, fitSample: fills ? options.fitSample ?? 100 : 0, pooling: "mean of the sentence's own tokens (specials excluded)" },
  };
}

type Scorable = Encoder;

function downstreamTask(options: DownstreamInterventionOptions, layer: number, seed: number): { what: string; short: string; source: string; pairs: number; score: (e: Scorable, batchSize: number) => Promise<number> } {
  if (options.score === "sts") {
    const set = options.sts;
    if (!set) throw new RangeError("score sts: no STS set given; load one with loadStsB, loadSick or loadSentEvalSts (CLI: --sts FILE)");
    const pairs = set.subsets.reduce((a, s) => a + s.a.length, 0);
    return {
      what: `STS Spearman x 100 at layer ${layer} (${set.name}, all pairs)`, short: "STS Spearman", source: set.name, pairs,
      score: async (e, batchSize) => {
        const rho = (await evaluateSts(e, set, { layers: [layer], batchSize })).layers[layer].raw.all.spearman;
        if (rho === null) throw new RangeError(`score sts: the Spearman correlation is undefined on ${set.name} (constant scores or vectors)`);
        return 100 * rho;
      },
    };
  }
  if (options.score === "wic") {
    const built = options.pairs ? null : buildSensePairs({ n: 200, seed });
    const pairs = options.pairs ?? built!.pairs;
    const source = built ? built.source : "pairs passed in";
    return {
      what: `word-in-context accuracy x 100 at layer ${layer} (held-out half; ${source})`, short: "WiC accuracy", source, pairs: pairs.length,
      score: async (e, batchSize) => {
        const r = await evaluateWic(e, pairs, { layers: [layer], batchSize, heldOut: { seed } });
        return 100 * (r.raw.heldOut?.evaluation ?? r.raw.best!.accuracy);
      },
    };
  }
  if (options.score === "probe") {
    const corpus = options.corpus ?? "default";
    const sentences = sampleSentences(loadCorpus(corpus), { n: options.sample ?? 300, seed, minWords: 5, maxWords: 40 });
    return {
      what: `position-probe accuracy x 100 at layer ${layer} (held-out sentences of ${sentences.length} from corpus ${corpus})`, short: "position-probe accuracy", source: `corpus ${corpus}`, pairs: sentences.length,
      score: async (e) => {
        const l = (await runAnalyses(e, sentences, { seed, only: ["probe"] })).probe?.layers.find((x) => x.layer === layer);
        if (!l || l.accuracy === null) throw new RangeError(`score probe: no held-out tokens at layer ${layer}; use a larger sample`);
        return 100 * l.accuracy;
      },
    };
  }
  throw new RangeError(`invalid score: ${JSON.stringify(options.score)}; expected sts, wic or probe here (mlm and pppl: interveneMlm)`);
}

/** Mean fills: activations over a corpus sample with the clean encoder (no point edited); weights from the checkpoint. */
async function fitMeans(dir: string, targets: EditTarget[], options: DownstreamInterventionOptions, clean: Encoder): Promise<Map<string, Float64Array>> {
  const out = new Map<string, Float64Array>();
  const activations = targets.filter((t) => /^[a-z_]+\.\d+$/.test(t.target));
  const weights = targets.filter((t) => !activations.includes(t));
  if (weights.length) {
    const ckpt = loadCheckpoint(dir);
    for (const t of weights) {
      const w = ckpt.weights.get(t.target)!;
      const rows = w.shape.length === 2 ? w.shape[0] : 1;
      const m = new Float64Array(t.width);
      if (rows > 1) { for (let k = 0; k < w.data.length; ++k) m[k % t.width] += w.data[k] / rows; }
      else m.fill(w.data.reduce((a, v) => a + v, 0) / t.width);
      out.set(t.target, m);
    }
  }
  if (!activations.length) return out;
  options.onProgress?.("fitting means");
  const sentences = sampleSentences(loadCorpus(options.corpus ?? "default"), { n: options.fitSample ?? 100, seed: (options.seed ?? 0) + 1, minWords: 5, maxWords: 40 });
  const sums = new Map(activations.map((t) => [t.target, new Float64Array(t.width)]));
  let tokens = 0;
  for await (const b of clean.encode(sentences)) {
    for (const t of activations) {
      const data = t.target.startsWith("hidden_states.") ? b.layers[Number(t.target.split(".")[1])] : b.sites![t.target];
      const sum = sums.get(t.target)!;
      for (let r = 0; r < b.batch * b.length; ++r) if (b.attentionMask[r]) for (let d = 0; d < t.width; ++d) sum[d] += data[r * t.width + d];
    }
    tokens += b.tokenCounts.reduce((a, n) => a + n, 0);
  }
  for (const [k, v] of sums) out.set(k, v.map((x) => x / tokens));
  return out;
}
