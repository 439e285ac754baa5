/**
 * Checks a command's --out before any work (issue 14 item 7b, issue 20 item 8): a run that would fail
 * only at the final rename wastes minutes, so every writing command (analyze, report, export, synth)
 * calls one of these first.
 */
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";

/**
 * An output FILE: its parent folder exists and is writable, and the path is not a folder. An
 * existing file is fine (it is replaced atomically). Returns the absolute path.
 */
export function checkOutFile(out: string, option = "--out", example = "results.json"): string {
  const file = path.resolve(out);
  const stat = statOrNull(file, option);
  if (stat?.isDirectory()) throw new RangeError(`${option} ${file}: is a folder; pass a file name inside it, e.g. ${path.join(file, example)}`);
  if (stat && !stat.isFile()) throw new RangeError(`${option} ${file}: exists and is not a regular file; choose another ${option}`);
  checkParent(file, option);
  return file;
}

/**
 * An output FOLDER: absent or an existing folder; what it may contain is the command's own rule. It is
 * written beside itself and renamed, so its parent must be writable. export and synth create missing
 * parents (mkdir -p), so with `createParents` the nearest existing ancestor is checked instead.
 */
export function checkOutDir(out: string, { option = "--out", createParents = false } = {}): string {
  const dir = path.resolve(out);
  const stat = statOrNull(dir, option);
  if (stat && !stat.isDirectory()) throw new RangeError(`${option} ${dir}: exists and is not a folder; choose another ${option}`);
  if (!createParents || statOrNull(path.dirname(dir), option)) {
    checkParent(dir, option);
    return dir;
  }
  let ancestor = path.dirname(dir);
  while (!statOrNull(ancestor, option) && path.dirname(ancestor) !== ancestor) ancestor = path.dirname(ancestor);
  checkParent(path.join(ancestor, "x"), option, dir);
  return dir;
}

/** A temporary name beside `file`, unique per process and call, so two runs writing one target never share it. */
export function tempName(file: string): string {
  return path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}-${crypto.randomBytes(4).toString("hex")}.tmp`);
}

function statOrNull(p: string, option: string): fs.Stats | null {
  try {
    return fs.statSync(p);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ENOENT") return null;
    const why = code === "ENOTDIR" ? "ENOTDIR: a part of the path is a file, not a folder" : code;
    throw new RangeError(`${option} ${p}: cannot check it (${why}); choose another ${option}`, { cause: err });
  }
}

function checkParent(target: string, option: string, shown = target): void {
  const parent = path.dirname(target);
  target = shown;
  const stat = statOrNull(parent, option);
  if (!stat) throw new RangeError(`${option} ${target}: the folder ${parent} does not exist; create it first (mkdir -p ${parent})`);
  if (!stat.isDirectory()) throw new RangeError(`${option} ${target}: ${parent} is not a folder; choose another ${option}`);
  try {
    fs.accessSync(parent, fs.constants.W_OK | fs.constants.X_OK);
  } catch {
    throw new RangeError(`${option} ${target}: the folder ${parent} is not writable; choose another ${option} or fix its permissions`);
  }
}

/** What --out looks like now (null when absent): compared before the final rename to notice another run's write. */
export function outStamp(file: string): string | null {
  const s = fs.statSync(file, { throwIfNoEntry: false });
  return s ? `${s.ino}:${s.size}:${s.mtimeMs}` : null;
}

/** A warning when `file` changed since `stamp` (another run wrote it meanwhile), else null. */
export function overwrittenMeanwhile(file: string, stamp: string | null, command: string): string | null {
  return outStamp(file) === stamp ? null : `artefacts ${command}: warning: ${file} was written by another run while this one worked; this run's result replaces it`;
}
