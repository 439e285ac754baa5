/**
 * Bench inputs: distinct sentences of the bundled default corpus (brown + moby-dick + sotu, read from
 * node_modules by src/data/corpus.ts), drawn with a seed, kept when the MODEL'S OWN tokenizer gives
 * 8..64 tokens (specials included), so no sentence is truncated and batch lengths vary as in real use.
 */
import { loadCorpus } from "../src/data/corpus.js";
import { sampleSentences } from "../src/data/sample.js";
import { SentenceTokenizer } from "../src/model/tokenizer.js";

export interface BenchSentenceOptions {
  /** Sentences wanted. */
  n: number;
  /** Seed of the draw; default 20210801. */
  seed?: number;
  /** Token bounds, specials included; default 8 and 64 (issue item 10). */
  minTokens?: number;
  maxTokens?: number;
  /** Candidates drawn; default n x 1.6 + 64 (enough for 8..64 tokens; a single length needs about 40 x n). */
  draw?: number;
}

/**
 * `n` sentences whose token count under the tokenizer of `dir` lies in [minTokens, maxTokens], in
 * draw order. Candidates are drawn with a word-count prefilter (4..60 words) and checked one by one.
 */
export async function benchSentences(dir: string, { n, seed = 20210801, minTokens = 8, maxTokens = 64, draw = Math.ceil(n * 1.6) + 64 }: BenchSentenceOptions): Promise<string[]> {
  const corpus = loadCorpus("default");
  const tokenizer = await SentenceTokenizer.load(dir);
  // draw more than needed: most sentences with 4..60 words fall in 8..64 tokens, not all
  const pool = sampleSentences(corpus, { n: Math.min(draw, 100_000), seed, minWords: 4, maxWords: 60 });
  const out: string[] = [];
  for (const s of pool) {
    const k = tokenizer.tokenize(s).ids.length;
    if (k >= minTokens && k <= maxTokens) out.push(s);
    if (out.length === n) return out;
  }
  throw new RangeError(`invalid n: ${n}; only ${out.length} of ${pool.length} drawn sentences have ${minTokens}..${maxTokens} tokens under ${dir}; lower n`);
}
