/**
 * Child process of `npm run bench` (bench/index.ts): streams N sentences through the encoder, every
 * layer, consuming each batch the way the analyses do (toLayerBatches, then reading every value), and
 * prints ONE JSON line with its peak resident memory. Run alone:
 *
 *   node dist/bench/memory.js --model DIR --n 2000 [--threads T] [--analyses] [--shard K/N] [--state-size]
 *
 * With --shard K/N (and --analyses) the process runs shard K of N (runShard: whole blocks of the
 * sample, blocks.ts) instead of the whole run, as `artefacts analyze --shard` does. The line says how
 * many blocks the sample has; with --state-size (or --shard) also the size of one full state set (JSON
 * of every envelope). The newest 2 pending nodes of the block tree stay in memory and older ones wait
 * on disk (analysis/spill.ts), so what the pass holds in memory is the current block's accumulators,
 * at most 2 pending nodes and, while two nodes combine, one more set: not a number of sets that grows
 * with the sample.
 *
 * n past the default corpus (about 200,000 sentences): the corpus is cycled, each cycle reshuffled
 * with the next seed (sentences.ts, cycleRule); the line gives `distinct`.
 *
 * Peak memory is the process's high-water mark: process.resourceUsage().maxRSS and, on Linux,
 * VmHWM from /proc/self/status. Both are reported in MiB.
 *
 * Peak RSS also counts garbage not yet collected and memory the allocator keeps, so the line adds the
 * memory still reachable after a forced full GC (`retained`: V8 heap used and ArrayBuffer bytes),
 * sampled halfway through the stream and at its end (for runAnalyses: after the main pass, while
 * every accumulator is alive, before the result-time work). "Flat" is judged on these.
 */
import * as fs from "node:fs";
import { performance } from "node:perf_hooks";
import * as v8 from "node:v8";
import * as vm from "node:vm";
import { toLayerBatches } from "../src/analysis/batch.js";
import { runAnalyses, type RunOptions } from "../src/analysis/run.js";
import { runShard } from "../src/analysis/shard.js";
import { blockRanges } from "../src/analysis/blocks.js";
import { resolveShard } from "../src/cli/shardSpec.js";
import { createEncoder } from "../src/model/encoder.js";
import { formatHelp, intOption, parseArgs, type OptionSpec } from "../src/cli/args.js";
import { round1 as round } from "./round.js";
import { benchSentences } from "./sentences.js";

const spec: Record<string, OptionSpec> = {
  model: { type: "string", help: "Hugging Face or ONNX model folder (required)" },
  n: { type: "string", help: "sentences to stream (required)" },
  threads: { type: "string", help: "onnxruntime intra-op threads (default: PA_THREADS, else all cores)" },
  analyses: { type: "boolean", help: "run every analysis (src/analysis/run.ts, runAnalyses) instead of only reading the batches" },
  shard: { type: "string", help: "with --analyses: run shard K/N of the sample (runShard) instead of the whole run" },
  "state-size": { type: "boolean", help: "with --analyses: also report the size of the root's state set (onStates: the whole set in memory at once, which raises the peak)" },
};

/** Peak resident set in MiB: [maxRSS, VmHWM or null]. */
export function peakMiB(): { maxrss_mb: number; vmhwm_mb: number | null } {
  const maxrss = process.resourceUsage().maxRSS / 1024;
  let hwm: number | null = null;
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(fs.readFileSync("/proc/self/status", "utf8"));
    if (m) hwm = Number(m[1]) / 1024;
  } catch {
    hwm = null; // not Linux
  }
  return { maxrss_mb: round(maxrss), vmhwm_mb: hwm === null ? null : round(hwm) };
}

/** A full garbage collection: global.gc under --expose-gc, else the flag is set at run time. */
function forcedGc(): () => void {
  const g = (globalThis as { gc?: () => void }).gc;
  if (g) return g;
  v8.setFlagsFromString("--expose-gc");
  return vm.runInNewContext("gc") as () => void;
}

/** Memory still reachable after a full GC, in MiB: the V8 heap in use and ArrayBuffer contents (typed arrays). */
export function retainedMiB(gc: () => void): { heap_mb: number; array_buffers_mb: number } {
  gc();
  gc(); // a second pass collects what the first one's finalizers released
  const m = process.memoryUsage();
  return { heap_mb: round(m.heapUsed / 1048576), array_buffers_mb: round(m.arrayBuffers / 1048576) };
}

async function main(argv: string[]): Promise<number> {
  const args = parseArgs(argv, spec, "bench/memory");
  if (args.help) {
    process.stdout.write(formatHelp("node dist/bench/memory.js --model DIR --n N [--threads T] [--analyses]", "Peak memory, and memory retained after a forced GC, of streaming N sentences through the encoder.", spec) + "\n");
    return 0;
  }
  const model = args.options.model as string | undefined;
  if (!model) throw new RangeError("bench/memory: --model is required (see --help)");
  const n = intOption(args.options.n, "n", 1);
  const threads = args.options.threads === undefined ? undefined : intOption(args.options.threads, "threads", 1);
  // past the corpus's end (200,000 sentences) the draw cycles it (sentences.ts, cycleRule)
  const sentences = await benchSentences(model, { n, cycle: true });
  const ready = peakMiB();
  const encoder = await createEncoder(model, { threads });
  const analyses = args.options.analyses === true;
  const shard = args.options.shard === undefined ? null : resolveShard(args.options.shard as string, undefined);
  if (shard && !analyses) throw new RangeError("bench/memory: --shard needs --analyses");
  let stateMiB: number | null = null, nodes = 0;
  const gc = forcedGc();
  const retained: Record<string, { heap_mb: number; array_buffers_mb: number }> = { ready: retainedMiB(gc) };
  let gcSeconds = 0;
  const sample = (label: string) => {
    const t = performance.now();
    retained[label] = retainedMiB(gc);
    gcSeconds += (performance.now() - t) / 1000;
  };
  const t0 = performance.now();
  let tokens = 0;
  let checksum = 0;
  if (analyses) {
    // runAll's call (bench/analyses.ts), plus progress to sample memory mid-stream and after the main pass.
    // worker: false, so `retained` (this isolate's heap and ArrayBuffers after a GC) covers every
    // accumulator: the side worker (the default from 500 sentences) would hold the probe's samples and
    // the self-similarity sums in its own isolate, the same bytes, where this GC does not see them.
    const opts: RunOptions = {
      worker: false,
      onProgress: ({ stage, done, total }: { stage: string; done: number; total: number }) => {
        if (stage === "encode" && !retained.half && done >= total / 2) sample("half");
        else if (stage === "result" && !retained.end) sample("end");
      },
      onStates: args.options["state-size"] !== true ? undefined : (states: unknown[]) => {
        stateMiB = round(states.reduce((n: number, e) => n + JSON.stringify(e).length, 0) / 1048576);
      },
    };
    if (shard) {
      const st = await runShard(encoder, sentences, opts, shard);
      nodes = st.nodes.length;
      stateMiB = round(st.nodes.reduce((n, x) => n + x.value.states.reduce((m, e) => m + JSON.stringify(e).length, 0), 0) / 1048576);
    } else await runAnalyses(encoder, sentences, opts);
    if (!retained.end) sample("end");
    tokens = encoder.stats.tokens;
  } else {
    let done = 0;
    for await (const batch of encoder.encode(sentences)) {
      for (const lb of toLayerBatches(batch)) {
        // read every value, so nothing is optimised away and pages are touched as an analysis would
        let s = 0;
        for (let i = 0; i < lb.data.length; i += 1) s += lb.data[i];
        checksum += s;
      }
      for (const c of batch.tokenCounts) tokens += c;
      done += batch.batch;
      if (!retained.half && done >= n / 2) sample("half");
    }
    sample("end");
  }
  const seconds = (performance.now() - t0) / 1000 - gcSeconds;
  const peak = peakMiB();
  await encoder.dispose();
  process.stdout.write(JSON.stringify({
    n, sentences: sentences.length, distinct: new Set(sentences).size, tokens, seconds: Math.round(seconds * 100) / 100, threads: (encoder.provenance().threads as number),
    analyses: analyses ? (shard ? `runShard ${shard.index}/${shard.count}` : "runAnalyses") : "none",
    blocks: blockRanges(n, 200, 4096).length, ...(analyses ? { state_mb: stateMiB, ...(shard ? { shard_nodes: nodes } : {}) } : {}),
    peak_mb: peak.vmhwm_mb ?? peak.maxrss_mb, ...peak, input_ready_mb: ready.vmhwm_mb ?? ready.maxrss_mb,
    // reachable after a forced GC: before the stream (model loaded), halfway, at the end of the main pass
    retained,
    retained_end_mb: round(retained.end.heap_mb + retained.end.array_buffers_mb),
    checksum_finite: Number.isFinite(checksum),
  }) + "\n");
  return 0;
}

if (require.main === module) {
  main(process.argv.slice(2)).then((code) => process.exit(code), (err) => {
    process.stderr.write(`${(err as Error).message}\n`);
    process.exit(1);
  });
}
