/**
 * The onnxruntime backend of the Linalg interface (src/numerics/linalg.ts): each operation is a small
 * ONNX graph (opset 17) built with our protobuf writer and run by MLAS's multithreaded SIMD kernels.
 * Sums are float32, so results match jsLinalg to float32 rounding, not bit for bit. The softmax
 * trainer runs the whole training of every stacked problem in ONE session call (an ONNX Loop over
 * the Adam steps), so the big input is handed to ORT once and the per-call overhead is paid once.
 */
import { checkShapes, type Linalg, type SoftmaxStackOptions } from "../numerics/linalg.js";
import { createRandom } from "../numerics/random.js";
import { trainSoftmax, type SoftmaxModel } from "../numerics/softmax.js";
import { IR_VERSION, OPSET } from "./onnx/build.js";
import {
  AttributeType, DataType, attributeProto, encodeModel, graphProto, nodeProto, tensorProto, valueInfo,
  type AttributeProto, type GraphProto, type ValueInfoProto,
} from "./onnx/proto.js";
import { KernelSession } from "./session.js";

type Attr = number | number[] | GraphProto;

function attr(name: string, v: Attr): AttributeProto {
  if (Array.isArray(v)) return attributeProto({ name, type: AttributeType.INTS, ints: v });
  if (typeof v === "number") return attributeProto({ name, type: AttributeType.INT, i: v });
  return attributeProto({ name, type: AttributeType.GRAPH, g: v });
}

/** Appends nodes to a graph with unique output names. */
class Nodes {
  private counter = 0;
  constructor(readonly graph: GraphProto, private readonly prefix: string) {}

  add(op: string, inputs: string[], attrs: Record<string, Attr> = {}, outputs?: string[]): string {
    const name = `${this.prefix}${op}_${this.counter++}`;
    const output = outputs ?? [`${name}_out`];
    this.graph.node.push(nodeProto({ opType: op, name, input: inputs, output, attribute: Object.entries(attrs).map(([k, v]) => attr(k, v)) }));
    return output[0];
  }

  f32(name: string, value: number): string {
    this.graph.initializer.push(tensorProto({ name, dims: [], dataType: DataType.FLOAT, rawData: new Uint8Array(Float32Array.of(value).buffer) }));
    return name;
  }

  i64s(name: string, values: number[]): string {
    this.graph.initializer.push(tensorProto({ name, dims: [values.length], dataType: DataType.INT64, rawData: new Uint8Array(BigInt64Array.from(values.map(BigInt)).buffer) }));
    return name;
  }

  bool(name: string, value: boolean): string {
    this.graph.initializer.push(tensorProto({ name, dims: [], dataType: DataType.BOOL, rawData: Uint8Array.of(value ? 1 : 0) }));
    return name;
  }
}

/** A value info of unknown shape (Loop body carried values). */
function anyShape(name: string, elemType: number): ValueInfoProto {
  return { name, type: { tensorType: { elemType } } };
}

function model(graph: GraphProto): Uint8Array {
  return encodeModel({ irVersion: IR_VERSION, producerName: "positional-artefacts", graph, opsetImport: [{ domain: "", version: OPSET }], metadataProps: [] });
}

/** Y [count, d, d] = Xᵀ X for X [count, n, d]. */
export function buildGramGraph(): Uint8Array {
  const g = graphProto({ name: "gram" }), b = new Nodes(g, "");
  g.input = [valueInfo("X", DataType.FLOAT, ["count", "n", "d"])];
  b.add("MatMul", [b.add("Transpose", ["X"], { perm: [0, 2, 1] }), "X"], {}, ["Y"]);
  g.output = [valueInfo("Y", DataType.FLOAT, ["count", "d", "d"])];
  return model(g);
}

/** C [m, n] = A [m, k] · B [k, n]. */
export function buildMatmulGraph(): Uint8Array {
  const g = graphProto({ name: "matmul" }), b = new Nodes(g, "");
  g.input = [valueInfo("A", DataType.FLOAT, ["m", "k"]), valueInfo("B", DataType.FLOAT, ["k", "n"])];
  b.add("MatMul", ["A", "B"], {}, ["C"]);
  g.output = [valueInfo("C", DataType.FLOAT, ["m", "n"])];
  return model(g);
}

/**
 * The stacked softmax trainer as one Loop over the Adam steps (trainSoftmax's algorithm, bias-free).
 * Inputs: X [count, n, dim]; Y [n, classes] one-hot; W0 [count, classes, dim]; order int64 [epochs·n]
 * (the per-epoch shuffles, concatenated); starts, ends int64 [steps, 1] (each step's batch as a range of
 * `order`); c1, c2 [steps] (Adam's bias corrections 1 − β^t); lr []; trips int64 [] (= steps).
 * Outputs: W [count, classes, dim] and losses [steps, count] (each batch's summed cross-entropy).
 */
export function buildSoftmaxTrainGraph(): Uint8Array {
  const beta1 = 0.9, beta2 = 0.999, eps = 1e-8;
  const g = graphProto({ name: "softmax_train" }), b = new Nodes(g, "");
  g.input = [
    valueInfo("X", DataType.FLOAT, ["count", "n", "dim"]),
    valueInfo("Y", DataType.FLOAT, ["n", "classes"]),
    valueInfo("W0", DataType.FLOAT, ["count", "classes", "dim"]),
    valueInfo("order", DataType.INT64, ["total"]),
    valueInfo("starts", DataType.INT64, ["steps", 1]),
    valueInfo("ends", DataType.INT64, ["steps", 1]),
    valueInfo("c1", DataType.FLOAT, ["steps"]),
    valueInfo("c2", DataType.FLOAT, ["steps"]),
    valueInfo("lr", DataType.FLOAT, []),
    valueInfo("trips", DataType.INT64, []),
  ];
  b.bool("cond_true", true);
  b.f32("beta1", beta1);
  b.f32("one_minus_beta1", 1 - beta1);
  b.f32("beta2", beta2);
  b.f32("one_minus_beta2", 1 - beta2);
  b.f32("eps", eps);
  b.i64s("loss_axes", [1, 2]);
  const zeros = b.add("ConstantOfShape", [b.add("Shape", ["W0"])]);

  const body = graphProto({ name: "adam_step" }), s = new Nodes(body, "step_");
  body.input = [
    valueInfo("i", DataType.INT64, []), valueInfo("cond_in", DataType.BOOL, []),
    anyShape("W_in", DataType.FLOAT), anyShape("m_in", DataType.FLOAT), anyShape("v_in", DataType.FLOAT),
  ];
  const start = s.add("Gather", ["starts", "i"], { axis: 0 }), end = s.add("Gather", ["ends", "i"], { axis: 0 });
  const idx = s.add("Slice", ["order", start, end]);
  const xb = s.add("Gather", ["X", idx], { axis: 1 }); // [count, m, dim]
  const yb = s.add("Gather", ["Y", idx], { axis: 0 }); // [m, classes]
  const logits = s.add("MatMul", [xb, s.add("Transpose", ["W_in"], { perm: [0, 2, 1] })]); // [count, m, classes]
  const lsm = s.add("LogSoftmax", [logits], { axis: 2 });
  s.add("Neg", [s.add("ReduceSum", [s.add("Mul", [lsm, yb]), "loss_axes"], { keepdims: 0 })], {}, ["loss"]);
  const z = s.add("Sub", [s.add("Exp", [lsm]), yb]); // softmax − one-hot
  const grad = s.add("Div", [
    s.add("MatMul", [s.add("Transpose", [z], { perm: [0, 2, 1] }), xb]), // [count, classes, dim]
    s.add("Cast", [s.add("Sub", [end, start])], { to: DataType.FLOAT }),
  ]);
  s.add("Add", [s.add("Mul", ["m_in", "beta1"]), s.add("Mul", [grad, "one_minus_beta1"])], {}, ["m_out"]);
  s.add("Add", [s.add("Mul", ["v_in", "beta2"]), s.add("Mul", [s.add("Mul", [grad, grad]), "one_minus_beta2"])], {}, ["v_out"]);
  const mhat = s.add("Div", ["m_out", s.add("Gather", ["c1", "i"], { axis: 0 })]);
  const vhat = s.add("Div", ["v_out", s.add("Gather", ["c2", "i"], { axis: 0 })]);
  const update = s.add("Div", [s.add("Mul", ["lr", mhat]), s.add("Add", [s.add("Sqrt", [vhat]), "eps"])]);
  s.add("Sub", ["W_in", update], {}, ["W_out"]);
  s.add("Identity", ["cond_in"], {}, ["cond_out"]);
  body.output = [
    valueInfo("cond_out", DataType.BOOL, []),
    anyShape("W_out", DataType.FLOAT), anyShape("m_out", DataType.FLOAT), anyShape("v_out", DataType.FLOAT),
    anyShape("loss", DataType.FLOAT),
  ];

  b.add("Loop", ["trips", "cond_true", "W0", zeros, zeros], { body }, ["W", "m_final", "v_final", "losses"]);
  g.output = [valueInfo("W", DataType.FLOAT, ["count", "classes", "dim"]), valueInfo("losses", DataType.FLOAT, ["steps", "count"])];
  return model(g);
}

/**
 * trainSoftmax's minibatch schedule, replayed for the stacked graph: its generator's initial-weight
 * draws (`weights` normals), then one shuffle per epoch of the same (never reset) order array; each
 * step's [start, end) into the epochs' concatenated orders, and Adam's bias corrections 1 - beta^t.
 */
function adamSchedule(seed: number, n: number, weights: number, epochs: number, batchSize: number) {
  const rng = createRandom(seed);
  for (let i = 0; i < weights; ++i) rng.normal();
  const order = Int32Array.from({ length: n }, (_, i) => i);
  const orders = new BigInt64Array(epochs * n);
  for (let e = 0; e < epochs; ++e) {
    rng.shuffle(order);
    for (let i = 0; i < n; ++i) orders[e * n + i] = BigInt(order[i]);
  }
  const perEpoch = Math.ceil(n / batchSize), steps = epochs * perEpoch;
  const starts = new BigInt64Array(steps), ends = new BigInt64Array(steps), c1 = new Float32Array(steps), c2 = new Float32Array(steps);
  for (let e = 0, t = 0; e < epochs; ++e) {
    for (let start = 0; start < n; start += batchSize, ++t) {
      starts[t] = BigInt(e * n + start);
      ends[t] = BigInt(e * n + Math.min(n, start + batchSize));
      c1[t] = 1 - 0.9 ** (t + 1);
      c2[t] = 1 - 0.999 ** (t + 1);
    }
  }
  return { orders, starts, ends, c1, c2, perEpoch, steps };
}

/** Mean loss per epoch of each stacked problem, from the graph's per-step summed losses [steps x count]. */
function epochLosses(batchLoss: Float32Array, count: number, epochs: number, perEpoch: number, n: number): number[][] {
  return Array.from({ length: count }, (_, p) => Array.from({ length: epochs }, (_, e) => {
    let sum = 0;
    for (let t = e * perEpoch; t < (e + 1) * perEpoch; ++t) sum += batchLoss[t * count + p];
    return sum / n;
  }));
}

/**
 * The onnxruntime Linalg (see src/numerics/linalg.ts). Sessions are opened on first use and kept until
 * release(). `threads`: intra-op threads (default PA_THREADS, else the machine's parallelism).
 */
export async function createOrtLinalg({ threads }: { threads?: number } = {}): Promise<Linalg> {
  const sessions = new Map<string, Promise<KernelSession>>();
  let released = false;
  const session = (name: string, build: () => Uint8Array, spin?: boolean): Promise<KernelSession> => {
    if (released) throw new Error(`onnxruntime linalg: ${name} called after release(); create a new backend with createOrtLinalg()`);
    let s = sessions.get(name);
    if (!s) {
      s = KernelSession.open(build(), { threads, spin, name: `onnxruntime linalg ${name} graph` });
      sessions.set(name, s);
    }
    return s;
  };

  return {
    backend: "onnxruntime",

    async gram(x, count, n, d) {
      checkShapes("gram", { count, n, d }, { x: [x, count * n * d] });
      if (count === 0 || n === 0) return new Float64Array(count * d * d);
      // its threads sleep between calls: isotropy's Gram blocks come between encoder batches, and
      // spinning threads would take the cores from the encoder's next run (same numbers either way)
      const s = await session("gram", buildGramGraph, false);
      const { Y } = await s.run({ X: { type: "float32", data: x, dims: [count, n, d] } }, ["Y"]);
      return Float64Array.from(Y.data);
    },

    async matmul(a, b, m, k, n) {
      checkShapes("matmul", { m, k, n }, { a: [a, m * k], b: [b, k * n] });
      if (m === 0) return new Float32Array(0);
      const s = await session("matmul", buildMatmulGraph);
      const { C } = await s.run({ A: { type: "float32", data: a, dims: [m, k] }, B: { type: "float32", data: b, dims: [k, n] } }, ["C"]);
      return Float32Array.from(C.data);
    },

    // Measured (count 7, n 4000, dim 384, classes 60, 10 epochs, batch 128; 2 shared CPU cores): ORT 0.61 s (2 threads), 0.87 s (1 thread); jsLinalg 13.4 s.
    async trainSoftmaxStack(x, y, count, n, dim, classes, opts = {}) {
      checkShapes("trainSoftmaxStack", { count, n, dim, classes }, { x: [x, count * n * dim], y: [y, n] });
      if (count === 0) return [];
      // trainSoftmax with 0 epochs validates every argument with trainSoftmax's own errors and returns
      // the seeded initial weights, which are the same for every stacked problem (same seed).
      const init = trainSoftmax(x.subarray(0, n * dim), y, n, dim, classes, { ...opts, bias: false, l2: 0, epochs: 0 });
      const settings = { ...init.settings, epochs: opts.epochs ?? 10 };
      const { epochs, batchSize, lr, seed } = settings;
      const done = (W: Float32Array, losses: number[][]): SoftmaxModel[] =>
        Array.from({ length: count }, (_, p) => ({ W: W.slice(p * classes * dim, (p + 1) * classes * dim), b: null, classes, dim, losses: losses[p], settings: { ...settings } }));
      if (epochs === 0) return done(new Float32Array(count * classes * dim).map((_, i) => init.W[i % (classes * dim)]), Array.from({ length: count }, () => []));

      const { orders, starts, ends, c1, c2, perEpoch, steps } = adamSchedule(seed, n, classes * dim, epochs, batchSize);
      const onehot = new Float32Array(n * classes);
      for (let i = 0; i < n; ++i) onehot[i * classes + y[i]] = 1;
      const W0 = new Float32Array(count * classes * dim);
      for (let p = 0; p < count; ++p) W0.set(init.W, p * classes * dim);

      const s = await session("softmax_train", buildSoftmaxTrainGraph);
      const out = await s.run({
        X: { type: "float32", data: x, dims: [count, n, dim] },
        Y: { type: "float32", data: onehot, dims: [n, classes] },
        W0: { type: "float32", data: W0, dims: [count, classes, dim] },
        order: { type: "int64", data: orders, dims: [epochs * n] },
        starts: { type: "int64", data: starts, dims: [steps, 1] },
        ends: { type: "int64", data: ends, dims: [steps, 1] },
        c1: { type: "float32", data: c1, dims: [steps] },
        c2: { type: "float32", data: c2, dims: [steps] },
        lr: { type: "float32", data: Float32Array.of(lr), dims: [] },
        trips: { type: "int64", data: BigInt64Array.of(BigInt(steps)), dims: [] },
      }, ["W", "losses"]);
      const losses = epochLosses(out.losses.data, count, epochs, perEpoch, n);
      return done(out.W.data, losses);
    },

    async release() {
      if (released) return;
      released = true;
      const all = [...sessions.values()];
      sessions.clear();
      // a session whose opening failed has already reported its error to the call that needed it
      for (const s of all) await (await s.catch(() => null))?.dispose();
    },
  };
}
