/**
 * The encoder: a model source in, batches of every layer's hidden states out (EncodedBatch).
 *
 * A Hugging Face folder is turned into an ONNX graph in memory (build.ts); an ONNX folder has its graph
 * edited to expose every layer (surgery.ts); a hub id is downloaded first (source.ts). Sentences are
 * tokenised lazily in windows, sorted by length within each window (stable) and cut into batches by a
 * token budget (batching.ts), so that a batch holds sentences of equal or near-equal length and padding
 * is small; each batch carries the input index of its rows (consumers restore the caller's order by
 * it), and nothing is kept after it is yielded, so memory stays flat however long the corpus is. The
 * hidden states of a sentence do not depend on the batch it lands in (test/model/batching-exact.test.ts).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { loadCheckpoint, staticTensors as checkpointStaticTensors } from "./checkpoint.js";
import { maxSequenceLength, readConfig } from "./config.js";
import { detectSource } from "./export.js";
import { fileEntry } from "./files.js";
import { buildOnnx } from "./onnx/build.js";
import { decodeModel } from "./onnx/proto.js";
import { exposeHiddenStates, refuseIfNotAnalysable } from "./onnx/surgery.js";
import { EncoderSession, onnxruntimeVersion, resolveDevice, type Device } from "./session.js";
import { resolveSource, type SourceOptions } from "./source.js";
import { SentenceTokenizer, type TokenizedSentence } from "./tokenizer.js";
import { familyOf } from "./families/index.js";
import type { EncodedBatch, ModelConfig, SiteInfo, StaticTensors } from "./types.js";
import { resolveSites } from "./sites.js";
import { checkConstantEdits, editModelBytes, type GraphEdit } from "./onnx/edits.js";
import { dropRows, nonFinitePolicy, nonFiniteRows, type NonFiniteCount, type NonFinitePolicy } from "./finite.js";
import { checkTokenizerAgainstModel } from "./crosscheck.js";
import { onnxStaticTensors } from "./onnxStatics.js";
import { DEFAULT_TOKEN_BUDGET, DEFAULT_WINDOW, lengthOrder, planBatches } from "./batching.js";

export { initializerName, onnxStaticTensors } from "./onnxStatics.js";

export interface EncoderOptions extends SourceOptions {
  /** ORT intra-op threads; defaults to PA_THREADS, else os.availableParallelism(). */
  threads?: number;
  /** onnxruntime execution provider: "cpu" (default) or "cuda" (needs onnxruntime-node's CUDA binaries). */
  device?: Device;
  /** Cap on the sequence length (specials included), below the model's own maximum; default: the model's. */
  maxLength?: number;
  /** Where warnings go (one per distinct message); default: a line on stderr. */
  warn?: (message: string) => void;
  /** Accept NaN/±Infinity in the weights (default false: refused at load, naming tensor and index); for studying broken checkpoints only. */
  allowNonFinite?: boolean;
  /**
   * A non-finite activation (checked in every layer of every batch, real tokens only): "error"
   * (default) stops with its layer, sentence and token; "exclude" drops the sentence from the batch
   * and counts it in provenance().nonFinite.
   */
  nonFinite?: NonFinitePolicy;
  /**
   * Activation sites to expose besides hidden_states (src/model/sites.ts, docs/sites.md): names such as
   * "attn_resid.3" or whole kinds ("attn_probs" = every layer). Each batch then carries sites[name] in the
   * padded layout of `layers`. Needs a Hugging Face folder (the graph is built from the checkpoint).
   */
  sites?: string[];
  /**
   * Interventions (src/model/onnx/edits.ts): values of the graph replaced by value * keep + fill, e.g.
   * dims of hidden_states.3 zeroed; every layer after the edit sees it. Default none.
   */
  edits?: readonly GraphEdit[];
}

export interface EncodeOptions {
  /**
   * Most padded tokens (sentences x the batch's longest length, specials included) per batch; default
   * DEFAULT_TOKEN_BUDGET (1024). A sentence longer than the budget is a batch of its own.
   */
  tokenBudget?: number;
  /** Most sentences per batch, on top of the budget; default none (the budget alone decides). */
  batchSize?: number;
  /** Sentences tokenised and sorted by length together; default DEFAULT_WINDOW (4096). Larger: less padding, more token ids held. */
  window?: number;
  /** Called after each batch with the number of sentences encoded so far and the total. */
  onProgress?: (done: number, total: number) => void;
}

export interface EncoderStats {
  sentences: number;
  /** Real tokens encoded, specials included, padding excluded. */
  tokens: number;
  /** Sentences cut to maxLength. */
  truncated: number;
}

export interface Encoder {
  /** Hub id with revision, or the absolute folder path. */
  readonly id: string;
  readonly config: ModelConfig;
  /** Transformer blocks L; every batch has L + 1 layers. */
  readonly layers: number;
  readonly hidden: number;
  /** Longest sequence, specials included. */
  readonly maxLength: number;
  /** The sites every batch carries (EncoderOptions.sites resolved); empty by default. */
  readonly sites: readonly SiteInfo[];
  /** Position table, token-type table and LayerNorm parameters (paper §3.2). */
  staticTensors(): StaticTensors;
  /** Encodes sentences in length-sorted batches; rows carry sentenceIndex into `sentences`. */
  encode(sentences: string[], options?: EncodeOptions): AsyncGenerator<EncodedBatch>;
  /** Totals over every encode() call. */
  readonly stats: EncoderStats;
  /** Model id, kind, file hashes, dtype, onnxruntime version, threads, maxLength. */
  provenance(): Record<string, unknown>;
  dispose(): Promise<void>;
}

const warned = new Set<string>();
/** Writes each distinct warning once per process (Plot's warn). */
function warnOnce(message: string, sink?: (message: string) => void): void {
  if (warned.has(message)) return;
  warned.add(message);
  (sink ?? ((m: string) => process.stderr.write(`warning: ${m}\n`)))(message);
}

/** Opens a model source (folder or hub id) for encoding. Call dispose() when done. */
export async function createEncoder(source: string, options: EncoderOptions = {}): Promise<Encoder> {
  const device = resolveDevice(options.device ?? "cpu"); // fail before any download or graph build
  nonFinitePolicy(options.nonFinite);
  if (options.edits?.length) checkConstantEdits(options.edits, "edits");
  const parts = await encoderGraph(source, options);
  return encoderFrom(parts, await EncoderSession.open(parts.bytes, { threads: options.threads, device }), options);
}

/** What an encoder runs its padded batches on: an EncoderSession, or a session shared by edit conditions (editableEncoder.ts). */
export interface EncoderRunner {
  readonly layers: number;
  readonly threads: number;
  readonly device: Device;
  runWith(ids: BigInt64Array, mask: BigInt64Array, batch: number, length: number, extra: readonly { name: string; dims: readonly number[] }[]): Promise<{ layers: Float32Array[]; extra: Float32Array[] }>;
  dispose(): Promise<void>;
}

/** An encoder's graph (serialised, edits applied) and what its provenance needs, before any session. */
export interface EncoderGraph {
  id: string;
  dir: string;
  kind: string;
  config: ModelConfig;
  bytes: Uint8Array;
  /** The graph's input names (read from the bytes for an ONNX folder, so only when asked). */
  inputs: () => string[];
  files: { name: string; bytes: number; sha256: string }[];
  dtype: string;
  statics: () => StaticTensors;
  sites: SiteInfo[];
}

/** An encoder's provenance and config without its graph bytes (what an Encoder keeps). */
export type EncoderMeta = Omit<EncoderGraph, "bytes" | "inputs">;

/**
 * Resolves a source and builds its graph with options.sites and options.edits (constant or, for
 * editableEncoder.ts, graph inputs); createEncoder opens it.
 */
export async function encoderGraph(source: string, options: EncoderOptions = {}): Promise<EncoderGraph> {
  const { dir, kind, id } = await resolveSource(source, options);
  if (options.sites?.length && kind !== "hf-folder") {
    throw new Error(`${dir}: sites (${options.sites.slice(0, 3).join(", ")}) need a Hugging Face folder (config.json + model.safetensors): the site outputs are built into the graph from the checkpoint, and this source is a ${kind}; pass the checkpoint folder instead`);
  }
  if (kind === "hf-folder") {
    const ckpt = loadCheckpoint(dir, { allowNonFinite: options.allowNonFinite });
    if (ckpt.unknown.length) {
      const shown = ckpt.unknown.slice(0, 5).join(", ") + (ckpt.unknown.length > 5 ? ` and ${ckpt.unknown.length - 5} more` : "");
      warnOnce(`${dir}: ${ckpt.unknown.length} tensor${ckpt.unknown.length > 1 ? "s" : ""} not used by the ${ckpt.config.architecture} encoder and not a known head or buffer: ${shown}; check that the checkpoint is the family config.json says`, options.warn);
    }
    const config = ckpt.config;
    const sites = resolveSites(config, options.sites ?? []);
    const inputs = ["input_ids", "attention_mask", ...familyOf(config.architecture).extraInputs(config)];
    // keep only the static tensors' arrays alive, not every weight
    const st = checkpointStaticTensors(ckpt);
    // edits go into the graph before it is serialised (no decode/encode round trip of the weights)
    const bytes = buildOnnx(ckpt, { sites, edits: options.edits });
    return { id, dir, kind, config, bytes, inputs: () => inputs, files: ckpt.files, dtype: ckpt.dtype, statics: () => st, sites };
  }
  const modelFile = path.join(dir, detectSource(dir).modelFile!);
  if (!fs.existsSync(path.join(dir, "config.json"))) {
    throw new Error(`${dir}: config.json missing beside ${path.relative(dir, modelFile)}; the encoder needs it for the architecture and maximum length, copy it from the original checkpoint`);
  }
  const config = readConfig(dir);
  const input = fs.readFileSync(modelFile);
  refuseIfNotAnalysable(modelFile, input);
  let bytes = exposeHiddenStates(input, modelFile, { layers: config.layers }).model;
  if (options.edits?.length) bytes = editModelBytes(bytes, options.edits, dir);
  const files = [fileEntry(dir, path.relative(dir, modelFile), input), fileEntry(dir, "config.json")];
  let cached: StaticTensors | undefined;
  const statics = () => (cached ??= onnxStaticTensors(modelFile, config));
  const inputs = () => (decodeModel(bytes, modelFile).graph?.input ?? []).map((i) => i.name ?? "");
  return { id, dir, kind, config, bytes, inputs, files, dtype: "F32", statics, sites: [] };
}

/** The encoder over an opened graph: checks its layers, loads the tokenizer (disposing the runner on failure). */
async function encoderFrom(graph: EncoderGraph, runner: EncoderRunner, options: EncoderOptions): Promise<Encoder> {
  try {
    if (runner.layers !== graph.config.layers) throw new Error(`${graph.dir}: the graph exposes ${runner.layers} layers but config.json says ${graph.config.layers}; re-export the checkpoint with \`artefacts export\``);
    return encoderOver(graph, runner, await encoderTokenizer(graph, options), options);
  } catch (err) {
    await runner.dispose();
    throw err;
  }
}

/** The tokenizer of a graph's folder, capped at options.maxLength and cross-checked against the config. */
export async function encoderTokenizer(graph: EncoderMeta, options: Pick<EncoderOptions, "maxLength"> = {}): Promise<SentenceTokenizer> {
  const tokenizer = await SentenceTokenizer.load(graph.dir, { maxLength: Math.min(maxSequenceLength(graph.config), options.maxLength ?? Infinity) });
  checkTokenizerAgainstModel(tokenizer, graph.config, graph.dir);
  return tokenizer;
}

/** An Encoder running `runner` (whose layers match the config) with a loaded tokenizer; fresh stats. */
export function encoderOver(graph: EncoderMeta, runner: EncoderRunner, tokenizer: SentenceTokenizer, options: Pick<EncoderOptions, "warn" | "nonFinite"> = {}): Encoder {
  return new OnnxEncoder(graph.id, graph.kind, graph.config, runner, tokenizer, graph.files, graph.dtype, graph.statics, options.warn, nonFinitePolicy(options.nonFinite), graph.sites);
}

class OnnxEncoder implements Encoder {
  readonly stats: EncoderStats = { sentences: 0, tokens: 0, truncated: 0 };
  readonly layers: number;
  readonly hidden: number;
  readonly maxLength: number;
  readonly #positionOffset: number;
  readonly #nonFinite: NonFiniteCount;

  constructor(
    readonly id: string,
    private readonly kind: string,
    readonly config: ModelConfig,
    private readonly session: EncoderRunner,
    private readonly tokenizer: SentenceTokenizer,
    private readonly files: { name: string; bytes: number; sha256: string }[],
    private readonly dtype: string,
    private readonly statics: () => StaticTensors,
    private readonly warn?: (message: string) => void,
    policy: NonFinitePolicy = "error",
    readonly sites: readonly SiteInfo[] = [],
  ) {
    this.#nonFinite = { policy, sentences: 0, tokens: 0, first: null };
    this.layers = config.layers;
    this.hidden = config.hidden;
    this.maxLength = tokenizer.maxLength;
    // HF RoBERTa and MPNet number positions from padding_idx + 1
    this.#positionOffset = familyOf(config.architecture).positionOffset(config);
  }

  staticTensors(): StaticTensors {
    return this.statics();
  }

  async *encode(sentences: string[], { tokenBudget = DEFAULT_TOKEN_BUDGET, batchSize, window = DEFAULT_WINDOW, onProgress }: EncodeOptions = {}): AsyncGenerator<EncodedBatch> {
    if (!Array.isArray(sentences)) throw new TypeError(`sentences: expected an array of strings, got ${sentences === null ? "null" : typeof sentences}`);
    if (sentences.length === 0) throw new RangeError("sentences: the list is empty; pass at least one sentence");
    for (let i = 0; i < sentences.length; ++i) {
      if (typeof sentences[i] !== "string") throw new TypeError(`sentences[${i}]: expected a string, got ${sentences[i] === null ? "null" : typeof sentences[i]}`);
    }
    if (batchSize !== undefined && (!Number.isInteger(batchSize) || batchSize < 1)) throw new RangeError(`invalid batchSize: ${JSON.stringify(batchSize)}; expected an integer >= 1 (or leave it out: the token budget decides)`);
    if (!Number.isInteger(tokenBudget) || tokenBudget < 1) throw new RangeError(`invalid tokenBudget: ${JSON.stringify(tokenBudget)}; expected an integer >= 1 (padded tokens per batch)`);
    if (!Number.isInteger(window) || window < 1) throw new RangeError(`invalid window: ${JSON.stringify(window)}; expected an integer >= 1 (sentences sorted by length together)`);
    const total = sentences.length;
    let done = 0;
    for (let start = 0; start < total; start += window) {
      const end = Math.min(total, start + window);
      const tokenized: TokenizedSentence[] = [];
      for (let i = start; i < end; ++i) tokenized.push(this.tokenizer.tokenize(sentences[i]));
      const order = lengthOrder(tokenized.map((t) => t.ids.length));
      const ends = planBatches(order.map((r) => tokenized[r].ids.length), { tokenBudget, maxSentences: batchSize });
      let from = 0;
      for (const to of ends) {
        const rows = order.slice(from, to);
        from = to;
        const batch = await this.#run(rows.map((r) => tokenized[r]), rows.map((r) => start + r));
        done += rows.length;
        onProgress?.(done, total);
        if (batch.batch > 0) yield batch;
      }
    }
  }

  async #run(rows: TokenizedSentence[], sentenceIndex: number[]): Promise<EncodedBatch> {
    const B = rows.length;
    const T = Math.max(...rows.map((r) => r.ids.length));
    const ids = new BigInt64Array(B * T);
    const mask = new BigInt64Array(B * T);
    const inputIds = new Int32Array(B * T).fill(this.tokenizer.padId);
    const attentionMask = new Uint8Array(B * T);
    const positionIds = new Int32Array(B * T).fill(-1);
    const specialMask = new Uint8Array(B * T).fill(1);
    const wordIds = new Int32Array(B * T).fill(-1);
    const truncated: boolean[] = [];
    let truncatedHere = 0;
    let tokens = 0;
    for (let b = 0; b < B; ++b) {
      const r = rows[b];
      const o = b * T;
      inputIds.set(r.ids, o);
      specialMask.set(r.special, o);
      wordIds.set(r.wordIds, o);
      for (let i = 0; i < r.ids.length; ++i) {
        attentionMask[o + i] = 1;
        positionIds[o + i] = this.#positionOffset + i;
        mask[o + i] = 1n;
      }
      tokens += r.ids.length;
      truncated.push(r.truncated);
      if (r.truncated) ++truncatedHere;
    }
    for (let k = 0; k < B * T; ++k) ids[k] = BigInt(inputIds[k]);
    const { layers, extra } = await this.session.runWith(ids, mask, B, T, this.#siteOutputs);
    const hidden = layers[0].length / (B * T);
    if (hidden !== this.hidden) throw new Error(`${this.id}: the graph returns width ${hidden}; config.json hidden size is ${this.hidden}`);
    this.stats.sentences += B;
    this.stats.tokens += tokens;
    this.stats.truncated += truncatedHere;
    if (truncatedHere) {
      warnOnce(`${this.id}: sentences longer than ${this.maxLength} tokens are truncated to ${this.maxLength} (the model's maximum); encoder.stats.truncated counts them`, this.warn);
    }
    const batch: EncodedBatch = {
      sentenceIndex, batch: B, length: T, hidden, layers, inputIds, attentionMask, positionIds, specialMask, wordIds,
      tokenCounts: rows.map((r) => r.ids.length),
      tokens: rows.map((r) => r.tokens),
      truncated,
    };
    if (this.sites.length) batch.sites = siteViews(this.sites, layers, extra);
    return this.#checkFinite(batch);
  }

  /** Every layer of every real token must be finite: stop at the first non-finite value, or drop its sentence (nonFinite "exclude"). */
  #checkFinite(batch: EncodedBatch): EncodedBatch {
    const bad = nonFiniteRows(batch.layers, batch.batch, batch.length, batch.hidden, batch.tokenCounts);
    if (bad.every((x) => x === null)) return batch;
    const count = this.#nonFinite;
    if (count.policy === "error") {
      const b = bad.findIndex((x) => x !== null);
      const { layer, token } = bad[b]!;
      const value = batch.layers[layer][(b * batch.length + token) * batch.hidden + firstBad(batch, layer, b, token)];
      throw new RangeError(`${this.id}: hidden_states.${layer} (layer ${layer}) holds ${value} at sentence ${batch.sentenceIndex[b]} (0-based input index), token ${token} ${JSON.stringify(batch.tokens[b][token])}; the model's weights or inputs make it non-finite, so no statistic would mean anything. Check the checkpoint; to skip such sentences and count them, pass nonFinite: "exclude" (--nonfinite exclude)`);
    }
    bad.forEach((x, b) => {
      if (!x) return;
      count.sentences++;
      count.tokens += batch.tokenCounts[b];
      const first = { sentence: batch.sentenceIndex[b], layer: x.layer, token: x.token };
      if (!count.first || first.sentence < count.first.sentence) count.first = first;
    });
    warnOnce(`${this.id}: sentences with non-finite activations are excluded (nonFinite "exclude"); provenance.nonFinite counts them`, this.warn);
    return dropRows(batch, bad.map((x) => x !== null));
  }

  /** The graph outputs of the requested sites (hidden_states sites are views of `layers`), with their dims. */
  get #siteOutputs(): { name: string; dims: number[] }[] {
    return this.sites.filter((s) => s.kind !== "hidden_states")
      .map((s) => ({ name: s.name, dims: s.layout === "heads" ? [-1, s.width, -2, -2] : [-1, -2, s.width] }));
  }

  provenance(): Record<string, unknown> {
    return {
      model: this.id,
      kind: this.kind,
      architecture: this.config.architecture,
      layers: this.layers,
      hidden: this.hidden,
      files: this.files,
      dtype: this.dtype,
      onnxruntime: onnxruntimeVersion,
      threads: this.session.threads,
      device: this.session.device,
      maxLength: this.maxLength,
      synthetic: this.config.raw.positional_artefacts_synthetic ?? null,
      nonFinite: { ...this.#nonFinite, first: this.#nonFinite.first && { ...this.#nonFinite.first } },
      ...(this.sites.length ? { sites: this.sites.map((s) => s.name) } : {}),
    };
  }

  dispose(): Promise<void> {
    return this.session.dispose();
  }
}

/** EncodedBatch.sites: graph outputs in the order of the non-hidden sites; hidden_states.K is layers[K] itself. */
function siteViews(sites: readonly SiteInfo[], layers: Float32Array[], extra: Float32Array[]): Record<string, Float32Array> {
  const out: Record<string, Float32Array> = {};
  let k = 0;
  for (const s of sites) out[s.name] = s.kind === "hidden_states" ? layers[s.layer] : extra[k++];
  return out;
}

/** Index within the hidden vector of a token's first non-finite value. */
function firstBad(batch: EncodedBatch, layer: number, b: number, token: number): number {
  const o = (b * batch.length + token) * batch.hidden;
  const row = batch.layers[layer].subarray(o, o + batch.hidden);
  return row.findIndex((v) => !Number.isFinite(v));
}
