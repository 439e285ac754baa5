/**
 * Which inputs this process read, for the report's notebook cache (report/notebookCache.ts): when
 * PA_INPUT_LOG names a file, each input a notebook reads through the toolkit (a shared analysis
 * pass, a data file, a model folder, a fixture listing) is appended to it as one JSON line; the
 * report fingerprints them and reuses the notebook's outputs only while every one is unchanged.
 * Without PA_INPUT_LOG (Jupyter, the CLI) nothing is written. It sits on the floor because every
 * layer that reads inputs notes them; it knows nothing of models.
 */
import * as fs from "node:fs";
import * as path from "node:path";

/** The environment variable naming the log file. */
export const INPUT_LOG_ENV = "PA_INPUT_LOG";

export type InputRecord =
  /** A shared analysis pass (report/cache.ts): `key` is its results-cache key, recomputed to check it. */
  | { kind: "results"; source: string; dir: string; sample: number; seed: number; corpus: string; only: string[] | null; key: string }
  /** A data file read whole (data/formats/text.ts). */
  | { kind: "file"; path: string }
  /** A model folder whose config.json was read (model/config.ts). */
  | { kind: "model"; dir: string }
  /** The names in a folder that was listed (the SYNTHETIC family fixtures). */
  | { kind: "folder"; path: string };

/** Appends `record` to the PA_INPUT_LOG file, if set; paths are made absolute. */
export function noteInput(record: InputRecord): void {
  const log = process.env[INPUT_LOG_ENV];
  if (!log) return;
  const r = record.kind === "file" || record.kind === "folder" ? { ...record, path: path.resolve(record.path) } : record.kind === "model" ? { ...record, dir: path.resolve(record.dir) } : record;
  fs.appendFileSync(log, `${JSON.stringify(r)}\n`);
}

/** The records of a log file, each once, in first-read order; [] when the file does not exist. */
export function readInputLog(file: string): InputRecord[] {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch {
    return [];
  }
  const seen = new Set<string>();
  const out: InputRecord[] = [];
  for (const line of text.split("\n")) {
    if (line === "" || seen.has(line)) continue;
    seen.add(line);
    out.push(JSON.parse(line) as InputRecord);
  }
  return out;
}
