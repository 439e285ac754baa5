/**
 * What the site analyses (massive, norms; issue 15 item 6: "the default analyses stay at most 10% over
 * extraction") cost over extraction, on all-MiniLM-L6-v2 at a modest sample (default 200 sentences of
 * the CLI's sample: default corpus, 4..40 words, seed 0):
 *
 *   extract             encode only, the default graph (no extra site)
 *   outliers            runAnalyses --only outliers (the base every run has)
 *   massive_norms       runAnalyses --only massive,norms on hidden_states (MiniLM is post-LN: the default
 *                       asks for no residual site)
 *   extract_resid       encode only, with the attn_resid and ffn_resid outputs (--sites attn_resid,ffn_resid)
 *   massive_norms_resid runAnalyses --only massive,norms reading hidden_states, attn_resid and ffn_resid
 *
 * Each is timed `repeats` times round-robin (so that machine contention falls on all alike) after one
 * warm-up each; medians are printed, and "% over extraction" against `extract` (and, for the residual
 * run, against `extract_resid`: what the analyses add beyond the extra graph outputs). `add_ms` is
 * runAnalyses' own split: the milliseconds inside each accumulator's add (the streaming cost).
 */
import { performance } from "node:perf_hooks";
import { runAnalyses } from "../src/analysis/run.js";
import { createEncoder, type Encoder } from "../src/model/encoder.js";
import { analyzeSample, extractionPass } from "./analyses.js";

const RESID = ["attn_resid", "ffn_resid"];

interface Config {
  name: string;
  resid: boolean;
  /** null: encode only; else the analyses of runAnalyses' `only`. */
  only: string[] | null;
}

const CONFIGS: Config[] = [
  { name: "extract", resid: false, only: null },
  { name: "outliers", resid: false, only: ["outliers"] },
  { name: "massive_norms", resid: false, only: ["massive", "norms"] },
  { name: "extract_resid", resid: true, only: null },
  { name: "massive_norms_resid", resid: true, only: ["massive", "norms"] },
];

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)];
const r3 = (x: number) => Math.round(x * 1000) / 1000;
const pct = (x: number) => Math.round(x * 1000) / 10;

/** Seconds of one run of `c` over the sentences; adds each accumulator's add seconds to `adds`. */
async function once(encoder: Encoder, c: Config, sentences: string[], adds: Record<string, number>): Promise<number> {
  if (!c.only) return (await extractionPass(encoder, sentences)).seconds;
  const timings: Record<string, number> = {};
  const t0 = performance.now();
  await runAnalyses(encoder, sentences, { only: c.only, timings, worker: false });
  const s = (performance.now() - t0) / 1000;
  for (const [k, v] of Object.entries(timings)) if (k.startsWith("add.")) adds[k.slice(4)] = (adds[k.slice(4)] ?? 0) + v;
  return s;
}

/** The JSON line of the site-analyses mode: each configuration's median seconds and its % over extraction. */
export async function measureSiteAnalyses(modelDir: string, n: number, repeats: number, threads: number, log: (s: string) => void): Promise<Record<string, unknown>> {
  const sentences = analyzeSample(n);
  const plain = await createEncoder(modelDir, { threads }), resid = await createEncoder(modelDir, { threads, sites: RESID });
  try {
    const seconds = new Map<string, number[]>(CONFIGS.map((c) => [c.name, []]));
    const adds = new Map<string, Record<string, number>>(CONFIGS.map((c) => [c.name, {}]));
    for (const c of CONFIGS) await once(c.resid ? resid : plain, c, sentences.slice(0, 32), {}); // warm-up
    for (let r = 0; r < repeats; ++r) {
      for (const c of CONFIGS) seconds.get(c.name)!.push(await once(c.resid ? resid : plain, c, sentences, adds.get(c.name)!));
      log(`site-analyses: repeat ${r + 1}/${repeats}: ${CONFIGS.map((c) => `${c.name} ${seconds.get(c.name)![r].toFixed(2)} s`).join(", ")}`);
    }
    const med = (name: string) => median(seconds.get(name)!);
    const extract = med("extract"), extractResid = med("extract_resid");
    const line = (c: Config) => ({
      median_s: r3(med(c.name)),
      runs_s: seconds.get(c.name)!.map(r3),
      pct_over_extraction: pct(med(c.name) / extract - 1),
      ...(c.only ? { add_ms: Object.fromEntries(Object.entries(adds.get(c.name)!).map(([k, v]) => [k, Math.round((v / repeats) * 1000)])) } : {}),
      ...(c.only ? { add_pct_of_extraction: pct(Object.values(adds.get(c.name)!).reduce((a, b) => a + b, 0) / repeats / (c.resid ? extractResid : extract)) } : {}),
    });
    return {
      model: "all-MiniLM-L6-v2", sentences: n, repeats, threads,
      ...Object.fromEntries(CONFIGS.map((c) => [c.name, line(c)])),
      massive_norms_resid_pct_over_extract_resid: pct(med("massive_norms_resid") / extractResid - 1),
      target_max_pct: 10,
    };
  } finally {
    await plain.dispose();
    await resid.dispose();
  }
}
