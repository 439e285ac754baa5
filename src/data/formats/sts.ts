/**
 * Loaders for the paper's seven STS sets (Table 2): STS-B (GLUE TSV or SentEval's sts-*.csv),
 * SICK-R (SICK.txt or SICK_test_annotated.txt) and SentEval STS12-16 (STS.input.<subset>.txt with
 * STS.gs.<subset>.txt). All return an StsSet of one or more subsets with gold scores.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { DataFileError, readLines, scoreField, textField, tsvFields } from "./text.js";

export interface StsSubset {
  name: string;
  /** Resolved path of the file holding the sentences. */
  file: string;
  a: string[];
  b: string[];
  /** Gold similarity per pair, on the set's scale. */
  scores: Float64Array;
  /** Pairs dropped because their gold line is empty (SentEval STS12-16 only; SentEval drops them too). */
  skipped: number;
}

export interface StsSet {
  format: "sts-b-glue" | "sts-b-senteval" | "sick" | "senteval-sts";
  name: string;
  /** Range of the gold scores: [0, 5] for STS, [1, 5] for SICK. */
  scale: [number, number];
  subsets: StsSubset[];
}

const GLUE_STSB = ["index", "genre", "filename", "year", "old_index", "source1", "source2", "sentence1", "sentence2", "score"];

/**
 * STS-B in the GLUE layout (header `index genre filename year old_index source1 source2 sentence1
 * sentence2 score`) or SentEval's stsbenchmark/sts-*.csv (no header; tab-separated genre, filename,
 * year, id, score, sentence1, sentence2, optionally more). Scores must lie in [0, 5].
 */
export function loadStsB(file: string): StsSet {
  const lines = readLines(file, "STS-B pairs (GLUE TSV with header, or SentEval sts-*.csv)");
  const a: string[] = [], b: string[] = [], scores: number[] = [];
  const first = lines[0].text.split("\t").map((h) => h.trim().toLowerCase());
  const glue = first[0] === "index" && first[1] === "genre";
  if (glue) {
    if (first.length === 9) throw new DataFileError(file, 1, "header has no score column: this is the unlabelled GLUE test split", "use the STS-B dev.tsv or SentEval's sts-test.csv, which carry gold scores");
    if (first.length !== 10 || first.some((h, i) => h !== GLUE_STSB[i])) {
      throw new DataFileError(file, 1, `header is ${JSON.stringify(lines[0].text)}`, `the GLUE header is ${GLUE_STSB.join("<TAB>")}`);
    }
  }
  for (const { text, line } of glue ? lines.slice(1) : lines) {
    if (glue) {
      const f = tsvFields(file, line, text, 10, GLUE_STSB.join("<TAB>"));
      a.push(textField(file, line, f[7], "sentence1"));
      b.push(textField(file, line, f[8], "sentence2"));
      scores.push(scoreField(file, line, f[9], "score", 0, 5));
    } else {
      const f = tsvFields(file, line, text, 7, "genre<TAB>filename<TAB>year<TAB>id<TAB>score<TAB>sentence1<TAB>sentence2", true);
      scores.push(scoreField(file, line, f[4], "score", 0, 5));
      a.push(textField(file, line, f[5], "sentence1"));
      b.push(textField(file, line, f[6], "sentence2"));
    }
  }
  return oneSubset(glue ? "sts-b-glue" : "sts-b-senteval", "STS-B", file, a, b, scores, [0, 5]);
}

/**
 * SICK with a header naming sentence_A, sentence_B and relatedness_score (SICK.txt,
 * SICK_test_annotated.txt, SICK_train.txt ...). Scores must lie in [1, 5]. `set` keeps only the
 * rows of one SemEval_set (TRAIN, TRIAL or TEST) and needs that column (SICK.txt has it).
 */
export function loadSick(file: string, { set }: { set?: "TRAIN" | "TRIAL" | "TEST" } = {}): StsSet {
  const lines = readLines(file, "a header with pair_ID, sentence_A, sentence_B, relatedness_score and one pair per line");
  const header = lines[0].text.split("\t").map((h) => h.trim());
  const col = (name: string): number => {
    const i = header.indexOf(name);
    if (i < 0) throw new DataFileError(file, 1, `header has no ${name} column (found ${header.join(", ")})`, "pass SICK.txt or SICK_test_annotated.txt with its header line");
    return i;
  };
  const ia = col("sentence_A"), ib = col("sentence_B"), is = col("relatedness_score");
  const iset = set === undefined ? -1 : col("SemEval_set");
  if (set !== undefined && !["TRAIN", "TRIAL", "TEST"].includes(set)) throw new RangeError(`invalid set: ${JSON.stringify(set)}; expected one of TRAIN, TRIAL, TEST`);
  const a: string[] = [], b: string[] = [], scores: number[] = [];
  for (const { text, line } of lines.slice(1)) {
    const f = tsvFields(file, line, text, header.length, `${header.length} tab-separated columns like the header`);
    if (iset >= 0 && f[iset].trim() !== set) continue;
    a.push(textField(file, line, f[ia], "sentence_A"));
    b.push(textField(file, line, f[ib], "sentence_B"));
    scores.push(scoreField(file, line, f[is], "relatedness_score", 1, 5));
  }
  return oneSubset("sick", set ? `SICK-R (${set})` : "SICK-R", file, a, b, scores, [1, 5]);
}

/**
 * A SentEval STS12-16 year folder (e.g. data/downstream/STS/STS12-en-test): every
 * STS.input.<subset>.txt (two tab-separated sentences per line) with its STS.gs.<subset>.txt (one
 * score in [0, 5] per line). As in SentEval, pairs whose gold line is empty are dropped and counted
 * in `skipped`. Subsets are sorted by name; `name` defaults to the folder name.
 */
export function loadSentEvalSts(folder: string, name = path.basename(path.resolve(folder))): StsSet {
  if (!fs.existsSync(folder) || !fs.statSync(folder).isDirectory()) {
    throw new DataFileError(folder, 0, "no such folder", "pass a SentEval STS year folder holding STS.input.<subset>.txt and STS.gs.<subset>.txt");
  }
  const inputs = fs.readdirSync(folder).filter((f) => /^STS\.input\..+\.txt$/.test(f)).sort();
  if (inputs.length === 0) throw new DataFileError(folder, 0, "no STS.input.<subset>.txt files", "pass a SentEval STS12-16 folder");
  const subsets: StsSubset[] = [];
  for (const input of inputs) {
    const subset = input.slice("STS.input.".length, -".txt".length);
    const inFile = path.join(folder, input), gsFile = path.join(folder, `STS.gs.${subset}.txt`);
    if (!fs.existsSync(gsFile)) throw new DataFileError(gsFile, 0, "gold file missing", `put the gold scores for ${input} beside it, one per line`);
    const pairs = readLines(inFile, "two tab-separated sentences per line");
    const gold = readLines(gsFile, "one gold score per line");
    if (gold.length !== pairs.length) {
      throw new DataFileError(gsFile, 0, `${gold.length} gold lines for ${pairs.length} sentence pairs in ${input}`, "give one gold line per input line (an empty line for an unscored pair)");
    }
    const a: string[] = [], b: string[] = [], scores: number[] = [];
    let skipped = 0;
    for (let i = 0; i < pairs.length; ++i) {
      const { text, line } = pairs[i];
      const f = tsvFields(inFile, line, text, 2, "sentence1<TAB>sentence2");
      if (gold[i].text.trim() === "") { ++skipped; continue; }
      scores.push(scoreField(gsFile, gold[i].line, gold[i].text, "score", 0, 5));
      a.push(textField(inFile, line, f[0], "sentence1"));
      b.push(textField(inFile, line, f[1], "sentence2"));
    }
    if (a.length === 0) throw new DataFileError(gsFile, 0, "no scored pairs (every gold line is empty)", "pass the gold file with scores");
    subsets.push({ name: subset, file: path.resolve(inFile), a, b, scores: Float64Array.from(scores), skipped });
  }
  return { format: "senteval-sts", name, scale: [0, 5], subsets };
}

function oneSubset(format: StsSet["format"], name: string, file: string, a: string[], b: string[], scores: number[], scale: [number, number]): StsSet {
  if (a.length === 0) throw new DataFileError(file, 0, "no sentence pairs", "pass a file with at least one scored pair");
  return { format, name, scale, subsets: [{ name, file: path.resolve(file), a, b, scores: Float64Array.from(scores), skipped: 0 }] };
}
