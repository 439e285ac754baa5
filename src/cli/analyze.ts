/**
 * `artefacts analyze`: runs the paper's analyses (all, or a subset) on a seeded sentence sample and
 * writes one results JSON, atomically (a temporary file renamed into place).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { deviceOption, parseCommand, intOption, type OptionSpec, type ParsedArgs } from "./args.js";
import { checkOutFile, outStamp, overwrittenMeanwhile, tempName } from "./output.js";
import { nonFinitePolicy } from "../model/finite.js";
import { createEncoder, type Encoder } from "../model/encoder.js";
import type { NonFinitePolicy } from "../model/finite.js";
import type { RunOptions } from "../analysis/options.js";
import { runShard, type ShardSpec } from "../analysis/shard.js";
import { writeShardFile } from "./shardFile.js";
import { resolveShard } from "./shardSpec.js";
import { DEFAULT_TOKEN_BUDGET } from "../model/batching.js";
import { readConfig } from "../model/config.js";
import { resolveSource } from "../model/source.js";
import { resolveSites } from "../model/sites.js";
import type { ModelConfig } from "../model/types.js";
import { ANALYSIS_NAMES, DEFAULT_ANALYSES, resolveOnly, runAnalyses } from "../analysis/run.js";
import { siteRequest, summaries } from "../analysis/registry/index.js";
import { ISOTROPY_SENTENCES } from "../analysis/isotropy.js";
import { loadCorpus, corpusInfo } from "../data/corpus.js";
import { sampleSentences } from "../data/sample.js";

/**
 * The default sample: the paper's outlier sample (10k sentences from each of SST-2 and QQP, paper.md
 * §3.1), which also lets self-similarity find its 1,000 words with several contexts and anisotropy
 * draw its token pairs from 2,000+ distinct sentences. A smaller --sample is fine for a quick look;
 * the fixed result-time work (probe training, eigen-decompositions) then weighs more (npm run bench).
 */
export const DEFAULT_SAMPLE = 20000;

const spec: Record<string, OptionSpec> = {
  model: { type: "string", help: "model: a Hugging Face folder, an ONNX folder, or a hub id (required)" },
  corpus: { type: "string", help: "bundled corpus (sotu, moby-dick, brown, default) or a text file", default: "default" },
  only: { type: "list", help: `analyses to run, comma-separated: ${ANALYSIS_NAMES.join(", ")} (default: ${DEFAULT_ANALYSES.join(", ")}; ${ANALYSIS_NAMES[0]} always)` },
  sites: {
    type: "list",
    help: "extra activation sites to encode and analyse, comma-separated names (attn_resid.3) or kinds (attn_resid, ffn_act, attn_probs ...; docs/sites.md): massive and norms read every token site, attn_probs adds sinks. massive/norms already ask for the pre-LN residual sites the family has; needs a Hugging Face checkpoint folder",
  },
  sample: { type: "string", help: "sentences drawn from the corpus (seeded; default: the paper's 20,000)", default: String(DEFAULT_SAMPLE) },
  "min-words": { type: "string", help: "drawn sentences have at least this many words", default: "4" },
  "max-words": { type: "string", help: "drawn sentences have at most this many words", default: "40" },
  seed: { type: "string", help: "seed of the sentence draw and of every analysis", default: "0" },
  "include-special": { type: "boolean", help: "include [CLS]/[SEP] (<s>/</s>) tokens in every statistic" },
  "fit-sentences": { type: "string", help: "first sentences of the sample used to pick the clipped dims and fit whitening etc.", default: "200" },
  clip: { type: "list", help: "clip these dims instead of the detected outliers (comma-separated)" },
  "token-budget": { type: "string", help: "padded tokens (sentences x longest length) per encoder batch; sentences are sorted by length, so batches are near-equal in length; never changes a result", default: String(DEFAULT_TOKEN_BUDGET) },
  "batch-size": { type: "string", help: "most sentences per encoder batch, on top of --token-budget (default: no cap)" },
  threads: { type: "string", help: "onnxruntime threads (default: PA_THREADS or all cores)" },
  device: { type: "string", help: "onnxruntime execution provider: cpu, or cuda (needs onnxruntime-node's CUDA binaries; fails at once without them)", default: "cpu" },
  "allow-nonfinite": { type: "boolean", help: "accept NaN/Inf weights (refused by default, naming tensor and index); for studying broken checkpoints only" },
  nonfinite: { type: "string", help: "a NaN/Inf activation: error (stop, naming layer, sentence and token) or exclude (drop the sentence, count in provenance.nonFinite)", default: "error" },
  linalg: { type: "string", help: "dense linear algebra (covariances, whitening, probe training): onnxruntime (fast, float32 sums) or js (float64 reference loops, slow)", default: "onnxruntime" },
  worker: { type: "string", help: "run the probe, self-similarity, massive and norms in a worker thread beside the other analyses: auto (from 500 sentences), on or off; same results either way", default: "auto" },
  "isotropy-sentences": { type: "string", help: "isotropy estimates each layer's covariance on every k-th sentence of the sample, k = ceil(sample / S): about S sentences; 0 = every sentence (that costs about a tenth of the encoder's FLOPs)", default: String(ISOTROPY_SENTENCES) },
  "block-sentences": { type: "string", help: "sentences per block after the fit sample: blocks are analysed alone and combined in a fixed tree, so --shard runs merge to the same bytes; results depend on it", default: "4096" },
  shard: { type: "string", help: "analyse shard K/N of the sample (whole blocks) and write its state (a shard file) to --out, for artefacts merge; auto: from a Slurm job array (SLURM_ARRAY_TASK_ID/COUNT) or a Kubernetes Indexed Job (JOB_COMPLETION_INDEX with --shards)" },
  shards: { type: "string", help: "the shard count N for --shard auto under a Kubernetes Indexed Job (its completions)" },
  out: { type: "string", help: "results JSON file (required); with --shard, the shard file" },
};

const usage =
  "artefacts analyze --model SRC [--corpus NAME|FILE] [--only LIST] [--sites LIST] [--sample N] [--seed S] [--include-special] [--shard K/N|auto] --out results.json";

const description =
  `Encodes a seeded sample of corpus sentences once and runs the analyses: ${summaries()}.\n` +
  "massive and norms read hidden_states and the residual sums entering each LayerNorm (attn_resid, ffn_resid; in pre-LN families the norm inputs) " +
  "when the model is a Hugging Face folder, and count every token, special ones included, by token class (--include-special does not apply); " +
  "sinks is opt-in (--only sinks, or --sites attn_probs). See docs/site-analyses.md.\n" +
  "Progress goes to stderr; the JSON is written to --out atomically. With --shard K/N only shard K's\n" +
  "blocks are analysed and their state is written; `artefacts merge` makes the results of N shards.";

export const summary = "run the paper's analyses on a sample and write a results JSON";

export async function run(argv: string[]): Promise<number> {
  const args = parseCommand(argv, spec, "analyze", usage, description);
  if (typeof args === "number") return args;
  let settings: AnalyzeSettings, shard: ShardSpec | null;
  try {
    settings = readSettings(args);
    shard = settings.shard === undefined ? null : resolveShard(settings.shard, settings.shards);
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n`);
    return 2;
  }
  const stamp = outStamp(settings.out);
  const sample = sampleOf(settings);
  if (typeof sample === "string") {
    process.stderr.write(`${sample}\n`);
    return 1;
  }
  const encoder = await openEncoder(settings);
  if (!encoder) return 1;
  const t0 = Date.now();
  const opts = { ...runOptionsOf(settings), onProgress: progress("analyze", t0) };
  try {
    if (shard) {
      process.stderr.write(`analyze: shard ${shard.index}/${shard.count}\n`);
      const state = await runShard(encoder, sample.sentences, opts, shard, recordOf(settings));
      writeShardFile(settings.out, state);
      process.stderr.write(`analyze: wrote shard ${shard.index}/${shard.count} (blocks ${state.blocks.first}-${state.blocks.end} of ${state.blocks.count}) to ${settings.out} (${((Date.now() - t0) / 1000).toFixed(1)} s)\n`);
      return 0;
    }
    const results = await runAnalyses(encoder, sample.sentences, opts);
    results.provenance = { ...results.provenance, corpus: corpusRecord(settings, sample.corpus) };
    const meanwhile = overwrittenMeanwhile(settings.out, stamp, "analyze");
    if (meanwhile) process.stderr.write(`${meanwhile}\n`);
    writeAtomic(settings.out, JSON.stringify(results) + "\n");
    process.stderr.write(`analyze: wrote ${settings.out} (${((Date.now() - t0) / 1000).toFixed(1)} s)\n`);
    return 0;
  } catch (err) {
    process.stderr.write(`artefacts analyze: ${(err as Error).message}\n`);
    return 1;
  } finally {
    await encoder.dispose();
  }
}

/** The settings that fix a result (a shard file's record: artefacts merge rebuilds the run from it). */
export type RunRecord = Pick<AnalyzeSettings, "model" | "corpus" | "only" | "sample" | "seed" | "minWords" | "maxWords" | "includeSpecial" | "fitSentences" | "clip" | "isotropySentences" | "tokenBudget" | "batchSize" | "blockSentences" | "linalg" | "allowNonFinite" | "nonFinite" | "sites">;

export function recordOf(s: RunRecord): RunRecord {
  const { model, corpus, only, sites, sample, seed, minWords, maxWords, includeSpecial, fitSentences, clip, isotropySentences, tokenBudget, batchSize, blockSentences, linalg, allowNonFinite, nonFinite } = s;
  return { model, corpus, only, sites, sample, seed, minWords, maxWords, includeSpecial, fitSentences, clip, isotropySentences, tokenBudget, batchSize, blockSentences, linalg, allowNonFinite, nonFinite };
}

/** runAnalyses' options from the command's settings (worker: auto unless given). */
export function runOptionsOf(s: RunRecord & { worker?: boolean | "auto" }): RunOptions {
  return {
    only: s.only, seed: s.seed, includeSpecial: s.includeSpecial, fitSentences: s.fitSentences, clipDims: s.clip, batchSize: s.batchSize,
    tokenBudget: s.tokenBudget, blockSentences: s.blockSentences, linalg: s.linalg, worker: s.worker ?? "auto",
    // a shard file written before the option existed has none: the analysis' default
    ...(s.isotropySentences === undefined ? {} : { isotropy: { sentences: s.isotropySentences } }),
  };
}

/** The seeded sample (and the corpus' description), or the error line. */
export function sampleOf(s: RunRecord): { sentences: string[]; corpus: ReturnType<typeof corpusInfo> } | string {
  try {
    const corpus = corpusInfo(s.corpus);
    return { corpus, sentences: sampleSentences(loadCorpus(s.corpus), { n: s.sample, seed: s.seed, minWords: s.minWords, maxWords: s.maxWords }) };
  } catch (err) {
    return `--corpus ${s.corpus}: ${(err as Error).message}`;
  }
}

export function corpusRecord(s: RunRecord, corpus: ReturnType<typeof corpusInfo>): Record<string, unknown> {
  return { ...corpus, sample: s.sample, minWords: s.minWords, maxWords: s.maxWords, seed: s.seed };
}

/** The encoder, or null after printing why it did not open. */
export async function openEncoder(s: RunRecord & { threads?: number; device?: "cpu" | "cuda" }): Promise<Encoder | null> {
  return siteEncoder(s).catch((err: Error) => {
    process.stderr.write(`${err instanceof SitesError ? "--sites" : `--model ${s.model}`}: ${err.message}\n`);
    return null;
  });
}

/** Progress lines on stderr (one per change). */
export function progress(command: string, t0: number): RunOptions["onProgress"] {
  let lastLine = "";
  return ({ stage, done, total, analysis, worker }) => {
    if (lastLine === "" && worker) process.stderr.write(`${command}: the probe, self-similarity, massive and norms run in a worker thread\n`);
    const line = stage === "result" ? `${command}: computing ${analysis}` : `${command}: ${stage} ${done}/${total} sentences`;
    if (line !== lastLine) process.stderr.write(`${line} (${((Date.now() - t0) / 1000).toFixed(1)} s)\n`);
    lastLine = line;
  };
}

/**
 * The encoder with the sites the run needs: the analyses' pre-LN and attention kinds the family has, and
 * --sites (an unknown or missing one is refused by the encoder, listing the valid ones).
 */
async function siteEncoder(settings: RunRecord & { threads?: number; device?: "cpu" | "cuda" }) {
  const { dir, kind } = await resolveSource(settings.model);
  const config: ModelConfig | null = kind === "hf-folder" ? readConfig(dir) : null;
  if (settings.sites.length && !config) throw new SitesError(`${settings.sites.join(",")}: ${dir} is an ONNX folder; sites are built into the graph from a Hugging Face checkpoint folder (config.json + model.safetensors): pass that instead`);
  try {
    if (config) resolveSites(config, settings.sites);
  } catch (err) {
    throw new SitesError((err as Error).message, { cause: err });
  }
  const sites = siteRequest(config, settings.only, settings.sites);
  return createEncoder(settings.model, { threads: settings.threads, device: settings.device ?? "cpu", allowNonFinite: settings.allowNonFinite, nonFinite: settings.nonFinite, sites });
}

/** A bad --sites entry (reported under the flag's name, not the model's). */
class SitesError extends Error {}

/** Writes to a temporary name beside the target, then renames, so a failure never leaves a partial file. */
export function writeAtomic(file: string, text: string): void {
  const tmp = tempName(file);
  try {
    fs.writeFileSync(tmp, text);
    fs.renameSync(tmp, file);
  } catch (err) {
    fs.rmSync(tmp, { force: true });
    throw new Error(`${file}: cannot write the results (${(err as Error).message}); check that the folder exists and is writable`, { cause: err });
  }
}

export type AnalyzeSettings = ReturnType<typeof readSettings>;

/** Checks the options and resolves their defaults; throws RangeError naming the option. */
function readSettings(args: ParsedArgs) {
  const o = args.options;
  if (o.model === undefined) throw new RangeError("artefacts analyze: --model is required (see --help)");
  if (o.out === undefined) throw new RangeError("artefacts analyze: --out is required (see --help)");
  if (args.positionals.length) throw new RangeError(`artefacts analyze: unexpected argument ${JSON.stringify(args.positionals[0])}; sentences come from --corpus`);
  const sites = (o.sites as string[] | undefined) ?? [];
  const only = resolveOnly(o.only as string[] | undefined, sites);
  const settings = {
    model: o.model as string, corpus: o.corpus as string, only, sites,
    sample: intOption(o.sample, "sample", 2), seed: intOption(o.seed, "seed", 0, 0xffffffff),
    minWords: intOption(o["min-words"], "min-words", 1), maxWords: intOption(o["max-words"], "max-words", 1),
    includeSpecial: o["include-special"] === true, fitSentences: intOption(o["fit-sentences"], "fit-sentences", 1),
    clip: o.clip === undefined ? null : (o.clip as string[]).map((d) => intOption(d, "clip", 0)),
    isotropySentences: intOption(o["isotropy-sentences"], "isotropy-sentences", 0),
    tokenBudget: intOption(o["token-budget"], "token-budget", 1),
    blockSentences: intOption(o["block-sentences"], "block-sentences", 1),
    shard: o.shard as string | undefined, shards: o.shards as string | undefined,
    batchSize: o["batch-size"] === undefined ? undefined : intOption(o["batch-size"], "batch-size", 1),
    threads: o.threads === undefined ? undefined : intOption(o.threads, "threads", 1),
    device: deviceOption(o.device),
    linalg: o.linalg as "onnxruntime" | "js",
    worker: ({ auto: "auto", on: true, off: false } as const)[o.worker as "auto" | "on" | "off"] as boolean | "auto" | undefined,
    allowNonFinite: o["allow-nonfinite"] === true,
    nonFinite: nonFinitePolicy(o.nonfinite, "--nonfinite") as NonFinitePolicy,
    out: checkOutFile(o.out as string),
  };
  if (settings.worker === undefined || !Object.hasOwn({ auto: 1, on: 1, off: 1 }, o.worker as string)) throw new RangeError(`invalid --worker: ${JSON.stringify(o.worker)}; expected auto, on or off`);
  if (settings.linalg !== "onnxruntime" && settings.linalg !== "js") throw new RangeError(`invalid --linalg: ${JSON.stringify(settings.linalg)}; expected onnxruntime or js`);
  if (settings.maxWords < settings.minWords) throw new RangeError(`invalid --max-words: ${settings.maxWords}; expected >= --min-words (${settings.minWords})`);
  return settings;
}
