/**
 * Loader for GLUE QQP (Quora Question Pairs) train/dev TSV, one of the paper's sampling corpora:
 * header `id qid1 qid2 question1 question2 is_duplicate`, is_duplicate 0 or 1.
 */
import * as path from "node:path";
import { DataFileError, checkHeader, labelField, readLines, textField, tsvFields } from "./text.js";

export const QQP_HEADER = ["id", "qid1", "qid2", "question1", "question2", "is_duplicate"] as const;

export interface QqpData {
  format: "qqp";
  file: string;
  question1: string[];
  question2: string[];
  /** 1 = duplicate. */
  labels: Int32Array;
  /** Distinct questions (by qid) in order of first appearance: the sampling corpus. */
  questions: string[];
}

/** Reads a QQP train/dev TSV (the unlabelled test split, `id question1 question2`, is rejected). */
export function loadQqp(file: string): QqpData {
  const lines = readLines(file, `the header ${QQP_HEADER.join("<TAB>")} and one question pair per line`);
  const header = lines[0].text.split("\t");
  if (header.length === 3) {
    throw new DataFileError(file, 1, "header has 3 columns (id, question1, question2): this is the unlabelled GLUE test split", "use train.tsv or dev.tsv");
  }
  checkHeader(file, header, QQP_HEADER);
  const q1: string[] = [], q2: string[] = [], labels: number[] = [], questions: string[] = [];
  const seen = new Set<string>();
  for (const { text, line } of lines.slice(1)) {
    const f = tsvFields(file, line, text, 6, QQP_HEADER.join("<TAB>"));
    const a = textField(file, line, f[3], "question1"), b = textField(file, line, f[4], "question2");
    q1.push(a);
    q2.push(b);
    labels.push(labelField(file, line, f[5], [0, 1], "is_duplicate"));
    for (const [qid, q] of [[f[1].trim(), a], [f[2].trim(), b]]) {
      if (!/^\d+$/.test(qid)) throw new DataFileError(file, line, `qid ${JSON.stringify(qid)} is not a number`, "fix the qid1/qid2 columns");
      if (!seen.has(qid)) { seen.add(qid); questions.push(q); }
    }
  }
  if (q1.length === 0) throw new DataFileError(file, 0, "no question pairs after the header", "pass a QQP train.tsv or dev.tsv");
  return { format: "qqp", file: path.resolve(file), question1: q1, question2: q2, labels: Int32Array.from(labels), questions };
}
