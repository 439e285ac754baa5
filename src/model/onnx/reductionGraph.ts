/**
 * The ONNX graph (opset 17) of src/model/reductions.ts's onnxruntime backend: one token site of one
 * padded batch in, its per-row and per-dim reductions out, all over the real rows only.
 *
 * Inputs: X float32 [rows, width] (the site, padding rows included), real int64 [n] (the indices of
 * the real rows, ascending; n >= 1). Outputs, float32: absMax, argMax (an index, exact in float32
 * below 2^24), mean, m2, m4 [n] (per real row); dimAbsMax, dimMean, dimM2, dimM3, dimM4 [width].
 * Gathering the real rows first means padding is never read: no masking pass, and a non-finite value
 * in padding cannot leak into the per-dim sums. ReduceMax and ArgMax skip a NaN that is not first
 * (measured, onnxruntime 1.30), so absMax is replaced by the mean where the mean is NaN.
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

/** The serialised graph; rows, width and n are dynamic, so one session serves every site and batch. */
export function buildReductionGraph(): Uint8Array {
  const g = new GraphBuilder();
  g.graph.name = "site_reductions";
  g.graph.input = [valueInfo("X", DataType.FLOAT, ["rows", "width"]), valueInfo("real", DataType.INT64, ["n"])];
  const x = g.node("Gather", ["X", "real"], { axis: 0 }); // [n, width]
  const abs = g.node("Abs", [x]);

  // per row: over dims (axis 1)
  const rowMean = g.node("ReduceMean", [x], { axes: [1], keepdims: 1 }); // [n, 1]
  const c = g.node("Sub", [x, rowMean]), c2 = g.node("Mul", [c, c]);
  const mean = g.node("Squeeze", [rowMean, g.i64("axis1", [1])], {}, "mean");
  absMaxKeepingNaN(g, abs, mean, 1, "absMax");
  g.node("Cast", [g.node("ArgMax", [abs], { axis: 1, keepdims: 0, select_last_index: 0 })], { to: DataType.FLOAT }, "argMax");
  g.node("ReduceMean", [c2], { axes: [1], keepdims: 0 }, "m2");
  g.node("ReduceMean", [g.node("Mul", [c2, c2])], { axes: [1], keepdims: 0 }, "m4");

  // per dim: over the real rows (axis 0)
  const axis0 = g.i64("axis0", [0]);
  const dimMean = g.node("ReduceMean", [x], { axes: [0], keepdims: 1 }); // [1, width]
  const d = g.node("Sub", [x, dimMean]), d2 = g.node("Mul", [d, d]);
  const flatMean = g.node("Squeeze", [dimMean, axis0], {}, "dimMean");
  absMaxKeepingNaN(g, abs, flatMean, 0, "dimAbsMax");
  g.node("ReduceSum", [d2, axis0], { keepdims: 0 }, "dimM2");
  g.node("ReduceSum", [g.node("Mul", [d2, d]), axis0], { keepdims: 0 }, "dimM3");
  g.node("ReduceSum", [g.node("Mul", [d2, d2]), axis0], { keepdims: 0 }, "dimM4");

  g.graph.output = [
    ...ROW_OUTPUTS.map((name) => valueInfo(name, DataType.FLOAT, ["n"])),
    ...DIM_OUTPUTS.map((name) => valueInfo(name, DataType.FLOAT, ["width"])),
  ];
  return encodeModel({ irVersion: IR_VERSION, producerName: "positional-artefacts", graph: g.graph, opsetImport: [{ domain: "", version: OPSET }], metadataProps: [] });
}
