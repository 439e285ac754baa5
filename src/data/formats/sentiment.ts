/**
 * Loaders for the supervised-probe data sets of the paper's Table 3: SST-2 (GLUE TSV), SST-5
 * (PTB trees, a labelled TSV, or SentEval's "label sentence" lines) and IMDB (the aclImdb folder or
 * the common `review,sentiment` CSV). Every loader validates every line and throws a DataFileError
 * naming the file, the line and the fix; nothing is skipped silently.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { DataFileError, checkHeader, labelField, readLines, readUtf8, textField, tsvFields } from "./text.js";

/** Sentences (or documents) with integer class labels 0..classes-1. */
export interface LabelledTexts {
  format: "sst-2" | "sst-5-ptb" | "sst-5-tsv" | "sst-5-senteval" | "imdb-folder" | "imdb-csv";
  /** Resolved path of the file or folder read. */
  file: string;
  texts: string[];
  labels: Int32Array;
  classes: number;
  /** Name of each class index. */
  classNames: string[];
}

/** GLUE SST-2 train/dev TSV: header `sentence<TAB>label`, labels 0 (negative) and 1 (positive). */
export function loadSst2(file: string): LabelledTexts {
  const lines = readLines(file, "a header `sentence<TAB>label` and one labelled sentence per line");
  const header = lines[0].text.split("\t");
  if (header.length === 2 && header[0].trim().toLowerCase() === "index") {
    throw new DataFileError(file, 1, "header is \"index<TAB>sentence\": this is the unlabelled GLUE test split", "use train.tsv or dev.tsv, which carry labels");
  }
  checkHeader(file, header, ["sentence", "label"]);
  const texts: string[] = [], labels: number[] = [];
  for (const { text, line } of lines.slice(1)) {
    const [s, l] = tsvFields(file, line, text, 2, "`sentence<TAB>label`");
    texts.push(textField(file, line, s, "sentence"));
    labels.push(labelField(file, line, l, [0, 1]));
  }
  return done(file, "sst-2", texts, labels, ["negative", "positive"]);
}

const SST5_NAMES = ["very negative", "negative", "neutral", "positive", "very positive"];

/**
 * SST-5 in one of three layouts, detected from the first line:
 * - PTB trees (trainDevTestTrees_PTB/trees/train.txt): `(3 (2 It) ...)`, the root label is the class and the leaves form the sentence;
 * - TSV with a header naming a `sentence` (or `text`) column and a `label` column, in either order;
 * - SentEval's `label sentence` lines (label, one space, the sentence).
 */
export function loadSst5(file: string): LabelledTexts {
  const lines = readLines(file, "SST-5 PTB trees, a `sentence<TAB>label` TSV with header, or `label sentence` lines").filter((l) => l.text.trim() !== "");
  const first = lines[0].text.trim();
  const texts: string[] = [], labels: number[] = [];
  if (first.startsWith("(")) {
    for (const { text, line } of lines) {
      const { label, words } = parsePtbTree(file, line, text.trim());
      texts.push(words.join(" "));
      labels.push(label);
    }
    return done(file, "sst-5-ptb", texts, labels, SST5_NAMES);
  }
  if (first.includes("\t")) {
    const header = first.split("\t").map((h) => h.trim().toLowerCase());
    const si = header.findIndex((h) => h === "sentence" || h === "text");
    const li = header.indexOf("label");
    if (si < 0 || li < 0) {
      throw new DataFileError(file, lines[0].line, `header ${JSON.stringify(first)} has no sentence/text and label columns`, "start the TSV with a header such as `sentence<TAB>label`");
    }
    for (const { text, line } of lines.slice(1)) {
      const f = tsvFields(file, line, text, header.length, `${header.length} tab-separated columns like the header`);
      texts.push(textField(file, line, f[si], "sentence"));
      labels.push(labelField(file, line, f[li], [0, 1, 2, 3, 4]));
    }
    return done(file, "sst-5-tsv", texts, labels, SST5_NAMES);
  }
  for (const { text, line } of lines) {
    const m = /^(\S+) (.*)$/.exec(text.trim());
    if (!m) throw new DataFileError(file, line, `expected "label sentence", found ${JSON.stringify(text.slice(0, 40))}`, "write the label 0-4, one space, then the sentence");
    labels.push(labelField(file, line, m[1], [0, 1, 2, 3, 4]));
    texts.push(textField(file, line, m[2], "sentence"));
  }
  return done(file, "sst-5-senteval", texts, labels, SST5_NAMES);
}

/** Parses one PTB-style sentiment tree; returns the root label and the leaf words. */
export function parsePtbTree(file: string, line: number, s: string): { label: number; words: string[] } {
  const tokens = s.match(/\(|\)|[^\s()]+/g) ?? [];
  const words: string[] = [];
  let depth = 0, root = -1;
  for (let i = 0; i < tokens.length; ++i) {
    const t = tokens[i];
    if (t === "(") {
      ++depth;
      const label = tokens[++i];
      if (label === undefined || !/^[0-4]$/.test(label)) {
        throw new DataFileError(file, line, `tree node label ${JSON.stringify(label)} is not one of 0, 1, 2, 3, 4`, "pass SST PTB trees such as `(3 (2 It) (4 works))`");
      }
      if (root < 0) root = Number(label);
    } else if (t === ")") {
      if (--depth < 0) break;
    } else words.push(t);
    if (depth === 0 && i < tokens.length - 1) { depth = -1; break; }
  }
  if (depth !== 0 || root < 0 || words.length === 0) {
    throw new DataFileError(file, line, "unbalanced or empty tree", "each line must be one complete SST PTB tree");
  }
  return { label: root, words: words.map((w) => (w === "-LRB-" ? "(" : w === "-RRB-" ? ")" : w)) };
}

/**
 * IMDB reviews with labels 0 (negative) and 1 (positive), from either
 * - an aclImdb split folder (`aclImdb/train` or `aclImdb/test`) with `neg/*.txt` and `pos/*.txt`
 *   (files read in numeric order of their `<id>_<rating>.txt` names, neg first; `unsup` ignored), or
 * - a CSV with header `review,sentiment` and values `positive` / `negative` (RFC 4180 quoting).
 * HTML line breaks (`<br />`) become spaces. Reviews are not truncated here: the encoder truncates.
 */
export function loadImdb(fileOrFolder: string): LabelledTexts {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(fileOrFolder);
  } catch (e) {
    throw Object.assign(new DataFileError(fileOrFolder, 0, "no such file or folder", "pass an aclImdb split folder (with pos/ and neg/) or a review,sentiment CSV"), { cause: e });
  }
  const texts: string[] = [], labels: number[] = [];
  if (stat.isDirectory()) {
    for (const [label, sub] of [[0, "neg"], [1, "pos"]] as const) {
      const dir = path.join(fileOrFolder, sub);
      if (!fs.existsSync(dir)) throw new DataFileError(dir, 0, "folder missing", "pass an aclImdb split folder such as aclImdb/train, which holds pos/ and neg/");
      const files = fs.readdirSync(dir).filter((f) => f.endsWith(".txt")).sort((a, b) => parseInt(a) - parseInt(b) || a.localeCompare(b));
      if (files.length === 0) throw new DataFileError(dir, 0, "no .txt reviews", "pass an aclImdb split folder with reviews in pos/ and neg/");
      for (const f of files) {
        const p = path.join(dir, f);
        texts.push(textField(p, 1, cleanReview(readUtf8(p)), "review"));
        labels.push(label);
      }
    }
    return done(fileOrFolder, "imdb-folder", texts, labels, ["negative", "positive"]);
  }
  const rows = parseCsv(fileOrFolder, readUtf8(fileOrFolder));
  if (rows.length === 0) throw new DataFileError(fileOrFolder, 0, "the file is empty", "pass a CSV with header review,sentiment");
  const header = rows[0].fields.map((h) => h.trim().toLowerCase());
  const ri = header.indexOf("review"), si = header.indexOf("sentiment");
  if (ri < 0 || si < 0) throw new DataFileError(fileOrFolder, 1, `header is ${JSON.stringify(rows[0].fields.join(","))}`, "the first line must name the columns review and sentiment");
  for (const { fields, line } of rows.slice(1)) {
    if (fields.length !== header.length) {
      throw new DataFileError(fileOrFolder, line, `expected ${header.length} comma-separated fields, found ${fields.length}`, "quote reviews that contain commas with double quotes");
    }
    const v = fields[si].trim().toLowerCase();
    if (v !== "positive" && v !== "negative") {
      throw new DataFileError(fileOrFolder, line, `sentiment ${JSON.stringify(fields[si])} is not one of positive, negative`, "fix the sentiment column");
    }
    texts.push(textField(fileOrFolder, line, cleanReview(fields[ri]), "review"));
    labels.push(v === "positive" ? 1 : 0);
  }
  return done(fileOrFolder, "imdb-csv", texts, labels, ["negative", "positive"]);
}

function cleanReview(s: string): string {
  return s.replace(/<br\s*\/?>/gi, " ").replace(/\s+/g, " ").trim();
}

/** RFC 4180 CSV: fields separated by commas, optionally double-quoted ("" is a quote); records keep their first line number. */
export function parseCsv(file: string, text: string): { fields: string[]; line: number }[] {
  const rows: { fields: string[]; line: number }[] = [];
  let fields: string[] = [], field = "", line = 1, start = 1, quoted = false, atStart = true;
  for (let i = 0; i < text.length; ++i) {
    const c = text[i];
    if (quoted) {
      if (c === "\"") {
        if (text[i + 1] === "\"") { field += "\""; ++i; } else quoted = false;
      } else {
        if (c === "\n") ++line;
        field += c;
      }
      continue;
    }
    if (c === "\"" && field === "") { quoted = true; atStart = false; }
    else if (c === ",") { fields.push(field); field = ""; atStart = false; }
    else if (c === "\n" || c === "\r") {
      if (c === "\r" && text[i + 1] === "\n") ++i;
      if (!(atStart && field === "")) rows.push({ fields: [...fields, field], line: start });
      fields = []; field = ""; atStart = true;
      start = ++line;
    } else { field += c; atStart = false; }
  }
  if (quoted) throw new DataFileError(file, start, "a quoted field is never closed", "close the double quote or escape inner quotes as \"\"");
  if (!(atStart && field === "")) rows.push({ fields: [...fields, field], line: start });
  return rows;
}

function done(file: string, format: LabelledTexts["format"], texts: string[], labels: number[], classNames: string[]): LabelledTexts {
  if (texts.length === 0) throw new DataFileError(file, 0, "no labelled examples", "pass a file with at least one labelled line after the header");
  return { format, file: path.resolve(file), texts, labels: Int32Array.from(labels), classes: classNames.length, classNames };
}
