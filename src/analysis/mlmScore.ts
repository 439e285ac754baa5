/**
 * Masked-LM scores in plain TypeScript over a head's logits: the masked-token loss (mean negative
 * log-likelihood, nats, over seeded masks) and the pseudo-perplexity of Salazar et al. 2020 (each real
 * token masked alone; PPPL = exp of the mean NLL over every real token).
 *
 * Masks: in every sentence, round(rate * n) of its n non-special tokens (at least 1) are replaced by the
 * mask token; which ones is drawn by one seeded generator walking the sentences in order, so the same
 * sentences and seed give the same masks for every condition. Masked tokens are always the mask token
 * (not BERT's 80/10/10 training mix), so the loss is deterministic.
 */
import { createRandom } from "../numerics/random.js";

/** One sentence's token ids and special-token mask (TokenizedSentence's fields). */
export interface TokenRow {
  ids: ArrayLike<number>;
  special: ArrayLike<number>;
}

/** One row to run: the input ids (some replaced by the mask token), the masked positions and their true ids. */
export interface MaskedRow {
  sentence: number;
  ids: Int32Array;
  positions: number[];
  targets: number[];
}

export interface MaskPlan {
  kind: "masked" | "pseudo";
  rows: MaskedRow[];
  /** Masked tokens over every row. */
  tokens: number;
  /** Sentences without a non-special token (nothing to mask): left out. */
  skipped: number;
  rate: number | null;
  seed: number | null;
}

/** Seeded masks over `rate` of each sentence's non-special tokens (see the file comment). */
export function planMasks(rows: readonly TokenRow[], { maskId, rate = 0.15, seed }: { maskId: number; rate?: number; seed: number }): MaskPlan {
  if (!(rate > 0 && rate <= 1)) throw new RangeError(`invalid rate: ${JSON.stringify(rate)}; expected a number in (0, 1]`);
  const rng = createRandom(seed);
  const out: MaskedRow[] = [];
  let tokens = 0, skipped = 0;
  rows.forEach((r, sentence) => {
    const candidates: number[] = [];
    for (let t = 0; t < r.ids.length; ++t) if (!r.special[t]) candidates.push(t);
    if (candidates.length === 0) { ++skipped; return; }
    const k = Math.max(1, Math.round(rate * candidates.length));
    const positions = rng.shuffle(candidates).slice(0, k).sort((a, b) => a - b);
    const ids = Int32Array.from(r.ids);
    const targets = positions.map((t) => ids[t]);
    for (const t of positions) ids[t] = maskId;
    out.push({ sentence, ids, positions, targets });
    tokens += k;
  });
  return { kind: "masked", rows: out, tokens, skipped, rate, seed };
}

/** One row per non-special token, that token masked alone (pseudo-log-likelihood, Salazar et al. 2020). */
export function planPseudo(rows: readonly TokenRow[], { maskId }: { maskId: number }): MaskPlan {
  const out: MaskedRow[] = [];
  let skipped = 0;
  rows.forEach((r, sentence) => {
    let any = false;
    for (let t = 0; t < r.ids.length; ++t) {
      if (r.special[t]) continue;
      const ids = Int32Array.from(r.ids);
      ids[t] = maskId;
      out.push({ sentence, ids, positions: [t], targets: [r.ids[t]] });
      any = true;
    }
    if (!any) ++skipped;
  });
  return { kind: "pseudo", rows: out, tokens: out.length, skipped, rate: null, seed: null };
}

/** log softmax(logits[offset .. offset + vocab))[target], in float64. */
export function logProbAt(logits: ArrayLike<number>, offset: number, vocab: number, target: number): number {
  let max = -Infinity;
  for (let v = 0; v < vocab; ++v) if (logits[offset + v] > max) max = logits[offset + v];
  let sum = 0;
  for (let v = 0; v < vocab; ++v) sum += Math.exp(logits[offset + v] - max);
  return logits[offset + target] - max - Math.log(sum);
}

/** Runs rows and returns their logits for the rows' positions, [positions x vocab] in order (MaskedLm.run). */
export type LogitsRunner = (batch: { ids: Int32Array[]; positions: number[][] }) => Promise<Float32Array>;

export interface MlmScore {
  /** Mean NLL of the true token over the masked tokens, nats. */
  loss: number;
  /** exp(loss): the perplexity for "masked", the pseudo-perplexity for "pseudo". */
  perplexity: number;
  /** Share of masked tokens whose true id has the largest logit (ties: the lowest id wins). */
  accuracy: number;
  tokens: number;
}

/** Scores a plan in batches of `batchSize` rows. */
export async function scorePlan(run: LogitsRunner, plan: MaskPlan, vocab: number, { batchSize = 16 }: { batchSize?: number } = {}): Promise<MlmScore> {
  if (plan.tokens === 0) throw new RangeError("mlm score: nothing to score (every sentence is empty); pass sentences with at least one real token");
  let nll = 0, correct = 0;
  for (let s = 0; s < plan.rows.length; s += batchSize) {
    const rows = plan.rows.slice(s, s + batchSize);
    const logits = await run({ ids: rows.map((r) => r.ids), positions: rows.map((r) => r.positions) });
    let k = 0;
    for (const r of rows) {
      for (const target of r.targets) {
        const o = k++ * vocab;
        nll -= logProbAt(logits, o, vocab, target);
        if (argmax(logits, o, vocab) === target) ++correct;
      }
    }
    if (k * vocab !== logits.length) throw new Error(`mlm score: the runner returned ${logits.length / vocab} rows of logits; expected ${k}`);
  }
  const loss = nll / plan.tokens;
  if (!Number.isFinite(loss)) throw new RangeError(`mlm score: the loss is ${loss}; the logits hold non-finite values`);
  return { loss, perplexity: Math.exp(loss), accuracy: correct / plan.tokens, tokens: plan.tokens };
}

function argmax(a: ArrayLike<number>, offset: number, n: number): number {
  let best = 0;
  for (let v = 1; v < n; ++v) if (a[offset + v] > a[offset + best]) best = v;
  return best;
}
