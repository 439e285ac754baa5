import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { generateReport } from "../../src/report/generate.js";
import { openReport } from "./chromium.js";

const root = path.resolve(__dirname, "..", "..", "..");
const fixtures = path.join(root, "test", "fixtures", "notebooks");
const output = path.join(root, "test", "output");

test("the report opens offline in Chromium: every figure drew, no console error, contents links land, downloads work", async () => {
  fs.mkdirSync(output, { recursive: true });
  const file = await generateReport({ notebooks: [path.join(fixtures, "01-basic.ipynb")], out: path.join(output, "report.html"), sample: 5 });
  const { browser, page, blocked, consoleErrors, dialogs } = await openReport(file);
  try {
    assert.deepEqual(blocked, [], "no request besides the file itself");
    const figures = await page.evaluate(`[...document.querySelectorAll(".pa-figure")].map((d) => d.querySelectorAll("svg.main-svg").length)`) as number[];
    assert.ok(figures.length >= 1);
    for (const [i, n] of figures.entries()) assert.ok(n > 0, `figure ${i + 1} has no svg`);
    // Five points were injected: plotly drew five markers.
    assert.equal(await page.evaluate(`document.querySelectorAll("#pa-figure-1 .scatterlayer .point").length`), 5);
    // A trace without hover text gets one naming the series and both axes.
    assert.equal(await page.evaluate(`document.getElementById("pa-figure-1")._fullData[0].hovertemplate`), "%{fullData.name}<br>x: %{x}<br>y: %{y}<extra></extra>");
    await page.screenshot({ path: path.join(output, "report.png"), fullPage: true });
    // The plot itself as SVG and PNG, drawn offline by plotly (the CSP allows data: and blob: images).
    const [svg] = await Promise.all([page.waitForEvent("download"), page.click('#figure-1 a[data-download="svg"]')]);
    assert.equal(svg.suggestedFilename(), "fixture-line.svg");
    assert.match(fs.readFileSync(await svg.path(), "utf8"), /^<svg[^>]*class="main-svg"/);
    const [png] = await Promise.all([page.waitForEvent("download"), page.click('#figure-1 a[data-download="png"]')]);
    assert.equal(png.suggestedFilename(), "fixture-line.png");
    assert.deepEqual([...fs.readFileSync(await png.path()).subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

    const links = await page.evaluate(`[...document.querySelectorAll(".pa-toc a")].map((a) => a.getAttribute("href"))`) as string[];
    assert.ok(links.length >= 4);
    for (const href of links) {
      const id = href.slice(1);
      assert.equal(await page.evaluate(`!!document.getElementById(${JSON.stringify(id)})`), true, `target of ${href} exists`);
      await page.click(`.pa-toc a[href="${href}"]`);
      await page.waitForFunction(`location.hash === ${JSON.stringify(href)}`);
      // The target is scrolled into view: its top lies within the viewport.
      const top = await page.evaluate(`document.getElementById(${JSON.stringify(id)}).getBoundingClientRect().top`) as number;
      assert.ok(top >= -1 && top < 900, `${href} landed at top=${top}`);
    }

    const [csv] = await Promise.all([page.waitForEvent("download"), page.click('#figure-1 a[data-download="csv"]')]);
    assert.equal(csv.suggestedFilename(), "fixture-line.csv");
    assert.equal(fs.readFileSync(await csv.path(), "utf8"), "x,y\r\n0,0\r\n1,2\r\n2,4\r\n3,6\r\n4,8\r\n");
    const [json] = await Promise.all([page.waitForEvent("download"), page.click('#figure-1 a[data-download="json"]')]);
    assert.equal(JSON.parse(fs.readFileSync(await json.path(), "utf8")).id, "fixture-line");

    assert.deepEqual(consoleErrors, []);
    assert.deepEqual(dialogs, []);
  } finally {
    await browser.close();
  }
});
