/**
 * Loader for WiC (Pilehvar and Camacho-Collados 2019): data.txt has tab-separated target lemma,
 * PoS (N or V), indices "i-j" and the two sentences; gold.txt has T or F per line. The indices are
 * 0-based positions of the target among the whitespace-separated words of each sentence (WiC's
 * sentences are pre-tokenised, so punctuation stands apart).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { DataFileError, readLines, textField, tsvFields } from "./text.js";

/** One word-in-context pair; also the shape of the WordNet stand-in pairs (wordnet.ts). */
export interface SensePair {
  target: string;
  /** Part of speech as given (WiC: N or V; WordNet: n, v, a, r). */
  pos: string;
  sentence1: string;
  sentence2: string;
  /** 0-based index of the target among the whitespace-separated words of sentence1 / sentence2. */
  index1: number;
  index2: number;
  /** true = same sense. */
  label: boolean;
}

export interface WicData {
  format: "wic";
  source: string;
  file: string;
  gold: string;
  pairs: SensePair[];
}

/** Reads WiC data.txt with its gold.txt (both required: the analysis scores against gold). */
export function loadWic(dataFile: string, goldFile?: string): WicData {
  if (goldFile === undefined || !fs.existsSync(goldFile)) {
    throw new DataFileError(goldFile ?? path.join(path.dirname(dataFile), "gold.txt"), 0, "gold file missing", `pass the gold.txt (T/F per line) that belongs to ${dataFile}`);
  }
  const data = readLines(dataFile, "target<TAB>PoS<TAB>i-j<TAB>sentence1<TAB>sentence2 lines");
  const gold = readLines(goldFile, "one T or F per line");
  if (gold.length !== data.length) {
    throw new DataFileError(goldFile, 0, `${gold.length} gold labels for ${data.length} pairs in ${dataFile}`, "pass the gold.txt of the same split (one label per data line)");
  }
  const pairs: SensePair[] = [];
  for (let i = 0; i < data.length; ++i) {
    const { text, line } = data[i];
    const f = tsvFields(dataFile, line, text, 5, "target<TAB>PoS<TAB>i-j<TAB>sentence1<TAB>sentence2");
    const target = textField(dataFile, line, f[0], "target");
    const pos = f[1].trim();
    if (pos !== "N" && pos !== "V") throw new DataFileError(dataFile, line, `PoS ${JSON.stringify(f[1])} is not N or V`, "fix the PoS column");
    const m = /^(\d+)-(\d+)$/.exec(f[2].trim());
    if (!m) throw new DataFileError(dataFile, line, `indices ${JSON.stringify(f[2])} are not "i-j"`, "write the 0-based target positions as i-j");
    const sentence1 = textField(dataFile, line, f[3], "sentence1"), sentence2 = textField(dataFile, line, f[4], "sentence2");
    const index1 = Number(m[1]), index2 = Number(m[2]);
    for (const [idx, s, which] of [[index1, sentence1, "sentence1"], [index2, sentence2, "sentence2"]] as const) {
      const words = s.split(/\s+/).length;
      if (idx >= words) throw new DataFileError(dataFile, line, `index ${idx} is outside ${which} (${words} words)`, "indices are 0-based positions among the whitespace-separated words");
    }
    const g = gold[i].text.trim();
    if (g !== "T" && g !== "F") {
      throw new DataFileError(goldFile, gold[i].line, g === "" ? "gold label missing" : `gold label ${JSON.stringify(g)} is not T or F`, "write T (same sense) or F (different sense)");
    }
    pairs.push({ target, pos, sentence1, sentence2, index1, index2, label: g === "T" });
  }
  return { format: "wic", source: "WiC (Pilehvar and Camacho-Collados 2019)", file: path.resolve(dataFile), gold: path.resolve(goldFile), pairs };
}
