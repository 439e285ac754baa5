/**
 * The bench's measurement for issue 3 item 5 ("the analyses add at most 10% to extraction time on the
 * default sample and keep memory flat as the corpus grows").
 *
 * Sample: the CLI's default (`artefacts analyze`): 1,000 sentences of the default corpus, 4..40 words,
 * seed 0. Extraction alone is one pass of `encoder.encode` (batch 32) over those sentences; the
 * analyses are one call of `runAnalyses` with every analysis, whose `timings` option splits its time
 * into the fit pass, the encoder's share of the main pass, the streaming work (splitting batches into
 * layers and every accumulator's `add`) and each result-time computation (probe training, the
 * z-score / all-but-the-top / whitening fits, anisotropy, self-similarity, contributions, ...).
 */
import { performance } from "node:perf_hooks";
import { runAnalyses } from "../src/analysis/run.js";
import { loadCorpus } from "../src/data/corpus.js";
import { sampleSentences } from "../src/data/sample.js";
import type { Encoder } from "../src/model/encoder.js";

/** The CLI's default analyze sample: `n` sentences (default 1000) of the default corpus, 4..40 words, seeded. */
export function analyzeSample(n = 1000, seed = 0): string[] {
  return sampleSentences(loadCorpus("default"), { n, seed, minWords: 4, maxWords: 40 });
}

/** Runs every analysis over the sentences (batch 32, as the CLI), adding seconds per phase to `timings`. */
export function runAll(encoder: Encoder, sentences: string[], timings?: Record<string, number>): Promise<unknown> {
  return runAnalyses(encoder, sentences, { batchSize: 32, timings });
}

/** Seconds of one extraction pass (batch 32) and the real tokens it produced. */
export async function extractionPass(encoder: Encoder, sentences: string[]): Promise<{ seconds: number; tokens: number }> {
  const t0 = performance.now();
  let tokens = 0;
  for await (const b of encoder.encode(sentences, { batchSize: 32 })) for (const c of b.tokenCounts) tokens += c;
  return { seconds: (performance.now() - t0) / 1000, tokens };
}

const r3 = (x: number) => Math.round(x * 1000) / 1000;

/**
 * One bench line: extraction alone vs the analyses on the same sentences and encoder. `overhead.streaming`
 * is the cost the 10% target applies to most naturally (work done per batch while streaming, excluding
 * result-time fits); the fit pass re-encodes the first 200 sentences; the probe is a training procedure.
 */
export async function measureAnalyses(encoder: Encoder, sentences: string[]): Promise<Record<string, unknown>> {
  await extractionPass(encoder, sentences.slice(0, 64)); // warm-up
  const plain = await extractionPass(encoder, sentences);
  const timings: Record<string, number> = {};
  const t0 = performance.now();
  await runAll(encoder, sentences, timings);
  const total = (performance.now() - t0) / 1000;
  const sum = (prefix: string) => Object.entries(timings).filter(([k]) => k.startsWith(prefix)).reduce((a, [, v]) => a + v, 0);
  const streaming = (timings.split ?? 0) + sum("add.");
  const results = sum("result.");
  const fit = timings.fit ?? 0;
  const pick = (prefix: string) => Object.fromEntries(Object.entries(timings).filter(([k]) => k.startsWith(prefix)).map(([k, v]) => [k.slice(prefix.length), r3(v)]));
  return {
    sentences: sentences.length, tokens: plain.tokens,
    extraction_s: r3(plain.seconds),
    total_s: r3(total),
    main_pass_encode_s: r3(timings.encode ?? 0),
    streaming_s: r3(streaming),
    fit_pass_s: r3(fit),
    result_s: r3(results),
    overhead: {
      streaming: r3(streaming / plain.seconds),
      // the z-score / all-but-the-top / whitening moments: O(dim²) per token, but only on the fit sentences
      streaming_without_moments: r3((streaming - (timings["add.moments"] ?? 0)) / plain.seconds),
      fit_pass: r3(fit / plain.seconds),
      results_without_probe: r3((results - (timings["result.probe"] ?? 0)) / plain.seconds),
      probe_training: r3((timings["result.probe"] ?? 0) / plain.seconds),
      total: r3(total / plain.seconds - 1),
    },
    target_max: 0.1,
    meets: { streaming: streaming / plain.seconds <= 0.1, total: total / plain.seconds - 1 <= 0.1 },
    add_s: { split: r3(timings.split ?? 0), ...pick("add.") },
    result_time_s: pick("result."),
  };
}
