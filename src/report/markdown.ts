/**
 * Markdown for the report, with markdown-it: raw HTML off (markdown may carry data), every
 * heading gets an id that is unique across the whole report, and maths is kept as TeX.
 * Maths: `$…$` and `$$…$$` are not typeset (that would need MathJax/KaTeX, i.e. a network or a
 * large bundle); the TeX source is shown, escaped, in <span class="math"> / <div class="math
 * math-display">, so it reads as written and no markdown rule mangles it (`_`, `*`).
 */
import MarkdownIt = require("markdown-it");
import { escapeHtml, slugify } from "./escape.js";

/** A heading found while rendering: its level (1-6), plain text and the id given to it. */
export interface Heading {
  level: number;
  text: string;
  id: string;
}

/** Gives out ids that are unique within one report: "a", "a-1", "a-2" … */
export class Slugger {
  readonly #used = new Set<string>();

  /** Reserves an id derived from `text`. */
  slug(text: string): string {
    const base = slugify(text);
    let id = base;
    for (let n = 1; this.#used.has(id); ++n) id = `${base}-${n}`;
    this.#used.add(id);
    return id;
  }
}

/** Renders markdown to HTML; the slugger is shared so ids stay unique across calls. */
export class MarkdownRenderer {
  readonly #md: MarkdownIt.MarkdownIt;
  readonly #slugger: Slugger;

  constructor(slugger = new Slugger()) {
    this.#slugger = slugger;
    this.#md = new MarkdownIt({ html: false, linkify: false, typographer: false });
    this.#md.inline.ruler.before("escape", "math_inline", mathInline);
    this.#md.block.ruler.before("fence", "math_block", mathBlock, { alt: ["paragraph", "reference", "blockquote", "list"] });
    this.#md.renderer.rules.math_inline = (tokens: MarkdownIt.Token[], i: number) => `<span class="math">${escapeHtml(tokens[i].content)}</span>`;
    this.#md.renderer.rules.math_block = (tokens: MarkdownIt.Token[], i: number) => `<div class="math math-display">${escapeHtml(tokens[i].content)}</div>\n`;
  }

  /** Renders `source`; returns the HTML and the headings in document order, each with its id. */
  render(source: string): { html: string; headings: Heading[] } {
    const env = {};
    const tokens = this.#md.parse(String(source), env);
    const headings: Heading[] = [];
    for (let i = 0; i < tokens.length; ++i) {
      if (tokens[i].type !== "heading_open") continue;
      const text = plainText(tokens[i + 1]);
      const id = this.#slugger.slug(text);
      tokens[i].attrSet("id", id);
      headings.push({ level: Number(tokens[i].tag.slice(1)), text, id });
    }
    return { html: this.#md.renderer.render(tokens, this.#md.options, env), headings };
  }
}

/** The visible text of an inline token (math kept as its TeX). */
function plainText(inline: MarkdownIt.Token | undefined): string {
  if (!inline?.children) return inline?.content ?? "";
  return inline.children.map((t) => (t.type === "text" || t.type === "code_inline" || t.type === "math_inline" ? t.content : "")).join("");
}

/** `$tex$`: the opening $ is not followed by a space, the closing one not preceded by a space nor followed by a digit (pandoc's rule, so "$5 and $6" stays text). */
function mathInline(state: MarkdownIt.StateInline, silent: boolean): boolean {
  const src = state.src;
  const start = state.pos;
  if (src[start] !== "$" || src[start + 1] === "$") return false;
  if (start + 1 >= state.posMax || /\s/.test(src[start + 1])) return false;
  let end = start + 1;
  while (true) {
    end = src.indexOf("$", end);
    if (end < 0 || end >= state.posMax) return false;
    if (src[end - 1] === "\\") { end++; continue; }
    break;
  }
  if (/\s/.test(src[end - 1]) || /\d/.test(src[end + 1] ?? "")) return false;
  if (!silent) {
    const token = state.push("math_inline", "math", 0);
    token.content = src.slice(start + 1, end);
    token.markup = "$";
  }
  state.pos = end + 1;
  return true;
}

/** `$$` on its own line (or `$$tex$$` on one line) opens a display block, closed by a line ending in `$$`. */
function mathBlock(state: MarkdownIt.StateBlock, startLine: number, endLine: number, silent: boolean): boolean {
  let pos = state.bMarks[startLine] + state.tShift[startLine];
  let max = state.eMarks[startLine];
  if (state.sCount[startLine] - state.blkIndent >= 4) return false;
  if (state.src.slice(pos, pos + 2) !== "$$") return false;
  const first = state.src.slice(pos + 2, max).trim();
  if (silent) return true;
  let content: string;
  let line = startLine;
  if (first.endsWith("$$") && first.length >= 2) {
    content = first.slice(0, -2).trim();
  } else {
    const lines = [first];
    let closed = false;
    while (++line < endLine) {
      pos = state.bMarks[line] + state.tShift[line];
      max = state.eMarks[line];
      const text = state.src.slice(pos, max).trim();
      if (text.endsWith("$$")) { lines.push(text.slice(0, -2)); closed = true; break; }
      lines.push(text);
    }
    if (!closed) return false;
    content = lines.filter((l, i) => l !== "" || (i > 0 && i < lines.length - 1)).join("\n").trim();
  }
  state.line = line + 1;
  const token = state.push("math_block", "math", 0);
  token.block = true;
  token.content = content;
  token.markup = "$$";
  token.map = [startLine, state.line];
  return true;
}
