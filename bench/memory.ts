/**
 * Child process of `npm run bench` (bench/index.ts): streams N sentences through the encoder, every
 * layer, consuming each batch the way the analyses do (toLayerBatches, then reading every value), and
 * prints ONE JSON line with its peak resident memory. Run alone:
 *
 *   node dist/bench/memory.js --model DIR --n 2000 [--threads T] [--analyses]
 *
 * Peak memory is the process's high-water mark: process.resourceUsage().maxRSS and, on Linux,
 * VmHWM from /proc/self/status. Both are reported in MiB.
 */
import * as fs from "node:fs";
import { performance } from "node:perf_hooks";
import { toLayerBatches } from "../src/analysis/batch.js";
import { createEncoder } from "../src/model/encoder.js";
import { formatHelp, intOption, parseArgs, type OptionSpec } from "../src/cli/args.js";
import { runAll } from "./analyses.js";
import { benchSentences } from "./sentences.js";

const spec: Record<string, OptionSpec> = {
  model: { type: "string", help: "Hugging Face or ONNX model folder (required)" },
  n: { type: "string", help: "sentences to stream (required)" },
  threads: { type: "string", help: "onnxruntime intra-op threads (default: PA_THREADS, else all cores)" },
  analyses: { type: "boolean", help: "run every analysis (src/analysis/run.ts, runAnalyses) instead of only reading the batches" },
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

const round = (x: number) => Math.round(x * 10) / 10;

async function main(argv: string[]): Promise<number> {
  const args = parseArgs(argv, spec, "bench/memory");
  if (args.help) {
    process.stdout.write(formatHelp("node dist/bench/memory.js --model DIR --n N [--threads T] [--analyses]", "Peak memory of streaming N sentences through the encoder.", spec) + "\n");
    return 0;
  }
  const model = args.options.model as string | undefined;
  if (!model) throw new RangeError("bench/memory: --model is required (see --help)");
  const n = intOption(args.options.n, "n", 1);
  const threads = args.options.threads === undefined ? undefined : intOption(args.options.threads, "threads", 1);
  const sentences = await benchSentences(model, { n });
  const ready = peakMiB();
  const encoder = await createEncoder(model, { threads });
  const analyses = args.options.analyses === true;
  const t0 = performance.now();
  let tokens = 0;
  let checksum = 0;
  if (analyses) {
    await runAll(encoder, sentences);
    tokens = encoder.stats.tokens;
  } else {
    for await (const batch of encoder.encode(sentences, { batchSize: 32 })) {
      for (const lb of toLayerBatches(batch)) {
        // read every value, so nothing is optimised away and pages are touched as an analysis would
        let s = 0;
        for (let i = 0; i < lb.data.length; i += 1) s += lb.data[i];
        checksum += s;
      }
      for (const c of batch.tokenCounts) tokens += c;
    }
  }
  const seconds = (performance.now() - t0) / 1000;
  const peak = peakMiB();
  await encoder.dispose();
  process.stdout.write(JSON.stringify({
    n, tokens, seconds: Math.round(seconds * 100) / 100, threads: (encoder.provenance().threads as number),
    analyses: analyses ? "runAnalyses" : "none",
    peak_mb: peak.vmhwm_mb ?? peak.maxrss_mb, ...peak, input_ready_mb: ready.vmhwm_mb ?? ready.maxrss_mb,
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
