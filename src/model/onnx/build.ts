/**
 * Builds the ONNX graph (opset 17, IR version 8) of a BERT, RoBERTa or DistilBERT encoder from its
 * checkpoint, with Hugging Face's exact semantics, exposing every layer: hidden_states.0 (the embeddings
 * after their LayerNorm) .. hidden_states.L, and last_hidden_state, float32 [batch, sequence, hidden].
 *
 * Inputs: input_ids and attention_mask, int64 [batch, sequence]; token_type_ids only for BERT with a
 * token-type table. RoBERTa graphs do not take token_type_ids: Hugging Face fills them with zeros, so
 * row 0 of RoBERTa's (one-row) table is added as a constant. DistilBERT has no token types.
 */
import type { Checkpoint } from "../checkpoint.js";
import type { ModelConfig } from "../types.js";
import {
  AttributeType, DataType, attributeProto, encodeModel, graphProto, nodeProto, tensorProto, valueInfo,
  type AttributeProto, type GraphProto, type ModelProto,
} from "./proto.js";

export const OPSET = 17;
export const IR_VERSION = 8;
/** torch.finfo(torch.float32).min, the additive mask value Hugging Face uses. */
export const FLOAT32_MIN = -3.4028234663852886e38;

type Attr = number | number[] | string;

/** Accumulates nodes and initializers with unique value names. */
class GraphBuilder {
  readonly graph: GraphProto = graphProto({ name: "encoder" });
  private counter = 0;

  private attr(name: string, v: Attr): AttributeProto {
    if (typeof v === "string") return attributeProto({ name, type: AttributeType.STRING, s: new TextEncoder().encode(v) });
    if (Array.isArray(v)) return attributeProto({ name, type: AttributeType.INTS, ints: v });
    return Number.isInteger(v) && !Object.is(v, -0)
      ? attributeProto({ name, type: AttributeType.INT, i: v })
      : attributeProto({ name, type: AttributeType.FLOAT, f: v });
  }

  /** Adds a node; returns its first output's name (named `out` when given). */
  node(op: string, inputs: string[], attrs: Record<string, Attr> = {}, out?: string): string {
    const name = `${op}_${this.counter++}`;
    const output = out ?? `${name}_out`;
    this.graph.node.push(nodeProto({
      opType: op, name, input: inputs, output: [output],
      attribute: Object.entries(attrs).map(([k, v]) => this.attr(k, v)),
    }));
    return output;
  }

  /** Adds a float attribute explicitly (an epsilon of 1 must stay a float). */
  floatAttr(name: string, f: number): AttributeProto {
    return attributeProto({ name, type: AttributeType.FLOAT, f });
  }

  f32(name: string, dims: number[], data: Float32Array): string {
    this.graph.initializer.push(tensorProto({ name, dims, dataType: DataType.FLOAT, rawData: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) }));
    return name;
  }

  i64(name: string, values: number[]): string {
    const data = BigInt64Array.from(values.map(BigInt));
    this.graph.initializer.push(tensorProto({ name, dims: [values.length], dataType: DataType.INT64, rawData: new Uint8Array(data.buffer) }));
    return name;
  }

  i64Scalar(name: string, value: number): string {
    const data = BigInt64Array.of(BigInt(value));
    this.graph.initializer.push(tensorProto({ name, dims: [], dataType: DataType.INT64, rawData: new Uint8Array(data.buffer) }));
    return name;
  }

  f32Scalar(name: string, value: number): string {
    return this.f32(name, [], Float32Array.of(value));
  }
}

/** [rows x cols] row-major to [cols x rows]: torch Linear stores W as [out, in], MatMul needs [in, out]. */
function transpose(data: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(rows * cols);
  for (let r = 0; r < rows; ++r) for (let c = 0; c < cols; ++c) out[c * rows + r] = data[r * cols + c];
  return out;
}

/** Builds the encoder graph of a loaded checkpoint; returns the serialised ModelProto. */
export function buildOnnx(ckpt: Checkpoint): Uint8Array {
  let bytes = 0;
  for (const t of ckpt.weights.values()) bytes += t.data.byteLength;
  // protobuf messages are limited to 2 GiB; larger models need ONNX external data, not written here
  if (bytes > 2 ** 31 - 2 ** 24) {
    throw new RangeError(`${ckpt.dir}: ${(bytes / 2 ** 30).toFixed(2)} GiB of float32 weights exceed the 2 GiB limit of a single ONNX file; models this large are not supported by buildOnnx`);
  }
  return encodeModel(buildOnnxModel(ckpt));
}

/** The same graph as a ModelProto object (for surgery tests and inspection). */
export function buildOnnxModel(ckpt: Checkpoint): ModelProto {
  const { config } = ckpt;
  const weight = (name: string) => {
    const t = ckpt.weights.get(name);
    if (!t) throw new Error(`${ckpt.dir}: ${name} is not loaded; load the checkpoint with loadCheckpoint`);
    return t.data;
  };
  const g = new GraphBuilder();
  const { hidden: H, heads, intermediate: I } = config;
  const dh = H / heads;
  const hasTokenTypes = config.architecture === "bert" && config.typeVocab > 0;
  const inputs = ["input_ids", "attention_mask", ...(hasTokenTypes ? ["token_type_ids"] : [])];
  g.graph.input = inputs.map((n) => valueInfo(n, DataType.INT64, ["batch", "sequence"]));

  const layerNorm = (x: string, prefix: string, out?: string) => {
    const ln = g.node("LayerNormalization", [x, g.f32(`${prefix}.weight`, [H], weight(`${prefix}.weight`)), g.f32(`${prefix}.bias`, [H], weight(`${prefix}.bias`))], { axis: -1 }, out);
    g.graph.node[g.graph.node.length - 1].attribute.push(g.floatAttr("epsilon", config.layerNormEps));
    return ln;
  };
  const linear = (x: string, prefix: string, inDim: number, outDim: number) => {
    const w = g.f32(`${prefix}.weight.T`, [inDim, outDim], transpose(weight(`${prefix}.weight`), outDim, inDim));
    return g.node("Add", [g.node("MatMul", [x, w]), g.f32(`${prefix}.bias`, [outDim], weight(`${prefix}.bias`))]);
  };

  // ---- embeddings: word (+ token type) (+ position), then LayerNorm ----
  const E = "embeddings";
  let x = g.node("Gather", [g.f32(`${E}.word_embeddings.weight`, [config.vocab, H], weight(`${E}.word_embeddings.weight`)), "input_ids"], { axis: 0 });
  if (hasTokenTypes) {
    const table = g.f32(`${E}.token_type_embeddings.weight`, [config.typeVocab, H], weight(`${E}.token_type_embeddings.weight`));
    x = g.node("Add", [x, g.node("Gather", [table, "token_type_ids"], { axis: 0 })]);
  } else if (config.typeVocab > 0) {
    // RoBERTa: token_type_ids default to zeros, so every token adds row 0
    const row0 = weight(`${E}.token_type_embeddings.weight`).subarray(0, H);
    x = g.node("Add", [x, g.f32(`${E}.token_type_embeddings.row0`, [H], row0)]);
  }
  if (config.positionEmbeddingType === "absolute") {
    const table = g.f32(`${E}.position_embeddings.weight`, [config.maxPositions, H], weight(`${E}.position_embeddings.weight`));
    let positionIds: string;
    if (config.architecture === "roberta") {
      // HF create_position_ids_from_input_ids: mask = ids != pad; cumsum(mask) * mask + padding_idx
      const pad = g.i64Scalar("padding_idx", config.padTokenId);
      const notPad = g.node("Cast", [g.node("Not", [g.node("Equal", ["input_ids", pad])])], { to: DataType.INT64 });
      const cum = g.node("CumSum", [notPad, g.i64Scalar("axis_1", 1)]);
      positionIds = g.node("Add", [g.node("Mul", [cum, notPad]), pad], {}, "position_ids");
    } else {
      // positions 0..n-1, shared by every row of the batch
      const n = g.node("Gather", [g.node("Shape", ["input_ids"]), g.i64Scalar("index_1", 1)], { axis: 0 });
      positionIds = g.node("Range", [g.i64Scalar("zero", 0), n, g.i64Scalar("one", 1)], {}, "position_ids");
    }
    x = g.node("Add", [x, g.node("Gather", [table, positionIds], { axis: 0 })]);
  }
  x = layerNorm(x, `${E}.LayerNorm`, "hidden_states.0");

  // ---- extended attention mask: (1 - mask) * float32 min, shape [batch, 1, 1, sequence] ----
  const maskF = g.node("Cast", ["attention_mask"], { to: DataType.FLOAT });
  const inverted = g.node("Sub", [g.f32Scalar("one_f", 1), maskF]);
  const additive = g.node("Mul", [inverted, g.f32Scalar("float32_min", FLOAT32_MIN)]);
  const mask4 = g.node("Unsqueeze", [additive, g.i64("axes_1_2", [1, 2])], {}, "extended_attention_mask");
  const headsShape = g.i64("shape_heads", [0, 0, heads, dh]);
  const mergedShape = g.i64("shape_merged", [0, 0, H]);
  const scale = g.f32Scalar("sqrt_head_size", Math.sqrt(dh));
  const sqrt2 = g.f32Scalar("sqrt_2", Math.SQRT2);
  const oneF = "one_f";
  const half = g.f32Scalar("half", 0.5);

  // ---- post-LN blocks ----
  for (let l = 0; l < config.layers; ++l) {
    const p = `encoder.layer.${l}`;
    const split = (v: string, perm: number[]) => g.node("Transpose", [g.node("Reshape", [v, headsShape])], { perm });
    const q = split(linear(x, `${p}.attention.self.query`, H, H), [0, 2, 1, 3]); // [B, h, S, dh]
    const kT = split(linear(x, `${p}.attention.self.key`, H, H), [0, 2, 3, 1]); // [B, h, dh, S]
    const v = split(linear(x, `${p}.attention.self.value`, H, H), [0, 2, 1, 3]); // [B, h, S, dh]
    const scores = g.node("Add", [g.node("Div", [g.node("MatMul", [q, kT]), scale]), mask4]);
    const probs = g.node("Softmax", [scores], { axis: -1 });
    const context = g.node("Reshape", [g.node("Transpose", [g.node("MatMul", [probs, v])], { perm: [0, 2, 1, 3] }), mergedShape]);
    const attn = linear(context, `${p}.attention.output.dense`, H, H);
    const h = layerNorm(g.node("Add", [attn, x]), `${p}.attention.output.LayerNorm`);
    const inner = linear(h, `${p}.intermediate.dense`, H, I);
    // exact GELU: 0.5 * x * (1 + erf(x / sqrt 2))
    const gelu = g.node("Mul", [g.node("Mul", [inner, g.node("Add", [g.node("Erf", [g.node("Div", [inner, sqrt2])]), oneF])]), half]);
    const ffn = linear(gelu, `${p}.output.dense`, I, H);
    x = layerNorm(g.node("Add", [ffn, h]), `${p}.output.LayerNorm`, `hidden_states.${l + 1}`);
  }
  g.node("Identity", [x], {}, "last_hidden_state");

  const outDims = ["batch", "sequence", H];
  g.graph.output = [
    ...Array.from({ length: config.layers + 1 }, (_, k) => valueInfo(`hidden_states.${k}`, DataType.FLOAT, outDims)),
    valueInfo("last_hidden_state", DataType.FLOAT, outDims),
  ];
  return {
    irVersion: IR_VERSION,
    producerName: "positional-artefacts",
    producerVersion: "0.1.0",
    docString: docString(config),
    graph: g.graph,
    opsetImport: [{ domain: "", version: OPSET }],
    metadataProps: [],
  };
}

function docString(c: ModelConfig): string {
  return `${c.architecture} encoder, ${c.layers} layers x ${c.hidden}, ${c.heads} heads; outputs hidden_states.0..${c.layers} and last_hidden_state`;
}
