/**
 * Per-token and per-dim reductions of one token site over one padded batch (issue 15 item 6): the
 * massive and norms analyses need, per real token, the largest |a| and its dim and the row's central
 * moments, and per dim the largest |a| and the centred sums. Two backends with one contract:
 * jsReducer (plain TypeScript, float64 inside: the reference and the fallback) and createOrtReducer
 * (the per-row figures and the per-dim max |a| from a small ONNX graph run by onnxruntime's CPU
 * kernels, float32 sums: equal to jsReducer within float32 rounding). The per-dim mean and centred
 * sums M2..M4 are float64 in both (dimMoments, plain TypeScript): float32 ones made norms' per-dim
 * kurtosis depend on how the sentences were batched (7th digit; test/model/batching-exact), and here they
 * cost one pass for the sums and one for the centred powers, blocks of four rows summed pairwise and two
 * blocks per read-modify-write of the per-dim sums (four rows measured 2.2x faster than one row at a
 * time, eight 1.2x faster than four). Non-finite values are never hidden: a row
 * (a dim) holding a NaN has absMax (dimAbsMax) NaN, one holding ±Infinity has Infinity or NaN; its
 * argMax is then some dim of the row (backends differ).
 */
import { buildReductionGraph, ROW_OUTPUTS } from "./onnx/reductionGraph.js";
import { KernelSession } from "./session.js";

/** One token site of one padded batch: data [rows x width], rows = batch x length. */
export interface ReduceInput { data: Float32Array; width: number }

/** Reductions of one site over one batch; mask[r] != 0 for a real token (attention mask), 0 for padding. */
export interface SiteReductions {
  rows: number; width: number;
  /** Per row (padding rows: 0): max_j |a_rj|, and the first j with |a_rj| equal to it. */
  absMax: Float32Array; argMax: Int32Array;
  /** Per row (padding rows: 0): mean over dims, m2 = mean_j (a - mean)^2, m4 = mean_j (a - mean)^4. */
  mean: Float32Array; m2: Float32Array; m4: Float32Array;
  /** Over the real rows: their count, and per dim max |a|, and (float64) the mean and centred sums M2 = sum (a - mean)^2, M3, M4 (0 when n = 0). */
  n: number; dimAbsMax: Float32Array; dimMean: Float64Array; dimM2: Float64Array; dimM3: Float64Array; dimM4: Float64Array;
}

export interface Reducer {
  readonly backend: "onnxruntime" | "js";
  /** One SiteReductions per input, same order; every input has mask.length rows. */
  reduce(inputs: readonly ReduceInput[], mask: Uint8Array): Promise<SiteReductions[]>;
  release(): Promise<void>;
}

/** Throws a RangeError naming the input whose size does not match mask.length x width. */
export function checkReduceInputs(inputs: readonly ReduceInput[], mask: Uint8Array): void {
  if (!(mask instanceof Uint8Array)) throw new TypeError("reduce: mask is not a Uint8Array; pass the batch's attention mask (EncodedBatch.attentionMask)");
  inputs.forEach(({ data, width }, i) => {
    if (!Number.isInteger(width) || width < 1) throw new RangeError(`reduce: input ${i} has width ${JSON.stringify(width)}; expected an integer >= 1`);
    if (!(data instanceof Float32Array)) throw new TypeError(`reduce: input ${i}'s data is not a Float32Array`);
    if (data.length !== mask.length * width) {
      throw new RangeError(`reduce: input ${i} has ${data.length} values; expected mask.length ${mask.length} x width ${width} = ${mask.length * width} (one row per token of the padded batch)`);
    }
  });
}

/** All-zero reductions of `rows` rows (every output array allocated). */
export function emptyReductions(rows: number, width: number): SiteReductions {
  const r = () => new Float32Array(rows), d = () => new Float64Array(width);
  return {
    rows, width, absMax: r(), argMax: new Int32Array(rows), mean: r(), m2: r(), m4: r(),
    n: 0, dimAbsMax: new Float32Array(width), dimMean: d(), dimM2: d(), dimM3: d(), dimM4: d(),
  };
}

/** Row r's max |a|, first arg, mean, m2, m4 into `out` (two passes: the mean, then the centred powers). */
function reduceRow(x: Float32Array, off: number, width: number, r: number, out: SiteReductions): void {
  let max = 0, arg = 0, sum = 0;
  for (let j = 0; j < width; ++j) {
    const a = x[off + j], b = Math.abs(a);
    sum += a;
    if (b > max) { max = b; arg = j; }
  }
  const mean = sum / width;
  const [m2, m4] = centredRowPowers(x, off, width, mean);
  // a NaN fails every `b > max`; the mean carries it (and +Inf with -Inf)
  out.absMax[r] = Number.isNaN(mean) ? NaN : max;
  out.argMax[r] = arg;
  out.mean[r] = mean;
  out.m2[r] = m2;
  out.m4[r] = m4;
}

/** A row's m2 = mean_j (a - mean)^2 and m4 = mean_j (a - mean)^4 about `mean`, float64 sums in dim order. */
export function centredRowPowers(x: Float32Array, off: number, width: number, mean: number): [number, number] {
  let m2 = 0, m4 = 0;
  for (let j = 0; j < width; ++j) {
    const c = x[off + j] - mean, c2 = c * c;
    m2 += c2;
    m4 += c2 * c2;
  }
  return [m2 / width, m4 / width];
}

/** Per-dim max |a| over the real rows (NaN where the dim's mean is: a comparison skips a NaN), then dimMoments. */
function reduceDims(x: Float32Array, width: number, mask: Uint8Array, out: SiteReductions): void {
  const max = new Float64Array(width), real = realRuns(mask);
  for (let q = 0; q < real.runs.length; q += 2) {
    for (let r = real.runs[q]; r < real.runs[q + 1]; ++r) {
      for (let j = 0, off = r * width; j < width; ++j) {
        const b = Math.abs(x[off + j]);
        if (b > max[j]) max[j] = b;
      }
    }
  }
  dimMoments(x, width, real, out);
  for (let j = 0; j < width; ++j) out.dimAbsMax[j] = Number.isNaN(out.dimMean[j]) ? NaN : max[j];
}

/**
 * Per dim over the real rows (`real`: realRuns of the mask): n, the float64 mean, then the centred sums
 * M2, M3, M4 in a second pass, four rows at a time where a run has four (the batch's rows in order, so
 * the same batch gives the same bits). A NaN (or both infinities) in a dim makes its mean NaN.
 */
export function dimMoments(x: Float32Array, width: number, real: { runs: readonly number[]; n: number }, out: SiteReductions): void {
  const { runs, n } = real, mean = out.dimMean;
  out.n = n;
  if (n === 0) return;
  for (let q = 0; q < runs.length; q += 2) dimSums(x, width, runs[q], runs[q + 1], mean);
  for (let j = 0; j < width; ++j) mean[j] /= n;
  for (let q = 0; q < runs.length; q += 2) dimCentredSums(x, width, runs[q], runs[q + 1], out);
}

/**
 * Adds rows [r, e) to the per-dim sums: each block of four rows (from r) as (a + b) + (c + d), then the
 * rows left one by one. Two blocks share one read-modify-write of sum[j] (s + b1 + b2 is (s + b1) + b2:
 * the same additions in the same order as one block at a time; measured 0.55 against 0.73 ns per value).
 */
function dimSums(x: Float32Array, width: number, r: number, e: number, sum: Float64Array): void {
  for (; r + 8 <= e; r += 8) {
    const a = r * width, b = a + width, c = b + width, d = c + width, f = d + width, g = f + width, h = g + width, i = h + width;
    for (let j = 0; j < width; ++j) sum[j] = sum[j] + (x[a + j] + x[b + j] + (x[c + j] + x[d + j])) + (x[f + j] + x[g + j] + (x[h + j] + x[i + j]));
  }
  if (r + 4 <= e) {
    const a = r * width, b = a + width, c = b + width, d = c + width;
    for (let j = 0; j < width; ++j) sum[j] += x[a + j] + x[b + j] + (x[c + j] + x[d + j]);
    r += 4;
  }
  for (; r < e; ++r) for (let j = 0, off = r * width; j < width; ++j) sum[j] += x[off + j];
}

/**
 * Adds rows [r, e) to the centred sums about out.dimMean, in dimSums' blocks: each block's powers summed
 * as (a + b) + (c + d), two blocks a read-modify-write (measured 1.05 against 1.3 ns per value), then
 * the rows left one by one.
 */
function dimCentredSums(x: Float32Array, width: number, r: number, e: number, out: SiteReductions): void {
  const mean = out.dimMean, m2 = out.dimM2, m3 = out.dimM3, m4 = out.dimM4;
  for (; r + 8 <= e; r += 8) {
    const a = r * width, b = a + width, c = b + width, d = c + width, f = d + width, g = f + width, h = g + width, i = h + width;
    for (let j = 0; j < width; ++j) {
      const u = mean[j], da = x[a + j] - u, db = x[b + j] - u, dc = x[c + j] - u, dd = x[d + j] - u;
      const df = x[f + j] - u, dg = x[g + j] - u, dh = x[h + j] - u, di = x[i + j] - u;
      const a2 = da * da, b2 = db * db, c2 = dc * dc, d2 = dd * dd, f2 = df * df, g2 = dg * dg, h2 = dh * dh, i2 = di * di;
      m2[j] = m2[j] + (a2 + b2 + (c2 + d2)) + (f2 + g2 + (h2 + i2));
      m3[j] = m3[j] + (a2 * da + b2 * db + (c2 * dc + d2 * dd)) + (f2 * df + g2 * dg + (h2 * dh + i2 * di));
      m4[j] = m4[j] + (a2 * a2 + b2 * b2 + (c2 * c2 + d2 * d2)) + (f2 * f2 + g2 * g2 + (h2 * h2 + i2 * i2));
    }
  }
  if (r + 4 <= e) {
    const a = r * width, b = a + width, c = b + width, d = c + width;
    for (let j = 0; j < width; ++j) {
      const u = mean[j], da = x[a + j] - u, db = x[b + j] - u, dc = x[c + j] - u, dd = x[d + j] - u;
      const a2 = da * da, b2 = db * db, c2 = dc * dc, d2 = dd * dd;
      m2[j] += a2 + b2 + (c2 + d2);
      m3[j] += a2 * da + b2 * db + (c2 * dc + d2 * dd);
      m4[j] += a2 * a2 + b2 * b2 + (c2 * c2 + d2 * d2);
    }
    r += 4;
  }
  for (; r < e; ++r) {
    for (let j = 0, off = r * width; j < width; ++j) {
      const dj = x[off + j] - mean[j], d2 = dj * dj;
      m2[j] += d2;
      m3[j] += d2 * dj;
      m4[j] += d2 * d2;
    }
  }
}

/** The reductions of one site in plain TypeScript (float64 sums). */
export function reduceSiteJs({ data, width }: ReduceInput, mask: Uint8Array): SiteReductions {
  const out = emptyReductions(mask.length, width);
  for (let r = 0; r < mask.length; ++r) if (mask[r]) reduceRow(data, r * width, width, r, out);
  reduceDims(data, width, mask, out);
  return out;
}

/** Plain TypeScript, float64 inside (per-row figures rounded to float32): the reference and the fallback. */
export const jsReducer: Reducer = {
  backend: "js",
  async reduce(inputs, mask) {
    checkReduceInputs(inputs, mask);
    return inputs.map((input) => reduceSiteJs(input, mask));
  },
  async release() {},
};

/** The runs [start, end) of consecutive real rows (mask != 0); padding ends each sentence, so one run per sentence. */
export function realRuns(mask: Uint8Array): { runs: number[]; n: number } {
  const runs: number[] = [];
  let n = 0;
  for (let r = 0; r < mask.length; ++r) {
    if (!mask[r]) continue;
    if (runs.length && runs[runs.length - 1] === r) runs[runs.length - 1] = r + 1;
    else runs.push(r, r + 1);
    n++;
  }
  return { runs, n };
}

/**
 * Values per graph run, past two sites (4 MB of float32): a run has a fixed cost (about 50-100 us), so
 * sites of one width share runs; but the graph's intermediates (about six tensors of the input's size)
 * must stay in cache: onnxruntime's kernels measured 2.2 ns per value at 2 x 800 x 384 against 3.2 at
 * 13 x 800 x 384 (1 thread, per-node profile). A run holds at least two sites where there are two of a
 * width: the per-dim ReduceMax over one site ([1, n, width]) took 0.65 ns per value against 0.17 over two.
 */
const MAX_STACK_VALUES = 1 << 20;

/**
 * The inputs' indices grouped by width (first appearance order): each width's sites in order, cut
 * into the fewest runs of at most max(2, MAX_STACK_VALUES / (n x width)) sites, as even as can be (19
 * sites, at most 3 a run: 3, 3, 3, 3, 3, 2, 2; not 3 x 6 and a lone site, which is slow, above).
 */
function stacks(inputs: readonly ReduceInput[], n: number): number[][] {
  const byWidth = new Map<number, number[]>();
  inputs.forEach(({ width }, i) => {
    const g = byWidth.get(width);
    if (g) g.push(i);
    else byWidth.set(width, [i]);
  });
  const out: number[][] = [];
  for (const [width, sites] of byWidth) {
    const most = Math.max(2, Math.floor(MAX_STACK_VALUES / (n * width))), runs = Math.ceil(sites.length / most);
    for (let r = 0, at = 0; r < runs; ++r) {
      const size = Math.ceil((sites.length - at) / (runs - r));
      out.push(sites.slice(at, (at += size)));
    }
  }
  return out;
}

/**
 * The real rows of the group's inputs as one [k x n x width] array: a view for one input whose real
 * rows are one run in an ordinary ArrayBuffer, else copied (a memcpy per run) into `scratch`, reused
 * across calls (a fresh array per site and batch kept the GC busy). A view of a SharedArrayBuffer (the
 * side worker's slots, src/analysis/sideSlots.ts) is copied: onnxruntime-node refuses it as a feed.
 */
function stackRealRows(inputs: readonly ReduceInput[], group: readonly number[], runs: readonly number[], n: number, scratch: { buffer: Float32Array }): Float32Array {
  const { width } = inputs[group[0]];
  const lone = inputs[group[0]].data;
  if (group.length === 1 && runs.length === 2 && !(lone.buffer instanceof SharedArrayBuffer)) return lone.subarray(runs[0] * width, runs[1] * width);
  const size = group.length * n * width;
  if (scratch.buffer.length < size) scratch.buffer = new Float32Array(size);
  const out = scratch.buffer.subarray(0, size);
  let at = 0;
  for (const i of group) {
    const { data } = inputs[i];
    for (let q = 0; q < runs.length; q += 2) {
      out.set(data.subarray(runs[q] * width, runs[q + 1] * width), at);
      at += (runs[q + 1] - runs[q]) * width;
    }
  }
  return out;
}

/**
 * One group of same-width sites through the graph; each site's per-dim moments from dimMoments on the
 * stacked copy before the run, while it is in cache (its real rows in the same runs, so the same bits
 * as on the padded site: measured 5.65 -> 5.19 CPU ns per value for the reducer), its per-real-row
 * outputs scattered back to its rows, and its per-dim max |a| from the graph (NaN where dimMoments'
 * mean is: ReduceMax skips a NaN that is not first).
 */
async function reduceStack(session: KernelSession, inputs: readonly ReduceInput[], group: readonly number[], mask: Uint8Array, real: { runs: number[]; n: number }, scratch: { buffer: Float32Array }, out: SiteReductions[]): Promise<void> {
  const { width } = inputs[group[0]], k = group.length, { runs, n } = real, x = stackRealRows(inputs, group, runs, n, scratch);
  const stacked = { runs: packedRuns(runs), n };
  const reds = group.map((_, s) => {
    const r = emptyReductions(mask.length, width);
    dimMoments(x.subarray(s * n * width, (s + 1) * n * width), width, stacked, r);
    return r;
  });
  const o = await session.run({ X: { type: "float32", data: x, dims: [k, n, width] } }, [...ROW_OUTPUTS, "dimAbsMax"]);
  group.forEach((index, s) => {
    const r = reds[s];
    for (const key of ROW_OUTPUTS) scatterRows(o[key].data, s * n, runs, r[key]);
    const max = o.dimAbsMax.data.subarray(s * width, (s + 1) * width);
    for (let j = 0; j < width; ++j) r.dimAbsMax[j] = Number.isNaN(r.dimMean[j]) ? NaN : max[j];
    out[index] = r;
  });
}

/** The runs of real rows once packed one after another (stackRealRows): the same lengths, each still its own run. */
function packedRuns(runs: readonly number[]): number[] {
  const out: number[] = [];
  for (let q = 0, at = 0; q < runs.length; q += 2) out.push(at, (at += runs[q + 1] - runs[q]));
  return out;
}

/**
 * One site's per-row outputs (its real rows, from `from` in the stacked output) to its padded rows
 * (the real runs): one array type per loop, as a loop over all five kept the stores megamorphic
 * (measured 0.3 ns per value of the site, 5% of the reducer).
 */
function scatterRows(stacked: Float32Array, from: number, runs: readonly number[], dest: Float32Array | Int32Array): void {
  for (let q = 0, i = from; q < runs.length; q += 2) for (let row = runs[q]; row < runs[q + 1]; ++row) dest[row] = stacked[i++];
}

/**
 * The ONNX graph (src/model/onnx/reductionGraph.ts) in onnxruntime-node (CPU), `threads` intra-op
 * threads (default PA_THREADS, else the machine's parallelism), thread spinning OFF whatever
 * PA_ORT_SPIN says, so its idle threads leave the cores to the encoder. One session, dynamic shapes;
 * the inputs of one width run together (up to MAX_STACK_VALUES per run, at least two sites), runs one after another, and
 * overlapping reduce() calls are queued (await each; never run it concurrently with the encoder).
 */
export async function createOrtReducer({ threads }: { threads?: number } = {}): Promise<Reducer> {
  let session: KernelSession | null = await KernelSession.open(buildReductionGraph(), { threads, spin: false, name: "onnxruntime site reducer graph" });
  // safe to reuse: each run has read its input before the next copy, as calls are queued (`last`)
  const scratch = { buffer: new Float32Array(0) };
  let last: Promise<unknown> = Promise.resolve();
  const reduce = async (inputs: readonly ReduceInput[], mask: Uint8Array): Promise<SiteReductions[]> => {
    if (!session) throw new Error("onnxruntime site reducer: reduce() called after release(); create a new one with createOrtReducer()");
    checkReduceInputs(inputs, mask);
    const real = realRuns(mask);
    if (real.n === 0) return inputs.map(({ width }) => emptyReductions(mask.length, width));
    const out: SiteReductions[] = new Array(inputs.length);
    for (const group of stacks(inputs, real.n)) await reduceStack(session, inputs, group, mask, real, scratch, out);
    return out;
  };
  return {
    backend: "onnxruntime",
    reduce(inputs, mask) {
      const result = last.then(() => reduce(inputs, mask));
      last = result.catch(() => undefined);
      return result;
    },
    async release() {
      const s = session;
      session = null;
      scratch.buffer = new Float32Array(0);
      await s?.dispose();
    },
  };
}
