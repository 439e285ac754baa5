/**
 * Opens a report in Debian's headless Chromium (driven by playwright-core) with every request
 * other than the file itself blocked, and records what happened: blocked requests, console
 * errors, page errors and dialogs (alert/confirm/prompt).
 */
import { chromium, type Browser, type Page } from "playwright-core";
import { pathToFileURL } from "node:url";

export interface OpenedReport {
  browser: Browser;
  page: Page;
  blocked: string[];
  consoleErrors: string[];
  dialogs: string[];
}

export const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

/** Loads `file` and waits until every .pa-figure holds plotly's svg (or `timeoutMs` passes). */
export async function openReport(file: string, { timeoutMs = 30000 }: { timeoutMs?: number } = {}): Promise<OpenedReport> {
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"] });
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, acceptDownloads: true });
  const page = await context.newPage();
  const url = pathToFileURL(file).href;
  const opened: OpenedReport = { browser, page, blocked: [], consoleErrors: [], dialogs: [] };
  page.on("console", (m) => { if (m.type() === "error") opened.consoleErrors.push(m.text()); });
  page.on("pageerror", (e) => opened.consoleErrors.push(`pageerror: ${e.message}`));
  page.on("dialog", (d) => { opened.dialogs.push(`${d.type()}: ${d.message()}`); void d.dismiss(); });
  await page.route("**/*", (route) => {
    if (route.request().url() === url) return route.continue();
    opened.blocked.push(route.request().url());
    return route.abort();
  });
  await page.goto(url, { waitUntil: "load" });
  await page.waitForFunction(`[...document.querySelectorAll(".pa-figure")].every((d) => d.querySelector("svg.main-svg"))`, null, { timeout: timeoutMs }).catch(() => undefined);
  return opened;
}
