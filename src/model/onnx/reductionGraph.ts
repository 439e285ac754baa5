/**
 * The ONNX graph (opset 17) of src/model/reductions.ts's onnxruntime backend: one token site of one
 * padded batch in, its per-row reductions and per-dim max |a| out, over the real rows only.
 *
 * Input: X float32 [k, n, width], k sites of one batch (same width), their real rows only (n >= 1; the
 * caller drops the padding, so padding is never read). Outputs, float32: absMax, argMax (an index,
 * exact in float32 below 2^24), mean, m2, m4 [k, n] (per row); dimAbsMax [k, width]. ReduceMax and
 * ArgMax skip a NaN that is not first (measured, onnxruntime 1.30), so absMax is replaced by the mean
 * where the mean is NaN; dimAbsMax is ReduceMax's, which the caller corrects with its float64 per-dim
 * mean (reductions.ts dimMoments). A row's mean over its 384..4096 dims is accurate in one step (tested
 * down to a spread of 1e-5 of the mean).
 * Stacking the sites: one run has a fixed cost (measured 50 us, 1 thread; 100 us, 2 threads).
 * Cost: about 10 passes over X, each an onnxruntime kernel (elementwise or reduce).
 */
import { IR_VERSION, OPSET } from "./build.js";
import { GraphBuilder } from "./graph.js";
import { DataType, encodeModel, valueInfo } from "./proto.js";

/** Output names in the order the reducer reads them. */
export const ROW_OUTPUTS = ["absMax", "argMax", "mean", "m2", "m4"] as const;

/** max |a| along `axis`, NaN where the mean along it is NaN (ReduceMax alone may skip a NaN). */
function absMaxKeepingNaN(g: GraphBuilder, abs: string, mean: string, axis: number, out: string): void {
  const max = g.node("ReduceMax", [abs], { axes: [axis], keepdims: 0 });
  g.node("Where", [g.node("IsNaN", [mean]), mean, max], {}, out);
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

  // per dim: over the real rows (axis 1); a NaN ReduceMax skips is restored by the caller
  g.node("ReduceMax", [abs], { axes: [1], keepdims: 0 }, "dimAbsMax");

  g.graph.output = [
    ...ROW_OUTPUTS.map((name) => valueInfo(name, DataType.FLOAT, ["k", "n"])),
    valueInfo("dimAbsMax", DataType.FLOAT, ["k", "width"]),
  ];
  return encodeModel({ irVersion: IR_VERSION, producerName: "positional-artefacts", graph: g.graph, opsetImport: [{ domain: "", version: OPSET }], metadataProps: [] });
}
