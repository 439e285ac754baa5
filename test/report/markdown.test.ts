import { test } from "node:test";
import assert from "node:assert/strict";
import { MarkdownRenderer, Slugger } from "../../src/report/markdown.js";

test("MarkdownRenderer gives headings slug ids, unique across calls that share a slugger", () => {
  const md = new MarkdownRenderer();
  const a = md.render("# Outliers *per* layer\n\n## Outliers per layer\n");
  assert.deepEqual(a.headings, [
    { level: 1, text: "Outliers per layer", id: "outliers-per-layer" },
    { level: 2, text: "Outliers per layer", id: "outliers-per-layer-1" },
  ]);
  assert.match(a.html, /<h1 id="outliers-per-layer">Outliers <em>per<\/em> layer<\/h1>/);
  const b = md.render("# Outliers per layer");
  assert.equal(b.headings[0].id, "outliers-per-layer-2");
});

test("Slugger reserves ids so later headings cannot take them", () => {
  const s = new Slugger();
  assert.equal(s.slug("Provenance"), "provenance");
  assert.equal(new MarkdownRenderer(s).render("# Provenance").headings[0].id, "provenance-1");
});

test("MarkdownRenderer renders raw HTML as text and drops javascript: links", () => {
  const { html } = new MarkdownRenderer().render(`<script>alert(1)</script>\n\n"><img src=x onerror=alert(1)>\n\n[x](javascript:alert(1))`);
  assert.ok(!html.includes("<script"), html);
  assert.ok(!html.includes("<img"), html);
  assert.ok(html.includes("&lt;script&gt;alert(1)&lt;/script&gt;"), html);
  assert.ok(!html.includes('href="javascript:'), html);
});

test("MarkdownRenderer keeps $…$ and $$…$$ as escaped TeX, and leaves prices alone", () => {
  const { html } = new MarkdownRenderer().render("Let $x_i < y_i$ and $a*b*c$, costs $5 and $6.\n\n$$\n\\sum_{i} x_i\n$$\n\n$$E = mc^2$$");
  assert.ok(html.includes('<span class="math">x_i &lt; y_i</span>'), html);
  assert.ok(html.includes('<span class="math">a*b*c</span>'), html);
  assert.ok(html.includes("costs $5 and $6."), html);
  assert.ok(html.includes('<div class="math math-display">\\sum_{i} x_i</div>'), html);
  assert.ok(html.includes('<div class="math math-display">E = mc^2</div>'), html);
});

test("MarkdownRenderer puts TeX of a heading into its text and id", () => {
  const { headings } = new MarkdownRenderer().render("## Anisotropy of $h_l$");
  assert.deepEqual(headings, [{ level: 2, text: "Anisotropy of h_l", id: "anisotropy-of-h-l" }]);
});
