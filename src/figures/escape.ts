/**
 * Escaping for the HTML the toolkit writes (notebook figure outputs and the report): every string
 * that comes from data (sentences, tokens, file names, model ids, kernel output) passes through one
 * of these before it reaches the HTML.
 */

const HTML_ESCAPES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

/** Escapes text for HTML element content and for quoted attribute values. */
export function escapeHtml(text: string): string {
  return String(text).replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]);
}

/**
 * JSON for a `<script type="application/json">` block: keys sorted (stable bytes), and `<`, `>`,
 * `&`, U+2028 and U+2029 written as \u escapes, so no "</script" or "<!--" can close or confuse
 * the block. JSON.parse returns the same value.
 */
export function scriptJson(value: unknown): string {
  return stableStringify(value).replace(/[<>&\u2028\u2029]/g, (c) => "\\u" + c.charCodeAt(0).toString(16).padStart(4, "0"));
}

/** JSON.stringify with object keys sorted at every level; non-finite numbers become null, as in JSON. */
export function stableStringify(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (ArrayBuffer.isView(value) && !(value instanceof DataView)) return Array.from(value as unknown as ArrayLike<number>);
  if (value !== null && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(value).sort()) out[k] = sortKeys((value as Record<string, unknown>)[k]);
    return out;
  }
  return value;
}

/**
 * Makes inline JavaScript safe to place inside <script>…</script>: "</script" and "<!--" cannot
 * appear, because the HTML parser would end or re-mode the element there. Inside JS strings,
 * regexes and comments, "<\/" and "<\!--" read the same as the originals.
 */
export function inlineScript(source: string): string {
  return source.replace(/<\/(script)/gi, "<\\/$1").replace(/<!--/g, "<\\!--");
}

/** A slug for an HTML id: lowercase ASCII letters, digits and hyphens; "section" if nothing is left. */
export function slugify(text: string): string {
  const s = String(text)
    .normalize("NFKD")
    .replace(/[\u0300-\u036f]/g, "")
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "");
  return s || "section";
}

/** RFC 4180 CSV: fields holding a comma, quote, CR or LF are quoted, quotes doubled; null is empty. */
export function toCsv(columns: readonly string[], rows: readonly (readonly unknown[])[]): string {
  const field = (v: unknown) => {
    if (v === null || v === undefined) return "";
    const s = typeof v === "string" ? v : typeof v === "number" || typeof v === "boolean" ? String(v) : JSON.stringify(v);
    return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
  };
  return [columns, ...rows].map((r) => r.map(field).join(",")).join("\r\n") + "\r\n";
}
