/**
 * Interventions as graph edits: a value of the graph (an activation such as hidden_states.3, or a weight
 * initializer such as a LayerNorm gain or the position table) is replaced by `value * keep + fill`, where
 * keep and fill are vectors over its last axis. Zero ablation of dims D: keep 0 at D, fill 0; mean
 * ablation: fill = the mean at D; set-to-value: fill = v at D. Every consumer reads the edited value,
 * because the producer's output (or the initializer) is renamed and the edit takes over its name.
 *
 * keep and fill are either constants (one graph per condition) or graph inputs named by editInputNames
 * (one graph and one session for every condition: no weights are copied per condition).
 * A target that is a side output (an Identity no node reads: an activation site, an exported graph's
 * hidden_states.K) is edited at the value its Identity copies, so the rest of the graph sees the edit too;
 * the keep/fill inputs keep the target's name.
 */
import { DataType, decodeModel, encodeModel, nodeProto, tensorProto, valueInfo, type GraphProto, type NodeProto } from "./proto.js";

export interface GraphEdit {
  /** The value to edit: a node output (e.g. "hidden_states.3") or an initializer (e.g. "embeddings.LayerNorm.weight"). */
  target: string;
  /** Length of the value's last axis (keep and fill have this length). */
  width: number;
  /** Constant vectors; when absent, keep and fill are float inputs [width] named by editInputNames(target). */
  keep?: Float32Array;
  fill?: Float32Array;
}

/** The graph input names of an edit's keep and fill vectors. */
export function editInputNames(target: string): { keep: string; fill: string } {
  return { keep: `edit.${target}.keep`, fill: `edit.${target}.fill` };
}

/**
 * The keep/fill graph inputs of every edit point for one run: the given vectors, else keep 1 and fill 0
 * (unedited). Throws, naming `where`, for a vector given for no point (`kind`: "graph", "encoder") or one
 * of the wrong length.
 */
export function editFeeds(points: ReadonlyMap<string, number>, edits: ReadonlyMap<string, { keep: Float32Array; fill: Float32Array }>, where: string, kind: string): Record<string, { type: "float32"; data: Float32Array; dims: number[] }> {
  for (const k of edits.keys()) if (!points.has(k)) throw new RangeError(`${where}: ${k} is not an edit point of this ${kind} (edit points: ${[...points.keys()].join(", ") || "none"})`);
  const feeds: Record<string, { type: "float32"; data: Float32Array; dims: number[] }> = {};
  for (const [target, width] of points) {
    const e = edits.get(target) ?? { keep: new Float32Array(width).fill(1), fill: new Float32Array(width) };
    if (e.keep.length !== width || e.fill.length !== width) throw new RangeError(`${where}: edit of ${target} has keep ${e.keep.length} and fill ${e.fill.length} values; expected ${width} each`);
    const names = editInputNames(target);
    feeds[names.keep] = { type: "float32", data: e.keep, dims: [width] };
    feeds[names.fill] = { type: "float32", data: e.fill, dims: [width] };
  }
  return feeds;
}

/** keep (1, with 0 at dims) and fill (0, with `value` or value[d] at dims) for an ablation of `dims`. */
export function ablationVectors(width: number, dims: readonly number[], value: number | ArrayLike<number> = 0): { keep: Float32Array; fill: Float32Array } {
  const keep = new Float32Array(width).fill(1);
  const fill = new Float32Array(width);
  for (const d of dims) {
    if (!Number.isInteger(d) || d < 0 || d >= width) throw new RangeError(`invalid dim: ${JSON.stringify(d)}; expected an integer in [0, ${width - 1}]`);
    keep[d] = 0;
    fill[d] = typeof value === "number" ? value : value[d];
  }
  return { keep, fill };
}

/** Applies edits to a graph in place (see the file comment); throws naming a target the graph lacks. */
export function applyGraphEdits(graph: GraphProto, edits: readonly GraphEdit[]): void {
  const seen = new Set<string>();
  for (const e of edits) {
    if (seen.has(e.target)) throw new RangeError(`graph edit: ${e.target} is edited twice; give each target once`);
    seen.add(e.target);
    editOne(graph, e);
  }
}

function editOne(graph: GraphProto, e: GraphEdit): void {
  const init = graph.initializer.find((t) => t.name === e.target);
  if (init) {
    const last = Number(init.dims[init.dims.length - 1]);
    if (last !== e.width) throw new RangeError(`graph edit ${e.target}: the initializer's last axis has ${last} values; expected ${e.width}`);
    init.name = `${e.target}.unedited`;
    graph.node.unshift(...editNodes(graph, e, e.target));
    return;
  }
  let value = e.target;
  let at = graph.node.findIndex((n) => n.output.includes(value));
  if (at < 0) throw new RangeError(`graph edit: ${e.target} is neither a node output nor an initializer of the graph`);
  // a side output (a site, an exported graph's hidden_states.K) is an Identity of the value the graph goes on with: edit that
  while (!graph.node.some((n) => n.input.includes(value)) && graph.node[at].opType === "Identity" && graph.node[at].input.length === 1) {
    value = graph.node[at].input[0];
    at = graph.node.findIndex((n) => n.output.includes(value));
    if (at < 0) throw new RangeError(`graph edit: ${e.target} copies ${value}, which no node produces; edit a node output or an initializer`);
  }
  // an output no node reads would be edited for the reader only
  if (!graph.node.some((n) => n.input.includes(value))) {
    throw new RangeError(`graph edit: no node of the graph reads ${e.target}, so editing it would change nothing downstream; interventions need the graph built from a Hugging Face folder (config.json + model.safetensors)`);
  }
  const producer = graph.node[at];
  producer.output = producer.output.map((o) => (o === value ? `${value}.unedited` : o));
  graph.node.splice(at + 1, 0, ...editNodes(graph, e, value));
}

/** Mul by keep, Add fill: `${value}.unedited` -> value; keep/fill named after the target (inputs or constants). */
function editNodes(graph: GraphProto, e: GraphEdit, value: string): NodeProto[] {
  const names = editInputNames(e.target);
  const vector = (name: string, data: Float32Array | undefined) => {
    if (data) {
      if (data.length !== e.width) throw new RangeError(`graph edit ${e.target}: ${name} has ${data.length} values; expected ${e.width}`);
      graph.initializer.push(tensorProto({ name, dims: [e.width], dataType: DataType.FLOAT, rawData: new Uint8Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength)) }));
    } else {
      graph.input.push(valueInfo(name, DataType.FLOAT, [e.width]));
    }
    return name;
  };
  return [
    nodeProto({ opType: "Mul", name: `edit_mul_${e.target}`, input: [`${value}.unedited`, vector(names.keep, e.keep)], output: [`${value}.kept`] }),
    nodeProto({ opType: "Add", name: `edit_add_${e.target}`, input: [`${value}.kept`, vector(names.fill, e.fill)], output: [value] }),
  ];
}

/** Applies edits (constants or graph inputs) to a serialised model (decode, edit, encode); `where` names it in errors. */
export function editModelBytes(bytes: Uint8Array, edits: readonly GraphEdit[], where: string): Uint8Array {
  const model = decodeModel(bytes, where);
  if (!model.graph) throw new Error(`${where}: the model has no graph`);
  applyGraphEdits(model.graph, edits);
  return encodeModel(model);
}

/** An encoder feeds only ids and masks, so its edits must carry keep and fill; throws naming the first that does not. */
export function checkConstantEdits(edits: readonly GraphEdit[], where: string): void {
  const bad = edits.find((e) => !e.keep || !e.fill);
  if (bad) throw new RangeError(`${where}: edit of ${bad.target} has no keep/fill vectors; an encoder's edits must be constants (ablationVectors(width, dims))`);
}
