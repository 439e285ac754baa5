/**
 * Loads a Hugging Face checkpoint folder (config.json + model.safetensors, or sharded safetensors with
 * model.safetensors.index.json) into float32 weights under canonical names, checked against the config.
 *
 * Canonical names are each family module's (src/model/families/): BertModel's without a prefix for the
 * BERT layout ("embeddings.word_embeddings.weight", "encoder.layer.3.attention.self.query.weight" ...),
 * onto which RoBERTa ("roberta.") and DistilBERT ("distilbert.", q_lin, sa_layer_norm ...) keys are
 * mapped; the base model's own names without its prefix for the other families.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { readConfig } from "./config.js";
import type { ExpectedTensor } from "./families/family.js";
import { familyOf } from "./families/index.js";
import { fileEntry } from "./files.js";
import { readSafetensorsHeader, readSafetensors, type StoredDtype } from "./safetensors.js";
import type { Float32Tensor, ModelConfig, StaticTensors } from "./types.js";

export interface Checkpoint {
  dir: string;
  config: ModelConfig;
  /** float32 weights under canonical BertModel names (see the file comment). */
  weights: Map<string, Float32Tensor>;
  /** The stored dtype of most weight values. */
  dtype: StoredDtype;
  /** config.json and the weight files, with sizes and SHA-256 (for provenance). */
  files: { name: string; bytes: number; sha256: string }[];
}

export type { ExpectedTensor };

/** Every tensor the encoder graph needs for this config, in a stable order (the family module's list). */
export function expectedTensors(config: ModelConfig): ExpectedTensor[] {
  return familyOf(config.architecture).expectedTensors(config);
}

/**
 * The canonical name of a checkpoint key, or null for keys the encoder does not use (heads such as
 * cls.*, lm_head.*, vocab_*, pooler.*, and buffers such as position_ids).
 */
export function canonicalName(key: string, config: ModelConfig): string | null {
  return familyOf(config.architecture).canonicalName(key, config);
}

/** The safetensors files of a folder: model.safetensors, or the shards an index file lists. */
function weightFiles(dir: string): string[] {
  const single = path.join(dir, "model.safetensors");
  if (fs.existsSync(single)) return [single];
  const indexFile = path.join(dir, "model.safetensors.index.json");
  if (fs.existsSync(indexFile)) {
    let index: { weight_map?: Record<string, string> };
    try {
      index = JSON.parse(fs.readFileSync(indexFile, "utf8"));
    } catch (err) {
      throw new Error(`${indexFile}: not valid JSON (${(err as Error).message}); fix or re-download it`, { cause: err });
    }
    if (!index.weight_map || typeof index.weight_map !== "object") {
      throw new Error(`${indexFile}: weight_map is missing; fix or re-download it`);
    }
    const shards = [...new Set(Object.values(index.weight_map))].sort();
    return shards.map((s) => path.join(dir, s));
  }
  const bin = fs.existsSync(path.join(dir, "pytorch_model.bin"));
  throw new Error(`${dir}: no model.safetensors or model.safetensors.index.json${bin ? " (only pytorch_model.bin, which is not read)" : ""}; save the checkpoint with safetensors (save_pretrained(..., safe_serialization=True))`);
}


const fmt = (shape: number[]) => `[${shape.join(",")}]`;

/** Tensor problems listed one by one before "... and N more". */
const MAX_LISTED = 12;

/**
 * The config-vs-weights cross-check in a few lines: how many blocks the weights hold against the
 * layer count, and the embedding tables' shapes (vocabulary, width, positions) against the fields
 * that set them. Empty when those agree (the problem is then in single tensors).
 */
function sizeSummary(config: ModelConfig, expected: ExpectedTensor[], where: Map<string, { key: string; shape: number[] }>, file: string): string[] {
  const lines: string[] = [];
  const layerOf = (name: string) => /(?:^|\.)layers?\.(\d+)\./.exec(name)?.[1];
  const wanted = new Set(expected.map((x) => layerOf(x.name)).filter((x) => x !== undefined));
  if (wanted.size > 0) {
    const found = new Set([...where.keys()].map(layerOf).filter((x) => x !== undefined));
    if (found.size !== wanted.size) {
      const field = familyOf(config.architecture).fields.layers;
      lines.push(`summary: config.json ${field} is ${config.layers} but ${file} holds ${found.size} block${found.size === 1 ? "" : "s"}; set ${field} to ${found.size} or use the matching weights`);
    }
  }
  for (const x of expected.filter((t) => /(word|tok|position|token_type)_embeddings\.weight$|rel_embeddings\.weight$|relative_attention_bias\.weight$/.test(t.name))) {
    const w = where.get(x.name);
    if (w && (w.shape.length !== x.shape.length || w.shape.some((d, i) => d !== x.shape[i]))) {
      lines.push(`summary: ${w.key} is ${fmt(w.shape)} but ${x.because} expect ${fmt(x.shape)}`);
    }
  }
  return lines;
}

/**
 * Loads and checks a checkpoint folder. Every needed tensor's presence and shape is checked against
 * config.json before any weight is read, and all problems are reported in one error.
 */
export function loadCheckpoint(dir: string): Checkpoint {
  const config = readConfig(dir);
  const files = weightFiles(dir);
  // canonical name -> where it is stored
  const where = new Map<string, { file: string; key: string; shape: number[]; dtype: string }>();
  const problems: string[] = [];
  for (const file of files) {
    if (!fs.existsSync(file)) { problems.push(`${path.basename(file)} is listed in model.safetensors.index.json but missing; re-download it`); continue; }
    for (const e of readSafetensorsHeader(file).entries) {
      const canon = canonicalName(e.name, config);
      if (!canon) continue;
      const prev = where.get(canon);
      if (prev) { problems.push(`${path.basename(file)}: ${e.name} duplicates ${prev.key} in ${path.basename(prev.file)}; remove one`); continue; }
      where.set(canon, { file, key: e.name, shape: e.shape, dtype: e.dtype });
    }
  }
  const expected = expectedTensors(config);
  const fileLabel = files.length === 1 ? path.basename(files[0]) : "model.safetensors.index.json";
  for (const x of expected) {
    const w = where.get(x.name);
    if (!w) { problems.push(`${fileLabel}: ${x.name} is missing (expected shape ${fmt(x.shape)} from ${x.because})`); continue; }
    if (w.shape.length !== x.shape.length || w.shape.some((d, i) => d !== x.shape[i])) {
      problems.push(`${path.basename(w.file)}: ${w.key} has shape ${fmt(w.shape)}, expected ${fmt(x.shape)} from ${x.because}`);
    }
    if (w.dtype !== "F32" && w.dtype !== "F16" && w.dtype !== "BF16") {
      problems.push(`${path.basename(w.file)}: ${w.key} has dtype ${w.dtype}; only F32, F16 and BF16 are supported, save the checkpoint in float32`);
    }
  }
  if (problems.length) {
    // one summary of the sizes that disagree first, then at most MAX_LISTED tensor lines
    const summary = sizeSummary(config, expected, where, fileLabel);
    const listed = problems.length > MAX_LISTED ? [...problems.slice(0, MAX_LISTED), `... and ${problems.length - MAX_LISTED} more tensor problems of the same kind`] : problems;
    throw new Error(`${dir}: the checkpoint does not match config.json; use the config.json saved with these weights, or re-save the checkpoint:\n  ${[...summary, ...listed].join("\n  ")}`);
  }

  const needed = new Set(expected.map((x) => x.name));
  const weights = new Map<string, Float32Tensor>();
  const count: Record<string, number> = { F32: 0, F16: 0, BF16: 0 };
  for (const file of files) {
    const keys = new Set<string>();
    for (const [canon, w] of where) if (w.file === file && needed.has(canon)) keys.add(w.key);
    if (!keys.size) continue;
    const { tensors } = readSafetensors(file, { only: (k) => keys.has(k) });
    for (const [key, t] of tensors) {
      weights.set(canonicalName(key, config)!, t);
      count[t.storedAs] += t.data.length;
    }
  }
  const dtype = (Object.keys(count) as StoredDtype[]).reduce((a, b) => (count[b] > count[a] ? b : a), "F32");
  const hashed = [path.join(dir, "config.json"), ...files].map((f) => fileEntry(dir, path.relative(dir, f)));
  return { dir, config, weights, dtype, files: hashed };
}

/** The static tensors the analyses read (position tables, token-type table, norm gains and biases). */
export function staticTensors(ckpt: Checkpoint): StaticTensors {
  return familyOf(ckpt.config.architecture).staticTensors((name) => ckpt.weights.get(name), ckpt.config, ckpt.dir);
}
