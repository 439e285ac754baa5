/** The report's escaping helpers live with the figures' HTML (one path for notebooks and report). */
export { escapeHtml, inlineScript, scriptJson, slugify, stableStringify, toCsv } from "../figures/escape.js";
