import { test } from "node:test";
import assert from "node:assert/strict";
import { FIGURE_MIME, PROVENANCE_MIME, TABLE_MIME, displayBundle, setDisplaySink, show, showMarkdown, showProvenance, summarize, type DisplayBundle } from "../../src/figures/show.js";
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

test("displayBundle carries the project mime (typed arrays as plain arrays) and text/plain", () => {
  const b = displayBundle(figure);
  assert.deepEqual(Object.keys(b.data), [FIGURE_MIME, "text/plain"]);
  assert.deepEqual((b.data[FIGURE_MIME] as FigureSpec).data[0].y, [1, 2, 3]);
  assert.deepEqual(Object.keys(displayBundle(table).data), [TABLE_MIME, "text/plain"]);
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
