/**
 * A masked language model as one ONNX graph: the encoder of a Hugging Face folder, its masked-LM head
 * (heads.ts) on the rows asked for, and optional edit points (onnx/edits.ts) whose keep/fill vectors
 * are graph inputs, so one session scores every intervention condition without copying weights.
 *
 * Activation sites (src/model/sites.ts) named as edit points are built into the graph and edited where
 * the graph reads them.
 *
 * Inputs: input_ids, attention_mask (+ token_type_ids where the family takes them), int64 [batch,
 * sequence]; mlm_positions int64 [M], flat indices b * sequence + t of the tokens to score; for each
 * edit point, edit.<target>.keep and edit.<target>.fill, float32 [width]. Outputs: logits [M, vocab],
 * hidden_states.0..L, and every activation edit target.
 */
import { loadCheckpoint, type Checkpoint } from "./checkpoint.js";
import { maxSequenceLength, readConfig } from "./config.js";
import { familyOf } from "./families/index.js";
import { buildMlmHead, loadMlmHead, type MlmHead } from "./heads.js";
import { applyGraphEdits, editFeeds } from "./onnx/edits.js";
import { IR_VERSION, OPSET, weightReader } from "./onnx/build.js";
import { GraphBuilder } from "./onnx/graph.js";
import { DataType, encodeModel, valueInfo } from "./onnx/proto.js";
import { listSites } from "./sites.js";
import { KernelSession, type KernelFeed } from "./session.js";
import { resolveSource, type SourceOptions } from "./source.js";
import { SentenceTokenizer, type TokenizedSentence } from "./tokenizer.js";
import type { ModelConfig } from "./types.js";

export interface MaskedLmOptions extends SourceOptions {
  /** ORT intra-op threads; defaults to PA_THREADS, else the machine's parallelism. */
  threads?: number;
  /** Values whose keep/fill become graph inputs (hidden_states.K, a weight's canonical name); default none. */
  editPoints?: readonly string[];
  /** Cap on the sequence length (specials included); default the model's. */
  maxLength?: number;
}

/** keep and fill vectors of one edit point for one run (omitted points run unedited). */
export type EditFeeds = ReadonlyMap<string, { keep: Float32Array; fill: Float32Array }>;

/** One padded batch to score: token ids per row and, per row, the token indices whose logits are wanted. */
export interface MlmBatch {
  ids: readonly Int32Array[];
  positions: readonly (readonly number[])[];
}

export class MaskedLm {
  private constructor(
    /** The absolute folder path (or hub id with revision). */
    readonly id: string,
    readonly config: ModelConfig,
    readonly head: Pick<MlmHead, "className" | "tied" | "keys">,
    readonly tokenizer: SentenceTokenizer,
    /** The mask token's id. */
    readonly maskId: number,
    /** Each edit point with its width. */
    readonly editPoints: ReadonlyMap<string, number>,
    readonly files: Checkpoint["files"],
    private readonly session: KernelSession,
    private readonly tokenTypes: boolean,
  ) {}

  /** Opens a Hugging Face folder with its masked-LM head; throws naming the missing head tensors. */
  static async open(source: string, options: MaskedLmOptions = {}): Promise<MaskedLm> {
    const { dir, kind, id } = await resolveSource(source, options);
    if (kind !== "hf-folder") throw new Error(`${dir}: an ONNX folder has no masked-LM head the toolkit can read; pass the Hugging Face folder (config.json + model.safetensors with the head)`);
    // the head first: a folder without one fails before the encoder's weights are read
    const head = loadMlmHead(dir, readConfig(dir));
    const ckpt = loadCheckpoint(dir);
    const points = resolveEditPoints(ckpt, options.editPoints ?? []);
    const bytes = buildMlmGraph(ckpt, head, points);
    const tokenizer = await SentenceTokenizer.load(dir, { maxLength: Math.min(maxSequenceLength(ckpt.config), options.maxLength ?? Infinity) });
    const maskId = tokenizer.maskId;
    if (maskId === null) throw new Error(`${dir}: the tokenizer has no mask token (tokenizer_config.json mask_token); the masked-LM loss needs one`);
    const session = await KernelSession.open(bytes, { threads: options.threads, name: `${dir} (masked LM)` });
    const tokenTypes = familyOf(ckpt.config.architecture).extraInputs(ckpt.config).includes("token_type_ids");
    return new MaskedLm(id, ckpt.config, { className: head.className, tied: head.tied, keys: head.keys }, tokenizer, maskId, points, ckpt.files, session, tokenTypes);
  }

  tokenize(sentence: string): TokenizedSentence {
    return this.tokenizer.tokenize(sentence);
  }

  /**
   * Runs one padded batch; returns the logits of the asked-for tokens, row-major [M x vocab] in row
   * then position order, and the requested other outputs (ORT's buffers).
   */
  async run(batch: MlmBatch, edits: EditFeeds = new Map(), fetch: readonly string[] = []): Promise<{ logits: Float32Array; outputs: Record<string, { data: Float32Array; dims: number[] }> }> {
    const B = batch.ids.length;
    const T = Math.max(...batch.ids.map((r) => r.length));
    const ids = new BigInt64Array(B * T).fill(BigInt(this.tokenizer.padId));
    const mask = new BigInt64Array(B * T);
    const positions: bigint[] = [];
    for (let b = 0; b < B; ++b) {
      const r = batch.ids[b];
      for (let t = 0; t < r.length; ++t) { ids[b * T + t] = BigInt(r[t]); mask[b * T + t] = 1n; }
      for (const t of batch.positions[b]) {
        if (!(t >= 0 && t < r.length)) throw new RangeError(`masked LM: position ${t} is outside row ${b} (${r.length} tokens)`);
        positions.push(BigInt(b * T + t));
      }
    }
    const feeds: Record<string, KernelFeed> = {
      ...editFeeds(this.editPoints, edits, "masked LM", "graph"),
      input_ids: { type: "int64", data: ids, dims: [B, T] },
      attention_mask: { type: "int64", data: mask, dims: [B, T] },
      mlm_positions: { type: "int64", data: BigInt64Array.from(positions), dims: [positions.length] },
    };
    if (this.tokenTypes) feeds.token_type_ids = { type: "int64", data: new BigInt64Array(B * T), dims: [B, T] };
    const out = await this.session.run(feeds, ["logits", ...fetch]);
    const { logits, ...outputs } = out;
    return { logits: logits.data, outputs };
  }

  dispose(): Promise<void> {
    return this.session.dispose();
  }
}

/** Checks each edit point against the checkpoint: hidden_states.0..L or a loaded weight; returns widths. */
function resolveEditPoints(ckpt: Checkpoint, points: readonly string[]): Map<string, number> {
  const out = new Map<string, number>();
  const L = ckpt.config.layers;
  const sites = listSites(ckpt.config);
  for (const p of points) {
    const m = /^hidden_states\.(\d+)$/.exec(p);
    const site = sites.find((s) => s.name === p && s.layout === "tokens");
    if (m && Number(m[1]) <= L) out.set(p, ckpt.config.hidden);
    else if (site) out.set(p, site.width);
    else if (ckpt.weights.has(p)) out.set(p, ckpt.weights.get(p)!.shape.at(-1)!);
    else throw new RangeError(`invalid edit point: ${JSON.stringify(p)}; expected hidden_states.0..hidden_states.${L}, a token site such as ${sites.find((s) => s.kind === "attn_resid")?.name ?? sites[1]?.name ?? "attn_out.1"} (src/model/sites.ts) or the canonical name of a loaded weight (e.g. embeddings.LayerNorm.weight)`);
  }
  return out;
}

/** The encoder + head graph with edit points (see the file comment); serialised. */
export function buildMlmGraph(ckpt: Checkpoint, head: MlmHead, points: ReadonlyMap<string, number>): Uint8Array {
  const { config } = ckpt;
  const family = familyOf(config.architecture);
  const weight = weightReader(ckpt);
  const g = new GraphBuilder();
  const inputs = ["input_ids", "attention_mask", ...family.extraInputs(config)];
  g.graph.input = inputs.map((n) => valueInfo(n, DataType.INT64, ["batch", "sequence"]));
  g.graph.input.push(valueInfo("mlm_positions", DataType.INT64, ["rows"]));
  const sites = listSites(config).filter((s) => s.kind !== "hidden_states" && points.has(s.name));
  const last = family.build(sites.length ? { g, config, weight, sites } : { g, config, weight });
  const H = config.hidden;
  const flat = g.node("Reshape", [last, g.i64("shape_rows_hidden", [-1, H])]);
  buildMlmHead(g, g.node("Gather", [flat, "mlm_positions"], { axis: 0 }), head, config);
  applyGraphEdits(g.graph, [...points].map(([target, width]) => ({ target, width })));
  const hiddenDims = ["batch", "sequence", H];
  g.graph.output = [
    valueInfo("logits", DataType.FLOAT, ["rows", config.vocab]),
    ...Array.from({ length: config.layers + 1 }, (_, k) => valueInfo(`hidden_states.${k}`, DataType.FLOAT, hiddenDims)),
  ];
  // every other edit point is an output too (its clean value gives mean-ablation fills); shape left to ORT
  for (const target of points.keys()) {
    if (!/^hidden_states\.\d+$/.test(target)) g.graph.output.push({ name: target, type: { tensorType: { elemType: DataType.FLOAT } } });
  }
  return encodeModel({
    irVersion: IR_VERSION, producerName: "positional-artefacts", producerVersion: "0.1.0",
    docString: `${head.className}: ${config.architecture} encoder, ${config.layers} layers x ${H}, masked-LM head; edit points ${[...points.keys()].join(", ") || "none"}`,
    graph: g.graph, opsetImport: [{ domain: "", version: OPSET }], metadataProps: [],
  });
}
