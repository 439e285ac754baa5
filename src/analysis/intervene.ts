/**
 * The shared part of every intervention experiment: options, the random-dims baseline and the sentence
 * a reader gets ("ablating dims D in layers L raises the MLM loss from a to b; random dims: c ± e").
 * A score function maps a set of dims to a number (the MLM loss, an STS correlation); the clean model
 * (no dims), the chosen dims and R seeded draws of as many random dims (never the chosen ones) are scored
 * with the same sentences and masks. The interval is the 95% t-interval of the random draws' mean.
 */
import { createRandom } from "../numerics/random.js";
import { INTERVENTION_SITES, type InterventionSite } from "../model/editTargets.js";

export const ABLATIONS = ["zero", "mean", "value"] as const;
export type Ablation = (typeof ABLATIONS)[number];

/** Options every intervention takes (the score-specific ones extend it). */
export interface InterventionOptions {
  /** The dims to ablate (0-based, required, distinct). */
  dims: number[];
  /** Layers 0..L or "all" (default "all"). */
  layers?: number[] | "all";
  /** Where (default "hidden_states"); see src/model/editTargets.ts. */
  site?: InterventionSite;
  /** "zero" (default), "mean" (the clean model's mean over a fit sample) or "value" (set to `value`). */
  ablation?: Ablation;
  /** The value of a "value" ablation (required then). */
  value?: number;
  /** Random-dims draws (default 10). */
  repeats?: number;
  /** Seeds the sentence sample, the masks and the random dims (default 0). */
  seed?: number;
  /** One line per step, for long runs (stderr in the CLI). */
  onProgress?: (message: string) => void;
}

export interface RandomBaseline {
  repeats: number;
  /** The dims of each draw. */
  dims: number[][];
  scores: number[];
  mean: number;
  /** Sample standard deviation of the draws (0 for one draw). */
  sd: number;
  /** 95% t-interval of the mean over the draws ([mean, mean] for one draw). */
  interval95: [number, number];
}

export interface Comparison {
  clean: number;
  ablated: number;
  random: RandomBaseline;
}

/** What every intervention result records: the model, where and what was edited, and the scores with their baseline. */
export interface InterventionRecord {
  model: string;
  site: string;
  layers: number[];
  targets: string[];
  dims: number[];
  ablation: string;
  value: number | null;
  /** What the numbers are (e.g. "masked-token loss (nats)", "STS Spearman x 100"). */
  score: string;
  clean: number;
  ablated: number;
  random: Comparison["random"];
}

/** Checks the common options; returns them resolved with defaults. */
export function resolveIntervention(o: InterventionOptions, width: number): Required<Omit<InterventionOptions, "onProgress" | "value">> & { value: number | null } {
  const dims = o.dims;
  if (!Array.isArray(dims) || dims.length === 0) throw new RangeError(`invalid dims: ${JSON.stringify(dims)}; give at least one dim in 0..${width - 1}`);
  for (const d of dims) if (!Number.isInteger(d) || d < 0 || d >= width) throw new RangeError(`invalid dim: ${JSON.stringify(d)}; expected an integer in 0..${width - 1} (width ${width})`);
  if (new Set(dims).size !== dims.length) throw new RangeError(`invalid dims: ${JSON.stringify(dims)}; each dim once`);
  const site = o.site ?? "hidden_states";
  if (!INTERVENTION_SITES.includes(site)) throw new RangeError(`invalid site: ${JSON.stringify(site)}; expected one of ${INTERVENTION_SITES.join(", ")}`);
  const ablation = o.ablation ?? "zero";
  if (!ABLATIONS.includes(ablation)) throw new RangeError(`invalid ablation: ${JSON.stringify(ablation)}; expected one of ${ABLATIONS.join(", ")}`);
  if (ablation === "value" && !Number.isFinite(o.value)) throw new RangeError(`invalid value: ${JSON.stringify(o.value)}; ablation "value" needs a finite value`);
  if (ablation !== "value" && o.value !== undefined) throw new RangeError(`invalid value: ${JSON.stringify(o.value)}; value is only for ablation "value"`);
  const repeats = o.repeats ?? 10;
  if (!Number.isInteger(repeats) || repeats < 1) throw new RangeError(`invalid repeats: ${JSON.stringify(repeats)}; expected an integer >= 1`);
  if (dims.length * 2 > width) throw new RangeError(`invalid dims: ${dims.length} of width ${width}; the random baseline needs as many other dims, so ablate at most ${Math.floor(width / 2)}`);
  const seed = o.seed ?? 0;
  if (!Number.isInteger(seed) || seed < 0) throw new RangeError(`invalid seed: ${JSON.stringify(seed)}; expected an integer >= 0`);
  return { dims: [...dims].sort((a, b) => a - b), layers: o.layers ?? "all", site, ablation, value: ablation === "value" ? o.value! : null, repeats, seed };
}

/** R seeded draws of `count` distinct dims from 0..width-1, never one of `exclude`; each draw sorted. */
export function randomDims(width: number, count: number, exclude: readonly number[], repeats: number, seed: number): number[][] {
  const pool: number[] = [];
  const skip = new Set(exclude);
  for (let d = 0; d < width; ++d) if (!skip.has(d)) pool.push(d);
  if (count > pool.length) throw new RangeError(`random dims: ${count} requested but only ${pool.length} dims remain`);
  const rng = createRandom(seed);
  return Array.from({ length: repeats }, () => {
    const p = pool.slice();
    for (let i = 0; i < count; ++i) {
      const j = i + rng.int(p.length - i);
      [p[i], p[j]] = [p[j], p[i]];
    }
    return p.slice(0, count).sort((a, b) => a - b);
  });
}

// two-sided 95% t quantiles for 1..30 degrees of freedom; 1.96 beyond
const T95 = [12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042];

/** Mean, sample sd and the 95% t-interval of the mean. */
export function summarise(scores: readonly number[]): { mean: number; sd: number; interval95: [number, number] } {
  const n = scores.length;
  const mean = scores.reduce((a, b) => a + b, 0) / n;
  const sd = n > 1 ? Math.sqrt(scores.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1)) : 0;
  const half = n > 1 ? (T95[n - 2] ?? 1.96) * sd / Math.sqrt(n) : 0;
  return { mean, sd, interval95: [mean - half, mean + half] };
}

/** Scores the clean model, the chosen dims and R random draws with one score function. */
export async function compareWithRandom(score: (dims: number[]) => Promise<number>, dims: number[], width: number, repeats: number, seed: number, progress?: (m: string) => void): Promise<Comparison> {
  progress?.("scoring the clean model");
  const clean = await score([]);
  progress?.(`scoring dims ${dims.join(", ")}`);
  const ablated = await score(dims);
  const draws = randomDims(width, dims.length, dims, repeats, seed);
  const scores: number[] = [];
  for (let r = 0; r < draws.length; ++r) {
    progress?.(`scoring random dims ${r + 1}/${draws.length}: ${draws[r].join(", ")}`);
    scores.push(await score(draws[r]));
  }
  return { clean, ablated, random: { repeats, dims: draws, scores, ...summarise(scores) } };
}

/** "1-4, 7" for [1, 2, 3, 4, 7]. */
export function rangeList(values: readonly number[]): string {
  const out: string[] = [];
  for (let i = 0; i < values.length; ) {
    let j = i;
    while (j + 1 < values.length && values[j + 1] === values[j] + 1) ++j;
    out.push(j > i + 1 ? `${values[i]}-${values[j]}` : j === i + 1 ? `${values[i]}, ${values[j]}` : `${values[i]}`);
    i = j + 1;
  }
  return out.join(", ");
}

/** The reader's sentence: "ablating dims D (site, layers L, ablation) raises the <what> from a to b; random dims: c ± e (...)". */
export function interventionStatement(what: string, c: Comparison, dims: number[], layers: number[], site: string, ablation: string, digits = 3): string {
  const f = (x: number) => x.toFixed(digits);
  const verb = c.ablated > c.clean ? "raises" : c.ablated < c.clean ? "lowers" : "leaves";
  const half = (c.random.interval95[1] - c.random.interval95[0]) / 2;
  const r = c.random;
  return `ablating dim${dims.length > 1 ? "s" : ""} ${dims.join(", ")} (${ablation}, ${site}, layer${layers.length > 1 ? "s" : ""} ${rangeList(layers)}) ${verb} the ${what} ${verb === "leaves" ? `at ${f(c.clean)}` : `from ${f(c.clean)} to ${f(c.ablated)}`}; ` +
    `random dims: ${f(r.mean)} ± ${f(half)} (mean and 95% interval over ${r.repeats} draw${r.repeats > 1 ? "s" : ""} of ${dims.length} dim${dims.length > 1 ? "s" : ""}; sd ${f(r.sd)})`;
}
