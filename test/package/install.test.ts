/**
 * The package as a researcher installs it: `npm pack` of this working tree, and `npm install` of
 * a git+file:// URL of a fresh clone of HEAD, each into a fresh temporary project outside the
 * repository (npm cache reused: --prefer-offline; onnxruntime-node-install=skip in its .npmrc).
 * There the README's TypeScript example type-checks and runs (ESM and CommonJS), the CLI analyses
 * and reports on the embedded models, and a notebook importing the package by name runs in Jupyter
 * with the project's tslab kernel. Several minutes: it installs two projects and runs real kernels.
 */
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { spawnSync, type SpawnSyncOptions } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

const root = path.resolve(__dirname, "..", "..", "..");
const work = fs.mkdtempSync(path.join(os.tmpdir(), "pa-package-"));
after(() => fs.rmSync(work, { recursive: true, force: true }));

const npmEnv = { ...process.env, npm_config_update_notifier: "false", npm_config_fund: "false", npm_config_audit: "false", npm_config_loglevel: "error" };

/** Runs a command; fails the test with its output when it exits non-zero. */
function run(cmd: string, args: string[], options: SpawnSyncOptions & { cwd: string }, expectStatus = 0): { stdout: string; stderr: string; status: number | null } {
  const r = spawnSync(cmd, args, { encoding: "utf8", env: npmEnv, timeout: 600000, maxBuffer: 64 << 20, ...options });
  const out = { stdout: String(r.stdout ?? ""), stderr: String(r.stderr ?? ""), status: r.status };
  assert.equal(r.status, expectStatus, `${cmd} ${args.join(" ")} (in ${options.cwd}): exit ${r.status}${r.error ? ` (${r.error.message})` : ""}\n${out.stdout.slice(-3000)}\n${out.stderr.slice(-3000)}`);
  return out;
}

/** The README's TypeScript example: the first ```ts block after "From TypeScript". */
function readmeExample(): string {
  const readme = fs.readFileSync(path.join(root, "README.md"), "utf8");
  const from = readme.indexOf("From TypeScript");
  assert.ok(from >= 0, "README.md: no \"From TypeScript\" paragraph");
  const m = /```ts\n([\s\S]*?)```/.exec(readme.slice(from));
  assert.ok(m, "README.md: no ```ts block after \"From TypeScript\"");
  return m[1];
}

/** A new project folder with the .npmrc an offline machine needs. */
function newProject(name: string): string {
  const dir = path.join(work, name);
  fs.mkdirSync(dir);
  fs.writeFileSync(path.join(dir, "package.json"), JSON.stringify({ name: `pa-consumer-${name}`, version: "1.0.0", private: true }, null, 2));
  fs.writeFileSync(path.join(dir, ".npmrc"), "onnxruntime-node-install=skip\n");
  return dir;
}

const version = (name: string) => JSON.parse(fs.readFileSync(path.join(root, "node_modules", name, "package.json"), "utf8")).version as string;

/** npm install, preferring the cache; typescript and @types/node at the versions this checkout uses. */
function install(app: string, spec: string): void {
  run("npm", ["install", "--prefer-offline", "--no-audit", "--no-fund", spec, `typescript@${version("typescript")}`, `@types/node@${version("@types/node")}`], { cwd: app });
  // One onnxruntime-node, shared with @huggingface/transformers: two native copies do not load together.
  const copies: string[] = [];
  (function walk(dir: string, depth: number) {
    if (depth > 6 || !fs.existsSync(dir)) return;
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      if (!e.isDirectory()) continue;
      const p = path.join(dir, e.name);
      if (e.name === "onnxruntime-node") copies.push(path.relative(app, p));
      else if (e.name.startsWith("@")) walk(p, depth);
      else walk(path.join(p, "node_modules"), depth + 1);
    }
  })(path.join(app, "node_modules"), 0);
  assert.deepEqual(copies, [path.join("node_modules", "onnxruntime-node")]);
}

const EXAMPLE_LINE = /^5 layers; the last has 14 tokens x 128$/;

/** The README example as an ES module and as CommonJS: tsc --noEmit, then emitted and run by node. */
function readmeExampleRuns(app: string): void {
  const code = readmeExample();
  const [first, ...rest] = code.split("\n");
  assert.match(first, /^import \* as pa from "positional-artefacts";/);
  fs.writeFileSync(path.join(app, "example.mts"), code);
  fs.writeFileSync(path.join(app, "example.cts"), `${first}\n\nasync function main(): Promise<void> {\n${rest.join("\n")}}\n\nmain().catch((e) => { console.error(e); process.exitCode = 1; });\n`);
  fs.writeFileSync(path.join(app, "tsconfig.json"), JSON.stringify({
    compilerOptions: { module: "nodenext", target: "es2022", strict: true, skipLibCheck: false, types: ["node"], outDir: "out" },
    files: ["example.mts", "example.cts"],
  }, null, 2));
  const tsc = path.join(app, "node_modules", "typescript", "bin", "tsc");
  run(process.execPath, [tsc, "--noEmit", "-p", "."], { cwd: app });
  run(process.execPath, [tsc, "-p", ".", "--noCheck"], { cwd: app });
  for (const file of ["example.mjs", "example.cjs"]) {
    const r = run(process.execPath, [path.join("out", file)], { cwd: app });
    assert.match(r.stdout.trim(), EXAMPLE_LINE, file);
  }
}

/** Plain ESM and CommonJS imports, the ./cli and ./package.json subpaths, and what the import loads. */
function importsWork(app: string): void {
  const esm = `
    import * as pa from "positional-artefacts";
    import { createEncoder, Kernel } from "positional-artefacts";
    import { main } from "positional-artefacts/cli";
    import { createRequire } from "node:module";
    const cache = Object.keys(createRequire(import.meta.url).cache);
    console.log(JSON.stringify({ named: typeof createEncoder + typeof Kernel + typeof main, api: typeof pa.runAnalyses,
      optional: cache.filter((f) => /[\\\\/]node_modules[\\\\/](zeromq|tslab)[\\\\/]/.test(f)).length }));`;
  const cjs = `
    const pa = require("positional-artefacts");
    const { main } = require("positional-artefacts/cli");
    let deep = "reachable";
    try { require("positional-artefacts/dist/src/index.js"); } catch (e) { deep = e.code; }
    console.log(JSON.stringify({ named: typeof pa.createEncoder + typeof pa.Kernel + typeof main, api: typeof pa.runAnalyses,
      optional: Object.keys(require.cache).filter((f) => /[\\\\/]node_modules[\\\\/](zeromq|tslab)[\\\\/]/.test(f)).length,
      version: require("positional-artefacts/package.json").version, deep, file: require.resolve("positional-artefacts") }));`;
  const a = JSON.parse(run(process.execPath, ["--input-type=module", "-e", esm], { cwd: app }).stdout);
  assert.deepEqual(a, { named: "functionfunctionfunction", api: "function", optional: 0 });
  const b = JSON.parse(run(process.execPath, ["-e", cjs], { cwd: app }).stdout);
  assert.deepEqual(b, {
    named: "functionfunctionfunction", api: "function", optional: 0,
    version: JSON.parse(fs.readFileSync(path.join(root, "package.json"), "utf8")).version,
    deep: "ERR_PACKAGE_PATH_NOT_EXPORTED",
    file: path.join(fs.realpathSync(app), "node_modules", "positional-artefacts", "dist", "src", "index.js"),
  });
}

/** `npx artefacts analyze` on the embedded model gives the same outlier results as this checkout's CLI. */
function analyzeAgrees(app: string): void {
  const args = (model: string, out: string) => ["analyze", "--model", model, "--sample", "40", "--seed", "3", "--only", "outliers,positions", "--out", out];
  const model = path.join("node_modules", "positional-artefacts", "models", "mlm-pos");
  run("npx", ["--no-install", "artefacts", ...args(model, "results.json")], { cwd: app });
  const here = path.join(work, "results-checkout.json");
  if (!fs.existsSync(here)) run(process.execPath, [path.join(root, "bin", "artefacts.js"), ...args(path.join(root, "models", "mlm-pos"), here)], { cwd: root });
  const theirs = JSON.parse(fs.readFileSync(path.join(app, "results.json"), "utf8"));
  const ours = JSON.parse(fs.readFileSync(here, "utf8"));
  assert.ok(theirs.outliers && theirs.positions, Object.keys(theirs).join(","));
  assert.deepEqual(theirs.outliers, ours.outliers);
  assert.deepEqual(theirs.positions, ours.positions);
}

/** A notebook in the project's folder, run by Debian's Jupyter with the package's kernel launcher (the project's tslab), imports the package by name. */
function notebookRuns(app: string): void {
  const nb = path.join(app, "use-package.ipynb");
  fs.copyFileSync(path.join(root, "test", "fixtures", "package", "use-package.ipynb"), nb);
  const out = path.join(work, `nb-${path.basename(app)}`);
  run("bash", [path.join(root, "scripts", "run-notebooks-jupyter.sh"), nb], {
    cwd: app,
    env: { ...npmEnv, JUPYTER_OUT: out, NOTEBOOK_TIMEOUT: "300", TSLAB_BINARY: path.join(app, "node_modules", ".bin", "artefacts-tslab"), TSLAB_PREFIX: path.join(work, `jupyter-${path.basename(app)}`) },
  });
  const executed = JSON.parse(fs.readFileSync(path.join(out, "use-package.ipynb"), "utf8"));
  const text = (t: unknown) => (Array.isArray(t) ? t.join("") : String(t ?? ""));
  const outputs = executed.cells.flatMap((c: { outputs?: { text?: unknown; data?: Record<string, unknown> }[] }) => c.outputs ?? []);
  const stdout = outputs.map((o: { text?: unknown }) => text(o.text)).join("");
  assert.ok(stdout.includes(`resolved: ${path.join(fs.realpathSync(app), "node_modules", "positional-artefacts", "dist", "src", "index.js")}\n`), stdout);
  assert.match(stdout, /^5 layers; the last has 14 tokens x 128$/m);
  assert.ok(outputs.some((o: { data?: Record<string, unknown> }) => text(o.data?.["text/markdown"]) === "**shown by the installed package**"), JSON.stringify(outputs).slice(0, 600));
  const spec = JSON.parse(fs.readFileSync(path.join(work, `jupyter-${path.basename(app)}`, "share", "jupyter", "kernels", "tslab", "kernel.json"), "utf8"));
  assert.equal(spec.argv[0], path.join(app, "node_modules", ".bin", "artefacts-tslab"));
}

/** `npx artefacts report` on the embedded models; returns the HTML. */
function report(app: string, extra: string[]): string {
  const file = path.join(app, "report.html");
  const r = run("npx", ["--no-install", "artefacts", "report", ...extra, "--out", file], { cwd: app });
  assert.equal(r.stdout.trim(), file);
  const html = fs.readFileSync(file, "utf8");
  // Provenance: the package's own version, and no commit (the package is not a checkout).
  assert.match(html, /"commit":null,/);
  assert.match(html, /"positional-artefacts":"0\.1\.0"/);
  return html;
}

/** Runs `step` and reports its wall time as a test diagnostic. */
function timed<T>(t: { diagnostic(message: string): void }, name: string, step: () => T): T {
  const started = Date.now();
  const result = step();
  t.diagnostic(`${name}: ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return result;
}

let tarball = "";

test("npm pack ships the built package, the embedded models and notebooks, and no tests, tools or caches", (t) => {
  // Pack a copy of the working tree (tracked and untracked, not ignored), so the checkout's dist/ is left alone.
  const copy = path.join(work, "tree");
  const listed = run("git", ["ls-files", "-z", "--cached", "--others", "--exclude-standard"], { cwd: root }).stdout.split("\0").filter(Boolean);
  for (const f of listed) {
    const src = path.join(root, f);
    if (!fs.existsSync(src)) continue; // deleted in the working tree
    fs.mkdirSync(path.dirname(path.join(copy, f)), { recursive: true });
    fs.copyFileSync(src, path.join(copy, f));
  }
  fs.symlinkSync(path.join(root, "node_modules"), path.join(copy, "node_modules"));
  const r = timed(t, "npm pack", () => run("npm", ["pack", "--json", "--pack-destination", work], { cwd: copy }));
  const [info] = JSON.parse(r.stdout.slice(r.stdout.indexOf("[")));
  tarball = path.join(work, info.filename);
  const files: string[] = info.files.map((f: { path: string }) => f.path);
  for (const f of ["package.json", "README.md", "LICENSE", "CHANGELOG.md", "environment.md", "bin/artefacts.js", "bin/artefacts-tslab.js", "dist/src/report/tslabKernel.js", "dist/src/index.js", "dist/src/index.d.ts",
    "dist/src/cli/main.js", "dist/src/report/optional.js", "models/mlm-pos/model.safetensors", "models/mlm-nopos/tokenizer.json", "notebooks/01-outlier-frequency.ipynb"]) {
    assert.ok(files.includes(f), `${f} is not in the tarball`);
  }
  const unwanted = files.filter((f) => /^(test|tools|bench|scripts|reports|src\/(?!data\/LICENSES\.md$)|dist\/(test|bench)\/|\.)|\.map$|\.ts$(?<!\.d\.ts)/.test(f));
  assert.deepEqual(unwanted, []);
  assert.ok(info.size < 11e6, `tarball ${info.size} B`);
  t.diagnostic(`tarball ${info.size} B, unpacked ${info.unpackedSize} B, ${info.entryCount} files`);
});

test("from the tarball: README example (tsc, ESM, CommonJS), CLI analyze and report, a Jupyter notebook, and a clear error without the optional packages", (t) => {
  assert.ok(tarball, "the pack test did not run");
  const app = newProject("tarball");
  timed(t, "install", () => install(app, tarball));
  timed(t, "README example", () => readmeExampleRuns(app));
  importsWork(app);
  timed(t, "analyze", () => analyzeAgrees(app));
  const html = timed(t, "report", () => report(app, ["--sample", "40"]));
  for (const nb of fs.readdirSync(path.join(root, "notebooks")).filter((f) => f.endsWith(".ipynb"))) assert.ok(html.includes(`notebooks/${nb}`), nb);
  timed(t, "notebook", () => notebookRuns(app));

  // What npm leaves where an optional package fails to install: the API and CLI work, the report names what to install.
  const nb = path.join(app, "node_modules", "positional-artefacts", "notebooks", "01-outlier-frequency.ipynb");
  fs.rmSync(path.join(app, "node_modules", "zeromq"), { recursive: true });
  let r = run("npx", ["--no-install", "artefacts", "report", "--notebooks", nb, "--out", "missing.html"], { cwd: app }, 1);
  assert.match(r.stderr, /artefacts report: zeromq is not installed; running notebooks \(artefacts report, Kernel, executeNotebook\) needs it\. Install it with `npm install zeromq` in your project/);
  fs.rmSync(path.join(app, "node_modules", "tslab"), { recursive: true });
  r = run("npx", ["--no-install", "artefacts", "report", "--notebooks", nb, "--out", "missing.html"], { cwd: app }, 1);
  assert.match(r.stderr, /artefacts report: tslab is not installed; .* Install it with `npm install tslab` in your project/);
  assert.equal(fs.existsSync(path.join(app, "missing.html")), false);
  importsWork(app);
  r = run("npx", ["--no-install", "artefacts", "encode", "--model", path.join("node_modules", "positional-artefacts", "models", "mlm-nopos"), "--layer", "last", "A sentence."], { cwd: app });
  assert.ok(r.stdout.length > 0);
});

test("from a git+file:// URL of a fresh clone of HEAD: prepare builds dist/, and the API, CLI and a notebook work", (t) => {
  const head = run("git", ["rev-parse", "HEAD"], { cwd: root }).stdout.trim();
  const clone = path.join(work, "clone");
  run("git", ["clone", "--quiet", root, clone], { cwd: work });
  run("git", ["checkout", "--quiet", "--detach", head], { cwd: clone });
  const app = newProject("git");
  timed(t, "install", () => install(app, `git+file://${clone}`));
  const lock = JSON.parse(fs.readFileSync(path.join(app, "package-lock.json"), "utf8"));
  assert.equal(lock.packages["node_modules/positional-artefacts"].resolved, `git+file://${clone}#${head}`);
  const pkg = path.join(app, "node_modules", "positional-artefacts");
  assert.ok(fs.existsSync(path.join(pkg, "dist", "src", "index.d.ts")), "prepare built no dist/");
  assert.deepEqual(["test", "tools", "bench", "scripts", path.join("dist", "test")].filter((d) => fs.existsSync(path.join(pkg, d))), []);
  assert.deepEqual(fs.readdirSync(path.join(pkg, "src"), { recursive: true }).map(String).sort(), ["data", path.join("data", "LICENSES.md")]);
  timed(t, "README example", () => readmeExampleRuns(app));
  importsWork(app);
  timed(t, "analyze", () => analyzeAgrees(app));
  // One notebook (the one comparing both embedded models) keeps this install's report short.
  const html = timed(t, "report", () => report(app, ["--notebooks", path.join(pkg, "notebooks", "07-pretraining-without-positions.ipynb"), "--sample", "40"]));
  assert.ok(html.includes("notebooks/07-pretraining-without-positions.ipynb"));
  timed(t, "notebook", () => notebookRuns(app));
});
