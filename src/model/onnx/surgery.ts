/**
 * Graph surgery on existing encoder exports (transformers.js / optimum / torch.onnx): exposes every
 * layer's hidden state as a graph output, found by pattern rather than by node name, and refuses
 * exports whose numbers differ from the float32 model (quantized, float16).
 *
 * Hidden state k is the output of the (2k)-th LayerNorm in topological order: the embeddings LayerNorm,
 * then two per post-LN block (after attention, after the FFN). LayerNorms are recognised as the
 * LayerNormalization op, onnxruntime's fused com.microsoft SkipLayerNormalization /
 * EmbedLayerNormalization, or the decomposed pattern older opsets export:
 * ReduceMean -> Sub -> Pow -> ReduceMean -> Add -> Sqrt -> Div -> Mul -> Add.
 */
import * as path from "node:path";
import { DataType, decodeModel, encodeModel, nodeProto, type GraphProto, type ModelProto, type NodeProto, type ValueInfoProto } from "./proto.js";

/** One recognised LayerNorm: the node whose first output is the normalised value. */
export interface FoundLayerNorm {
  output: string;
  kind: "LayerNormalization" | "SkipLayerNormalization" | "EmbedLayerNormalization" | "decomposed";
  /** Index of the node producing `output` in the graph's node list. */
  node: number;
}

/** Nodes in topological order (stable: ties keep the file's order); throws on a cycle. */
export function topologicalOrder(graph: GraphProto, file: string): number[] {
  const producer = new Map<string, number>();
  graph.node.forEach((n, i) => n.output.forEach((o) => o && producer.set(o, i)));
  const indegree = graph.node.map(() => 0);
  const consumers: number[][] = graph.node.map(() => []);
  graph.node.forEach((n, i) => {
    const deps = new Set(n.input.map((x) => producer.get(x)).filter((p): p is number => p !== undefined && p !== i));
    indegree[i] = deps.size;
    for (const d of deps) consumers[d].push(i);
  });
  // a min-heap would be O(n log n); a sorted ready list is enough for graphs of a few thousand nodes
  const ready = indegree.flatMap((d, i) => (d === 0 ? [i] : []));
  const order: number[] = [];
  while (ready.length) {
    const i = ready.shift()!;
    order.push(i);
    for (const c of consumers[i]) if (--indegree[c] === 0) insertSorted(ready, c);
  }
  if (order.length !== graph.node.length) throw new Error(`${file}: the graph has a cycle; it is not a valid ONNX model`);
  return order;
}

function insertSorted(a: number[], v: number): void {
  let lo = 0, hi = a.length;
  while (lo < hi) { const m = (lo + hi) >> 1; if (a[m] < v) lo = m + 1; else hi = m; }
  a.splice(lo, 0, v);
}

/** Finds every LayerNorm of the graph, in topological order. */
export function findLayerNorms(graph: GraphProto, file: string): FoundLayerNorm[] {
  const producer = new Map<string, number>();
  graph.node.forEach((n, i) => n.output.forEach((o) => o && producer.set(o, i)));
  const consumers = new Map<string, number[]>();
  graph.node.forEach((n, i) => n.input.forEach((x) => { if (!consumers.has(x)) consumers.set(x, []); consumers.get(x)!.push(i); }));
  const prod = (value: string | undefined): NodeProto | undefined => (value === undefined ? undefined : graph.node[producer.get(value) ?? -1]);
  const found: FoundLayerNorm[] = [];
  for (const i of topologicalOrder(graph, file)) {
    const n = graph.node[i];
    const op = n.opType ?? "";
    const dom = n.domain ?? "";
    if (op === "LayerNormalization" && (dom === "" || dom === "ai.onnx" || dom === "com.microsoft")) {
      found.push({ output: n.output[0], kind: "LayerNormalization", node: i });
    } else if ((op === "SkipLayerNormalization" || op === "EmbedLayerNormalization") && dom === "com.microsoft") {
      found.push({ output: n.output[0], kind: op, node: i });
    } else if (op === "Div") {
      // decomposed: Div(Sub(x, ReduceMean(x)), Sqrt(Add(ReduceMean(Pow(Sub, 2)), eps))) -> Mul(gamma) -> Add(beta)
      // torch exports may put a Cast between Sub and Div/Pow
      const skipCast = (v: string | undefined) => { const p = prod(v); return p?.opType === "Cast" ? prod(p.input[0]) : p; };
      const sub = skipCast(n.input[0]);
      const sqrt = prod(n.input[1]);
      if (sub?.opType !== "Sub" || sqrt?.opType !== "Sqrt") continue;
      const mean = prod(sub.input[1]);
      if (mean?.opType !== "ReduceMean" || mean.input[0] !== sub.input[0]) continue;
      const addEps = prod(sqrt.input[0]);
      if (addEps?.opType !== "Add") continue;
      const variance = addEps.input.map((v) => prod(v)).find((p) => p?.opType === "ReduceMean");
      if (!variance) continue;
      const pow = prod(variance.input[0]);
      if (!pow || (pow.opType !== "Pow" && pow.opType !== "Mul") || skipCast(pow.input[0]) !== sub) continue;
      const only = (value: string) => consumers.get(value) ?? [];
      const mulIdx = only(n.output[0]).find((c) => graph.node[c].opType === "Mul");
      const addIdx = mulIdx === undefined ? undefined : only(graph.node[mulIdx].output[0]).find((c) => graph.node[c].opType === "Add");
      if (addIdx === undefined) {
        throw new Error(`${file}: node ${JSON.stringify(n.name ?? `#${i}`)} normalises like a LayerNorm but is not followed by Mul (gamma) and Add (beta); this graph layout is not supported, export the checkpoint with \`artefacts export\` from its Hugging Face folder`);
      }
      found.push({ output: graph.node[addIdx].output[0], kind: "decomposed", node: addIdx });
    }
  }
  return found;
}

/** `value` and the values it copies through chains of Identity nodes. */
function throughIdentity(graph: GraphProto, value: string): string[] {
  const producer = new Map<string, NodeProto>();
  for (const n of graph.node) for (const o of n.output) producer.set(o, n);
  const chain = [value];
  for (let v = value, p = producer.get(v); p?.opType === "Identity"; p = producer.get(v)) chain.push((v = p.input[0]));
  return chain;
}

/**
 * Adds hidden_states.0 .. hidden_states.L as graph outputs of an encoder export that outputs
 * last_hidden_state, keeping last_hidden_state. `layers`, when known (config.json), is checked.
 * Idempotent: a graph that already exposes them comes back with the same outputs.
 */
export function exposeHiddenStates(model: Uint8Array, file: string, { layers: expectedLayers }: { layers?: number } = {}): { model: Uint8Array; outputs: string[]; layers: number } {
  const proto = decodeModel(model, file);
  const layers = exposeHiddenStatesInModel(proto, file, expectedLayers);
  return { model: encodeModel(proto), outputs: proto.graph!.output.map((o) => o.name ?? ""), layers };
}

/** exposeHiddenStates on a decoded model, editing it in place; returns L. */
export function exposeHiddenStatesInModel(proto: ModelProto, file: string, expectedLayers?: number): number {
  const graph = proto.graph;
  if (!graph) throw new Error(`${file}: the model has no graph; it is not an ONNX encoder`);
  const name = path.basename(file);
  const last = graph.output.find((o) => o.name === "last_hidden_state");
  if (!last) {
    throw new Error(`${name}: no last_hidden_state output (outputs: ${graph.output.map((o) => o.name).join(", ") || "none"}); pass an encoder export (feature-extraction), not a task head`);
  }
  const elem = last.type?.tensorType?.elemType;
  if (elem !== undefined && elem !== DataType.FLOAT) {
    throw new Error(`${name}: last_hidden_state has element type ${elem}, not float32 (1); export a float32 model with \`artefacts export\``);
  }
  // already exposed (our own exports of every family, pre-LN ones included): nothing to find or add
  const exposed = new Set(graph.output.map((o) => o.name ?? "").filter((n) => /^hidden_states\.\d+$/.test(n)));
  const K = exposed.size - 1;
  if (K >= 1 && (expectedLayers === undefined || K === expectedLayers) && Array.from({ length: K + 1 }, (_, k) => `hidden_states.${k}`).every((n) => exposed.has(n))) return K;
  const norms = findLayerNorms(graph, name);
  const count = norms.length;
  const L = (count - 1) / 2;
  if (count < 3 || !Number.isInteger(L) || (expectedLayers !== undefined && L !== expectedLayers)) {
    const want = expectedLayers !== undefined ? `2 x ${expectedLayers} + 1 = ${2 * expectedLayers + 1} (config.json layers ${expectedLayers})` : "2L + 1 (one for the embeddings, two per block)";
    throw new Error(`${name}: found ${count} LayerNorms (${norms.map((n) => n.kind).join(", ") || "none"}), expected ${want}; the graph is not a post-LN BERT-style encoder, export it from its Hugging Face folder with \`artefacts export\``);
  }
  const finalNorm = norms[count - 1].output;
  if (!throughIdentity(graph, "last_hidden_state").includes(finalNorm)) {
    throw new Error(`${name}: the last LayerNorm (${finalNorm}) does not feed last_hidden_state; the graph has layers after the encoder, which this surgery does not support`);
  }
  const producer = new Map<string, NodeProto>();
  for (const n of graph.node) for (const o of n.output) producer.set(o, n);
  const existing = new Set(graph.output.map((o) => o.name));
  const added: ValueInfoProto[] = [];
  for (let k = 0; k <= L; ++k) {
    const target = `hidden_states.${k}`;
    const source = norms[2 * k].output;
    if (source !== target) {
      const p = producer.get(target);
      if (!p) graph.node.push(nodeProto({ opType: "Identity", name: `expose_${target}`, input: [source], output: [target] }));
      else if (!(p.opType === "Identity" && p.input[0] === source)) {
        throw new Error(`${name}: a value named ${target} already exists and is not LayerNorm ${2 * k}'s output; rename it in the export`);
      }
    }
    if (!existing.has(target)) added.push({ name: target, type: structuredClone(last.type) });
  }
  // hidden states first, in order, then the outputs the export had
  const hidden = (n: string | undefined) => /^hidden_states\.\d+$/.test(n ?? "");
  const before = graph.output.filter((o) => hidden(o.name));
  const rest = graph.output.filter((o) => !hidden(o.name));
  graph.output = [...before, ...added].sort((a, b) => Number(a.name!.split(".")[1]) - Number(b.name!.split(".")[1])).concat(rest);
  return L;
}

const QUANT_NAME = /_(quantized|q8|int8|uint8|q4|q4f16|bnb4)\.onnx$/i;
const FP16_NAME = /_fp16\.onnx$/i;
const QUANT_OPS = new Set(["DequantizeLinear", "QuantizeLinear", "DynamicQuantizeLinear", "MatMulInteger", "ConvInteger", "QLinearMatMul", "MatMulNBits", "DynamicQuantizeMatMul", "QAttention", "QGemm", "GatherBlockQuantized"]);
const WHY_QUANT = "q8 exports quantize the embedding tables, position embeddings included, which changes the very values under study; export float32 with `artefacts export`";
const WHY_FP16 = "float16 weights round the position embeddings and LayerNorm parameters, which changes the very values under study; export float32 with `artefacts export`";

/** Refuses quantized and float16 exports, by file name and, when given, by the graph's nodes and initializers. */
export function refuseIfNotAnalysable(file: string, model?: Uint8Array): void {
  const name = path.basename(file);
  if (QUANT_NAME.test(name)) throw new Error(`${name}: the file name marks a quantized export; ${WHY_QUANT}`);
  if (FP16_NAME.test(name)) throw new Error(`${name}: the file name marks a float16 export; ${WHY_FP16}`);
  if (!model) return;
  const graph = decodeModel(model, name).graph;
  if (!graph) return;
  const quantOp = graph.node.find((n) => QUANT_OPS.has(n.opType ?? ""));
  if (quantOp) throw new Error(`${name}: node ${JSON.stringify(quantOp.name ?? "")} is ${quantOp.opType}, so the model is quantized; ${WHY_QUANT}`);
  for (const t of graph.initializer) {
    if (t.dataType === DataType.INT8 || t.dataType === DataType.UINT8) {
      throw new Error(`${name}: initializer ${JSON.stringify(t.name)} is ${t.dataType === DataType.INT8 ? "int8" : "uint8"}, so the model is quantized; ${WHY_QUANT}`);
    }
    if (t.dataType === DataType.FLOAT16 || t.dataType === DataType.BFLOAT16) {
      throw new Error(`${name}: initializer ${JSON.stringify(t.name)} is ${t.dataType === DataType.FLOAT16 ? "float16" : "bfloat16"}; ${WHY_FP16}`);
    }
  }
}
