/**
 * The one HTML path for figures and tables, used by `show` in a notebook (its text/html output) and
 * by the report: a figure is a div, its spec as a JSON block, a tiny inline script that queues it
 * for drawing, and a link row (CSV, JSON, SVG, PNG) under it; a table is an escaped HTML table with
 * a CSV link. The page-wide runtime (RUNTIME_SCRIPT) draws queued figures with plotly.js and serves
 * the links; it goes on the page once, with plotly.js (the report inlines both at the end; a kernel
 * sends both with its first figure, see show.ts). Every string from data is escaped.
 */
import { escapeHtml, inlineScript, scriptJson, slugify, toCsv } from "./escape.js";
import type { FigureSpec, TableSpec } from "./spec.js";

/** A heatmap trace with more cells than this is drawn as block means (the downloads keep every value). */
export const MAX_HEATMAP_CELLS = 100_000;

/** The spec to draw (heatmaps over MAX_HEATMAP_CELLS reduced to block means) and a note per reduced trace. */
export function drawableSpec(spec: FigureSpec, maxCells = MAX_HEATMAP_CELLS): { spec: FigureSpec; notes: string[] } {
  const notes: string[] = [];
  const data = spec.data.map((trace, i) => {
    const z = trace.z;
    if (trace.type !== "heatmap" || !Array.isArray(z) || !z.every(Array.isArray)) return trace;
    const rows = z.length, cols = Math.max(0, ...z.map((r: unknown[]) => r.length));
    if (rows * cols <= maxCells) return trace;
    const fx = Math.ceil(cols / Math.max(1, Math.floor(maxCells / rows)));
    const fy = rows > maxCells ? Math.ceil(rows / maxCells) : 1;
    const pick = (axis: unknown, n: number, f: number) => (Array.isArray(axis) ? Array.from({ length: Math.ceil(n / f) }, (_, k) => axis[k * f]) : undefined);
    const reduced: (number | null)[][] = [];
    for (let r = 0; r < rows; r += fy) {
      const row: (number | null)[] = [];
      for (let c = 0; c < cols; c += fx) row.push(blockMean(z as unknown[][], r, c, fy, fx));
      reduced.push(row);
    }
    const name = typeof trace.name === "string" && trace.name ? trace.name : `trace ${i + 1}`;
    notes.push(`Heatmap "${name}": ${rows} × ${cols} values drawn as ${reduced.length} × ${reduced[0]?.length ?? 0} block means (${fy} × ${fx} cells per block) so the page stays responsive; the CSV and JSON links hold every value.`);
    const out: Record<string, unknown> = { ...trace, z: reduced };
    const x = pick(trace.x, cols, fx), y = pick(trace.y, rows, fy);
    if (x) out.x = x;
    if (y) out.y = y;
    delete out.text;
    delete out.customdata;
    if (typeof out.hovertemplate === "string") out.hovertemplate = out.hovertemplate.replace(/<br>%\{(text|customdata[^}]*)\}/g, "") + `<br>(block mean of ${fy} × ${fx})`;
    return out;
  });
  return { spec: notes.length ? { ...spec, data } : spec, notes };
}

function blockMean(z: unknown[][], r0: number, c0: number, fy: number, fx: number): number | null {
  let sum = 0, n = 0;
  for (let r = r0; r < Math.min(z.length, r0 + fy); r++) {
    for (let c = c0; c < Math.min(z[r].length, c0 + fx); c++) {
      const v = z[r][c];
      if (typeof v === "number" && Number.isFinite(v)) { sum += v; n++; }
    }
  }
  return n ? sum / n : null;
}

/** Options of {@link figureHtml} and {@link tableHtml}. */
export interface FigureHtmlOptions {
  /** Makes the element ids unique on the page. */
  uid: string;
  /** Labels it "Figure N." / "Table N." (the report). */
  number?: number;
  /**
   * Add the figure's own queueing script (default true: a notebook output, which may reach the
   * page after the runtime). The report leaves it out: its runtime, last on the page, draws every
   * figure in the document.
   */
  script?: boolean;
}

/** One figure: `<figure>` with the plot div, its JSON block, the queueing script and the link row. */
export function figureHtml(spec: FigureSpec, { uid, number, script = true }: FigureHtmlOptions): string {
  const { spec: draw, notes } = drawableSpec(spec);
  const csv = spec.table ? toCsv(spec.table.columns.map(String), spec.table.rows) : null;
  const file = slugify(spec.id || `figure-${uid}`);
  const payload: Record<string, unknown> = { spec, csv, file };
  if (draw !== spec) payload.draw = draw;
  const plot = `pa-figure-${uid}`, dataId = `pa-figure-data-${uid}`;
  const link = (kind: string, text: string) => `<a href="#" data-download="${kind}" data-for="${dataId}" data-plot="${plot}">${text}</a>`;
  const links = [...(csv !== null ? [link("csv", "CSV")] : []), link("json", "JSON"), link("svg", "SVG"), link("png", "PNG")];
  const label = number === undefined ? "" : `<span class="pa-figure-number">Figure ${number}.</span> `;
  return [
    `<figure class="pa-figure-block" id="figure-${uid}">`,
    `<div class="pa-figure" id="${plot}" data-spec="${dataId}" style="min-height:380px"></div>`,
    `<script type="application/json" class="pa-figure-data" id="${dataId}" data-target="${plot}">${scriptJson(payload)}</script>`,
    `<figcaption>${label}${escapeHtml(spec.title)} <span class="pa-downloads">download ${links.join(" · ")}</span></figcaption>`,
    ...notes.map((n) => `<p class="pa-note">${escapeHtml(n)}</p>`),
    script ? `<script>${inlineScript(queueScript(dataId))}</script>` : "",
    "</figure>",
  ].join("\n");
}

/** One table: caption with a CSV link, the escaped table, its note, and its JSON block for the link. */
export function tableHtml(table: TableSpec, { uid, number }: FigureHtmlOptions): string {
  const csv = toCsv(table.columns.map(String), table.rows);
  const dataId = `pa-table-data-${uid}`;
  const cell = (v: unknown) => {
    const text = v === null || v === undefined ? "" : typeof v === "object" ? JSON.stringify(v) : String(v);
    return `<td${typeof v === "number" ? ' class="pa-num"' : ""}>${escapeHtml(text)}</td>`;
  };
  const label = number === undefined ? "" : `<span class="pa-figure-number">Table ${number}.</span> `;
  return [
    `<figure class="pa-table-block" id="table-${uid}">`,
    `<figcaption>${label}${escapeHtml(table.title)} <span class="pa-downloads"><a href="#" data-download="csv" data-for="${dataId}">download CSV</a></span></figcaption>`,
    `<div class="pa-table-scroll"><table class="pa-table"><thead><tr>${table.columns.map((c) => `<th>${escapeHtml(String(c))}</th>`).join("")}</tr></thead>`,
    `<tbody>${table.rows.map((r) => `<tr>${r.map(cell).join("")}</tr>`).join("\n")}</tbody></table></div>`,
    typeof table.note === "string" ? `<p class="pa-note">${escapeHtml(table.note)}</p>` : "",
    `<script type="application/json" class="pa-table-data" id="${dataId}">${scriptJson({ spec: table, csv, file: slugify(table.id || `table-${uid}`) })}</script>`,
    "</figure>",
  ].join("\n");
}

/** plotly.js and the runtime as one `<script>`; plotly's UMD wrapper sees no AMD `define` (classic Jupyter has RequireJS), so it sets window.Plotly. */
export function plotlyScriptHtml(plotlySource: string): string {
  const wrapped = `if (!window.Plotly) (function (define, exports, module) {\n${plotlySource}\n}).call(window);\n${RUNTIME_SCRIPT}`;
  return `<script>${inlineScript(wrapped)}</script>`;
}

/** The runtime alone (a page that already has plotly.js, e.g. a table-only output before any figure). */
export function runtimeScriptHtml(): string {
  return `<script>${inlineScript(RUNTIME_SCRIPT)}</script>`;
}

/** The figure's own script: queue it, and draw now when the runtime is on the page; say so on the page when plotly.js never arrives. */
function queueScript(dataId: string): string {
  const id = JSON.stringify(dataId);
  return `(function () { (window.__paQueue = window.__paQueue || []).push(${id}); if (window.__paRuntime) window.__paRuntime.flush();
  setTimeout(function () { var el = document.getElementById(${id}); var d = el && document.getElementById(el.getAttribute("data-target"));
    if (d && !d.getAttribute("data-drawn") && !window.Plotly) d.textContent = "plotly.js is not on this page: it is sent once per kernel session, with the first figure, and that output is gone. Restart the kernel and run all cells to draw this figure."; }, 10000); })();`;
}

/** Draws queued figures and every figure already in the document (each once, when its div is in the document), and serves the download links. */
export const RUNTIME_SCRIPT = `(function () {
  "use strict";
  if (window.__paRuntime) { window.__paRuntime.flush(); return; }
  var rt = window.__paRuntime = {};
  function fail(div, e) { div.textContent = "This figure could not be drawn: " + (e && e.message); console.error("positional-artefacts: figure failed:", e); }
  function draw(dataId, tries) {
    var el = document.getElementById(dataId);
    var div = el && document.getElementById(el.getAttribute("data-target"));
    if (!div || div.getAttribute("data-drawn")) return;
    if (!window.Plotly || !div.isConnected) { if (tries < 3000) setTimeout(function () { draw(dataId, tries + 1); }, 100); return; }
    div.setAttribute("data-drawn", "1");
    div.textContent = "";
    try {
      var p = JSON.parse(el.textContent), spec = p.draw || p.spec;
      var config = Object.assign({displaylogo: false, responsive: true}, spec.config || {});
      Promise.resolve(window.Plotly.newPlot(div, hover(spec), spec.layout || {}, config)).catch(function (e) { fail(div, e); });
    } catch (e) { fail(div, e); }
  }
  // Traces without their own hover text get one naming the series and the axes (layer, dim, token position ...).
  function hover(spec) {
    var layout = spec.layout || {};
    function title(id, letter) {
      var axis = layout[letter + "axis" + (id && id.length > 1 ? id.slice(1) : "")], t = axis && axis.title;
      t = t && (typeof t === "string" ? t : t.text);
      return t ? String(t).replace(/<[^>]*>/g, " ").replace(/\s+/g, " ").trim() : letter;
    }
    return spec.data.map(function (tr) {
      if (tr.hovertemplate || tr.hoverinfo || (tr.type && tr.type !== "scatter" && tr.type !== "bar")) return tr;
      return Object.assign({}, tr, {hovertemplate: "%{fullData.name}<br>" + title(tr.xaxis, "x") + ": %{x}<br>" + title(tr.yaxis, "y") + ": %{y}" + (tr.text ? "<br>%{text}" : "") + "<extra></extra>"});
    });
  }
  rt.flush = function () {
    var q = window.__paQueue || [], all = document.querySelectorAll("script.pa-figure-data");
    window.__paQueue = [];
    for (var i = 0; i < all.length; i++) if (all[i].id && q.indexOf(all[i].id) < 0) q.push(all[i].id);
    for (var j = 0; j < q.length; j++) draw(q[j], 0);
  };
  function save(blob, name) {
    var link = document.createElement("a");
    link.href = URL.createObjectURL(blob);
    link.download = name;
    document.body.appendChild(link);
    link.click();
    setTimeout(function () { URL.revokeObjectURL(link.href); link.remove(); }, 0);
  }
  document.addEventListener("click", function (ev) {
    var a = ev.target && ev.target.closest ? ev.target.closest("a[data-download][data-for]") : null;
    if (!a) return;
    ev.preventDefault();
    ev.stopPropagation();
    var kind = a.getAttribute("data-download"), p = JSON.parse(document.getElementById(a.getAttribute("data-for")).textContent);
    if (kind === "svg" || kind === "png") {
      var div = document.getElementById(a.getAttribute("data-plot"));
      Promise.resolve(window.Plotly.downloadImage(div, {format: kind, filename: p.file, width: div.clientWidth || 900, height: div.clientHeight || 500}))
        .catch(function (e) { console.error("positional-artefacts: image download failed:", e); });
    } else if (kind === "csv") save(new Blob([p.csv], {type: "text/csv"}), p.file + ".csv");
    else save(new Blob([JSON.stringify(p.spec, null, 2) + "\\n"], {type: "application/json"}), p.file + ".json");
  }, true);
  rt.flush();
})();`;
