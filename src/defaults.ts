/**
 * Where the embedded checkpoints live, and how to read their training logs. The project trains
 * two small RoBERTa-style masked language models (models/mlm-pos with learned absolute position
 * embeddings, models/mlm-nopos without), the pair the paper's §3 / App. C compares at full scale.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { noteInput } from "./numerics/inputs.js";

/**
 * Absolute paths of the two embedded models. Resolved from this file's location
 * (dist/src/defaults.js -> ../../models), so they hold wherever the package is installed.
 */
export function defaultModels(): { withPositions: string; withoutPositions: string } {
  const root = path.resolve(__dirname, "..", "..", "models");
  return { withPositions: path.join(root, "mlm-pos"), withoutPositions: path.join(root, "mlm-nopos") };
}

/** What a model folder's training_log.json says, with the fields the notebooks read picked out. */
export interface TrainingLog {
  /** The file read. */
  file: string;
  /** Validation perplexity at the end of training; null when the log records none. */
  finalPerplexity: number | null;
  /** Perplexity per evaluation: step and value, in the log's order. */
  perplexityCurve: { step: number; perplexity: number }[];
  /** Training settings (Table 4's rows), as the log spells them; {} when absent. */
  hyperparameters: Record<string, unknown>;
  /** The whole parsed file, for anything else. */
  raw: Record<string, unknown>;
}

/**
 * Reads `<dir>/training_log.json` (as tools/train/train.py writes it). Perplexity is taken from
 * `final_perplexity` / `finalPerplexity` / `valid_perplexity` / `final.heldout_ppl` when present,
 * else from the last entry of the evaluation list (`evaluations`, `evals`, `eval`, `history` or
 * `log`: objects with `step` and `perplexity`, `ppl` or `heldout_ppl`, or a loss in nats
 * (`heldout_loss`, `valid_loss`, ...), perplexity = exp(loss)). Settings come from
 * `hyperparameters`, `config` or `args`.
 */
export function readTrainingLog(dir: string): TrainingLog {
  const file = path.join(dir, "training_log.json");
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (cause) {
    throw new Error(`${file}: cannot read the training log; train the model first (tools/train) or pass a folder that has one`, { cause });
  }
  let raw: Record<string, unknown>;
  try {
    raw = JSON.parse(text);
  } catch (cause) {
    throw new Error(`${file}: not valid JSON; regenerate the log`, { cause });
  }
  if (!raw || typeof raw !== "object" || Array.isArray(raw)) throw new Error(`${file}: expected a JSON object at the top level`);
  const curve = perplexityCurve(raw);
  const final = raw.final && typeof raw.final === "object" ? firstNumber(raw.final as Record<string, unknown>, ["heldout_ppl", "perplexity", "ppl"]) : null;
  const explicit = firstNumber(raw, ["final_perplexity", "finalPerplexity", "valid_perplexity", "validPerplexity", "perplexity"]) ?? final;
  const hyper = [raw.hyperparameters, raw.config, raw.args].find((v) => v && typeof v === "object" && !Array.isArray(v));
  return {
    file,
    finalPerplexity: explicit ?? (curve.length ? curve[curve.length - 1].perplexity : null),
    perplexityCurve: curve,
    hyperparameters: (hyper as Record<string, unknown>) ?? {},
    raw,
  };
}

function firstNumber(o: Record<string, unknown>, keys: string[]): number | null {
  for (const k of keys) if (typeof o[k] === "number" && Number.isFinite(o[k])) return o[k] as number;
  return null;
}

function perplexityCurve(raw: Record<string, unknown>): { step: number; perplexity: number }[] {
  const list = [raw.evaluations, raw.evals, raw.eval, raw.history, raw.log].find(Array.isArray) as unknown[] | undefined;
  if (!list) return [];
  const out: { step: number; perplexity: number }[] = [];
  list.forEach((e, i) => {
    if (!e || typeof e !== "object") return;
    const r = e as Record<string, unknown>;
    const ppl = firstNumber(r, ["perplexity", "ppl", "heldout_ppl", "valid_perplexity", "val_perplexity"]);
    const loss = firstNumber(r, ["heldout_loss", "valid_loss", "val_loss", "eval_loss"]);
    const value = ppl ?? (loss !== null ? Math.exp(loss) : null);
    if (value === null) return;
    out.push({ step: firstNumber(r, ["step", "steps", "update"]) ?? i, perplexity: value });
  });
  return out;
}

/** A short label for a model source: the folder name of a local path, else the hub id as given. */
export function modelLabel(source: string): string {
  const trimmed = source.replace(/[\\/]+$/, "");
  return path.isAbsolute(trimmed) || trimmed.startsWith(".") ? path.basename(trimmed) : trimmed;
}

/** readTrainingLog, or null when the folder has no training_log.json (a hub id, a checkpoint trained elsewhere). */
export function findTrainingLog(dir: string): TrainingLog | null {
  return fs.existsSync(path.join(dir, "training_log.json")) ? readTrainingLog(dir) : null;
}

/**
 * The SYNTHETIC family fixtures (test/fixtures/families/<name>/: seeded random checkpoints of every
 * supported family, exact ground truth against transformers, NOT trained): name and folder, sorted.
 * Empty when the source tree's fixtures are absent (an installed package).
 */
export function familyFixtureDirs(): { name: string; dir: string }[] {
  const root = path.resolve(__dirname, "..", "..", "test", "fixtures", "families");
  noteInput({ kind: "folder", path: root });
  if (!fs.existsSync(root)) return [];
  return fs.readdirSync(root, { withFileTypes: true }).filter((e) => e.isDirectory() && fs.existsSync(path.join(root, e.name, "config.json")))
    .map((e) => ({ name: e.name, dir: path.join(root, e.name) })).sort((a, b) => a.name.localeCompare(b.name));
}
