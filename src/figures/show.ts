/**
 * Displays figures, tables, markdown and provenance. Inside a tslab kernel each call emits one
 * Jupyter display_data message whose bundle every front-end can draw: the project's mime type (the
 * report reads it), text/html (the plot or table from html.ts, the same path as the report),
 * application/vnd.plotly.v1+json (VS Code, JupyterLab with plotly's extension) and text/plain.
 * plotly.js goes to the page once per kernel session, with the first figure's text/html; later
 * figures queue themselves until it is there; a kernel whose outputs go to a page that has plotly.js
 * already (the report's kernels: PAGE_HAS_PLOTLY_ENV) sends it with none. Outside a kernel (plain
 * node) show prints a short text summary to stdout. show() returns its spec, so `const fig = show(meanVectorsFigure(r))` keeps it;
 * showMarkdown and showProvenance return nothing, because tslab prints the value of a cell's last
 * expression.
 */
import * as fs from "node:fs";
import { randomBytes } from "node:crypto";
import type { FigureSpec, TableSpec } from "./spec.js";
import { isFigureSpec } from "./spec.js";
import { drawableSpec, figureHtml, plotlyScriptHtml, runtimeScriptHtml, tableHtml } from "./html.js";

export const FIGURE_MIME = "application/vnd.positional-artefacts.figure+json";
export const TABLE_MIME = "application/vnd.positional-artefacts.table+json";
export const PROVENANCE_MIME = "application/vnd.positional-artefacts.provenance+json";
export const PLOTLY_MIME = "application/vnd.plotly.v1+json";

/**
 * Set to "1" in a kernel whose outputs are shown on a page that inlines plotly.js itself: the report
 * (report/generate.ts) draws figures from FIGURE_MIME with the one copy it inlines, so a figure's
 * text/html there carries only the runtime. Without it each notebook's first figure sent the 4.8 MB
 * bundle through the kernel's socket (signed, parsed), through the report's outputs cache (written,
 * hashed) and into the bin: 11 notebooks, 53 MB per report, measured 0.6 CPU-s of 45.
 */
export const PAGE_HAS_PLOTLY_ENV = "PA_PAGE_HAS_PLOTLY";

/** The content of a Jupyter display_data message: mime type -> value. */
export interface DisplayBundle {
  data: Record<string, unknown>;
  metadata: Record<string, unknown>;
}

/** Where bundles go: a kernel's display function, or null outside a kernel. */
export type DisplaySink = (bundle: DisplayBundle) => void;

let sinkOverride: DisplaySink | null | undefined;
/** What this kernel session has sent to the page: plotly.js (with the runtime), or the runtime alone. */
const sent = { plotly: false, runtime: false };
let shown = 0;

/**
 * Replaces the display target (tests, or a host that is not tslab); `undefined` restores the
 * automatic choice (tslab kernel if present, else stdout text). A new target is a new page: the
 * next figure carries plotly.js again.
 */
export function setDisplaySink(sink: DisplaySink | null | undefined): void {
  sinkOverride = sink;
  sent.plotly = sent.runtime = false;
}

/** Shows a figure or table; returns it unchanged. Anything else is a TypeError naming what it got. */
export function show<T extends FigureSpec | TableSpec>(spec: T): T {
  checkShowable(spec);
  const sink = currentSink();
  if (!sink) {
    process.stdout.write(summarize(spec) + "\n");
    return spec;
  }
  const figure = isFigureSpec(spec);
  const bundle = displayBundle(spec, { uid: `${process.pid.toString(36)}-${++shown}-${randomBytes(3).toString("hex")}`, plotly: figure && !sent.plotly && process.env[PAGE_HAS_PLOTLY_ENV] !== "1", runtime: !sent.runtime });
  sink(bundle);
  if (figure) sent.plotly = true;
  sent.runtime = true;
  return spec;
}

/** Throws a TypeError unless `value` is a FigureSpec or a TableSpec, saying what it got and what show accepts. */
export function checkShowable(value: unknown): asserts value is FigureSpec | TableSpec {
  const v = value as Record<string, unknown> | null;
  const isObject = v !== null && typeof v === "object" && !Array.isArray(v);
  if (isObject && typeof v.id === "string" && typeof v.title === "string") {
    if (Array.isArray(v.data) && v.layout !== null && typeof v.layout === "object") return;
    if (Array.isArray(v.columns) && Array.isArray(v.rows) && v.rows.every(Array.isArray)) return;
  }
  throw new TypeError(`show: got ${describe(value)}; show accepts a figure {id, title, data: plotly traces[], layout} (e.g. pa.meanVectorsFigure(...)) or a table {id, title, columns, rows} (e.g. pa.wicTable(...)); use pa.showMarkdown for text`);
}

function describe(value: unknown): string {
  if (value === null || value === undefined) return String(value);
  if (Array.isArray(value)) return `an array of ${value.length} items`;
  if (typeof value === "object") {
    const keys = Object.keys(value);
    return `an object with keys {${keys.slice(0, 8).join(", ")}${keys.length > 8 ? ", …" : ""}}`;
  }
  if (typeof value === "string") return `a string (${JSON.stringify(value.length > 40 ? value.slice(0, 40) + "…" : value)})`;
  return `a ${typeof value} (${String(value)})`;
}

/** Shows narrative text (markdown) computed from results. */
export function showMarkdown(text: string): void {
  emit({ data: { "text/markdown": text, "text/plain": text }, metadata: {} }, text);
}

/** Shows one model's provenance block (call once per model); the report collects it. */
export function showProvenance(provenance: object): void {
  const summary = provenanceSummary(provenance);
  emit({ data: { [PROVENANCE_MIME]: toPlainJson(provenance), "text/plain": summary }, metadata: {} }, summary);
}

/** Options of {@link displayBundle}. */
export interface BundleOptions {
  /** Makes the HTML element ids unique on the page; default "1". */
  uid?: string;
  /** Put plotly.js (and the runtime) in this bundle's text/html: the first figure of a kernel session. */
  plotly?: boolean;
  /** Put the runtime (download links, drawing) in this bundle's text/html, without plotly.js. */
  runtime?: boolean;
}

/**
 * The display_data content for a figure (project mime, text/html, plotly mime, text/plain) or a
 * table (project mime, text/html, text/plain).
 */
export function displayBundle(spec: FigureSpec | TableSpec, { uid = "1", plotly = false, runtime = false }: BundleOptions = {}): DisplayBundle {
  const plain = toPlainJson(spec) as FigureSpec | TableSpec;
  const page = plotly ? plotlyScriptHtml(plotlySource()) : runtime ? runtimeScriptHtml() : "";
  if (isFigureSpec(plain)) {
    const draw = drawableSpec(plain).spec;
    const html = page + figureHtml(plain, { uid });
    return { data: { [FIGURE_MIME]: plain, "text/html": html, [PLOTLY_MIME]: { data: draw.data, layout: draw.layout, config: draw.config ?? {} }, "text/plain": summarize(plain) }, metadata: {} };
  }
  return { data: { [TABLE_MIME]: plain, "text/html": page + tableHtml(plain, { uid }), "text/plain": summarize(plain) }, metadata: {} };
}

let plotlyCache: string | null = null;

/** The installed plotly.js-dist-min bundle, read once. */
export function plotlySource(): string {
  plotlyCache ??= fs.readFileSync(require.resolve("plotly.js-dist-min/plotly.min.js"), "utf8");
  return plotlyCache;
}

/**
 * A short text summary: the title, then one line per series with its point count (figures), or
 * the columns and row count (tables).
 */
export function summarize(spec: FigureSpec | TableSpec): string {
  const lines = [`${spec.title} [${spec.id}]`];
  if (isFigureSpec(spec)) {
    for (const trace of spec.data) {
      const name = typeof trace.name === "string" && trace.name ? trace.name : String(trace.type ?? "trace");
      lines.push(`  ${name}: ${pointCount(trace)} points`);
    }
  } else {
    lines.push(`  columns: ${spec.columns.join(" | ")}`);
    lines.push(`  ${spec.rows.length} rows`);
    if (spec.note) lines.push(`  note: ${spec.note}`);
  }
  return lines.join("\n");
}

function pointCount(trace: Record<string, unknown>): number {
  const z = trace.z;
  if (Array.isArray(z)) return z.reduce((n: number, row) => n + (Array.isArray(row) ? row.length : 1), 0);
  for (const key of ["y", "x", "values"]) {
    const v = trace[key];
    if (Array.isArray(v)) return v.length;
  }
  return 0;
}

function provenanceSummary(p: object): string {
  const r = p as Record<string, unknown>;
  const model = r.model ?? r.modelId ?? r.id ?? r.source;
  return `provenance: ${typeof model === "string" ? model : JSON.stringify(model ?? "unknown model")}`;
}

/** Typed arrays become plain arrays so the bundle serialises as JSON the report can read. */
function toPlainJson(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value, (_k, v) => (ArrayBuffer.isView(v) && !(v instanceof DataView) ? Array.from(v as unknown as ArrayLike<number>) : v)));
}

function currentSink(): DisplaySink | null {
  return sinkOverride !== undefined ? sinkOverride : tslabSink();
}

function emit(bundle: DisplayBundle, text: string): void {
  const sink = currentSink();
  if (sink) sink(bundle);
  else process.stdout.write(text.endsWith("\n") ? text : text + "\n");
}

/**
 * The running tslab kernel's display function, or null outside tslab. tslab's public
 * `display.raw(type, value)` carries one mime type per message, so this reaches the function it
 * wraps (`lastWriteDisplayData` in tslab/dist/jupyter.js, set while a cell runs) to send the
 * project mime and text/plain together; the module is looked up in require.cache so it is the
 * kernel's own copy even when tslab is installed globally.
 */
function tslabSink(): DisplaySink | null {
  if (!(globalThis as { __tslab__?: unknown }).__tslab__) return null;
  for (const [file, mod] of Object.entries(require.cache)) {
    if (!/[\\/]tslab[\\/]dist[\\/]jupyter\.js$/.test(file)) continue;
    const write = (mod?.exports as { lastWriteDisplayData?: unknown } | undefined)?.lastWriteDisplayData;
    if (typeof write === "function") {
      return (bundle) => (write as (d: unknown, update: boolean) => void)({ ...bundle, transient: {} }, false);
    }
  }
  // An unfamiliar tslab layout: fall back to the public API, one message per mime (JSON as text).
  const tslab = (globalThis as { __tslab__?: { require?: (id: string) => unknown } }).__tslab__?.require?.("tslab") as
    | { display?: { raw(type: string, value: string): void } }
    | undefined;
  const raw = tslab?.display?.raw;
  if (typeof raw !== "function") return null;
  return (bundle) => {
    for (const [type, value] of Object.entries(bundle.data)) {
      if ((type === "text/plain" && Object.keys(bundle.data).length > 1) || type === PLOTLY_MIME) continue;
      raw.call(tslab!.display, type, typeof value === "string" ? value : JSON.stringify(value));
    }
  };
}
