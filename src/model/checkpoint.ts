/**
 * Loads a Hugging Face checkpoint folder (config.json + model.safetensors, or sharded safetensors with
 * model.safetensors.index.json) into float32 weights under canonical names, checked against the config.
 *
 * Canonical names are BertModel's without a prefix ("embeddings.word_embeddings.weight",
 * "encoder.layer.3.attention.self.query.weight" ...). RoBERTa ("roberta.") and DistilBERT
 * ("distilbert.", q_lin, sa_layer_norm, ffn.lin1 ...) keys are mapped onto them; DistilBERT's block has
 * the same post-LN structure as BERT's, so one graph builder serves all three.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { readConfig } from "./config.js";
import type { ExpectedTensor } from "./families/family.js";
import { familyOf } from "./families/index.js";
import { fileEntry, MAX_BYTES, readBounded } from "./files.js";
import { readSafetensorsHeader, readSafetensors, type StoredDtype } from "./safetensors.js";
import type { Float32Tensor, ModelConfig, StaticTensors } from "./types.js";
import { firstNonFinite, multiIndex } from "./finite.js";
import { checkConfigAgainstWeights } from "./crosscheck.js";

export interface Checkpoint {
  dir: string;
  config: ModelConfig;
  /** float32 weights under canonical BertModel names (see the file comment). */
  weights: Map<string, Float32Tensor>;
  /** The stored dtype of most weight values. */
  dtype: StoredDtype;
  /** config.json and the weight files, with sizes and SHA-256 (for provenance). */
  files: { name: string; bytes: number; sha256: string }[];
  /** Tensors that are neither encoder weights nor known heads or buffers (cls.*, pooler.*, position_ids ...): the loader ignores them, the encoder says so. */
  unknown: string[];
}

/** Checkpoint keys the encoder does not need and knows it does not need: task heads and buffers. */
const KNOWN_UNUSED = /^(?:(?:bert|roberta|distilbert|electra|albert|mpnet|deberta|model)\.)?(?:cls|lm_head|pooler|generator_predictions|generator_lm_head|discriminator_predictions|predictions|head|vocab_transform|vocab_layer_norm|vocab_projector|qa_outputs|classifier|pre_classifier|dropout|decoder)\.|(?:^|\.)position_ids$/;

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
export function weightFiles(dir: string): string[] {
  const single = path.join(dir, "model.safetensors");
  if (fs.existsSync(single)) return [single];
  const indexFile = path.join(dir, "model.safetensors.index.json");
  if (fs.existsSync(indexFile)) {
    let index: { weight_map?: Record<string, string> };
    const text = readBounded(indexFile, MAX_BYTES.index, "fix or re-download model.safetensors.index.json").toString("utf8");
    try {
      index = JSON.parse(text);
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


/** Lines of a mismatch error shown before "... and N more": the message stays readable and bounded. */
const MAX_PROBLEMS = 20;

const fmt = (shape: number[]) => `[${shape.join(",")}]`;

export interface LoadOptions {
  /**
   * Accept NaN and ±Infinity in the weights (default false: the first one is refused, naming the
   * tensor and its index). Only for studying broken checkpoints: every statistic downstream of such a
   * weight is meaningless, and the per-batch activation check still applies.
   */
  allowNonFinite?: boolean;
}

/**
 * Loads and checks a checkpoint folder. Every needed tensor's presence and shape is checked against
 * config.json before any weight is read, and all problems are reported in one error.
 */
export function loadCheckpoint(dir: string, { allowNonFinite = false }: LoadOptions = {}): Checkpoint {
  const config = readConfig(dir);
  const files = weightFiles(dir);
  // canonical name -> where it is stored
  const where = new Map<string, { file: string; key: string; shape: number[]; dtype: string }>();
  const unknown: string[] = [];
  const problems: string[] = [];
  for (const file of files) {
    if (!fs.existsSync(file)) { problems.push(`${file} is listed in model.safetensors.index.json but missing; re-download it`); continue; }
    for (const e of readSafetensorsHeader(file).entries) {
      const canon = canonicalName(e.name, config);
      if (!canon) {
        if (!KNOWN_UNUSED.test(e.name)) unknown.push(e.name);
        continue;
      }
      const prev = where.get(canon);
      if (prev) { problems.push(`${path.basename(file)}: ${e.name} duplicates ${prev.key} in ${path.basename(prev.file)}; remove one`); continue; }
      where.set(canon, { file, key: e.name, shape: e.shape, dtype: e.dtype });
    }
  }
  const fileLabel = files.length === 1 ? files[0] : path.join(dir, "model.safetensors.index.json");
  if (problems.length) throw new Error(`${dir}: ${problems.join("; ")}`);
  // layers, hidden, vocab and positions first: a bogus layer count must not grow the list below
  checkConfigAgainstWeights(config, new Map([...where].map(([k, w]) => [k, w.shape])), path.join(dir, "config.json"), fileLabel);
  const expected = expectedTensors(config);
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
    const shown = problems.length > MAX_PROBLEMS ? [...problems.slice(0, MAX_PROBLEMS), `... and ${problems.length - MAX_PROBLEMS} more`] : problems;
    throw new Error(`${dir}: the checkpoint does not match config.json; use the config.json saved with these weights, or re-save the checkpoint:\n  ${shown.join("\n  ")}`);
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
      if (!allowNonFinite) refuseNonFinite(file, key, t);
      weights.set(canonicalName(key, config)!, t);
      count[t.storedAs] += t.data.length;
    }
  }
  const dtype = (Object.keys(count) as StoredDtype[]).reduce((a, b) => (count[b] > count[a] ? b : a), "F32");
  const hashed = [path.join(dir, "config.json"), ...files].map((f) => fileEntry(dir, path.relative(dir, f)));
  return { dir, config, weights, dtype, files: hashed, unknown };
}

/** Throws when a weight holds NaN or ±Infinity, naming the file, the tensor and the first index. */
function refuseNonFinite(file: string, key: string, t: Float32Tensor): void {
  const i = firstNonFinite(t.data);
  if (i < 0) return;
  throw new RangeError(`${file}: ${key}${multiIndex(i, t.shape)} is ${t.data[i]} (shape ${fmt(t.shape)}, flat index ${i}); the checkpoint holds non-finite weights, so every result would be meaningless: re-download or re-train it (allowNonFinite / --allow-nonfinite accepts it, for studying broken checkpoints only)`);
}

/** The static tensors the analyses read (position tables, token-type table, norm gains and biases). */
export function staticTensors(ckpt: Checkpoint): StaticTensors {
  return familyOf(ckpt.config.architecture).staticTensors((name) => ckpt.weights.get(name), ckpt.config, ckpt.dir);
}
