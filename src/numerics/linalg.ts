import { trainSoftmax, type SoftmaxModel, type SoftmaxOptions } from "./softmax.js";
import { integer } from "./options.js";

/**
 * The dense linear algebra the fitted analyses need (covariance Gram matrices, applying a fitted
 * d x d transform, training the position probe), behind one interface with two backends:
 * `jsLinalg` (this file: plain loops, float64 sums, the exact reference every unit test uses) and
 * the onnxruntime backend in src/model/linalg.ts (the same operations as small ONNX graphs run by
 * MLAS's multithreaded SIMD kernels; float32 sums, so results agree with the reference to float32
 * rounding, not bit for bit). runAnalyses uses onnxruntime by default because the JS loops cost
 * several times the extraction itself (issue 3 item 5); `linalg: "js"` restores the reference.
 */
export interface Linalg {
  readonly backend: "js" | "onnxruntime";
  /**
   * Gram matrices: for each of `count` stacked row-major [n x d] matrices X_b (x has count·n·d
   * values), X_bᵀ X_b as d x d. Returns [count x d x d] in float64. Callers centre the rows first:
   * the float32 backend sums products over n rows.
   */
  gram(x: Float32Array, count: number, n: number, d: number): Promise<Float64Array>;
  /** Row-major product A [m x k] · B [k x n] -> [m x n], float32. */
  matmul(a: Float32Array, b: Float32Array, m: number, k: number, n: number): Promise<Float32Array>;
  /**
   * `count` bias-free softmax regressions that share labels `y` ([n]) and differ only in their inputs
   * (x: [count x n x dim], e.g. one position probe per layer on the same tokens), each trained exactly
   * as trainSoftmax with `opts` (same seeded initial weights, same shuffles, same Adam steps).
   */
  trainSoftmaxStack(x: Float32Array, y: Int32Array, count: number, n: number, dim: number, classes: number, opts?: SoftmaxStackOptions): Promise<SoftmaxModel[]>;
  /** Frees the backend's sessions; the object is unusable afterwards. */
  release(): Promise<void>;
}

/** trainSoftmax's options without the bias and L2 terms, which the stacked trainer does not support. */
export type SoftmaxStackOptions = Omit<SoftmaxOptions, "bias" | "l2">;

/** Checks the shapes shared by every backend; throws a RangeError naming the argument. */
export function checkShapes(op: "gram" | "matmul" | "trainSoftmaxStack", sizes: Record<string, number>, arrays: Record<string, [ArrayLike<number>, number]>): void {
  for (const [name, v] of Object.entries(sizes)) integer(v, `${op}: ${name}`, name === "count" || name === "n" || name === "m" ? 0 : 1);
  for (const [name, [a, expected]] of Object.entries(arrays)) {
    if (a.length !== expected) throw new RangeError(`${op}: ${name} has ${a.length} values; expected ${expected} (${Object.entries(sizes).map(([k, v]) => `${k} ${v}`).join(", ")})`);
  }
}

/** The reference backend: plain loops with float64 sums. */
export const jsLinalg: Linalg = {
  backend: "js",
  async gram(x, count, n, d) {
    checkShapes("gram", { count, n, d }, { x: [x, count * n * d] });
    const out = new Float64Array(count * d * d);
    for (let b = 0; b < count; ++b) {
      const o = b * d * d, xo = b * n * d;
      for (let r = 0; r < n; ++r) {
        const ro = xo + r * d;
        for (let i = 0; i < d; ++i) {
          const v = x[ro + i];
          if (v === 0) continue;
          const row = o + i * d;
          for (let j = i; j < d; ++j) out[row + j] += v * x[ro + j];
        }
      }
      for (let i = 0; i < d; ++i) for (let j = 0; j < i; ++j) out[o + i * d + j] = out[o + j * d + i];
    }
    return out;
  },
  async matmul(a, b, m, k, n) {
    checkShapes("matmul", { m, k, n }, { a: [a, m * k], b: [b, k * n] });
    const out = new Float32Array(m * n), acc = new Float64Array(n);
    for (let r = 0; r < m; ++r) {
      acc.fill(0);
      for (let t = 0; t < k; ++t) {
        const v = a[r * k + t];
        if (v === 0) continue;
        const bo = t * n;
        for (let c = 0; c < n; ++c) acc[c] += v * b[bo + c];
      }
      out.set(acc, r * n);
    }
    return out;
  },
  async trainSoftmaxStack(x, y, count, n, dim, classes, opts = {}) {
    checkShapes("trainSoftmaxStack", { count, n, dim, classes }, { x: [x, count * n * dim], y: [y, n] });
    const models: SoftmaxModel[] = [];
    for (let b = 0; b < count; ++b) models.push(trainSoftmax(x.subarray(b * n * dim, (b + 1) * n * dim), y, n, dim, classes, { ...opts, bias: false, l2: 0 }));
    return models;
  },
  async release() {},
};
