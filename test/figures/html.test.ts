import { test } from "node:test";
import assert from "node:assert/strict";
import { drawableSpec, figureHtml, tableHtml } from "../../src/figures/html.js";
import type { FigureSpec, TableSpec } from "../../src/figures/spec.js";

const evil = `</script><img src=x onerror=alert(1)>`;

test("figureHtml escapes the title, keeps the spec in a JSON block, and offers CSV, JSON, SVG and PNG", () => {
  const spec: FigureSpec = { id: "f", title: evil, data: [{ type: "scatter", x: [1], y: [2], name: evil }], layout: {}, table: { columns: ["token"], rows: [[evil]] } };
  const html = figureHtml(spec, { uid: "7", number: 3 });
  assert.ok(!html.includes("<img"), "no live img tag");
  assert.ok(html.includes(`<span class="pa-figure-number">Figure 3.</span> &lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;`));
  const block = /<script type="application\/json" class="pa-figure-data" id="pa-figure-data-7" data-target="pa-figure-7">(.*?)<\/script>/.exec(html)!;
  const payload = JSON.parse(block[1]);
  assert.deepEqual(payload.spec, spec);
  assert.equal(payload.csv, `token\r\n${evil}\r\n`);
  assert.deepEqual([...html.matchAll(/data-download="(\w+)"/g)].map((m) => m[1]), ["csv", "json", "svg", "png"]);
  assert.equal((html.match(/<script>/g) ?? []).length, 1, "one queueing script");
  assert.equal((figureHtml(spec, { uid: "7", script: false }).match(/<script>/g) ?? []).length, 0);
});

test("tableHtml writes an escaped table with one row per data row and a CSV link", () => {
  const t: TableSpec = { id: "t", title: "T", columns: ["a", evil], rows: [[1, evil], [null, "b"]], note: "n<b>" };
  const html = tableHtml(t, { uid: "x" });
  assert.ok(!html.includes("<img") && !html.includes("<b>"));
  assert.equal((html.match(/<tr>/g) ?? []).length, 3);
  assert.ok(html.includes('<td class="pa-num">1</td>') && html.includes("<td></td>"));
  assert.ok(html.includes('data-download="csv" data-for="pa-table-data-x"'));
});

test("drawableSpec leaves small heatmaps alone and draws large ones as block means with a note", () => {
  const small: FigureSpec = { id: "s", title: "s", layout: {}, data: [{ type: "heatmap", z: [[1, 2], [3, 4]] }] };
  assert.equal(drawableSpec(small).spec, small);
  // 2 rows x 10 columns with a cap of 8 cells: 4 columns per row fit, so blocks of 3 columns.
  const z = [[0, 1, 2, 3, 4, 5, 6, 7, 8, 9], [10, 11, 12, 13, 14, 15, 16, 17, 18, null]];
  const big: FigureSpec = { id: "b", title: "b", layout: {}, data: [{ type: "heatmap", name: "h", x: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9], y: [1, 2], z, text: z, hovertemplate: "position %{x}<br>%{text}" }] };
  const { spec, notes } = drawableSpec(big, 8);
  const trace = spec.data[0];
  assert.deepEqual(trace.z, [[1, 4, 7, 9], [11, 14, 17, null]]);
  assert.deepEqual(trace.x, [0, 3, 6, 9]);
  assert.deepEqual(trace.y, [1, 2]);
  assert.equal(trace.text, undefined);
  assert.equal(trace.hovertemplate, "position %{x}<br>(block mean of 1 × 3)");
  assert.deepEqual(notes, ['Heatmap "h": 2 × 10 values drawn as 2 × 4 block means (1 × 3 cells per block) so the page stays responsive; the CSV and JSON links hold every value.']);
  assert.deepEqual(big.data[0].z, z, "the input is not changed");
});
