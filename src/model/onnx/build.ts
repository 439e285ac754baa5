/**
 * Builds the ONNX graph (opset 17, IR version 8) of an encoder from its checkpoint, with Hugging Face's
 * exact semantics, exposing every layer as transformers' hidden_states: hidden_states.0 (the input of
 * the first block) .. hidden_states.L, and last_hidden_state, float32 [batch, sequence, hidden]. The
 * graph itself comes from the family module (src/model/families/); for pre-LN families hidden_states.L
 * is the output of the final norm, as in transformers, so it equals last_hidden_state.
 *
 * Inputs: input_ids and attention_mask, int64 [batch, sequence]; token_type_ids where the family takes
 * them (BERT and ELECTRA/ALBERT with a token-type table); elsewhere row 0 of the table is a constant.
 *
 * Requested sites (src/model/sites.ts) are extra float32 outputs named after the site, after the hidden
 * states: "tokens" sites [batch, sequence, width], attn_probs [batch, heads, sequence, sequence]. With
 * none requested the graph is byte-identical to the default one (test/model/sites.test.ts).
 */
import type { Checkpoint } from "../checkpoint.js";
import type { ModelConfig, SiteInfo } from "../types.js";
import { familyOf } from "../families/index.js";
import { GraphBuilder } from "./graph.js";
import { applyGraphEdits, type GraphEdit } from "./edits.js";
import { DataType, encodeModel, valueInfo, type ModelProto } from "./proto.js";

export const OPSET = 17;
export const IR_VERSION = 8;
export { FLOAT32_MIN } from "../families/blocks.js";

export interface BuildOptions {
  /** Sites to expose as extra outputs, from resolveSites (src/model/sites.ts); hidden_states sites are outputs already. */
  sites?: readonly SiteInfo[];
  /** Interventions with constant keep/fill (onnx/edits.ts), applied to the built graph; default none. */
  edits?: readonly GraphEdit[];
}

/** Builds the encoder graph of a loaded checkpoint; returns the serialised ModelProto. */
export function buildOnnx(ckpt: Checkpoint, options: BuildOptions = {}): Uint8Array {
  let bytes = 0;
  for (const t of ckpt.weights.values()) bytes += t.data.byteLength;
  // protobuf messages are limited to 2 GiB; larger models need ONNX external data, not written here
  if (bytes > 2 ** 31 - 2 ** 24) {
    throw new RangeError(`${ckpt.dir}: ${(bytes / 2 ** 30).toFixed(2)} GiB of float32 weights exceed the 2 GiB limit of a single ONNX file; models this large are not supported by buildOnnx`);
  }
  return encodeModel(buildOnnxModel(ckpt, options));
}

/** A checkpoint's weights by name, refusing one that was not loaded (shared by every graph built here and in mlm.ts). */
export function weightReader(ckpt: Checkpoint): (name: string) => Float32Array {
  return (name: string) => {
    const t = ckpt.weights.get(name);
    if (!t) throw new Error(`${ckpt.dir}: ${name} is not loaded; load the checkpoint with loadCheckpoint`);
    return t.data;
  };
}

/** The same graph as a ModelProto object (for surgery tests and inspection). */
export function buildOnnxModel(ckpt: Checkpoint, options: BuildOptions = {}): ModelProto {
  const { config } = ckpt;
  const family = familyOf(config.architecture);
  const weight = weightReader(ckpt);
  const g = new GraphBuilder();
  const inputs = ["input_ids", "attention_mask", ...family.extraInputs(config)];
  g.graph.input = inputs.map((n) => valueInfo(n, DataType.INT64, ["batch", "sequence"]));
  const sites = (options.sites ?? []).filter((s) => s.kind !== "hidden_states");
  const last = family.build(sites.length ? { g, config, weight, sites } : { g, config, weight });
  g.node("Identity", [last], {}, "last_hidden_state");
  const H = config.hidden;
  const outDims = ["batch", "sequence", H];
  g.graph.output = [
    ...Array.from({ length: config.layers + 1 }, (_, k) => valueInfo(`hidden_states.${k}`, DataType.FLOAT, outDims)),
    valueInfo("last_hidden_state", DataType.FLOAT, outDims),
    ...sites.map((s) => siteOutput(s, ckpt.dir, g.has(s.name))),
  ];
  if (options.edits?.length) applyGraphEdits(g.graph, options.edits);
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

/** The output of a requested site; a site the family's builder did not expose is a bug in that builder. */
function siteOutput(s: SiteInfo, dir: string, built: boolean) {
  if (!built) throw new Error(`${dir}: the graph builder did not expose site ${s.name} (${s.description}); the family module misses a site() call`);
  const dims = s.layout === "heads" ? ["batch", s.width, "sequence", "sequence"] : ["batch", "sequence", s.width];
  return valueInfo(s.name, DataType.FLOAT, dims);
}

function docString(c: ModelConfig): string {
  return `${c.architecture} encoder, ${c.layers} layers x ${c.hidden}, ${c.heads} heads; outputs hidden_states.0..${c.layers} and last_hidden_state`;
}
