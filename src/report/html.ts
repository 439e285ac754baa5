/**
 * Assembles the one-file HTML report from executed notebooks: a CSP that forbids every fetch,
 * plotly.js inlined once, each figure and table drawn by the same HTML path as a notebook's
 * output (figures/html.ts: spec embedded as JSON, CSV/JSON/SVG/PNG links), code cells folded, a table of contents
 * and the provenance block. Pure: the same input gives the same bytes (no clock, sequential ids,
 * sorted keys in embedded JSON). Every string from data is escaped; markdown renders with raw
 * HTML off; text/html outputs are shown as escaped text, because they may carry data.
 */
import { escapeHtml, inlineScript, scriptJson, stableStringify } from "./escape.js";
import { figureHtml, RUNTIME_SCRIPT, tableHtml } from "../figures/html.js";
import type { FigureSpec, TableSpec } from "../figures/spec.js";
import { cellSource, type Notebook } from "./execute.js";
import type { MimeBundle, Output } from "./kernel.js";
import { type Heading, MarkdownRenderer, Slugger } from "./markdown.js";
import { mimeJson, PROVENANCE_MIME, type ReportProvenance } from "./provenance.js";

export const FIGURE_MIME = "application/vnd.positional-artefacts.figure+json";
export const TABLE_MIME = "application/vnd.positional-artefacts.table+json";

/** The Content-Security-Policy of every report: inline script and style only, images from data: URLs, no fetch of any kind. */
export const CSP = "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data: blob:";

export interface ReportInput {
  title: string;
  /** In report order; `file` is shown as given. */
  notebooks: { file: string; notebook: Notebook }[];
  provenance: ReportProvenance;
  /** The plotly.js bundle source (plotly.js-dist-min), inlined once. */
  plotly: string;
}

interface TocEntry { id: string; text: string; level: number }

/** Renders the whole report to one HTML string. */
export function renderReport({ title, notebooks, provenance, plotly }: ReportInput): string {
  const slugger = new Slugger();
  for (const reserved of ["contents", "provenance", "report-title"]) slugger.slug(reserved);
  const md = new MarkdownRenderer(slugger);
  const toc: TocEntry[] = [];
  const counter = { figure: 0, table: 0 };
  const sections = notebooks.map(({ file, notebook }) => renderNotebook(file, notebook, md, slugger, toc, counter));
  toc.push({ id: "provenance", text: "Provenance", level: 1 });
  return [
    "<!DOCTYPE html>",
    '<html lang="en">',
    "<head>",
    '<meta charset="utf-8">',
    `<meta http-equiv="Content-Security-Policy" content="${escapeHtml(CSP)}">`,
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    '<meta name="generator" content="positional-artefacts report">',
    `<title>${escapeHtml(title)}</title>`,
    `<style>${STYLE}</style>`,
    "</head>",
    "<body>",
    `<nav class="pa-toc" aria-labelledby="contents"><h2 id="contents">Contents</h2>${renderToc(toc)}</nav>`,
    "<main>",
    `<header><h1 id="report-title">${escapeHtml(title)}</h1></header>`,
    ...sections,
    renderProvenance(provenance),
    "</main>",
    `<script>${inlineScript(plotly)}</script>`,
    `<script>${inlineScript(RUNTIME_SCRIPT)}</script>`,
    "</body>",
    "</html>",
    "",
  ].join("\n");
}

function renderToc(entries: TocEntry[]): string {
  // Nested lists from heading levels, tolerant of skipped levels.
  let html = "";
  const stack: number[] = [];
  for (const e of entries) {
    while (stack.length && stack[stack.length - 1] > e.level) { html += "</li></ol>"; stack.pop(); }
    if (stack.length && stack[stack.length - 1] === e.level) html += "</li>";
    else { html += "<ol>"; stack.push(e.level); }
    html += `<li><a href="#${escapeHtml(e.id)}">${escapeHtml(e.text)}</a>`;
  }
  while (stack.pop() !== undefined) html += "</li></ol>";
  return html;
}

function renderNotebook(file: string, nb: Notebook, md: MarkdownRenderer, slugger: Slugger, toc: TocEntry[], counter: { figure: number; table: number }): string {
  const name = file.split("/").pop()!.replace(/\.ipynb$/, "");
  const id = slugger.slug(`nb-${name}`);
  const parts: string[] = [];
  const headings: Heading[] = [];
  let position = 0;
  for (const cell of nb.cells) {
    const injected = (cell.metadata.tags ?? []).includes("injected-parameters");
    if (!injected) position++;
    const where = `${file}: cell ${position}`;
    if (cell.cell_type === "markdown") {
      const r = md.render(cellSource(cell));
      headings.push(...r.headings);
      parts.push(`<div class="pa-markdown">${r.html}</div>`);
    } else if (cell.cell_type === "code") {
      const src = cellSource(cell);
      if (src.trim() === "") continue;
      const label = injected ? "injected parameters" : (cell.metadata.tags ?? []).includes("parameters") ? "parameters" : "code";
      const count = cell.execution_count == null ? " " : String(cell.execution_count);
      parts.push(`<details class="pa-code"><summary>${label} [${escapeHtml(count)}]</summary><pre><code>${escapeHtml(src)}</code></pre></details>`);
      for (const o of cell.outputs ?? []) parts.push(renderOutput(o, where, md, counter));
    }
  }
  // The notebook's first heading names it in the contents; the file name stands in when it has none.
  const top = Math.min(...headings.map((h) => h.level));
  const title = headings.find((h) => h.level === top);
  toc.push({ id, text: title ? title.text : name, level: 1 });
  for (const h of headings) if (h !== title && h.level <= top + 2) toc.push({ id: h.id, text: h.text, level: h.level - top + 2 });
  return `<section class="pa-notebook" id="${escapeHtml(id)}">\n<p class="pa-source">${escapeHtml(file)}</p>\n${parts.join("\n")}\n</section>`;
}

function renderOutput(o: Output, where: string, md: MarkdownRenderer, counter: { figure: number; table: number }): string {
  switch (o.output_type) {
    case "stream":
      return `<pre class="pa-stream pa-${o.name === "stderr" ? "stderr" : "stdout"}">${escapeHtml(stripAnsi(o.text))}</pre>`;
    case "error":
      return `<pre class="pa-stream pa-stderr">${escapeHtml(`${o.ename}: ${o.evalue}\n${o.traceback.map(stripAnsi).join("\n")}`)}</pre>`;
    default:
      return renderBundle(o.data, where, md, counter);
  }
}

function renderBundle(data: MimeBundle, where: string, md: MarkdownRenderer, counter: { figure: number; table: number }): string {
  if (FIGURE_MIME in data) return renderFigure(mimeJson(data[FIGURE_MIME], `${where}: ${FIGURE_MIME}`), `${where}: ${FIGURE_MIME}`, ++counter.figure);
  if (TABLE_MIME in data) return renderTable(mimeJson(data[TABLE_MIME], `${where}: ${TABLE_MIME}`), `${where}: ${TABLE_MIME}`, ++counter.table);
  if (PROVENANCE_MIME in data) {
    const p = mimeJson(data[PROVENANCE_MIME], where) as { model?: unknown };
    return `<p class="pa-note">Provenance recorded for ${escapeHtml(String(p?.model))} (see <a href="#provenance">Provenance</a>).</p>`;
  }
  if (typeof data["text/markdown"] === "string") return `<div class="pa-markdown pa-output">${md.render(data["text/markdown"]).html}</div>`;
  for (const mime of ["image/png", "image/jpeg"]) {
    const b64 = data[mime];
    if (typeof b64 === "string" && /^[A-Za-z0-9+/=\s]*$/.test(b64)) return `<img class="pa-image" alt="" src="data:${mime};base64,${b64.replace(/\s/g, "")}">`;
  }
  // An SVG in <img> cannot run script, so even an SVG from data is safe here.
  if (typeof data["image/svg+xml"] === "string") return `<img class="pa-image" alt="" src="data:image/svg+xml;base64,${Buffer.from(data["image/svg+xml"]).toString("base64")}">`;
  if (typeof data["text/html"] === "string") {
    return `<div class="pa-untrusted"><p class="pa-note">HTML output shown as text (HTML from data is not trusted in the report):</p><pre>${escapeHtml(data["text/html"])}</pre></div>`;
  }
  if (typeof data["text/plain"] === "string") return `<pre class="pa-text">${escapeHtml(stripAnsi(data["text/plain"]))}</pre>`;
  if ("application/json" in data) return `<pre class="pa-text">${escapeHtml(JSON.stringify(data["application/json"], null, 2))}</pre>`;
  return `<p class="pa-note">Output of type ${escapeHtml(Object.keys(data).sort().join(", ") || "(none)")} not shown.</p>`;
}

function renderFigure(value: unknown, where: string, n: number): string {
  const spec = value as Partial<FigureSpec> | null;
  if (spec === null || typeof spec !== "object" || !Array.isArray(spec.data)) {
    throw new Error(`${where}: a figure needs a "data" array of plotly traces, got ${JSON.stringify(value)?.slice(0, 80)}; display {id, title, data, layout}`);
  }
  if (spec.table) checkTable(spec.table, where);
  const title = typeof spec.title === "string" ? spec.title : `Figure ${n}`;
  const id = typeof spec.id === "string" ? spec.id : `figure-${n}`;
  return figureHtml({ ...spec, id, title, data: spec.data, layout: spec.layout ?? {} } as FigureSpec, { uid: String(n), number: n, script: false });
}

function checkTable(table: { columns?: unknown; rows?: unknown }, where: string): void {
  if (!Array.isArray(table.columns) || !Array.isArray(table.rows) || !table.rows.every(Array.isArray)) {
    throw new Error(`${where}: table needs "columns" (string[]) and "rows" (arrays), got ${JSON.stringify(table)?.slice(0, 80)}; fix the figure's table`);
  }
}

function renderTable(value: unknown, where: string, n: number): string {
  const t = value as { id?: unknown; title?: unknown; columns?: unknown; rows?: unknown; note?: unknown };
  if (t === null || typeof t !== "object") throw new Error(`${where}: expected a table object, got ${JSON.stringify(value)?.slice(0, 80)}; display {id, title, columns, rows}`);
  checkTable(t, where);
  const title = typeof t.title === "string" ? t.title : `Table ${n}`;
  const id = typeof t.id === "string" ? t.id : `table-${n}`;
  return tableHtml({ ...(t as TableSpec), id, title }, { uid: String(n), number: n });
}

function renderProvenance(p: ReportProvenance): string {
  const kv = (rows: [string, unknown][]) =>
    `<table class="pa-kv"><tbody>${rows.map(([k, v]) => `<tr><th>${escapeHtml(k)}</th><td>${escapeHtml(v === null || v === undefined ? "—" : typeof v === "string" ? v : stableStringify(v))}</td></tr>`).join("")}</tbody></table>`;
  const models = p.models.map((m) => {
    const files = (m.files ?? []).map((f) => `<tr><td>${escapeHtml(String(f.name))}</td><td><code>${escapeHtml(String(f.sha256))}</code></td></tr>`).join("");
    const rest = Object.keys(m).filter((k) => !["model", "files", "dtype", "seed", "sample", "settings"].includes(k)).sort();
    return [
      `<h3>${escapeHtml(m.model)}</h3>`,
      kv([["dtype", m.dtype], ["seed", m.seed], ["sample", m.sample], ["settings", m.settings], ...rest.map((k) => [k, m[k]] as [string, unknown])]),
      files ? `<table class="pa-files"><thead><tr><th>file</th><th>sha256</th></tr></thead><tbody>${files}</tbody></table>` : "",
    ].join("\n");
  });
  return [
    '<section class="pa-provenance" id="provenance">',
    '<h2>Provenance</h2>',
    kv([["git commit", p.commit ?? "not a git checkout"], ["node", p.runtime.node], ["platform", p.runtime.platform], ["settings", p.settings]]),
    "<h3>Packages</h3>",
    kv(Object.entries(p.packages).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))),
    "<h3>Notebooks</h3>",
    `<table class="pa-files"><thead><tr><th>notebook</th><th>sha256</th><th>parameters</th></tr></thead><tbody>${p.notebooks
      .map((n) => `<tr><td>${escapeHtml(n.file)}</td><td><code>${escapeHtml(n.sha256)}</code></td><td><code>${escapeHtml(stableStringify(n.parameters))}</code></td></tr>`)
      .join("")}</tbody></table>`,
    "<h3>Models</h3>",
    models.length ? models.join("\n") : '<p class="pa-note">No notebook recorded a model.</p>',
    `<p class="pa-downloads"><a href="#" data-download="json" data-for="pa-provenance-data">download provenance JSON</a></p>`,
    `<script type="application/json" id="pa-provenance-data">${scriptJson({ spec: p, csv: null, file: "provenance" })}</script>`,
    "</section>",
  ].join("\n");
}

function stripAnsi(text: string): string {
  return text.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, "");
}

const STYLE = `
:root{--fg:#1d2125;--muted:#5f6b76;--line:#d8dde2;--bg:#fff;--code:#f5f7f9;--accent:#1f5fa8}
*{box-sizing:border-box}
body{margin:0;font:15px/1.55 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--fg);background:var(--bg)}
.pa-toc{position:fixed;top:0;left:0;bottom:0;width:260px;overflow:auto;padding:16px 14px;border-right:1px solid var(--line);background:#fafbfc;font-size:13.5px}
.pa-toc h2{font-size:14px;margin:0 0 8px;text-transform:uppercase;letter-spacing:.05em;color:var(--muted)}
.pa-toc ol{list-style:none;margin:0;padding-left:12px}.pa-toc>ol{padding-left:0}
.pa-toc li{margin:3px 0}.pa-toc a{color:var(--accent);text-decoration:none}.pa-toc a:hover{text-decoration:underline}
main{margin-left:260px;padding:24px 40px 80px;max-width:1180px}
@media (max-width:900px){.pa-toc{position:static;width:auto;border-right:0;border-bottom:1px solid var(--line)}main{margin-left:0;padding:16px}}
h1,h2,h3,h4{line-height:1.25;scroll-margin-top:12px}
.pa-notebook{border-top:2px solid var(--line);margin-top:32px;padding-top:8px}
.pa-source{color:var(--muted);font:12px ui-monospace,monospace;margin:0}
details.pa-code{margin:8px 0;border:1px solid var(--line);border-radius:4px;background:var(--code)}
details.pa-code summary{cursor:pointer;padding:3px 8px;color:var(--muted);font:12px ui-monospace,monospace}
pre{margin:6px 0;padding:8px 10px;overflow:auto;font:12.5px/1.45 ui-monospace,SFMono-Regular,Menlo,monospace;white-space:pre-wrap;word-break:break-word}
details.pa-code pre{margin:0;border-top:1px solid var(--line)}
.pa-stream{background:#fbfbfb;border-left:3px solid var(--line)}.pa-stderr{border-left-color:#c0392b;background:#fff6f5}
.pa-text{background:#fbfbfb}
.pa-untrusted pre{background:#fffbea}
.pa-note{color:var(--muted);font-size:13px}
.math{font-family:"Latin Modern Math","STIX Two Math","Cambria Math",serif;font-style:italic;background:#f3f1fa;padding:0 3px;border-radius:3px;white-space:pre-wrap}
.math-display{display:block;text-align:center;margin:10px 0;padding:6px}
figure{margin:16px 0}
.pa-figure{width:100%;min-height:380px}
figcaption{font-size:13.5px;color:var(--fg)}.pa-figure-number{font-weight:600}
.pa-downloads{margin-left:8px;font-size:12.5px}.pa-downloads a{color:var(--accent)}
.pa-table-scroll{overflow:auto}
table{border-collapse:collapse;font-size:13px;margin:6px 0}
th,td{border:1px solid var(--line);padding:3px 8px;text-align:left;vertical-align:top}
td.pa-num{text-align:right;font-variant-numeric:tabular-nums}
thead th{background:#f0f3f6}
.pa-kv th{background:#f6f8fa;font-weight:600;white-space:nowrap}
.pa-provenance{border-top:2px solid var(--line);margin-top:40px}
code{font-family:ui-monospace,monospace;font-size:12px;word-break:break-all}
img.pa-image{max-width:100%}
`;
