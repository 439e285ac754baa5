import { test } from "node:test";
import assert from "node:assert/strict";
import type { Notebook } from "../../src/report/execute.js";
import { CSP, FIGURE_MIME, renderReport, TABLE_MIME, type ReportInput } from "../../src/report/html.js";
import { PROVENANCE_MIME, type ReportProvenance } from "../../src/report/provenance.js";

const evil = `<script>alert(1)</script>"><img src=x onerror=alert(1)>`;
// A file name cannot hold "/", so file names carry the attribute-breaking half only.
const evilName = `"><img src=x onerror=alert(1)>`;
const provenance: ReportProvenance = {
  commit: "0123456789abcdef0123456789abcdef01234567",
  runtime: { node: "v20.0.0", platform: "linux-x64" },
  packages: { "plotly.js-dist-min": "4.1.2", tslab: "1.0.22" },
  notebooks: [{ file: `notebooks/${evil}.ipynb`, sha256: "ab", parameters: { model: evil } }],
  models: [{ model: evil, files: [{ name: evil, sha256: "cd" }], dtype: "float32", seed: 1, sample: 2, settings: { note: evil } }],
  settings: { sample: 2 },
};
const figure = {
  id: evil, title: `Tokens ${evil}`,
  data: [{ type: "bar", x: [evil, "b"], y: [1, 2] }],
  layout: { title: { text: evil } },
  table: { columns: ["token", "n"], rows: [[evil, 1], ["b", 2]] },
};
const notebook = (): Notebook => ({
  nbformat: 4, nbformat_minor: 5, metadata: {},
  cells: [
    { cell_type: "markdown", metadata: {}, source: `# First notebook\n\n## Part $x$\n\n${evil}` },
    { cell_type: "code", metadata: { tags: ["parameters"] }, source: "let sample = 1;", outputs: [], execution_count: 1 },
    { cell_type: "code", metadata: { tags: ["injected-parameters"] }, source: "{\n  sample = 2;\n}", outputs: [], execution_count: 2 },
    {
      cell_type: "code", metadata: {}, source: `show(fig) // ${evil}`, execution_count: 3,
      outputs: [
        { output_type: "stream", name: "stdout", text: `${evil}\n` },
        { output_type: "display_data", data: { [FIGURE_MIME]: figure, "text/plain": "fig" }, metadata: {} },
        { output_type: "display_data", data: { [TABLE_MIME]: JSON.stringify({ id: "t", title: evil, columns: ["s", "v"], rows: [[evil, 0.5]] }) }, metadata: {} },
        { output_type: "display_data", data: { "text/markdown": `### From code\n\n${evil}` }, metadata: {} },
        { output_type: "display_data", data: { "text/html": evil }, metadata: {} },
        { output_type: "display_data", data: { [PROVENANCE_MIME]: { model: evil } }, metadata: {} },
      ],
    },
  ],
});
const input = (): ReportInput => ({
  title: `Report ${evil}`,
  notebooks: [{ file: `notebooks/01-${evilName}.ipynb`, notebook: notebook() }, { file: "notebooks/02-second.ipynb", notebook: { ...notebook(), cells: notebook().cells.slice(0, 1) } }],
  provenance,
  plotly: "window.Plotly = {newPlot: function () {}}; /* </script><b>bundle</b> */",
});

test("renderReport gives the same bytes for the same input, whatever the key order of figure specs", () => {
  const a = renderReport(input());
  const reordered = input();
  const out = (reordered.notebooks[0].notebook.cells[3].outputs![1] as { data: Record<string, unknown> });
  out.data[FIGURE_MIME] = { table: figure.table, layout: figure.layout, data: figure.data, title: figure.title, id: figure.id };
  assert.equal(renderReport(input()), a);
  assert.equal(renderReport(reordered), a);
});

test("renderReport writes the CSP, inlines plotly once and keeps every data string out of the markup", () => {
  const html = renderReport(input());
  assert.ok(html.includes(`<meta http-equiv="Content-Security-Policy" content="${CSP.replace(/'/g, "&#39;")}">`));
  assert.equal(html.split("window.Plotly = {newPlot").length, 2, "plotly appears once");
  // Our elements only: the plotly and render scripts, one JSON block per figure/table and the provenance block.
  assert.equal((html.match(/<script/gi) ?? []).length, 2 + 3);
  assert.equal((html.match(/<img/gi) ?? []).length, 0);
  assert.ok(!html.includes("</script><b>bundle"), "the bundle cannot close its script element");
  assert.ok(!html.includes("<img src=x"), "no live img tag");
  assert.ok(html.includes("<p class=\"pa-source\">notebooks/01-&quot;&gt;&lt;img src=x onerror=alert(1)&gt;.ipynb</p>"));
  assert.ok(html.includes("HTML output shown as text"));
  assert.ok(html.includes("&lt;script&gt;alert(1)&lt;/script&gt;&quot;&gt;&lt;img src=x onerror=alert(1)&gt;"));
});

test("renderReport embeds each figure's spec and CSV, folds code, and links the contents to ids that exist", () => {
  const html = renderReport(input());
  const block = /<script type="application\/json" class="pa-figure-data" id="pa-figure-data-1" data-target="pa-figure-1">(.*?)<\/script>/.exec(html);
  assert.ok(block);
  const payload = JSON.parse(block[1]);
  assert.deepEqual(payload.spec, figure);
  assert.equal(payload.csv, `token,n\r\n${evil.replace(/"/g, '""').replace(/^(.*)$/, '"$1"')},1\r\nb,2\r\n`);
  assert.equal(payload.file, "script-alert-1-script-img-src-x-onerror-alert-1");
  assert.ok(html.includes('<div class="pa-figure" id="pa-figure-1" data-spec="pa-figure-data-1" style="min-height:380px"></div>'));
  assert.ok(html.includes('data-download="csv" data-for="pa-figure-data-1"'));
  assert.ok(html.includes("<details class=\"pa-code\"><summary>injected parameters [2]</summary><pre><code>{\n  sample = 2;\n}</code></pre></details>"));
  const ids = new Set([...html.matchAll(/ id="([^"]+)"/g)].map((m) => m[1]));
  const toc = /<nav class="pa-toc".*?<\/nav>/s.exec(html)![0];
  const links = [...toc.matchAll(/href="#([^"]+)"/g)].map((m) => m[1]);
  assert.deepEqual(links, ["nb-01-img-src-x-onerror-alert-1", "part-x", "nb-02-second", "part-x-1", "provenance"]);
  for (const l of links) assert.ok(ids.has(l), `missing target ${l}`);
  assert.equal(ids.size, [...html.matchAll(/ id="([^"]+)"/g)].length, "ids are unique");
});

test("renderReport names the notebook and cell of a figure without a data array", () => {
  const bad = input();
  (bad.notebooks[0].notebook.cells[3].outputs![1] as { data: Record<string, unknown> }).data[FIGURE_MIME] = { id: "f", layout: {} };
  // Cell 3 as the author numbers it: the injected block does not count.
  assert.throws(() => renderReport(bad), /^Error: notebooks\/01-.*\.ipynb: cell 3: application\/vnd\.positional-artefacts\.figure\+json: a figure needs a "data" array/);
});
