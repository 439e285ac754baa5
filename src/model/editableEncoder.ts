/**
 * One encoder session for every intervention condition: the edit points' keep/fill vectors
 * (onnx/edits.ts) are graph inputs, and withEdits(feeds) gives an Encoder that feeds them. One graph
 * build and one onnxruntime session replace one per condition (interveneDownstream's clean, ablated
 * and random conditions). The hidden states are the same bytes as those of createEncoder with the same
 * edits as constants, and an unedited point (keep 1, fill 0) gives the bytes of an encoder without
 * edits (test/model/editableEncoder.test.ts: SYNTHETIC checkpoints and all-MiniLM-L6-v2).
 */
import { encoderGraph, encoderOver, encoderTokenizer, type Encoder, type EncoderOptions, type EncoderRunner } from "./encoder.js";
import type { EditFeeds } from "./mlm.js";
import { editFeeds } from "./onnx/edits.js";
import { encoderFeeds, encoderOutputs, hiddenStateNames, KernelSession, type KernelFeed } from "./session.js";
import type { SentenceTokenizer } from "./tokenizer.js";

export interface EditableEncoder {
  /** Each edit point (the graph value edited) with the length of its keep and fill vectors. */
  readonly points: ReadonlyMap<string, number>;
  /**
   * An encoder running the shared session with these keep/fill vectors; points left out run unedited.
   * Its dispose() leaves the session open: dispose the EditableEncoder when every condition is done.
   */
  withEdits(edits: EditFeeds): Encoder;
  dispose(): Promise<void>;
}

/**
 * Opens a source (CPU) with edit points at `points` (targets as in editTargets(): hidden_states.K, a
 * site such as ffn_out.2, given in options.sites, or a weight's canonical name) and their widths.
 */
export async function createEditableEncoder(source: string, { points, ...options }: Omit<EncoderOptions, "edits" | "device"> & { points: readonly { target: string; width: number }[] }): Promise<EditableEncoder> {
  if (points.length === 0) throw new RangeError("editable encoder: no edit points; give at least one { target, width } (or use createEncoder)");
  // the graph's bytes are not kept once the session holds it
  const { bytes, inputs, ...graph } = await encoderGraph(source, { ...options, edits: points.map((p) => ({ target: p.target, width: p.width })) });
  const session = await KernelSession.open(bytes, { threads: options.threads, name: `${graph.dir} (editable encoder)` });
  const widths = new Map(points.map((p) => [p.target, p.width]));
  const tokenTypes = inputs().includes("token_type_ids");
  const runner = (edits: EditFeeds): EncoderRunner => {
    const feeds = editFeeds(widths, edits, graph.dir, "encoder");
    return {
      layers: graph.config.layers, threads: session.threads, device: "cpu",
      runWith: (ids, mask, batch, length, extra) => runBatch(session, { ids, mask, batch, length, hidden: graph.config.hidden, layers: graph.config.layers, tokenTypes, edits: feeds }, extra),
      dispose: async () => {},
    };
  };
  let tokenizer: SentenceTokenizer;
  try {
    tokenizer = await encoderTokenizer(graph, options);
  } catch (err) {
    await session.dispose();
    throw err;
  }
  return {
    points: widths,
    withEdits: (edits) => encoderOver(graph, runner(edits), tokenizer, options),
    dispose: () => session.dispose(),
  };
}

interface BatchInput {
  ids: BigInt64Array;
  mask: BigInt64Array;
  batch: number;
  length: number;
  hidden: number;
  layers: number;
  tokenTypes: boolean;
  edits: Record<string, KernelFeed>;
}

/** EncoderSession.runWith's contract on the shared session: the same feeds plus the edit vectors, the same checked outputs. */
async function runBatch(session: KernelSession, b: BatchInput, extra: readonly { name: string; dims: readonly number[] }[]): Promise<{ layers: Float32Array[]; extra: Float32Array[] }> {
  const out = await session.run({ ...encoderFeeds(b.ids, b.mask, b.batch, b.length, b.tokenTypes), ...b.edits }, [...hiddenStateNames(b.layers), ...extra.map((e) => e.name)]);
  return encoderOutputs(session.name, out, b, extra);
}
