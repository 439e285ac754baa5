/**
 * Displays figures, tables, markdown and provenance. Inside a tslab kernel each call emits one
 * Jupyter display_data message carrying the project's mime type (the report renders it) plus
 * text/plain; outside a kernel (plain node) it prints a short text summary to stdout. show()
 * returns its spec, so `const fig = show(meanVectorsFigure(r))` keeps it; showMarkdown and
 * showProvenance return nothing, because tslab prints the value of a cell's last expression.
 */
import type { FigureSpec, TableSpec } from "./spec.js";
import { isFigureSpec } from "./spec.js";

export const FIGURE_MIME = "application/vnd.positional-artefacts.figure+json";
export const TABLE_MIME = "application/vnd.positional-artefacts.table+json";
export const PROVENANCE_MIME = "application/vnd.positional-artefacts.provenance+json";

/** The content of a Jupyter display_data message: mime type -> value. */
export interface DisplayBundle {
  data: Record<string, unknown>;
  metadata: Record<string, unknown>;
}

/** Where bundles go: a kernel's display function, or null outside a kernel. */
export type DisplaySink = (bundle: DisplayBundle) => void;

let sinkOverride: DisplaySink | null | undefined;

/**
 * Replaces the display target (tests, or a host that is not tslab); `undefined` restores the
 * automatic choice (tslab kernel if present, else stdout text).
 */
export function setDisplaySink(sink: DisplaySink | null | undefined): void {
  sinkOverride = sink;
}

/** Shows a figure or table; returns it unchanged. */
export function show<T extends FigureSpec | TableSpec>(spec: T): T {
  emit(displayBundle(spec), summarize(spec));
  return spec;
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

/** The display_data content for a figure or table: the project's mime type plus text/plain. */
export function displayBundle(spec: FigureSpec | TableSpec): DisplayBundle {
  const mime = isFigureSpec(spec) ? FIGURE_MIME : TABLE_MIME;
  return { data: { [mime]: toPlainJson(spec), "text/plain": summarize(spec) }, metadata: {} };
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

function emit(bundle: DisplayBundle, text: string): void {
  const sink = sinkOverride !== undefined ? sinkOverride : tslabSink();
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
      if (type === "text/plain" && Object.keys(bundle.data).length > 1) continue;
      raw.call(tslab!.display, type, typeof value === "string" ? value : JSON.stringify(value));
    }
  };
}
