/**
 * Real Jupyter front-ends for the notebook browser test: a copy of the notebooks with small
 * samples, the tslab kernelspec, Debian's Jupyter Notebook (classic, /usr/bin/jupyter-notebook) or
 * JupyterLab 4 from the pinned venv (scripts/setup-jupyterlab.sh) on a free loopback port with a
 * random token, and `jupyter nbconvert`. Every server writes its config, data and runtime files
 * under the test's temporary folder.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";

export const ROOT = path.resolve(__dirname, "..", "..", "..");
export const LAB_VENV = process.env.PA_JUPYTERLAB_VENV ?? path.join(os.homedir(), ".cache", "positional-artefacts", "jupyterlab-venv");

/** Small values for the parameters cell, so all notebooks run in seconds (the figures are the same kinds). */
export const SMALL_PARAMETERS: Record<string, string> = { sample: "24", siteSample: "24", probeTokens: "300", pairs: "60" };

/**
 * A temporary root holding `notebooks/` (copies with the parameters cell set to `overrides`) and
 * `dist` (a link to the build), so the notebooks' `import "../dist/src/index.js"` resolves, plus
 * a `jupyter/` folder for the kernelspec and the servers' own files.
 */
export function prepareWorkspace(overrides: Record<string, string> = SMALL_PARAMETERS): { dir: string; notebooks: string[]; env: NodeJS.ProcessEnv } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pa-nb-browser-"));
  fs.mkdirSync(path.join(dir, "notebooks"));
  fs.symlinkSync(path.join(ROOT, "dist"), path.join(dir, "dist"));
  // PA_NOTEBOOKS=01,04 limits the set (while debugging one notebook).
  const only = process.env.PA_NOTEBOOKS ? process.env.PA_NOTEBOOKS.split(",") : null;
  const names = fs.readdirSync(path.join(ROOT, "notebooks")).filter((f) => /^\d\d-.*\.ipynb$/.test(f) && (!only || only.some((p) => f.startsWith(p)))).sort();
  for (const name of names) {
    const nb = JSON.parse(fs.readFileSync(path.join(ROOT, "notebooks", name), "utf8"));
    const cell = nb.cells.find((c: { metadata: { tags?: string[] } }) => (c.metadata.tags ?? []).includes("parameters"));
    if (!cell) throw new Error(`notebooks/${name}: no cell tagged "parameters"`);
    cell.source = cell.source.map((line: string) => line.replace(/^let (\w+)(: [^=]+)? = [^;]+;/, (m: string, k: string, t: string | undefined) => (k in overrides ? `let ${k}${t ?? ""} = ${overrides[k]};` : m)));
    fs.writeFileSync(path.join(dir, "notebooks", name), JSON.stringify(nb, null, 1));
  }
  const jupyter = path.join(dir, "jupyter");
  for (const sub of ["config", "data", "runtime", "settings", "workspaces"]) fs.mkdirSync(path.join(jupyter, sub), { recursive: true });
  // The tslab kernelspec under the workspace, as a user registers it (artefacts-tslab install); JUPYTER_PATH makes every Jupyter below find it.
  const r = spawnSync(process.execPath, [path.join(ROOT, "bin", "artefacts-tslab.js"), "install", "--python=/usr/bin/python3", `--prefix=${path.join(jupyter, "prefix")}`], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`artefacts-tslab install failed: ${r.stderr}`);
  // JupyterLab: no windowing (every cell stays in the DOM) and no news prompt.
  const settings = path.join(jupyter, "settings", "@jupyterlab");
  fs.mkdirSync(path.join(settings, "notebook-extension"), { recursive: true });
  fs.writeFileSync(path.join(settings, "notebook-extension", "tracker.jupyterlab-settings"), JSON.stringify({ windowingMode: "none" }));
  fs.mkdirSync(path.join(settings, "apputils-extension"), { recursive: true });
  fs.writeFileSync(path.join(settings, "apputils-extension", "notification.jupyterlab-settings"), JSON.stringify({ fetchNews: "false", checkForUpdates: false }));
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    JUPYTER_PATH: path.join(jupyter, "prefix", "share", "jupyter"),
    JUPYTER_CONFIG_DIR: path.join(jupyter, "config"),
    JUPYTER_DATA_DIR: path.join(jupyter, "data"),
    JUPYTER_RUNTIME_DIR: path.join(jupyter, "runtime"),
    JUPYTER_PLATFORM_DIRS: "0",
    PYTHONNOUSERSITE: "1",
  };
  return { dir, notebooks: names, env };
}

/** A free loopback port (bound, then released). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

export interface JupyterServer {
  kind: "notebook" | "lab";
  version: string;
  base: string;
  token: string;
  process: ChildProcess;
  log: () => string;
  stop: () => Promise<void>;
}

/** Why JupyterLab cannot be tested here, or null when its venv is ready. */
export function labUnavailable(): string | null {
  if (fs.existsSync(path.join(LAB_VENV, "bin", "jupyter-lab"))) return null;
  return `no JupyterLab venv at ${LAB_VENV}: scripts/setup-jupyterlab.sh builds it (npm run setup:test); it skips only when PyPI cannot be reached`;
}

/** Starts Jupyter Notebook (classic) or JupyterLab on a free loopback port with a random token, serving `dir`. */
export async function startServer(kind: "notebook" | "lab", dir: string, env: NodeJS.ProcessEnv): Promise<JupyterServer> {
  const port = await freePort();
  const token = randomBytes(24).toString("hex");
  const jupyter = path.join(dir, "jupyter");
  const [cmd, args] = kind === "notebook"
    ? ["/usr/bin/jupyter-notebook", ["--no-browser", "--ip=127.0.0.1", `--port=${port}`, "--port-retries=0", `--NotebookApp.token=${token}`, `--notebook-dir=${dir}`]]
    : [path.join(LAB_VENV, "bin", "jupyter-lab"), ["--no-browser", "--ServerApp.ip=127.0.0.1", `--ServerApp.port=${port}`, "--ServerApp.port_retries=0", `--IdentityProvider.token=${token}`, `--ServerApp.root_dir=${dir}`,
      "--LabApp.expose_app_in_browser=True", `--LabApp.user_settings_dir=${path.join(jupyter, "settings")}`, `--LabApp.workspaces_dir=${path.join(jupyter, "workspaces")}`, "--LabApp.news_url=None"]];
  // Containers and CI often run as root, which both servers refuse without --allow-root.
  if (process.getuid?.() === 0) (args as string[]).push("--allow-root");
  const version = spawnSync(cmd, ["--version"], { encoding: "utf8", env }).stdout.trim();
  const child = spawn(cmd, args as string[], { env, stdio: ["ignore", "pipe", "pipe"] });
  let log = "";
  child.stdout!.on("data", (d) => (log += d));
  child.stderr!.on("data", (d) => (log += d));
  const base = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${cmd} exited with ${child.exitCode}:\n${log}`);
    const ok = await fetch(`${base}/api/status?token=${token}`).then((r) => r.ok, () => false);
    if (ok) break;
    if (Date.now() > deadline) { child.kill(); throw new Error(`${cmd} did not answer on ${base} within 60 s:\n${log}`); }
    await new Promise((r) => setTimeout(r, 250));
  }
  const stop = () => new Promise<void>((resolve) => {
    if (child.exitCode !== null) return resolve();
    child.once("exit", () => resolve());
    child.kill("SIGTERM");
    setTimeout(() => child.exitCode === null && child.kill("SIGKILL"), 5000).unref();
  });
  return { kind, version, base, token, process: child, log: () => log, stop };
}

/** `jupyter nbconvert --to html --execute` of each notebook into `out`; resolves with the HTML files. */
export async function nbconvertHtml(dir: string, notebooks: string[], out: string, env: NodeJS.ProcessEnv): Promise<{ files: string[]; version: string }> {
  const version = spawnSync("/usr/bin/jupyter-nbconvert", ["--version"], { encoding: "utf8", env }).stdout.trim();
  const args = ["--to", "html", "--execute", "--ExecutePreprocessor.timeout=300", "--ExecutePreprocessor.kernel_name=tslab", `--output-dir=${out}`, ...notebooks.map((n) => path.join(dir, "notebooks", n))];
  const log = await new Promise<string>((resolve, reject) => {
    const child = spawn("/usr/bin/jupyter-nbconvert", args, { env, cwd: path.join(dir, "notebooks"), stdio: ["ignore", "pipe", "pipe"] });
    let text = "";
    child.stdout!.on("data", (d) => (text += d));
    child.stderr!.on("data", (d) => (text += d));
    child.on("exit", (code) => (code === 0 ? resolve(text) : reject(new Error(`jupyter nbconvert exited with ${code}:\n${text.slice(-4000)}`))));
  });
  const files = notebooks.map((n) => path.join(out, n.replace(/\.ipynb$/, ".html")));
  for (const f of files) if (!fs.existsSync(f)) throw new Error(`nbconvert wrote no ${f}:\n${log.slice(-2000)}`);
  return { files, version };
}
