/** Static tensors (position table, LayerNorms) read from an ONNX graph's initializers by their Hugging Face names. */
import * as fs from "node:fs";
import { canonicalName } from "./checkpoint.js";
import { familyOf } from "./families/index.js";
import { DataType, decodeModel } from "./onnx/proto.js";
import type { Float32Tensor, ModelConfig, StaticTensors } from "./types.js";

/**
 * The canonical Hugging Face name of an ONNX initializer: its name, or the name after dropping leading
 * module prefixes ("model.", "bert." ...) that exporters wrap around the encoder; null when neither is one.
 */
export function initializerName(name: string, config: ModelConfig): string | null {
  for (let i = -1; i < name.length; i = name.indexOf(".", i + 1)) {
    const canon = canonicalName(name.slice(i + 1), config);
    if (canon) return canon;
    if (name.indexOf(".", i + 1) < 0) break;
  }
  return null;
}

/** Static tensors from an ONNX graph's initializers, found by their Hugging Face names. */
export function onnxStaticTensors(file: string, config: ModelConfig): StaticTensors {
  const graph = decodeModel(fs.readFileSync(file), file).graph;
  const byName = new Map<string, Float32Tensor>();
  for (const t of graph?.initializer ?? []) {
    const canon = t.name ? initializerName(t.name, config) : null;
    if (!canon || t.dataType !== DataType.FLOAT) continue;
    const data = t.rawData && t.rawData.length
      ? new Float32Array(t.rawData.buffer.slice(t.rawData.byteOffset, t.rawData.byteOffset + t.rawData.byteLength))
      : Float32Array.from(t.floatData);
    byName.set(canon, { shape: t.dims.map(Number), data, storedAs: "F32" });
  }
  // ask the family for its static tensors once, recording every name it looks for that is absent
  const missing: string[] = [];
  const family = familyOf(config.architecture);
  const probe = (name: string) => {
    const t = byName.get(name);
    if (!t) {
      missing.push(name);
      const n = name.endsWith(".weight") || name.endsWith(".bias") ? config.hidden : 1;
      return { shape: [1, n], data: new Float32Array(n), storedAs: "F32" as const };
    }
    return t;
  };
  const statics = family.staticTensors(probe, config, file);
  if (missing.length) {
    throw new Error(`${file}: initializers ${missing.slice(0, 4).join(", ")}${missing.length > 4 ? ` and ${missing.length - 4} more` : ""} not found under their Hugging Face names; the export renamed them, so read the static tensors from the Hugging Face folder instead (pass it to createEncoder)`);
  }
  return statics;
}
