import type { AnisotropyResult } from "../anisotropy.js";
import type { LayerBatch } from "../batch.js";
import { VectorSlots } from "../kernels/index.js";
import { SelfSimilarity } from "../selfsim.js";
import { frequentWords } from "../words.js";
import { defineAnalysis, type SideCommon, type SidePart } from "./types.js";

interface SelfsimSettings {
  minOccurrences: number;
  maxWords: number;
  /** The eligible words (frequentWords); null: every word. */
  words: string[] | null;
  /** The clipped dims when known before the first batch; null: the fit sample's (given to fit()). */
  clipDims: number[] | null;
}

/**
 * Raw and clipped self-similarity, adjusted by the layer's anisotropy: a side part. The clipped sums
 * zero the clipped dims themselves (no clipped copy of each batch); when those come from the fit
 * sample the part replays the fit stage's batches once they are known.
 */
export const selfsim = defineAnalysis({
  name: "selfsim",
  summary: "selfsim (raw and clipped, adjusted)",
  needs: ["anisotropy", "clip"],
  side: {
    settings(ctx): SelfsimSettings {
      const minOccurrences = ctx.opts.selfsim?.minOccurrences ?? 5;
      const clipDims = ctx.opts.clipDims ? [...ctx.opts.clipDims].sort((a, b) => a - b) : null;
      return { minOccurrences, maxWords: ctx.opts.selfsim?.maxWords ?? 1000, words: [...frequentWords(ctx.sentences, minOccurrences)], clipDims };
    },
    input({ results }) {
      const a = results.get("anisotropy") as AnisotropyResult;
      return { raw: a.layers.map((l) => [l.layer, l.raw]), clipped: a.layers.map((l) => [l.layer, l.clipped ?? null]) };
    },
    part: (settings, common) => selfsimPart(settings as SelfsimSettings, common),
  },
});

/** One eligible set per settings object: raw, clipped and every block's part share it (it grows with the corpus's vocabulary). */
const eligibleSets = new WeakMap<SelfsimSettings, ReadonlySet<string>>();

function eligible(o: SelfsimSettings): ReadonlySet<string> | null {
  if (!o.words) return null;
  let set = eligibleSets.get(o);
  if (!set) eligibleSets.set(o, (set = new Set(o.words)));
  return set;
}

function selfsimPart(o: SelfsimSettings, { dim, seed }: SideCommon): SidePart {
  const eligibleWords = eligible(o);
  let words = new Map<number, string[]>();
  // raw and clipped sums share one pool, so SelfSimilarity.addPair reads each token vector once for both
  const pool = new VectorSlots(dim);
  const options = (zeroDims: readonly number[]) => ({
    wordKey: (s: number, w: number) => words.get(s)?.[w] ?? null,
    seed, minOccurrences: o.minOccurrences, maxWords: o.maxWords, words: eligibleWords, zeroDims, slots: pool,
  });
  const raw = new SelfSimilarity(options([]));
  let clipped = o.clipDims ? new SelfSimilarity(options(o.clipDims)) : null;
  // the fit stage's batches (by reference), replayed into the clipped sums once its dims are known
  const fitBatches: { batches: readonly LayerBatch[]; words: Map<number, string[]> }[] = [];
  return {
    needsWords: true,
    get keepsFitBatches() {
      return clipped === null;
    },
    add(stage, batches, table, lap) {
      if (!table) throw new TypeError("selfsim: the side part needs the batch's words");
      words = table;
      const defer = stage === "fit" && clipped === null;
      if (defer) fitBatches.push({ batches, words });
      for (const lb of batches) {
        if (defer) raw.add(lb);
        else SelfSimilarity.addPair(raw, clipped!, lb);
      }
      lap("add.selfsim");
    },
    fit(dims, lap) {
      if (clipped === null) {
        const c = new SelfSimilarity(options(dims));
        for (const f of fitBatches) {
          words = f.words;
          for (const lb of f.batches) c.add(lb);
        }
        clipped = c;
        lap("fit");
      }
      fitBatches.length = 0;
    },
    async result(_linalg, input, lap) {
      const { raw: r, clipped: c } = input as { raw: [number, number | null][]; clipped: [number, number | null][] };
      const out = { raw: raw.result(new Map(r)), clipped: clipped!.result(new Map(c)) };
      lap("result.selfsim");
      return out;
    },
    state() {
      if (!clipped) throw new Error("selfsim: the state is taken after the fit stage (the clipped sums need the clipped dims)");
      return { settings: { raw: raw.settings(), clipped: clipped.settings() }, body: { raw: raw.state(), clipped: clipped.state() } };
    },
    mergeState(body) {
      if (!clipped) throw new Error("selfsim: a state merges after the fit stage (the clipped sums need the clipped dims)");
      const b = body as { raw: ReturnType<SelfSimilarity["state"]>; clipped: ReturnType<SelfSimilarity["state"]> };
      raw.mergeState(b.raw);
      clipped.mergeState(b.clipped);
    },
  };
}
