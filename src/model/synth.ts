/**
 * Writes SYNTHETIC checkpoints: real Hugging Face folders (config.json, model.safetensors, tokenizer
 * files) holding seeded random weights, not trained ones, optionally with a planted positional outlier
 * whose ground truth is recorded in config.json under "positional_artefacts_synthetic".
 *
 * The planted outlier follows the mechanism of paper.md §3.2: a large value of one sign in dimension DIM
 * of the position-embedding row(s) used by the first token, and, in every LayerNorm, a large gain
 * gamma[DIM] with a bias beta[DIM] of the same sign, so that DIM is the argmin ("min") or argmax ("max")
 * of the token vectors at every layer.
 *
 * The planted massive activation ([SEP], one dim, at ffn_resid of a chosen block) and sink head ([CLS])
 * for the sites' measures are set by synthPlant.ts, whose header says how; config.json records them too.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import type { Architecture } from "./types.js";
import { writeSafetensors, type StoredDtype } from "./safetensors.js";
import { synthMlmHead, type SynthHeadRecord } from "./synthHead.js";
import { bytePairFiles, bytePairVocab, WORDPIECE_MIN_VOCAB, wordPieceFiles, wordPieceVocab } from "./synthTokenizer.js";
import { checkPlants, plantMassive, plantSink, type MassiveRecord, type PlantedMassive, type PlantedSink, type SinkRecord } from "./synthPlant.js";

export interface PlantedOutlier {
  dim: number;
  /** "min": DIM is every token's smallest value; "max": its largest. */
  sign: "min" | "max";
}

export interface SynthOptions {
  arch: Architecture;
  layers: number;
  hidden: number;
  heads: number;
  /** FFN width; defaults to 4 x hidden. */
  intermediate?: number;
  /** Vocabulary size; defaults to the synthetic tokenizer's natural size (all its words). */
  vocab?: number;
  /** Rows of the position table (max_position_embeddings); defaults to 128 (130 for roberta: 128 usable). */
  positions?: number;
  /** "absolute" (default) or "none" (no position table; bert and roberta only). */
  positionEmbeddings?: "absolute" | "none";
  seed: number;
  plantOutlier?: PlantedOutlier;
  /** Position-table rows that carry the planted value; defaults to the row of token position 0. */
  plantRows?: number[];
  /** Plant a massive activation: dim on [SEP] at ffn_resid.layer, far above 1000x the median (synthPlant.ts). */
  plantMassive?: PlantedMassive;
  /** Plant a sink head: head (0-based) of block layer attends to [CLS] from every query (synthPlant.ts). */
  plantSink?: PlantedSink;
  /** Stored dtype of model.safetensors; defaults to F32. */
  dtype?: StoredDtype;
  /** Add BertForMaskedLM's head (bert only; default false); with a planted outlier, the head uses it (synthHead.ts). */
  mlmHead?: boolean;
  /** Output folder; must not exist, or be empty, unless `overwrite`. */
  out: string;
  overwrite?: boolean;
}

/** Ground truth recorded in config.json under "positional_artefacts_synthetic". */
export interface SynthRecord {
  synthetic: true;
  note: string;
  seed: number;
  init: { std: number; layerNormGammaStd: number; layerNormBetaStd: number };
  plantedOutlier: null | {
    dim: number;
    sign: "min" | "max";
    /** Position-table rows holding positionValue at dim ([] without a position table). */
    rows: number[];
    positionValue: number;
    /** gamma[dim] and beta[dim] of every LayerNorm. */
    layerNormGamma: number;
    layerNormBeta: number;
  };
  /** Present only when planted. */
  plantedMassive?: MassiveRecord;
  plantedSink?: SinkRecord;
  /** Present only with mlmHead: the head written and what it plants. */
  mlmHead?: SynthHeadRecord;
}

/** Planted magnitudes: the position spike dwarfs N(0, 0.02); beta dominates LN noise (|z| < 6) in every layer. */
export const PLANT = { positionValue: 1, layerNormGamma: 2, layerNormBeta: 16 } as const;
const STD = 0.02; // HF initializer_range
const LN_STD = 0.02;

/** mulberry32: a 32-bit seeded PRNG returning uniforms in [0, 1) (Tommy Ettinger, public domain). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Standard normal deviates from a uniform source by the Box-Muller transform (both values used). */
export function normalSource(uniform: () => number): () => number {
  let spare: number | null = null;
  return () => {
    if (spare !== null) {
      const s = spare;
      spare = null;
      return s;
    }
    let u = 0;
    while (u === 0) u = uniform();
    const r = Math.sqrt(-2 * Math.log(u));
    const theta = 2 * Math.PI * uniform();
    spare = r * Math.sin(theta);
    return r * Math.cos(theta);
  };
}

/** Checks and completes the options; throws RangeError naming the option before anything is written. */
export function resolveSynthOptions(opts: SynthOptions): Required<Omit<SynthOptions, "plantOutlier" | "plantMassive" | "plantSink">> & { plantOutlier: PlantedOutlier | null; plantMassive: PlantedMassive | null; plantSink: PlantedSink | null } {
  const { arch, layers, hidden, heads, seed, out } = opts;
  if (!["bert", "roberta", "distilbert"].includes(arch)) {
    throw new RangeError(`invalid arch: ${JSON.stringify(arch)}; expected one of bert, roberta, distilbert`);
  }
  const int = (v: unknown, name: string, min: number) => {
    if (!Number.isInteger(v) || (v as number) < min) throw new RangeError(`invalid ${name}: ${JSON.stringify(v)}; expected an integer >= ${min}`);
    return v as number;
  };
  int(layers, "layers", 1);
  int(hidden, "hidden", 2);
  int(heads, "heads", 1);
  if (hidden % heads !== 0) throw new RangeError(`invalid heads: ${heads}; hidden ${hidden} must be a multiple of heads`);
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) throw new RangeError(`invalid seed: ${JSON.stringify(seed)}; expected an integer in 0..4294967295`);
  const intermediate = int(opts.intermediate ?? 4 * hidden, "intermediate", 1);
  const positionEmbeddings = opts.positionEmbeddings ?? "absolute";
  if (positionEmbeddings !== "absolute" && positionEmbeddings !== "none") {
    throw new RangeError(`invalid position-embeddings: ${JSON.stringify(positionEmbeddings)}; expected one of absolute, none`);
  }
  if (positionEmbeddings === "none" && arch === "distilbert") {
    throw new RangeError(`invalid position-embeddings: "none"; distilbert always has a position table, use --arch bert or roberta`);
  }
  const offset = arch === "roberta" ? 2 : 0;
  const positions = int(opts.positions ?? 128 + offset, "positions", offset + 2);
  const natural = arch === "roberta" ? bytePairVocab().vocab.length : wordPieceVocab().length;
  const vocab = opts.vocab ?? natural;
  // building the vocabulary once checks its size (cheap)
  if (arch === "roberta") bytePairVocab(vocab);
  else wordPieceVocab(vocab);
  const dtype = opts.dtype ?? "F32";
  if (!["F32", "F16", "BF16"].includes(dtype)) throw new RangeError(`invalid dtype: ${JSON.stringify(dtype)}; expected one of F32, F16, BF16`);
  let plantOutlier: PlantedOutlier | null = null;
  let plantRows: number[] = [];
  if (opts.plantOutlier) {
    const { dim, sign } = opts.plantOutlier;
    if (!Number.isInteger(dim) || dim < 0 || dim >= hidden) throw new RangeError(`invalid plant-outlier: dim ${JSON.stringify(dim)}; expected an integer in 0..${hidden - 1}`);
    if (sign !== "min" && sign !== "max") throw new RangeError(`invalid plant-outlier: sign ${JSON.stringify(sign)}; expected min or max`);
    plantOutlier = { dim, sign };
    if (positionEmbeddings === "absolute") plantRows = opts.plantRows ?? [offset];
    else if (opts.plantRows?.length) throw new RangeError(`invalid plant-rows: ${JSON.stringify(opts.plantRows)}; a model without position embeddings has no rows to plant in`);
    for (const r of plantRows) {
      if (!Number.isInteger(r) || r < 0 || r >= positions) throw new RangeError(`invalid plant-rows: ${JSON.stringify(r)}; expected integers in 0..${positions - 1}`);
    }
    plantRows = [...new Set(plantRows)].sort((a, b) => a - b);
  } else if (opts.plantRows?.length) {
    throw new RangeError(`invalid plant-rows: ${JSON.stringify(opts.plantRows)}; plant-rows needs --plant-outlier`);
  }
  const mlmHead = opts.mlmHead ?? false;
  if (mlmHead && arch !== "bert") throw new RangeError(`invalid mlm-head: the synthetic masked-LM head is BertForMaskedLM's; use --arch bert`);
  if (typeof out !== "string" || out === "") throw new RangeError(`invalid out: ${JSON.stringify(out)}; expected a folder path`);
  checkPlants({ arch, layers, hidden, heads, intermediate }, opts.plantMassive, opts.plantSink, plantOutlier !== null);
  return {
    arch, layers, hidden, heads, intermediate, vocab, positions, positionEmbeddings, seed, plantOutlier, plantRows, dtype, out, mlmHead,
    plantMassive: opts.plantMassive ? { ...opts.plantMassive } : null, plantSink: opts.plantSink ? { ...opts.plantSink } : null,
    overwrite: opts.overwrite ?? false,
  };
}

/**
 * Writes a SYNTHETIC Hugging Face checkpoint folder (seeded random weights, not trained) and returns its
 * absolute path. The same options give byte-identical files. The folder is written under a temporary
 * name and renamed, so a failure leaves nothing under `out`.
 */
export async function synthesize(options: SynthOptions): Promise<string> {
  const o = resolveSynthOptions(options);
  const out = path.resolve(o.out);
  if (fs.existsSync(out)) {
    const entries = fs.statSync(out).isDirectory() ? fs.readdirSync(out) : null;
    if (entries === null) throw new Error(`${out}: exists and is not a folder; choose another --out`);
    if (entries.length && !o.overwrite) throw new Error(`${out}: folder exists and is not empty; choose another --out or pass --force`);
    // --force replaces only an earlier synthetic checkpoint, never an arbitrary folder
    if (entries.length && !isSynthFolder(out)) {
      throw new Error(`${out}: folder is not a checkpoint written by \`artefacts synth\` (no "positional_artefacts_synthetic" in config.json); refusing to replace it, choose another --out or remove it yourself`);
    }
  }
  const files = synthFiles(o);
  fs.mkdirSync(path.dirname(out), { recursive: true });
  const tmp = `${out}.tmp-${process.pid}-${Date.now()}`;
  try {
    fs.mkdirSync(tmp);
    for (const [name, text] of Object.entries(files.text)) fs.writeFileSync(path.join(tmp, name), text);
    writeSafetensors(path.join(tmp, "model.safetensors"), files.tensors, { format: "pt" });
    fs.rmSync(out, { recursive: true, force: true });
    fs.renameSync(tmp, out);
  } catch (err) {
    fs.rmSync(tmp, { recursive: true, force: true });
    throw err;
  }
  return out;
}

/** True when dir/config.json records a synthetic checkpoint. */
function isSynthFolder(dir: string): boolean {
  try {
    return JSON.parse(fs.readFileSync(path.join(dir, "config.json"), "utf8")).positional_artefacts_synthetic?.synthetic === true;
  } catch {
    return false;
  }
}

type TensorMap = Record<string, { shape: number[]; data: Float32Array; dtype?: StoredDtype }>;

/** Builds every file of the checkpoint in memory (text files and tensors), in a fixed order. */
export function synthFiles(o: ReturnType<typeof resolveSynthOptions>): { text: Record<string, string>; tensors: TensorMap; record: SynthRecord } {
  const { arch, layers, hidden: D, heads, intermediate: F, vocab: V, positions: P, dtype } = o;
  const roberta = arch === "roberta";
  const distil = arch === "distilbert";
  const padId = roberta ? 1 : 0;
  const offset = roberta ? padId + 1 : 0;
  const maxLength = P - offset;
  const normal = normalSource(mulberry32(o.seed));
  const tensors: TensorMap = {};
  const rand = (name: string, shape: number[], std = STD, mean = 0) => {
    const data = new Float32Array(shape.reduce((a, b) => a * b, 1));
    for (let i = 0; i < data.length; ++i) data[i] = mean + std * normal();
    tensors[name] = { shape, data, dtype };
    return data;
  };
  const layerNorm = (prefix: string) => {
    const gamma = rand(`${prefix}.weight`, [D], LN_STD, 1);
    const beta = rand(`${prefix}.bias`, [D], LN_STD);
    const p = o.plantOutlier;
    if (p) {
      const s = p.sign === "min" ? -1 : 1;
      gamma[p.dim] = PLANT.layerNormGamma;
      beta[p.dim] = s * PLANT.layerNormBeta;
    }
  };
  const linear = (prefix: string, outF: number, inF: number) => {
    rand(`${prefix}.weight`, [outF, inF]);
    rand(`${prefix}.bias`, [outF]);
  };

  // embeddings
  const word = rand("embeddings.word_embeddings.weight", [V, D]);
  word.fill(0, padId * D, (padId + 1) * D); // HF zeroes the padding row
  if (o.positionEmbeddings === "absolute") {
    const pos = rand("embeddings.position_embeddings.weight", [P, D]);
    if (roberta) pos.fill(0, padId * D, (padId + 1) * D); // RoBERTa's position table also has padding_idx
    const p = o.plantOutlier;
    if (p) for (const r of o.plantRows) pos[r * D + p.dim] = (p.sign === "min" ? -1 : 1) * PLANT.positionValue;
  }
  if (!distil) rand("embeddings.token_type_embeddings.weight", [roberta ? 1 : 2, D]);
  layerNorm("embeddings.LayerNorm");

  for (let l = 0; l < layers; ++l) {
    if (distil) {
      const b = `transformer.layer.${l}`;
      for (const n of ["q_lin", "k_lin", "v_lin", "out_lin"]) linear(`${b}.attention.${n}`, D, D);
      layerNorm(`${b}.sa_layer_norm`);
      linear(`${b}.ffn.lin1`, F, D);
      linear(`${b}.ffn.lin2`, D, F);
      layerNorm(`${b}.output_layer_norm`);
    } else {
      const b = `encoder.layer.${l}`;
      for (const n of ["query", "key", "value"]) linear(`${b}.attention.self.${n}`, D, D);
      linear(`${b}.attention.output.dense`, D, D);
      layerNorm(`${b}.attention.output.LayerNorm`);
      linear(`${b}.intermediate.dense`, F, D);
      linear(`${b}.output.dense`, D, F);
      layerNorm(`${b}.output.LayerNorm`);
    }
  }
  if (!distil) linear("pooler.dense", D, D);
  const head = o.mlmHead ? synthMlmHead(D, V, WORDPIECE_MIN_VOCAB, o.plantOutlier, word, rand) : null;

  const record = synthRecord(o);
  if (head) record.mlmHead = head;
  // after every random draw, so the other weights are the unplanted checkpoint's
  const special = (token: string) => ({ token, id: roberta ? bytePairVocab(V).vocab.indexOf(token) : wordPieceVocab(V).indexOf(token) });
  if (o.plantMassive) record.plantedMassive = plantMassive(tensors, o, o.plantMassive, special(roberta ? "</s>" : "[SEP]"));
  if (o.plantSink) record.plantedSink = plantSink(tensors, o, o.plantSink, special(roberta ? "<s>" : "[CLS]"));
  const config = synthConfig(o, record);
  const readme = synthReadme(o, record);
  return {
    text: { "config.json": JSON.stringify(config, null, 2) + "\n", ...synthTokenizerFiles(arch, V, maxLength), "README.md": readme },
    tensors,
    record,
  };
}

type Resolved = ReturnType<typeof resolveSynthOptions>;

/** The tokenizer files: byte-level BPE for RoBERTa, WordPiece for BERT and DistilBERT. */
function synthTokenizerFiles(arch: Resolved["arch"], vocabSize: number, maxLength: number): Record<string, string> {
  if (arch === "roberta") {
    const { vocab, merges } = bytePairVocab(vocabSize);
    return bytePairFiles(vocab, merges, maxLength);
  }
  return wordPieceFiles(wordPieceVocab(vocabSize), maxLength, arch === "distilbert" ? "DistilBertTokenizer" : "BertTokenizer");
}

/** What the checkpoint records about itself (config.json's positional_artefacts_synthetic). */
function synthRecord(o: Resolved): SynthRecord {
  return {
    synthetic: true,
    note: "SYNTHETIC checkpoint written by `artefacts synth`: seeded random weights, not trained",
    seed: o.seed,
    init: { std: STD, layerNormGammaStd: LN_STD, layerNormBetaStd: LN_STD },
    plantedOutlier: o.plantOutlier && {
      dim: o.plantOutlier.dim,
      sign: o.plantOutlier.sign,
      rows: o.plantRows,
      positionValue: (o.plantOutlier.sign === "min" ? -1 : 1) * PLANT.positionValue,
      layerNormGamma: PLANT.layerNormGamma,
      layerNormBeta: (o.plantOutlier.sign === "min" ? -1 : 1) * PLANT.layerNormBeta,
    },
  };
}

/** config.json of the architecture, as transformers writes it, with the synthetic record. */
function synthConfig(o: Resolved, record: SynthRecord): Record<string, unknown> {
  const { arch, layers, hidden: D, heads, intermediate: F, vocab: V, positions: P, dtype } = o;
  const roberta = arch === "roberta";
  const padId = roberta ? 1 : 0;
  const torchDtype = { F32: "float32", F16: "float16", BF16: "bfloat16" }[dtype];
  let config: Record<string, unknown>;
  if (arch === "distilbert") {
    config = {
      architectures: ["DistilBertModel"], model_type: "distilbert",
      activation: "gelu", attention_dropout: 0.1, dim: D, dropout: 0.1, hidden_dim: F, initializer_range: STD,
      max_position_embeddings: P, n_heads: heads, n_layers: layers, pad_token_id: padId, qa_dropout: 0.1,
      seq_classif_dropout: 0.2, sinusoidal_pos_embds: false, tie_weights_: true, torch_dtype: torchDtype, vocab_size: V,
    };
  } else {
    config = {
      architectures: [roberta ? "RobertaModel" : o.mlmHead ? "BertForMaskedLM" : "BertModel"], model_type: arch,
      attention_probs_dropout_prob: 0.1,
      ...(roberta ? { bos_token_id: 0, eos_token_id: 2 } : {}),
      hidden_act: "gelu", hidden_dropout_prob: 0.1, hidden_size: D, initializer_range: STD, intermediate_size: F,
      layer_norm_eps: roberta ? 1e-5 : 1e-12, max_position_embeddings: P, num_attention_heads: heads,
      num_hidden_layers: layers, pad_token_id: padId, position_embedding_type: o.positionEmbeddings,
      torch_dtype: torchDtype, type_vocab_size: roberta ? 1 : 2, vocab_size: V,
    };
  }
  config.positional_artefacts_synthetic = record;

  return config;
}

/** The checkpoint's README: what it is and what was planted. */
function synthReadme(o: Resolved, record: SynthRecord): string {
  const { arch, layers, hidden: D, heads, vocab: V, positions: P } = o;
  return (
    `# SYNTHETIC ${arch} checkpoint\n\nWritten by \`artefacts synth\` (positional-artefacts) with seed ${o.seed}: ` +
    `seeded random weights, NOT a trained model. ${layers} layers x ${D} hidden, ${heads} heads, vocab ${V}, ` +
    `${P} position rows.` +
    (record.plantedOutlier
      ? ` Planted outlier: dimension ${record.plantedOutlier.dim} (${record.plantedOutlier.sign}), position rows ` +
        `[${record.plantedOutlier.rows.join(", ")}].`
      : " No planted outlier.") +
    (record.plantedMassive ? ` Planted massive activation: dim ${record.plantedMassive.dim} of ${record.plantedMassive.token} at ${record.plantedMassive.site}.` : "") +
    (record.plantedSink ? ` Planted sink: head ${record.plantedSink.head} of block ${record.plantedSink.layer} attends to ${record.plantedSink.token}.` : "") +
    "\n"
  );
}
