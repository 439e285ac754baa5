/**
 * A rule-based English sentence splitter for the bundled corpora and running-text files.
 * A sentence ends at `.`, `!` or `?` (optionally followed by closing quotes or brackets) when the
 * next non-space character starts a new sentence (an upper-case letter, a digit or an opening
 * quote), unless the word before the period is a known abbreviation or a single-letter initial.
 * Decimals ("3.14") and inner periods ("U.S.A") never split because no space follows the period.
 * A blank line always ends a sentence. Whitespace inside a sentence is collapsed to one space.
 */

/** Abbreviations (lower case, without the final period) after which a period does not end a sentence. */
export const ABBREVIATIONS: ReadonlySet<string> = new Set([
  "mr", "mrs", "ms", "messrs", "mme", "mlle", "dr", "prof", "rev", "hon", "st", "sr", "jr", "gen", "col", "capt",
  "lt", "sgt", "maj", "gov", "sen", "rep", "pres", "supt", "fr", "vs", "etc", "e.g", "i.e", "cf", "viz", "al",
  "no", "nos", "vol", "vols", "fig", "figs", "p", "pp", "ch", "sec", "art", "dept", "co", "corp", "inc", "ltd",
  "bros", "mt", "ft", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec",
  "u.s", "u.s.a", "u.k", "u.n", "a.m", "p.m", "approx", "est", "ave", "blvd",
]);

const OPENERS = `"'“‘(`;
const CLOSERS = `"'”’)]`;

/** Splits running text into sentences (see the file comment for the rules). */
export function splitSentences(text: string): string[] {
  const out: string[] = [];
  for (const paragraph of text.split(/\n[ \t\r\f\v]*\n/)) {
    const s = paragraph.replace(/\s+/g, " ").trim();
    if (s) splitParagraph(s, out);
  }
  return out;
}

// A candidate end: a run of . ! ? then closing quotes/brackets, then one space and a non-space.
const CANDIDATE = /([.!?])[.!?]*["'”’)\]]* (?=\S)/g;

function splitParagraph(s: string, out: string[]): void {
  let start = 0;
  CANDIDATE.lastIndex = 0;
  for (let m = CANDIDATE.exec(s); m; m = CANDIDATE.exec(s)) {
    const end = m.index + m[0].length - 1; // index of the space
    const next = s[end + 1];
    const single = m[0].length === 2; // a lone period: the only case an abbreviation can explain
    if (!startsSentence(next) || (m[1] === "." && single && isAbbreviation(s, start, m.index))) continue;
    out.push(s.slice(start, end));
    start = end + 1;
  }
  if (start < s.length) out.push(s.slice(start));
}

function startsSentence(ch: string): boolean {
  return /[\p{Lu}\p{Nd}]/u.test(ch) || OPENERS.includes(ch);
}

/** True when the word ending just before s[dot] is an abbreviation or a single-letter initial. */
function isAbbreviation(s: string, start: number, dot: number): boolean {
  let w = dot;
  while (w > start && s[w - 1] !== " ") --w;
  let word = s.slice(w, dot);
  while (word && OPENERS.includes(word[0])) word = word.slice(1);
  if (/^\p{L}$/u.test(word)) return true;
  return ABBREVIATIONS.has(word.toLowerCase());
}

/** Number of whitespace-separated words in a sentence. */
export function countWords(sentence: string): number {
  const t = sentence.trim();
  return t ? t.split(/\s+/).length : 0;
}
