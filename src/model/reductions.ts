/**
 * Per-token and per-dim reductions of one token site over one padded batch (issue 15 item 6): the
 * massive and norms analyses need, per real token, the largest |a| and its dim and the row's central
 * moments, and per dim the largest |a| and the centred sums. Two backends with one contract:
 * jsReducer (plain TypeScript, float64 inside: the reference and the fallback) and createOrtReducer
 * (a small ONNX graph run by onnxruntime's CPU kernels, float32 sums: equal to jsReducer within float32
 * rounding). Non-finite values are never hidden: a row (a dim) holding a NaN has absMax (dimAbsMax)
 * NaN, one holding ±Infinity has Infinity or NaN; its argMax is then some dim of the row (backends differ).
 */
import { buildReductionGraph, DIM_OUTPUTS, ROW_OUTPUTS } from "./onnx/reductionGraph.js";
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
  /** Over the real rows: their count, and per dim max |a|, mean, and centred sums M2 = sum (a - mean)^2, M3, M4 (0 when n = 0). */
  n: number; dimAbsMax: Float32Array; dimMean: Float32Array; dimM2: Float32Array; dimM3: Float32Array; dimM4: Float32Array;
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
  const r = () => new Float32Array(rows), d = () => new Float32Array(width);
  return {
    rows, width, absMax: r(), argMax: new Int32Array(rows), mean: r(), m2: r(), m4: r(),
    n: 0, dimAbsMax: d(), dimMean: d(), dimM2: d(), dimM3: d(), dimM4: d(),
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
  let m2 = 0, m4 = 0;
  for (let j = 0; j < width; ++j) {
    const c = x[off + j] - mean, c2 = c * c;
    m2 += c2;
    m4 += c2 * c2;
  }
  // a NaN fails every `b > max`; the mean carries it (and +Inf with -Inf)
  out.absMax[r] = Number.isNaN(mean) ? NaN : max;
  out.argMax[r] = arg;
  out.mean[r] = mean;
  out.m2[r] = m2 / width;
  out.m4[r] = m4 / width;
}

/** Per-dim max |a|, mean and centred sums over the real rows (two passes). */
function reduceDims(x: Float32Array, width: number, mask: Uint8Array, out: SiteReductions): void {
  const sum = new Float64Array(width), max = new Float64Array(width);
  let n = 0;
  for (let r = 0; r < mask.length; ++r) {
    if (!mask[r]) continue;
    n++;
    for (let j = 0, off = r * width; j < width; ++j) {
      const a = x[off + j], b = Math.abs(a);
      sum[j] += a;
      if (b > max[j]) max[j] = b;
    }
  }
  out.n = n;
  if (n === 0) return;
  const mean = sum.map((s) => s / n), m2 = new Float64Array(width), m3 = new Float64Array(width), m4 = new Float64Array(width);
  for (let r = 0; r < mask.length; ++r) {
    if (!mask[r]) continue;
    for (let j = 0, off = r * width; j < width; ++j) {
      const c = x[off + j] - mean[j], c2 = c * c;
      m2[j] += c2;
      m3[j] += c2 * c;
      m4[j] += c2 * c2;
    }
  }
  for (let j = 0; j < width; ++j) out.dimAbsMax[j] = Number.isNaN(mean[j]) ? NaN : max[j];
  out.dimMean.set(mean);
  out.dimM2.set(m2);
  out.dimM3.set(m3);
  out.dimM4.set(m4);
}

/** The reductions of one site in plain TypeScript (float64 sums). */
export function reduceSiteJs({ data, width }: ReduceInput, mask: Uint8Array): SiteReductions {
  const out = emptyReductions(mask.length, width);
  for (let r = 0; r < mask.length; ++r) if (mask[r]) reduceRow(data, r * width, width, r, out);
  reduceDims(data, width, mask, out);
  return out;
}

/** Plain TypeScript, float64 inside, float32 out: the reference and the fallback. */
export const jsReducer: Reducer = {
  backend: "js",
  async reduce(inputs, mask) {
    checkReduceInputs(inputs, mask);
    return inputs.map((input) => reduceSiteJs(input, mask));
  },
  async release() {},
};

/** The indices of the real rows (mask != 0), ascending. */
function realRows(mask: Uint8Array): BigInt64Array {
  let n = 0;
  for (let r = 0; r < mask.length; ++r) if (mask[r]) n++;
  const out = new BigInt64Array(n);
  for (let r = 0, k = 0; r < mask.length; ++r) if (mask[r]) out[k++] = BigInt(r);
  return out;
}

/** One site through the graph; the per-real-row outputs scattered back to their rows. */
async function reduceSiteOrt(session: KernelSession, { data, width }: ReduceInput, mask: Uint8Array, real: BigInt64Array): Promise<SiteReductions> {
  const out = emptyReductions(mask.length, width);
  const n = real.length;
  if (n === 0) return out;
  const o = await session.run({ X: { type: "float32", data, dims: [mask.length, width] }, real: { type: "int64", data: real, dims: [n] } }, [...ROW_OUTPUTS, ...DIM_OUTPUTS]);
  const rows = [o.absMax.data, o.argMax.data, o.mean.data, o.m2.data, o.m4.data], dest = [out.absMax, out.argMax, out.mean, out.m2, out.m4];
  for (let k = 0, i = 0; k < mask.length; ++k) {
    if (!mask[k]) continue;
    for (let q = 0; q < rows.length; ++q) dest[q][k] = rows[q][i];
    i++;
  }
  out.n = n;
  out.dimAbsMax.set(o.dimAbsMax.data);
  out.dimMean.set(o.dimMean.data);
  out.dimM2.set(o.dimM2.data);
  out.dimM3.set(o.dimM3.data);
  out.dimM4.set(o.dimM4.data);
  return out;
}

/**
 * The ONNX graph (src/model/onnx/reductionGraph.ts) in onnxruntime-node (CPU), `threads` intra-op
 * threads (default PA_THREADS, else the machine's parallelism), thread spinning OFF whatever
 * PA_ORT_SPIN says, so its idle threads leave the cores to the encoder. One session, dynamic shapes;
 * inputs run one after another (the caller awaits; never run it concurrently with the encoder).
 */
export async function createOrtReducer({ threads }: { threads?: number } = {}): Promise<Reducer> {
  let session: KernelSession | null = await KernelSession.open(buildReductionGraph(), { threads, spin: false, name: "onnxruntime site reducer graph" });
  return {
    backend: "onnxruntime",
    async reduce(inputs, mask) {
      if (!session) throw new Error("onnxruntime site reducer: reduce() called after release(); create a new one with createOrtReducer()");
      checkReduceInputs(inputs, mask);
      const real = realRows(mask), out: SiteReductions[] = [];
      for (const input of inputs) out.push(await reduceSiteOrt(session, input, mask, real));
      return out;
    },
    async release() {
      const s = session;
      session = null;
      await s?.dispose();
    },
  };
}
