/**
 * Every notebook, opened in real front-ends in Chromium: Debian's Jupyter Notebook (classic) and
 * JupyterLab 4 (pinned venv), Run All, then every figure output must hold a drawn plotly plot
 * (svg.main-svg, and plotly holds at least one visible trace unless the figure has none: the
 * small default model has no outlier dimension, so notebook 02's outlier-row figures are empty axes
 * with a note), every table rows, and the console no error from our code; the
 * `jupyter nbconvert --to html --execute` files are checked the same way, offline. The notebooks
 * run on small samples (SMALL_PARAMETERS). Screenshots go to test/output/notebooks/.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { pathToFileURL } from "node:url";
import { chromium, type Browser, type Page } from "playwright-core";
import { CHROMIUM } from "./chromium.js";
import { labUnavailable, nbconvertHtml, prepareWorkspace, ROOT, startServer, type JupyterServer } from "./jupyter.js";

const OUTPUT = path.join(ROOT, "test", "output", "notebooks");
const FIGURE_MIME = "application/vnd.positional-artefacts.figure+json";
const TABLE_MIME = "application/vnd.positional-artefacts.table+json";
const RUN_TIMEOUT = 240000;

/** Per code cell: figures and tables the kernel sent (from the notebook model) and what the page shows. */
interface CellCensus { errors: string[]; undrawn: string[]; expectedFigures: number; expectedTables: number; figures: number; drawn: number; tables: number; tablesWithRows: number }

/** The page's census of figure and table outputs per code cell; `cells` selects the code cells. */
const CENSUS = `(cells, model) => {
  const codeModels = model.cells.filter((c) => c.cell_type === "code");
  const nodes = [...document.querySelectorAll(cells)];
  if (nodes.length !== codeModels.length) throw new Error("found " + nodes.length + " code cells in the page, " + codeModels.length + " in the model");
  return nodes.map((node, i) => {
    const outputs = codeModels[i].outputs || [];
    const figures = [...node.querySelectorAll(".pa-figure")];
    return {
      errors: outputs.filter((o) => o.output_type === "error" || (o.output_type === "stream" && o.name === "stderr" && !/^warning:/.test([].concat(o.text).join("")))).map((o) => [].concat(o.text || o.evalue || "").join("").slice(0, 400)),
      expectedFigures: outputs.filter((o) => o.data && ${JSON.stringify(FIGURE_MIME)} in o.data).length,
      expectedTables: outputs.filter((o) => o.data && ${JSON.stringify(TABLE_MIME)} in o.data).length,
      figures: figures.length,
      drawn: figures.filter((f) => f.querySelector("svg.main-svg") && ((f._fullData || []).filter((d) => d.visible !== false).length > 0 || JSON.parse(document.getElementById(f.getAttribute("data-spec")).textContent).spec.data.length === 0)).length,
      undrawn: figures.filter((f) => !(f.querySelector("svg.main-svg") && ((f._fullData || []).filter((d) => d.visible !== false).length > 0 || JSON.parse(document.getElementById(f.getAttribute("data-spec")).textContent).spec.data.length === 0)))
        .map((f) => f.id + ": svg " + !!f.querySelector("svg.main-svg") + ", traces " + (f._fullData || []).length + ", text [" + f.textContent.slice(0, 200) + "]"),
      tables: node.querySelectorAll("table.pa-table").length,
      tablesWithRows: [...node.querySelectorAll("table.pa-table")].filter((t) => t.querySelectorAll("tbody tr").length > 0).length,
    };
  });
}`;

function checkCensus(where: string, census: CellCensus[]): { figures: number; tables: number } {
  census.forEach((c, i) => {
    const at = `${where}: code cell ${i + 1}`;
    assert.deepEqual(c.errors, [], `${at}: the cell failed`);
    assert.equal(c.figures, c.expectedFigures, `${at}: ${c.expectedFigures} figure outputs, ${c.figures} figure elements`);
    assert.equal(c.drawn, c.figures, `${at}: ${c.figures - c.drawn} of ${c.figures} figures not drawn: ${c.undrawn.join("; ")}`);
    assert.equal(c.tables, c.expectedTables, `${at}: ${c.expectedTables} table outputs, ${c.tables} tables`);
    assert.equal(c.tablesWithRows, c.tables, `${at}: a table has no rows`);
  });
  const figures = census.reduce((n, c) => n + c.figures, 0), tables = census.reduce((n, c) => n + c.tables, 0);
  assert.ok(figures + tables > 0, `${where}: no figure and no table`);
  return { figures, tables };
}

/** Console errors and uncaught page errors; ours are those naming the toolkit or plotly, or thrown by a script. */
function watch(page: Page): { ours: () => string[]; all: string[] } {
  const all: string[] = [];
  page.on("console", (m) => { if (m.type() === "error") all.push(m.text()); });
  page.on("pageerror", (e) => all.push(`pageerror: ${e.message}`));
  return { all, ours: () => all.filter((e) => /positional-artefacts|pa-figure|__pa|plotly|pageerror/i.test(e)) };
}

const DRAWN = `[...document.querySelectorAll(".pa-figure")].every((d) => d.querySelector("svg.main-svg"))`;

/** Classic notebook: open, Run All, wait for every cell and figure; returns the census. */
async function runClassic(page: Page, server: JupyterServer, name: string): Promise<CellCensus[]> {
  await page.goto(`${server.base}/notebooks/notebooks/${name}?token=${server.token}`);
  await page.waitForFunction(`window.Jupyter && Jupyter.notebook && Jupyter.notebook.kernel && Jupyter.notebook.kernel.is_connected()`, null, { timeout: 60000 });
  return runAllClassic(page);
}

async function runAllClassic(page: Page): Promise<CellCensus[]> {
  await page.evaluate(`Jupyter.notebook.clear_all_output(); Jupyter.notebook.execute_all_cells()`);
  // A cell holds class "running" from its execute request to its reply; the kernel's idle status comes on iopub after the outputs.
  const done = `Jupyter.notebook.get_cells().every((c) => c.cell_type !== "code" || typeof c.input_prompt_number === "number") && !document.querySelector(".cell.code_cell.running") && !Jupyter.notebook.kernel_busy`;
  await page.waitForFunction(done, null, { timeout: RUN_TIMEOUT, polling: 250 });
  // A reply can overtake a cell's last outputs (a figure's first output carries plotly.js, 4.8 MB):
  // a sentinel's output comes on iopub after every earlier message, so when it is handled, all are.
  await page.evaluate(`new Promise((resolve) => Jupyter.notebook.kernel.execute('console.log("pa-sentinel")', { iopub: { output: () => resolve(true) } }))`);
  await page.waitForFunction(DRAWN, null, { timeout: 30000 }).catch(() => undefined);
  return page.evaluate(`(${CENSUS})(".cell.code_cell", Jupyter.notebook.toJSON())`) as Promise<CellCensus[]>;
}

/** JupyterLab: open, Run All (the app is exposed with --LabApp.expose_app_in_browser), wait; returns the census. */
async function runLab(page: Page, server: JupyterServer, name: string): Promise<CellCensus[]> {
  await page.goto(`${server.base}/lab/tree/notebooks/${name}?token=${server.token}&reset`);
  const panel = `(window.jupyterapp && jupyterapp.shell.currentWidget && jupyterapp.shell.currentWidget.sessionContext ? jupyterapp.shell.currentWidget : null)`;
  await page.waitForFunction(`(() => { const p = ${panel}; return p && p.context.path.endsWith(${JSON.stringify(name)}) && p.sessionContext.session && p.sessionContext.session.kernel && p.sessionContext.session.kernel.status === "idle"; })()`, null, { timeout: 90000, polling: 250 });
  await page.evaluate(`jupyterapp.commands.execute("notebook:run-all-cells")`);
  await page.waitForFunction(`(() => { const p = ${panel}; const cells = [...p.content.model.cells].filter((c) => c.type === "code");
    return p.sessionContext.session.kernel.status === "idle" && cells.every((c) => typeof c.executionCount === "number") && ![...document.querySelectorAll(".jp-InputPrompt")].some((e) => e.textContent.includes("*")); })()`, null, { timeout: RUN_TIMEOUT, polling: 250 });
  // As in the classic notebook: a sentinel request, done only after every earlier iopub message.
  await page.evaluate(`${panel}.sessionContext.session.kernel.requestExecute({ code: 'console.log("pa-sentinel")' }).done.then(() => true)`);
  await page.waitForFunction(DRAWN, null, { timeout: 30000 }).catch(() => undefined);
  return page.evaluate(`(${CENSUS})(".jp-Notebook .jp-CodeCell", ${panel}.content.model.toJSON())`) as Promise<CellCensus[]>;
}

async function screenshot(page: Page, file: string, scrollTo: string | null): Promise<void> {
  if (scrollTo) await page.evaluate(`(() => { const e = document.querySelector(${JSON.stringify(scrollTo)}); if (e) e.scrollIntoView({ block: "center" }); })()`);
  await page.waitForTimeout(300);
  await page.screenshot({ path: file });
}

test("every notebook draws its figures and tables in Jupyter Notebook, JupyterLab and nbconvert HTML, in Chromium", { timeout: 600000 }, async (t) => {
  const started = Date.now();
  fs.mkdirSync(OUTPUT, { recursive: true });
  const { dir, notebooks, env } = prepareWorkspace();
  const labSkip = labUnavailable();
  const servers: JupyterServer[] = [];
  let browser: Browser | null = null;
  try {
    // nbconvert runs the notebooks in its own kernels while the browser drives the servers.
    const converted = nbconvertHtml(dir, notebooks, path.join(dir, "html"), env);
    converted.catch(() => undefined);
    // Both servers and the browser start together (seconds each on a loaded machine).
    const starting = [startServer("notebook", dir, env), labSkip ? Promise.resolve(null) : startServer("lab", dir, env)] as const;
    for (const s of starting) s.then((server) => server && servers.push(server), () => undefined);
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"] });
    const [classic, lab] = await Promise.all(starting);
    const counts = new Map<string, { figures: number; tables: number }>();

    const frontEnd = async (server: JupyterServer, run: typeof runClassic, label: string, cells: string) => {
      const context = await browser!.newContext({ viewport: { width: 1280, height: 900 }, acceptDownloads: true });
      for (const name of notebooks) {
        const page = await context.newPage();
        const errors = watch(page);
        const t0 = Date.now();
        const census = await run(page, server, name);
        if (errors.all.length) t.diagnostic(`${label} ${name}: console errors (not ours unless asserted): ${JSON.stringify(errors.all).slice(0, 1500)}`);
        t.diagnostic(`${label} ${name}: ran in ${((Date.now() - t0) / 1000).toFixed(1)} s (at ${((Date.now() - started) / 1000).toFixed(0)} s)`);
        const where = `${label} ${server.version}: ${name}`;
        let n: { figures: number; tables: number };
        try { n = checkCensus(where, census); } catch (e) { (e as Error).message += `\nconsole: ${JSON.stringify(errors.all)}`; throw e; }
        counts.set(`${label}:${name}`, n);
        await screenshot(page, path.join(OUTPUT, `${label}-${name.replace(/\.ipynb$/, "")}.png`), `${cells} .pa-figure, ${cells} table.pa-table`);
        if (name.startsWith("01-")) await checkDownloads(page, where);
        if (label === "notebook" && name.startsWith("01-")) await exploreClassic(page, where, census);
        assert.deepEqual(errors.ours(), [], `${where}: console errors from our code (all: ${JSON.stringify(errors.all)})`);
        await page.close();
      }
      await context.close();
    };
    await Promise.all([
      frontEnd(classic, runClassic, "notebook", ".cell.code_cell"),
      lab ? frontEnd(lab, runLab, "lab", ".jp-CodeCell") : Promise.resolve(),
    ]);
    if (labSkip) t.diagnostic(`JupyterLab skipped: ${labSkip}`);
    for (const name of notebooks) if (lab) assert.deepEqual(counts.get(`lab:${name}`), counts.get(`notebook:${name}`), `${name}: same figures and tables in both front-ends`);

    const { files, version } = await converted;
    t.diagnostic(`nbconvert done at ${((Date.now() - started) / 1000).toFixed(0)} s`);
    for (const [i, file] of files.entries()) {
      const where = `nbconvert ${version}: ${path.basename(file)}`;
      const html = fs.readFileSync(file, "utf8");
      const expected = counts.get(`notebook:${notebooks[i]}`)!;
      assert.equal(html.split("(function (define, exports, module) {").length - 1, expected.figures > 0 ? 1 : 0, `${where}: plotly.js inlined once`);
      const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
      const errors = watch(page);
      const url = pathToFileURL(file).href;
      const blocked: string[] = [];
      await page.route("**/*", (route) => (route.request().url() === url ? route.continue() : (blocked.push(route.request().url()), route.abort())));
      await page.goto(url, { waitUntil: "load" });
      await page.waitForFunction(DRAWN, null, { timeout: 30000 }).catch(() => undefined);
      const got = await page.evaluate(`({ figures: document.querySelectorAll(".pa-figure").length, drawn: [...document.querySelectorAll(".pa-figure")].filter((f) => f.querySelector("svg.main-svg") && ((f._fullData || []).filter((d) => d.visible !== false).length > 0 || JSON.parse(document.getElementById(f.getAttribute("data-spec")).textContent).spec.data.length === 0)).length,
        tables: document.querySelectorAll("table.pa-table").length, tablesWithRows: [...document.querySelectorAll("table.pa-table")].filter((t) => t.querySelectorAll("tbody tr").length > 0).length })`) as { figures: number; drawn: number; tables: number; tablesWithRows: number };
      assert.deepEqual(got, { figures: expected.figures, drawn: expected.figures, tables: expected.tables, tablesWithRows: expected.tables }, where);
      // The template's own RequireJS and MathJax (CDN, or /usr/share/javascript in Debian's nbconvert) are blocked; nothing of ours is fetched.
      assert.ok(blocked.every((u) => /require|mathjax/i.test(u)), `${where}: unexpected fetches: ${blocked.join(", ")}`);
      assert.deepEqual(errors.ours(), [], `${where}: console errors from our code (all: ${JSON.stringify(errors.all)})`);
      await screenshot(page, path.join(OUTPUT, `nbconvert-${path.basename(file, ".html")}.png`), ".pa-figure, table.pa-table");
      await page.close();
    }
    t.diagnostic(`front-ends: Jupyter Notebook ${classic.version}; ${lab ? `JupyterLab ${lab.version}` : "no JupyterLab"}; nbconvert ${version}; ${notebooks.length} notebooks in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  } catch (e) {
    for (const s of servers) t.diagnostic(`${s.kind} log tail:\n${s.log().slice(-3000)}`);
    throw e;
  } finally {
    await browser?.close();
    await Promise.all(servers.map((s) => s.stop()));
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

/** The link row under the first figure, clicked inside the front-end: CSV (its table), JSON (its spec), PNG (plotly, offline). */
async function checkDownloads(page: Page, where: string): Promise<void> {
  const id = await page.evaluate(`document.querySelector("script.pa-figure-data").id`) as string;
  const payload = JSON.parse(await page.evaluate(`document.getElementById(${JSON.stringify(id)}).textContent`) as string);
  const click = async (kind: string) => {
    const [download] = await Promise.all([page.waitForEvent("download", { timeout: 30000 }), page.click(`a[data-download="${kind}"][data-for="${id}"]`)]);
    return { name: download.suggestedFilename(), bytes: fs.readFileSync((await download.path())!) };
  };
  const csv = await click("csv");
  assert.equal(csv.name, `${payload.file}.csv`, where);
  assert.equal(csv.bytes.toString("utf8"), payload.csv, `${where}: the CSV link gives the figure's table`);
  const json = await click("json");
  assert.deepEqual(JSON.parse(json.bytes.toString("utf8")), payload.spec, `${where}: the JSON link gives the figure's spec`);
  const png = await click("png");
  assert.equal(png.name, `${payload.file}.png`, where);
  assert.deepEqual([...png.bytes.subarray(0, 4)], [0x89, 0x50, 0x4e, 0x47], `${where}: the PNG link gives a PNG`);
}

/**
 * Exploration in the classic notebook: restart the kernel (plotly.js must come again), change the
 * seed in the parameters cell, Run All: the same figures redraw in place with other data; then
 * re-run one figure cell alone (out of order): it draws with the plotly.js already on the page.
 */
async function exploreClassic(page: Page, where: string, before: CellCensus[]): Promise<void> {
  const specs = `[...document.querySelectorAll("script.pa-figure-data")].map((s) => JSON.stringify(JSON.parse(s.textContent).spec.data))`;
  const first = await page.evaluate(specs) as string[];
  await page.evaluate(`new Promise((resolve) => { Jupyter.notebook.kernel.restart(() => resolve(true)); })`);
  await page.waitForFunction(`Jupyter.notebook.kernel.is_connected() && !Jupyter.notebook.kernel_busy`, null, { timeout: 60000 });
  await page.evaluate(`(() => { const cell = Jupyter.notebook.get_cells().find((c) => (c.metadata.tags || []).includes("parameters"));
    cell.set_text(cell.get_text().replace(/let seed = \\d+;/, "let seed = 2;")); })()`);
  const after = await runAllClassic(page);
  checkCensus(`${where} (seed 2 after a restart)`, after);
  assert.deepEqual(after.map((c) => c.figures), before.map((c) => c.figures), `${where}: the figures redraw in place`);
  const second = await page.evaluate(specs) as string[];
  assert.equal(second.length, first.length);
  assert.ok(second.some((s, i) => s !== first[i]), `${where}: another seed draws other data`);
  const index = await page.evaluate(`Jupyter.notebook.get_cells().findIndex((c) => c.cell_type === "code" && c.get_text().includes("pa.show("))`) as number;
  await page.evaluate(`Jupyter.notebook.get_cell(${index}).execute()`);
  await page.waitForFunction(`typeof Jupyter.notebook.get_cell(${index}).input_prompt_number === "number" && !Jupyter.notebook.kernel_busy && Jupyter.notebook.get_cell(${index}).output_area.element[0].querySelector(".pa-figure svg.main-svg")`, null, { timeout: 60000, polling: 250 });
}
