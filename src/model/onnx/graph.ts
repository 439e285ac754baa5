/**
 * The ONNX graph accumulator the family modules build on (src/model/families/): nodes with unique
 * value names, float32 and int64 initializers.
 */
import {
  AttributeType, DataType, attributeProto, graphProto, nodeProto, tensorProto,
  type AttributeProto, type GraphProto,
} from "./proto.js";

type Attr = number | number[] | string;

/** Accumulates nodes and initializers with unique value names. */
export class GraphBuilder {
  readonly graph: GraphProto = graphProto({ name: "encoder" });
  private counter = 0;
  private readonly names = new Set<string>();

  /** True when an initializer or a node output already has this name. */
  has(name: string): boolean {
    return this.names.has(name);
  }

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
    this.names.add(output);
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

  /** Adds a float32 initializer; a name already added is returned as is (constants are shared by name). */
  f32(name: string, dims: number[], data: Float32Array): string {
    if (this.names.has(name)) return name;
    this.names.add(name);
    this.graph.initializer.push(tensorProto({ name, dims, dataType: DataType.FLOAT, rawData: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) }));
    return name;
  }

  i64(name: string, values: number[]): string {
    if (this.names.has(name)) return name;
    const data = BigInt64Array.from(values.map(BigInt));
    this.names.add(name);
    this.graph.initializer.push(tensorProto({ name, dims: [values.length], dataType: DataType.INT64, rawData: new Uint8Array(data.buffer) }));
    return name;
  }

  i64Scalar(name: string, value: number): string {
    if (this.names.has(name)) return name;
    const data = BigInt64Array.of(BigInt(value));
    this.names.add(name);
    this.graph.initializer.push(tensorProto({ name, dims: [], dataType: DataType.INT64, rawData: new Uint8Array(data.buffer) }));
    return name;
  }

  f32Scalar(name: string, value: number): string {
    return this.f32(name, [], Float32Array.of(value));
  }
}

/** [rows x cols] row-major to [cols x rows]: torch Linear stores W as [out, in], MatMul needs [in, out]. */
export function transpose(data: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(rows * cols);
  for (let r = 0; r < rows; ++r) for (let c = 0; c < cols; ++c) out[c * rows + r] = data[r * cols + c];
  return out;
}

