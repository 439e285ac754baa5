/**
 * The ONNX message schema proto.ts encodes and decodes (onnx.proto, IR version 8): field numbers,
 * names and kinds, as a data table. A field missing here round-trips as raw bytes ($unknown).
 */

export type Scalar = "int64" | "int32" | "float" | "string" | "bytes";
export interface Field { no: number; key: string; kind: Scalar | Schema; repeated?: boolean; packed?: boolean }
export interface Schema { name: string; fields: Field[] }

const S = (name: string, fields: Field[]): Schema => ({ name, fields });
const opsetSchema = S("OperatorSetIdProto", [{ no: 1, key: "domain", kind: "string" }, { no: 2, key: "version", kind: "int64" }]);
const entrySchema = S("StringStringEntryProto", [{ no: 1, key: "key", kind: "string" }, { no: 2, key: "value", kind: "string" }]);
const dimSchema = S("Dimension", [{ no: 1, key: "dimValue", kind: "int64" }, { no: 2, key: "dimParam", kind: "string" }, { no: 3, key: "denotation", kind: "string" }]);
const shapeSchema = S("TensorShapeProto", [{ no: 1, key: "dim", kind: dimSchema, repeated: true }]);
const typeTensorSchema = S("TypeProto.Tensor", [{ no: 1, key: "elemType", kind: "int32" }, { no: 2, key: "shape", kind: shapeSchema }]);
const typeSchema = S("TypeProto", [{ no: 1, key: "tensorType", kind: typeTensorSchema }, { no: 6, key: "denotation", kind: "string" }]);
const valueInfoSchema = S("ValueInfoProto", [{ no: 1, key: "name", kind: "string" }, { no: 2, key: "type", kind: typeSchema }, { no: 3, key: "docString", kind: "string" }]);
const tensorSchema = S("TensorProto", [
  { no: 1, key: "dims", kind: "int64", repeated: true },
  { no: 2, key: "dataType", kind: "int32" },
  { no: 4, key: "floatData", kind: "float", repeated: true, packed: true },
  { no: 5, key: "int32Data", kind: "int32", repeated: true, packed: true },
  { no: 6, key: "stringData", kind: "bytes", repeated: true },
  { no: 7, key: "int64Data", kind: "int64", repeated: true, packed: true },
  { no: 8, key: "name", kind: "string" },
  { no: 9, key: "rawData", kind: "bytes" },
  { no: 12, key: "docString", kind: "string" },
]);
const graphSchema: Schema = S("GraphProto", []);
const attributeSchema = S("AttributeProto", [
  { no: 1, key: "name", kind: "string" },
  { no: 2, key: "f", kind: "float" },
  { no: 3, key: "i", kind: "int64" },
  { no: 4, key: "s", kind: "bytes" },
  { no: 5, key: "t", kind: tensorSchema },
  { no: 6, key: "g", kind: graphSchema },
  { no: 7, key: "floats", kind: "float", repeated: true },
  { no: 8, key: "ints", kind: "int64", repeated: true },
  { no: 9, key: "strings", kind: "bytes", repeated: true },
  { no: 10, key: "tensors", kind: tensorSchema, repeated: true },
  { no: 11, key: "graphs", kind: graphSchema, repeated: true },
  { no: 13, key: "docString", kind: "string" },
  { no: 20, key: "type", kind: "int32" },
  { no: 21, key: "refAttrName", kind: "string" },
]);
const nodeSchema = S("NodeProto", [
  { no: 1, key: "input", kind: "string", repeated: true },
  { no: 2, key: "output", kind: "string", repeated: true },
  { no: 3, key: "name", kind: "string" },
  { no: 4, key: "opType", kind: "string" },
  { no: 5, key: "attribute", kind: attributeSchema, repeated: true },
  { no: 6, key: "docString", kind: "string" },
  { no: 7, key: "domain", kind: "string" },
]);
graphSchema.fields.push(
  { no: 1, key: "node", kind: nodeSchema, repeated: true },
  { no: 2, key: "name", kind: "string" },
  { no: 5, key: "initializer", kind: tensorSchema, repeated: true },
  { no: 10, key: "docString", kind: "string" },
  { no: 11, key: "input", kind: valueInfoSchema, repeated: true },
  { no: 12, key: "output", kind: valueInfoSchema, repeated: true },
  { no: 13, key: "valueInfo", kind: valueInfoSchema, repeated: true },
);
export const modelSchema = S("ModelProto", [
  { no: 1, key: "irVersion", kind: "int64" },
  { no: 2, key: "producerName", kind: "string" },
  { no: 3, key: "producerVersion", kind: "string" },
  { no: 4, key: "domain", kind: "string" },
  { no: 5, key: "modelVersion", kind: "int64" },
  { no: 6, key: "docString", kind: "string" },
  { no: 7, key: "graph", kind: graphSchema },
  { no: 8, key: "opsetImport", kind: opsetSchema, repeated: true },
  { no: 14, key: "metadataProps", kind: entrySchema, repeated: true },
]);
