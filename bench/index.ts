/**
 * `npm run bench [-- MODE...] [options]`: JSON lines on stdout, progress on stderr. Each mode runs alone;
 * without a mode, every mode but paper runs. All float32, one thread count for every system.
 *
 *   engine    ours vs a bare onnxruntime-node session vs python onnxruntime vs torch eager (SDPA), on
 *             the SAME padded batches (ours), tok/s and padded/real each (bench/engine.ts; issue 23 1, 3a)
 *   script    ours with its own batching vs torch fed like a research script: corpus order, 32 a batch,
 *             padded to the longest (bench/engine.ts; issue 23 3b)
 *   gemm      an onnxruntime MatMul GEMM peak and our achieved GFLOP/s on equal-length batches, in the
 *             same run (bench/gemm.ts; issue 23 3c)
 *   paper     the full 20,000-sentence `artefacts analyze` of the SYNTHETIC BERT-base-shaped model with
 *             the bert-base-uncased vocabulary: wall time, tokens, peak RSS, tok/s vs the bare session on
 *             equal-length batches (bench/paper.ts; issue 23 3d). Long: about 11-30 min on 2 cores
 *   memory    peak and retained memory of every analysis at the --memory sentence counts, per
 *             --memory-model (bench/memoryMode.ts; issue 23 item 4: flat from 2,000 to 200,000)
 *   analyses  what runAnalyses adds to extraction (bench/analyses.ts), and its memory
 *   site-analyses  massive and norms vs encode only on all-MiniLM-L6-v2, with and without the residual
 *             sites, as % over extraction (bench/siteAnalyses.ts; issue 15 item 6)
 *   finite    the per-batch non-finite check's share of encode time (bench/finite.ts)
 *   report    report vs analyze, cold and warm report (bench/report.ts)
 *
 * Models: all-MiniLM-L6-v2, all-mpnet-base-v2 (when cached) and a SYNTHETIC BERT-base-shaped model
 * (bench/models.ts). Python references: the venv of `npm run setup:bench` (bench/python.ts).
 */
import * as os from "node:os";
import { formatHelp, intOption, parseArgs, type OptionSpec } from "../src/cli/args.js";
import { DEFAULT_SAMPLE } from "../src/cli/analyze.js";
import { createEncoder } from "../src/model/encoder.js";
import { readConfig } from "../src/model/config.js";
import { DEFAULT_ANALYSES } from "../src/analysis/run.js";
import { resolveOnly, siteRequest } from "../src/analysis/registry/index.js";
import { resolveThreads } from "../src/model/session.js";
import { analyzeSample, measureAnalyses } from "./analyses.js";
import { measureSiteAnalyses } from "./siteAnalyses.js";
import { engineMode, scriptMode, type EngineOptions } from "./engine.js";
import { measureFiniteCheck } from "./finite.js";
import { gemmMode } from "./gemm.js";
import { memoryLine, memoryModel } from "./memoryMode.js";
import { MINILM_DIR, SYNTH_LABEL, defaultModels, modelPlans, synthBase, type ModelPlan } from "./models.js";
import { paperMode } from "./paper.js";
import { reference } from "./python.js";
import { reportVsAnalyze, warmReport } from "./report.js";

const MODES = ["engine", "script", "gemm", "paper", "memory", "analyses", "site-analyses", "finite", "report"] as const;
type Mode = (typeof MODES)[number];

const spec: Record<string, OptionSpec> = {
  quick: { type: "boolean", help: "small sizes to check that everything runs (64 / 32 sentences, 1 repeat, memory 200,2000, gemm 512, paper 200 sentences)" },
  models: { type: "list", help: "models of engine, script and gemm: minilm, synth-base, mpnet, or none (default: all three; mpnet when cached; gemm: synth-base)" },
  threads: { type: "string", help: "threads for onnxruntime, python onnxruntime and torch (default: PA_THREADS, else all cores)" },
  sentences: { type: "string", help: "engine/script sentences (8..64 tokens) for all-MiniLM-L6-v2 and all-mpnet-base-v2 (default: PA_BENCH_SENTENCES, else 256)" },
  "synth-sentences": { type: "string", help: "engine/script sentences for the 12 x 768 model (default: PA_BENCH_SYNTH_SENTENCES, else 64)" },
  repeats: { type: "string", help: "timed passes per system; the median is reported (default: 3)" },
  "token-budget": { type: "string", help: "our encoder's padded tokens per batch (default: the encoder's, 1024)" },
  "no-python": { type: "boolean", help: "engine without python onnxruntime and torch (script needs them)" },
  "gemm-size": { type: "string", help: "gemm: N of the N x N float32 MatMul peak (default 2048)" },
  "gemm-calls": { type: "string", help: "gemm: MatMul calls per timed repeat (default 10)" },
  "gemm-lengths": { type: "string", help: "gemm: sentence lengths T (specials included) of the equal-length batches, comma-separated (default 32)" },
  "gemm-sentences": { type: "string", help: "gemm: sentences of each length (default 128)" },
  "paper-sample": { type: "string", help: `paper: sentences of the analyze sample (default ${DEFAULT_SAMPLE})` },
  "paper-seed": { type: "string", help: "paper: seed of the sample and analyses (default 1: 513,351 tokens, specials included)" },
  "paper-bare-every": { type: "string", help: "paper: the bare session runs every k-th equal-length batch (default 4)" },
  memory: { type: "string", help: "memory: sentence counts, or none (default: PA_BENCH_MEMORY, else 2000,20000; the issue's check is 2000,20000,200000: past the corpus's distinct sentences the draw cycles it)" },
  "memory-model": { type: "list", help: "memory: minilm, embedded (mlm-pos, 4 x 128) or tiny (SYNTHETIC 2 x 64, fast enough for 200,000 sentences); comma-separated (default minilm)" },
  "memory-extraction": { type: "boolean", help: "memory: stream the batches without the analyses (extraction only)" },
  "analyses-memory": { type: "string", help: "analyses: sentence counts of the memory runs with the analyses, or none (default: as --memory)" },
  "analyses-only": { type: "list", help: "analyses: run only these analyses (and what they need), comma-separated, e.g. the paper's set without massive,norms,isotropy to see what those add (default every default analysis)" },
  "analyses-sentences": { type: "string", help: "analyses: sentences of the cost lines, comma-separated (default 1000 and 20000; --quick: 100)" },
  "site-sentences": { type: "string", help: "site-analyses: sentences of the CLI's sample (default 200; --quick: 32); --repeats rounds" },
  "report-samples": { type: "string", help: "report: report vs analyze at these sample sizes, then a cold and a warm default report; none to skip (default: 2000,20000)" },
  "report-notebooks": { type: "string", help: "report: report vs analyze with these notebooks only, by their two-digit numbers, comma-separated (default: every notebook)" },
};

const USAGE = `npm run bench -- [${MODES.join("|")} ...] [--quick] [--models minilm,synth-base,mpnet] [--threads T] [--repeats R]`;
const ABOUT = "Throughput against the current references, padding, GEMM peak, paper scale, memory (see README, Bench). " +
  "Modes: engine (ours vs bare node session vs python onnxruntime vs torch eager on identical batches; targets ours >= 1.0x torch, >= 0.95x bare), " +
  "script (ours vs torch fed corpus-order batches of 32; target >= 1.3x), gemm (MatMul peak vs our GFLOP/s on equal-length batches; target >= 85%), " +
  "paper (20,000-sentence analyze of the SYNTHETIC BERT-base model with the bert-base-uncased vocabulary; targets <= 11 min, >= 0.9x bare), " +
  "memory, analyses, site-analyses (massive and norms vs encode only, % over extraction), finite, report. No mode: all but paper.";

const log = (msg: string) => process.stderr.write(`bench: ${msg}\n`);
const write = (line: unknown) => process.stdout.write(JSON.stringify(line) + "\n");
const list = (v: unknown, name: string, min = 1) => String(v).split(",").map((x) => intOption(x, name, min));

function envInt(name: string, fallback: number): number {
  const v = process.env[name];
  return v === undefined || v === "" ? fallback : intOption(v, name, 1);
}

function modes(positionals: string[]): Mode[] {
  for (const m of positionals) if (!(MODES as readonly string[]).includes(m)) throw new RangeError(`invalid mode: ${JSON.stringify(m)}; expected ${MODES.join(", ")}`);
  return positionals.length ? (positionals as Mode[]) : MODES.filter((m) => m !== "paper");
}

async function main(argv: string[]): Promise<number> {
  const args = parseArgs(argv, spec, "bench");
  if (args.help) {
    process.stdout.write(formatHelp(USAGE, ABOUT, spec) + "\n");
    return 0;
  }
  const o = args.options, run = modes(args.positionals), quick = o.quick === true;
  const opt = (name: string, fallback: number, min = 1) => (o[name] !== undefined ? intOption(o[name], name, min) : fallback);
  const threads = resolveThreads(o.threads === undefined ? undefined : intOption(o.threads, "threads", 1));
  const repeats = opt("repeats", quick ? 1 : 3);
  const nMini = opt("sentences", quick ? 64 : envInt("PA_BENCH_SENTENCES", 256));
  const nSynth = opt("synth-sentences", quick ? 32 : envInt("PA_BENCH_SYNTH_SENTENCES", 64));
  const tokenBudget = o["token-budget"] === undefined ? undefined : intOption(o["token-budget"], "token-budget", 1);
  const keys = o.models !== undefined ? (o.models as string[]).filter((m) => m !== "none") : defaultModels();
  const ref = o["no-python"] === true ? null : reference();
  log(`modes ${run.join(", ")}; threads ${threads}, repeats ${repeats}, load average ${os.loadavg().map((x) => x.toFixed(2)).join(" ")} on ${os.cpus().length} cpus`);
  if (ref) log(`python references: ${ref.label}`);
  else if (o["no-python"] !== true) log("no python reference: run npm run setup:bench (or set PA_TORCH_PYTHON); engine runs ours and bare only");
  const engine: EngineOptions = { threads, repeats, reference: ref, tokenBudget, sentences: (p: ModelPlan) => (p.synthetic ? nSynth : nMini) };
  const plans = run.some((m) => m === "engine" || m === "script") ? await modelPlans(keys) : [];
  if (run.includes("engine")) for (const p of plans) await engineMode(p, engine, write, log);
  if (run.includes("script")) for (const p of plans) await scriptMode(p, engine, write, log);
  if (run.includes("gemm")) {
    const gemm = {
      threads, repeats, size: opt("gemm-size", quick ? 512 : 2048, 16), calls: opt("gemm-calls", quick ? 2 : 10),
      lengths: o["gemm-lengths"] !== undefined ? list(o["gemm-lengths"], "gemm-lengths", 3) : [32], sentences: opt("gemm-sentences", quick ? 16 : 128),
    };
    for (const p of await modelPlans(o.models !== undefined ? keys : ["synth-base"])) await gemmMode(p, gemm, write, log);
  }
  if (run.includes("paper")) {
    await paperMode({ threads, tokenBudget, sample: opt("paper-sample", quick ? 200 : DEFAULT_SAMPLE, 2), seed: opt("paper-seed", 1, 0), bareEvery: opt("paper-bare-every", 4) }, write, log);
  }
  const memSpec = (o.memory as string | undefined) ?? process.env.PA_BENCH_MEMORY ?? (quick ? "200,2000" : "2000,20000");
  const memory = memSpec === "none" ? [] : list(memSpec, "memory");
  if (run.includes("memory") && memory.length) {
    for (const key of (o["memory-model"] as string[] | undefined) ?? ["minilm"]) {
      const m = await memoryModel(key);
      write(memoryLine("memory", m.dir, m.label, memory, threads, o["memory-extraction"] !== true, log));
    }
  }
  if (run.includes("analyses")) await analysesMode(o, quick, keys, threads, memSpec);
  if (run.includes("site-analyses")) {
    log("site-analyses: encode only vs massive,norms on all-MiniLM-L6-v2, without and with attn_resid,ffn_resid (round-robin)");
    write({ site_analyses: { ...(await measureSiteAnalyses(MINILM_DIR, opt("site-sentences", quick ? 32 : 200, 2), repeats, threads, log)), load_average: os.loadavg().map((x) => Math.round(x * 100) / 100), cpus: os.cpus().length } });
  }
  if (run.includes("finite")) write({ finite_check: await measureFiniteCheck(MINILM_DIR, nMini, repeats, threads) });
  if (run.includes("report")) {
    const samples = (o["report-samples"] as string | undefined) ?? (quick ? "none" : "2000,20000");
    if (samples !== "none") {
      const notebooks = o["report-notebooks"] as string | undefined;
      reportVsAnalyze("all-MiniLM-L6-v2", list(samples, "report-samples", 2), log, notebooks ? notebooks.split(",") : undefined);
      warmReport(log);
    }
  }
  return 0;
}

/** analyses mode: extraction alone vs runAnalyses on the CLI's sample, then memory with the analyses. */
async function analysesMode(o: Record<string, unknown>, quick: boolean, keys: string[], threads: number, memSpec: string): Promise<void> {
  const counts = o["analyses-sentences"] !== undefined ? list(o["analyses-sentences"], "analyses-sentences", 2) : quick ? [100] : [1000, DEFAULT_SAMPLE];
  // --analyses-only: a subset (checked and closed over what it needs as the CLI's --only is), to split the cost by analysis
  const only = o["analyses-only"] !== undefined ? resolveOnly(o["analyses-only"] as string[]) : undefined;
  const targets: [string, string][] = [["all-MiniLM-L6-v2", MINILM_DIR]];
  if (keys.includes("synth-base")) targets.push([SYNTH_LABEL, await synthBase()]);
  for (const n of counts) for (const [label, dir] of targets) {
    log(`analyses: extraction alone vs runAnalyses (${only ? only.join(",") : "every default analysis"}), ${label}, ${n} sentences (default corpus, 4..40 words, seed 0)`);
    // extraction: the plain encoder (hidden states); the analyses: the encoder as `artefacts analyze` opens
    // it, with the activation sites the analyses ask for (by default massive and norms: the residual sums)
    const encoder = await createEncoder(dir, { threads });
    const sites = siteRequest(readConfig(dir), only ?? DEFAULT_ANALYSES);
    const withSites = await createEncoder(dir, { threads, sites }).catch(async (err) => {
      await encoder.dispose();
      throw err;
    });
    try {
      const line = await measureAnalyses(encoder, analyzeSample(n), "onnxruntime", withSites, only);
      write({ analyses: { model: label, threads, only: only ?? "default", sites, ...line, load_average: os.loadavg().map((x) => Math.round(x * 100) / 100), cpus: os.cpus().length } });
    } finally {
      await withSites.dispose();
      await encoder.dispose();
    }
  }
  const aSpec = (o["analyses-memory"] as string | undefined) ?? memSpec;
  if (aSpec !== "none") write(memoryLine("analyses_memory", MINILM_DIR, "all-MiniLM-L6-v2", list(aSpec, "analyses-memory"), threads, true, log));
}

main(process.argv.slice(2)).then((code) => process.exit(code), (err) => {
  process.stderr.write(`${(err as Error).message}\n`);
  process.exit(1);
});
