import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { generateReport } from "../../src/report/generate.js";
import { openReport } from "../browser/chromium.js";

const root = path.resolve(__dirname, "..", "..", "..");
const fixtures = path.join(root, "test", "fixtures", "notebooks", "unsafe");
const output = path.join(root, "test", "output");

// Data that tries to run script: in sentences (the corpus), in a model id, in file names, in the title.
const modelId = `"><img src=x onerror=alert('model')>`;
const notebookName = `"><img src=x onerror=alert('file')>.ipynb`;
const corpusName = `<script>alert('corpus-file')<script>.txt`;

test("data holding <script> and onerror= renders as text in Chromium: nothing runs, nothing is injected", async () => {
  // Inside the package (test/output is git-ignored), so the kernel finds node_modules from the notebook's folder.
  fs.mkdirSync(output, { recursive: true });
  const dir = fs.mkdtempSync(path.join(output, "safety-"));
  try {
    fs.copyFileSync(path.join(fixtures, "corpus.txt"), path.join(dir, corpusName));
    const sentences = fs.readFileSync(path.join(fixtures, "corpus.txt"), "utf8").split("\n").filter((s) => s !== "");
    assert.ok(sentences[0].includes("<script>") && sentences[1].includes("onerror=alert(1)"), "the corpus holds the attacks");
    // The notebook reads the hostile corpus file name through its parameters cell; the model id comes in as --model.
    const nb = JSON.parse(fs.readFileSync(path.join(fixtures, "unsafe.ipynb"), "utf8"));
    assert.deepEqual(nb.cells[1].metadata.tags, ["parameters"]);
    nb.cells[1].source = `let corpus = ${JSON.stringify(corpusName)};\nlet model = "model";`;
    fs.writeFileSync(path.join(dir, notebookName), JSON.stringify(nb));
    const out = await generateReport({ notebooks: [path.join(dir, notebookName)], out: path.join(dir, "report.html"), models: [modelId], title: `<script>alert('title')</script>` });

    const html = fs.readFileSync(out, "utf8");
    assert.ok(html.includes(`Provenance recorded for &quot;&gt;&lt;img src=x onerror=alert(&#39;model&#39;)&gt;`));
    const { browser, page, blocked, consoleErrors, dialogs } = await openReport(out);
    try {
      assert.deepEqual(dialogs, [], "no alert, confirm or prompt fired");
      assert.deepEqual(blocked, [], "no request was even attempted (an injected <img src=x> would try one)");
      assert.deepEqual(consoleErrors, []);
      const census = await page.evaluate(`({
        imgX: document.querySelectorAll('img[src="x"]').length,
        handlers: [...document.querySelectorAll("*")].filter((e) => [...e.attributes].some((a) => /^on/i.test(a.name))).length,
        runnable: [...document.querySelectorAll("script")].filter((s) => !s.type || /javascript/i.test(s.type)).length,
        jsonBlocks: document.querySelectorAll('script[type="application/json"]').length,
        javascriptLinks: [...document.querySelectorAll("a[href]")].filter((a) => /^\\s*javascript:/i.test(a.getAttribute("href"))).length,
        svgs: document.querySelectorAll(".pa-figure svg.main-svg").length,
        text: document.body.innerText,
        title: document.title,
      })`) as Record<string, any>;
      assert.equal(census.imgX, 0);
      assert.equal(census.handlers, 0, "no element carries an on* attribute");
      assert.equal(census.runnable, 2, "only plotly and the report's own script");
      assert.equal(census.jsonBlocks, 3, "figure, table, provenance");
      assert.equal(census.javascriptLinks, 0);
      assert.ok(census.svgs > 0, "the figure with hostile labels still drew");
      assert.equal(census.title, "<script>alert('title')</script>");
      for (const s of sentences) assert.ok(census.text.includes(s), `sentence shown as text: ${s}`);
      assert.ok(census.text.includes(modelId), "model id shown as text");
      assert.ok(census.text.includes(corpusName), "file name shown as text");
      assert.ok(census.text.includes(notebookName), "notebook name shown as text");
    } finally {
      await browser.close();
    }
  } finally {
    fs.rmSync(dir, { recursive: true });
  }
});
