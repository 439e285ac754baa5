/**
 * positional-artefacts: the public API. Notebooks, the CLI and tests of public behaviour import from here.
 * Each folder owns one section below; names are listed explicitly (no `export *`).
 */

// model
export type {
  Architecture, ModelConfig, Float32Tensor, LayerNormParams, StaticTensors, EncodedBatch,
} from "./model/types.js";
// -- model exports (model-layer work adds here) --
export { readSafetensors, readSafetensorsHeader, writeSafetensors } from "./model/safetensors.js";
export type { SafetensorsEntry, SafetensorsHeader, StoredDtype } from "./model/safetensors.js";
export { parseConfig, readConfig, maxSequenceLength } from "./model/config.js";
export { loadCheckpoint, staticTensors, expectedTensors } from "./model/checkpoint.js";
export type { Checkpoint, ExpectedTensor } from "./model/checkpoint.js";
export { buildOnnx } from "./model/onnx/build.js";
export { exposeHiddenStates, refuseIfNotAnalysable } from "./model/onnx/surgery.js";
export { exportOnnx, inspectSource } from "./model/export.js";
export type { ExportOptions, ExportResult, SourceInfo } from "./model/export.js";

// analysis
export { toLayerBatches } from "./analysis/batch.js";
export type { LayerBatch } from "./analysis/batch.js";
// -- analysis exports (analyses work adds here) --

// data
// -- data exports --

// figures
// -- figures exports --

// report
// -- report exports --
