/**
 * `npm run bench -- engine` and `-- script` (issue 23 items 1, 2, 3a, 3b), one JSON line per model.
 *
 * engine: on the SAME padded batches and thread count, all-layer extraction (every hidden_states.K) by
 *   ours (createEncoder + encode with its own token-budget batching, tokenising included), a bare
 *   onnxruntime-node session on the same graph bytes (bench/bare.ts), python onnxruntime on the same
 *   graph bytes (tools/reference/bench_ort.py) and torch eager (tools/reference/bench_torch.py:
 *   output_hidden_states=True, SDPA where the family has it). The batches are ours, captured in the
 *   warm-up pass. Targets: ours >= 1.0 x torch, ours >= 0.95 x bare.
 * script: ours, with its own batching, against torch fed the way a typical research script does it:
 *   the sample in corpus order, 32 sentences a batch, padded to the longest (ids pre-tokenised, so
 *   torch's tokeniser time is not counted). Target: ours >= 1.3 x torch.
 * Throughput is real tokens (specials included, padding excluded) per second, median of the repeats;
 * every system's padded/real is printed. Sentences: the bench sample (bench/sentences.ts, 8..64 tokens).
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { performance } from "node:perf_hooks";
import { loadCheckpoint } from "../src/model/checkpoint.js";
import { createEncoder, type Encoder } from "../src/model/encoder.js";
import { buildOnnx } from "../src/model/onnx/build.js";
import { onnxruntimeVersion } from "../src/model/session.js";
import { SentenceTokenizer } from "../src/model/tokenizer.js";
import { BareSession, type PaddedBatch } from "./bare.js";
import { captureBatch, paddingRatio, scriptBatches } from "./batches.js";
import type { ModelPlan } from "./models.js";
import { runReference, type Reference, type ReferenceResult } from "./python.js";
import { round1 as r1, round3 as r3 } from "./round.js";
import { benchSentences } from "./sentences.js";

export interface EngineOptions {
  threads: number;
  repeats: number;
  /** Sentences per model key. */
  sentences: (plan: ModelPlan) => number;
  /** Python references to run (null: none). */
  reference: Reference | null;
  tokenBudget?: number;
}

type Write = (line: unknown) => void;
type Log = (message: string) => void;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)];

/** Seconds of one pass of our encoder over the sentences; with `capture`, its padded batches too. */
async function oursPass(encoder: Encoder, sentences: string[], tokenBudget: number | undefined, capture?: PaddedBatch[]): Promise<number> {
  const t0 = performance.now();
  for await (const b of encoder.encode(sentences, { tokenBudget })) if (capture) capture.push(captureBatch(b));
  return (performance.now() - t0) / 1000;
}

/** A system's figures: tok/s of real tokens, padded/real, seconds of each repeat. */
function figures(tokens: number, batches: PaddedBatch[], seconds: number[]) {
  return { tps: r1(tokens / median(seconds)), padded_over_real: r3(paddingRatio(batches).ratio), seconds: seconds.map(r3) };
}

function fromReference(r: ReferenceResult, tokens: number) {
  if (r.tokens !== tokens) throw new Error(`bench: a Python reference counted ${r.tokens} tokens, ours ${tokens}; the batches differ`);
  return { tps: r1(r.tps), padded_over_real: r3(r.padded / r.tokens), seconds: r.seconds.map(r3) };
}

/** engine mode for one model: ours, bare, python onnxruntime and torch on identical batches. */
export async function engineMode(plan: ModelPlan, o: EngineOptions, write: Write, log: Log): Promise<void> {
  const sentences = await benchSentences(plan.dir, { n: o.sentences(plan) });
  const bytes = buildOnnx(loadCheckpoint(plan.dir));
  const encoder = await createEncoder(plan.dir, { threads: o.threads });
  const bare = await BareSession.open(bytes, o.threads);
  const onnxFile = path.join(os.tmpdir(), `pa-bench-${process.pid}-${plan.key}.onnx`);
  try {
    log(`engine ${plan.label}: ${sentences.length} sentences; warm-up (ours, capturing its batches; then bare)`);
    const batches: PaddedBatch[] = [];
    await oursPass(encoder, sentences, o.tokenBudget, batches);
    const tokens = paddingRatio(batches).real;
    await bare.pass(batches);
    const ours: number[] = [], bareS: number[] = [];
    for (let r = 0; r < o.repeats; ++r) {
      ours.push(await oursPass(encoder, sentences, o.tokenBudget));
      const t0 = performance.now();
      await bare.pass(batches);
      bareS.push((performance.now() - t0) / 1000);
      log(`engine ${plan.label}: repeat ${r + 1}/${o.repeats}: ours ${ours[r].toFixed(2)} s, bare ${bareS[r].toFixed(2)} s`);
    }
    const systems: Record<string, unknown> = { ours: figures(tokens, batches, ours), bare_node: { ...figures(tokens, batches, bareS), version: onnxruntimeVersion } };
    let torch: ReferenceResult | null = null;
    if (o.reference) {
      fs.writeFileSync(onnxFile, bytes);
      log(`engine ${plan.label}: python onnxruntime (${o.reference.label})`);
      const pyOrt = runReference(o.reference, "bench_ort.py", { onnx: onnxFile, warmup: 1, repeats: o.repeats }, batches, o.threads);
      systems.python_ort = { ...fromReference(pyOrt, tokens), version: pyOrt.onnxruntime };
      log(`engine ${plan.label}: torch eager`);
      torch = runReference(o.reference, "bench_torch.py", { model: plan.dir, warmup: 1, repeats: o.repeats }, batches, o.threads);
      systems.torch = { ...fromReference(torch, tokens), attn_implementation: torch.attn_implementation, version: torch.torch, transformers: torch.transformers };
    }
    const oursTps = tokens / median(ours), bareTps = tokens / median(bareS);
    write({
      engine: {
        model: plan.label, synthetic: plan.synthetic, threads: o.threads, sentences: sentences.length, batches: batches.length,
        tokens, padded_tokens: paddingRatio(batches).padded, layers: encoder.layers + 1, hidden: encoder.hidden,
        token_budget: o.tokenBudget ?? "default", systems,
        ours_vs_torch: torch ? r3(oursTps / torch.tps) : null, ours_vs_bare: r3(oursTps / bareTps),
        targets: { ours_vs_torch_min: 1.0, ours_vs_bare_min: 0.95 },
        meets: { ours_vs_torch: torch ? oursTps / torch.tps >= 1.0 : null, ours_vs_bare: oursTps / bareTps >= 0.95 },
        reference: o.reference ? { python: o.reference.python, status: o.reference.status, label: o.reference.label } : null,
        repeats: o.repeats, load_average: os.loadavg().map((x) => r3(x)), cpus: os.cpus().length,
      },
    });
  } finally {
    fs.rmSync(onnxFile, { force: true });
    await bare.dispose();
    await encoder.dispose();
  }
}

/** script mode for one model: ours with its own batching vs torch fed corpus-order batches of 32. */
export async function scriptMode(plan: ModelPlan, o: EngineOptions, write: Write, log: Log): Promise<void> {
  if (!o.reference) throw new Error("bench script: needs the Python reference (npm run setup:bench, or PA_TORCH_PYTHON)");
  const sentences = await benchSentences(plan.dir, { n: o.sentences(plan) });
  const tokenizer = await SentenceTokenizer.load(plan.dir);
  const scripted = scriptBatches(sentences.map((s) => tokenizer.tokenize(s).ids), 32, tokenizer.padId);
  const encoder = await createEncoder(plan.dir, { threads: o.threads });
  try {
    log(`script ${plan.label}: ${sentences.length} sentences; ours (warm-up + ${o.repeats})`);
    const batches: PaddedBatch[] = [];
    await oursPass(encoder, sentences, o.tokenBudget, batches);
    const tokens = paddingRatio(batches).real;
    if (paddingRatio(scripted).real !== tokens) throw new Error(`bench script: the script batches hold ${paddingRatio(scripted).real} tokens, ours ${tokens}`);
    const ours: number[] = [];
    for (let r = 0; r < o.repeats; ++r) ours.push(await oursPass(encoder, sentences, o.tokenBudget));
    log(`script ${plan.label}: torch eager on ${scripted.length} corpus-order batches of 32`);
    const torch = runReference(o.reference, "bench_torch.py", { model: plan.dir, warmup: 1, repeats: o.repeats }, scripted, o.threads);
    const oursTps = tokens / median(ours);
    write({
      script: {
        model: plan.label, synthetic: plan.synthetic, threads: o.threads, sentences: sentences.length, tokens,
        ours: { ...figures(tokens, batches, ours), batches: batches.length, batching: `token budget ${o.tokenBudget ?? "default"}, length-sorted` },
        torch_script: { ...fromReference(torch, tokens), batches: scripted.length, batching: "corpus order, 32 a batch, padded to the longest", attn_implementation: torch.attn_implementation, version: torch.torch },
        ours_vs_torch_script: r3(oursTps / torch.tps), target_min: 1.3, meets: oursTps / torch.tps >= 1.3,
        reference: { python: o.reference.python, status: o.reference.status }, repeats: o.repeats,
        load_average: os.loadavg().map((x) => r3(x)), cpus: os.cpus().length,
      },
    });
  } finally {
    await encoder.dispose();
  }
}
