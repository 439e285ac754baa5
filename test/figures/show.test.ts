import { test } from "node:test";
import assert from "node:assert/strict";
import { FIGURE_MIME, PAGE_HAS_PLOTLY_ENV, PLOTLY_MIME, PROVENANCE_MIME, TABLE_MIME, displayBundle, plotlySource, setDisplaySink, show, showMarkdown, showProvenance, summarize, type DisplayBundle } from "../../src/figures/show.js";
import type { FigureSpec, TableSpec } from "../../src/figures/spec.js";

const figure: FigureSpec = {
  id: "f", title: "Synthetic figure", layout: {},
  data: [{ type: "scatter", name: "a", x: [1, 2, 3], y: Float32Array.from([1, 2, 3]) }, { type: "heatmap", z: [[1, 2], [3, null]] }],
};
const table: TableSpec = { id: "t", title: "Synthetic table", columns: ["x", "y"], rows: [[1, "a"]], note: "n" };

test("summarize names the title, each series and its point count", () => {
  assert.equal(summarize(figure), "Synthetic figure [f]\n  a: 3 points\n  heatmap: 4 points");
  assert.equal(summarize(table), "Synthetic table [t]\n  columns: x | y\n  1 rows\n  note: n");
});

test("displayBundle carries the project mime (typed arrays as plain arrays), text/html, the plotly mime and text/plain", () => {
  const b = displayBundle(figure, { uid: "u1" });
  assert.deepEqual(Object.keys(b.data), [FIGURE_MIME, "text/html", PLOTLY_MIME, "text/plain"]);
  assert.deepEqual((b.data[FIGURE_MIME] as FigureSpec).data[0].y, [1, 2, 3]);
  assert.deepEqual(b.data[PLOTLY_MIME], { data: (b.data[FIGURE_MIME] as FigureSpec).data, layout: {}, config: {} });
  const html = b.data["text/html"] as string;
  assert.ok(html.includes('<div class="pa-figure" id="pa-figure-u1"'));
  assert.ok(!html.includes("window.Plotly=") && html.length < 5000, "no plotly.js unless asked");
  const t = displayBundle(table, { uid: "t1" });
  assert.deepEqual(Object.keys(t.data), [TABLE_MIME, "text/html", "text/plain"]);
  assert.ok((t.data["text/html"] as string).includes("<tbody><tr><td class=\"pa-num\">1</td><td>a</td></tr></tbody>"));
  // plotly.js comes in one script, wrapped so classic Jupyter's RequireJS does not take it.
  const first = displayBundle(figure, { uid: "u2", plotly: true }).data["text/html"] as string;
  assert.ok(first.includes(plotlySource().slice(0, 200)));
  assert.ok(first.startsWith("<script>if (!window.Plotly) (function (define, exports, module) {"));
});

test("show sends plotly.js with the first figure of a session only, with a fresh element id per figure", () => {
  const got: DisplayBundle[] = [];
  setDisplaySink((b) => got.push(b));
  try {
    show(table);
    show(figure);
    show(figure);
    setDisplaySink((b) => got.push(b)); // a new page (kernel restart)
    show(figure);
  } finally {
    setDisplaySink(undefined);
  }
  const html = got.map((b) => b.data["text/html"] as string);
  const marker = plotlySource().slice(0, 200);
  assert.deepEqual(html.map((h) => h.includes(marker)), [false, true, false, true]);
  assert.deepEqual(html.map((h) => h.includes("window.__paRuntime = {}")), [true, true, false, true], "the runtime goes with the first output of a page");
  const ids = html.map((h) => /id="pa-(?:figure|table)-data-([^"]+)"/.exec(h)![1]);
  assert.equal(new Set(ids).size, 4);
});

test("a kernel whose page has plotly.js (the report's, PAGE_HAS_PLOTLY_ENV=1) sends figures without it, the rest unchanged", () => {
  const shown = (env: string | undefined) => {
    const got: DisplayBundle[] = [];
    const before = process.env[PAGE_HAS_PLOTLY_ENV];
    if (env === undefined) delete process.env[PAGE_HAS_PLOTLY_ENV];
    else process.env[PAGE_HAS_PLOTLY_ENV] = env;
    setDisplaySink((b) => got.push(b));
    try {
      show(figure);
      show(figure);
    } finally {
      setDisplaySink(undefined);
      if (before === undefined) delete process.env[PAGE_HAS_PLOTLY_ENV];
      else process.env[PAGE_HAS_PLOTLY_ENV] = before;
    }
    return got;
  };
  const marker = plotlySource().slice(0, 200);
  const page = shown("1"), plain = shown(undefined), other = shown("0");
  assert.deepEqual(page.map((b) => (b.data["text/html"] as string).includes(marker)), [false, false]);
  assert.ok((page[0].data["text/html"] as string).includes("window.__paRuntime = {}"), "the runtime still goes with the first output");
  assert.ok((page[0].data["text/html"] as string).length < 100000);
  assert.deepEqual(plain.map((b) => (b.data["text/html"] as string).includes(marker)), [true, false]);
  assert.deepEqual(other.map((b) => (b.data["text/html"] as string).includes(marker)), [true, false], "only \"1\" means the page has it");
  assert.deepEqual(page.map((b) => b.data[FIGURE_MIME]), plain.map((b) => b.data[FIGURE_MIME]), "the report's figure data is the same");
});

test("show of anything but a figure or a table says what it got and what it accepts", () => {
  const bad: unknown[] = [42, "x", null, [1, 2], { id: "a", title: "b" }, { data: [], layout: {} }];
  const got = ["a number (42)", 'a string ("x")', "null", "an array of 2 items", "an object with keys {id, title}", "an object with keys {data, layout}"];
  bad.forEach((v, i) => assert.throws(() => show(v as FigureSpec), (e: Error) => e instanceof TypeError && e.message.startsWith(`show: got ${got[i]}; show accepts a figure {id, title, data: plotly traces[], layout}`) && /a table \{id, title, columns, rows\}/.test(e.message)));
});

test("show, showMarkdown and showProvenance send one bundle each to the sink; show returns its spec", () => {
  const got: DisplayBundle[] = [];
  setDisplaySink((b) => got.push(b));
  try {
    assert.equal(show(figure), figure);
    showMarkdown("**x**");
    showProvenance({ model: "m", seed: 1 });
  } finally {
    setDisplaySink(undefined);
  }
  assert.equal(got.length, 3);
  assert.equal(got[1].data["text/markdown"], "**x**");
  assert.deepEqual(got[2].data[PROVENANCE_MIME], { model: "m", seed: 1 });
  assert.equal(got[2].data["text/plain"], "provenance: m");
});

test("show prints the text summary to stdout outside a kernel", () => {
  const written: string[] = [];
  const original = process.stdout.write;
  process.stdout.write = ((s: string) => (written.push(s), true)) as typeof process.stdout.write;
  try {
    show(table);
  } finally {
    process.stdout.write = original;
  }
  assert.equal(written.join(""), summarize(table) + "\n");
});
