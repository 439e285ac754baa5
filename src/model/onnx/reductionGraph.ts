/**
 * The ONNX graph (opset 17) of src/model/reductions.ts's onnxruntime backend: one token site of one
 * padded batch in, its per-row and per-dim reductions out, all over the real rows only.
 *
 * Input: X float32 [k, n, width], k sites of one batch (same width), their real rows only (n >= 1; the
 * caller drops the padding, so padding is never read and a non-finite value there cannot leak into the
 * per-dim sums). Outputs, float32: absMax, argMax (an index, exact in float32 below 2^24), mean, m2, m4
 * [k, n] (per row); dimAbsMax, dimMean, dimM2, dimM3, dimM4 [k, width]. ReduceMax and ArgMax skip a NaN
 * that is not first (measured, onnxruntime 1.30), so absMax is replaced by the mean where the mean is NaN.
 * Per-dim means are taken in two steps (centre()), so the centred sums stay accurate for an outlier dim;
 * a row's mean over its 384..4096 dims is accurate in one (tested down to a spread of 1e-5 of the mean).
 * Stacking the sites: one run has a fixed cost (measured 50 us, 1 thread; 100 us, 2 threads).
 * Cost: about 20 passes over X, each an onnxruntime kernel (elementwise or reduce); measured, the
 * elementwise ones dominate and ReduceSum or MatMul for the sums cost the same.
 */
import { IR_VERSION, OPSET } from "./build.js";
import { GraphBuilder } from "./graph.js";
import { DataType, encodeModel, valueInfo } from "./proto.js";

/** Output names in the order the reducer reads them. */
export const ROW_OUTPUTS = ["absMax", "argMax", "mean", "m2", "m4"] as const;
export const DIM_OUTPUTS = ["dimAbsMax", "dimMean", "dimM2", "dimM3", "dimM4"] as const;

/** max |a| along `axis`, NaN where the mean along it is NaN (ReduceMax alone may skip a NaN). */
function absMaxKeepingNaN(g: GraphBuilder, abs: string, mean: string, axis: number, out: string): void {
  const max = g.node("ReduceMax", [abs], { axes: [axis], keepdims: 0 });
  g.node("Where", [g.node("IsNaN", [mean]), mean, max], {}, out);
}

/**
 * x minus its mean along `axis`, in two steps: a float32 mean of 1,000 values near 1000 is off by
 * about 1e-4, which a spread of 0.01 (an outlier dim) cannot absorb (its M4 was 1e-3 off); the mean
 * of the residuals x - m1 is small, so m1 + that mean is the mean to float32 rounding. Costs two passes.
 * `first` (m1) is NaN exactly when x holds a NaN or both infinities; with one infinity `mean` is NaN.
 */
function centre(g: GraphBuilder, x: string, axis: number): { centred: string; mean: string; first: string } {
  const m1 = g.node("ReduceMean", [x], { axes: [axis], keepdims: 1 });
  const d1 = g.node("Sub", [x, m1]);
  const r = g.node("ReduceMean", [d1], { axes: [axis], keepdims: 1 });
  return { centred: g.node("Sub", [d1, r]), mean: g.node("Add", [m1, r]), first: m1 };
}

/** The serialised graph; k, n and width are dynamic, so one session serves every site and batch. */
export function buildReductionGraph(): Uint8Array {
  const g = new GraphBuilder();
  g.graph.name = "site_reductions";
  g.graph.input = [valueInfo("X", DataType.FLOAT, ["k", "n", "width"])];
  const x = "X";
  const abs = g.node("Abs", [x]);

  // per row: over dims (axis 2)
  const rowMean = g.node("ReduceMean", [x], { axes: [2], keepdims: 1 }); // [k, n, 1]
  const c = g.node("Sub", [x, rowMean]), c2 = g.node("Mul", [c, c]);
  const mean = g.node("Squeeze", [rowMean, g.i64("axis2", [2])], {}, "mean");
  absMaxKeepingNaN(g, abs, mean, 2, "absMax");
  g.node("Cast", [g.node("ArgMax", [abs], { axis: 2, keepdims: 0, select_last_index: 0 })], { to: DataType.FLOAT }, "argMax");
  g.node("ReduceMean", [c2], { axes: [2], keepdims: 0 }, "m2");
  g.node("ReduceMean", [g.node("Mul", [c2, c2])], { axes: [2], keepdims: 0 }, "m4");

  // per dim: over the real rows (axis 1)
  const axis1 = g.i64("axis1", [1]);
  const { centred: d, mean: dimMean, first } = centre(g, x, 1); // [k, n, width], [k, 1, width]
  const d2 = g.node("Mul", [d, d]);
  g.node("Squeeze", [dimMean, axis1], {}, "dimMean");
  absMaxKeepingNaN(g, abs, g.node("Squeeze", [first, axis1]), 1, "dimAbsMax");
  g.node("ReduceSum", [d2, axis1], { keepdims: 0 }, "dimM2");
  g.node("ReduceSum", [g.node("Mul", [d2, d]), axis1], { keepdims: 0 }, "dimM3");
  g.node("ReduceSum", [g.node("Mul", [d2, d2]), axis1], { keepdims: 0 }, "dimM4");

  g.graph.output = [
    ...ROW_OUTPUTS.map((name) => valueInfo(name, DataType.FLOAT, ["k", "n"])),
    ...DIM_OUTPUTS.map((name) => valueInfo(name, DataType.FLOAT, ["k", "width"])),
  ];
  return encodeModel({ irVersion: IR_VERSION, producerName: "positional-artefacts", graph: g.graph, opsetImport: [{ domain: "", version: OPSET }], metadataProps: [] });
}
