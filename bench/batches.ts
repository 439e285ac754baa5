/**
 * Padded batches for the bench's references, as row-major int64 [batch x length] ids and masks:
 * the encoder's own batches captured as it ran them, batches made the way a research script makes
 * them (given order, a fixed count, padded to the longest), and equal-length batches (no padding).
 */
import type { EncodedBatch } from "../src/model/types.js";
import { planBatches } from "../src/model/batching.js";
import type { PaddedBatch } from "./bare.js";

/** One encoder batch as the bare session and the Python references take it. */
export function captureBatch(b: EncodedBatch): PaddedBatch {
  const ids = new BigInt64Array(b.inputIds.length);
  const mask = new BigInt64Array(b.attentionMask.length);
  let tokens = 0;
  for (let i = 0; i < ids.length; ++i) {
    ids[i] = BigInt(b.inputIds[i]);
    mask[i] = BigInt(b.attentionMask[i]);
    tokens += b.attentionMask[i];
  }
  return { batch: b.batch, length: b.length, ids, mask, tokens };
}

/** Sentences' token ids (specials included) padded with padId into one batch as long as the longest. */
export function padRows(rows: readonly Int32Array[], padId: number): PaddedBatch {
  const length = Math.max(...rows.map((r) => r.length));
  const ids = new BigInt64Array(rows.length * length).fill(BigInt(padId));
  const mask = new BigInt64Array(rows.length * length);
  let tokens = 0;
  rows.forEach((r, b) => {
    for (let i = 0; i < r.length; ++i) {
      ids[b * length + i] = BigInt(r[i]);
      mask[b * length + i] = 1n;
    }
    tokens += r.length;
  });
  return { batch: rows.length, length, ids, mask, tokens };
}

/** A typical research script's batching: the sentences in the order given, `size` a batch, each padded to its longest. */
export function scriptBatches(rows: readonly Int32Array[], size: number, padId: number): PaddedBatch[] {
  const out: PaddedBatch[] = [];
  for (let k = 0; k < rows.length; k += size) out.push(padRows(rows.slice(k, k + size), padId));
  return out;
}

/**
 * Equal-length batches: the sentences grouped by exact token length, each group cut by the token budget
 * (as the encoder cuts), so every batch has no padding and the lengths are the sample's own.
 */
export function equalLengthBatches(rows: readonly Int32Array[], tokenBudget: number, padId: number): PaddedBatch[] {
  const byLength = new Map<number, Int32Array[]>();
  for (const r of rows) {
    const g = byLength.get(r.length);
    if (g) g.push(r);
    else byLength.set(r.length, [r]);
  }
  const out: PaddedBatch[] = [];
  for (const length of [...byLength.keys()].sort((a, b) => a - b)) {
    const group = byLength.get(length)!;
    let from = 0;
    for (const end of planBatches(new Array(group.length).fill(length), { tokenBudget })) {
      out.push(padRows(group.slice(from, end), padId));
      from = end;
    }
  }
  return out;
}

/** Padded tokens (sentences x length) over real tokens of a set of batches. */
export function paddingRatio(batches: readonly PaddedBatch[]): { padded: number; real: number; ratio: number } {
  let padded = 0, real = 0;
  for (const b of batches) {
    padded += b.batch * b.length;
    real += b.tokens;
  }
  return { padded, real, ratio: real ? padded / real : 1 };
}
