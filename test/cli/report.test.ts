import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { defaultNotebooks } from "../../src/cli/report.js";

const root = path.resolve(__dirname, "..", "..", "..");
const bin = path.join(root, "bin", "artefacts.js");
const failing = path.join(root, "test", "fixtures", "notebooks", "02-fail.ipynb");
const cli = (...args: string[]) => spawnSync(process.execPath, [bin, "report", ...args], { cwd: root, encoding: "utf8" });

test("artefacts report --help lists every option", () => {
  const r = cli("--help");
  assert.equal(r.status, 0);
  for (const o of ["--model", "--notebooks", "--sample", "--seed", "--title", "--cell-timeout", "--out"]) assert.ok(r.stdout.includes(o), o);
});

test("artefacts report exits 2 on bad usage, naming the option", () => {
  assert.match(cli("--notebooks", failing).stderr, /--out is required/);
  assert.equal(cli("--notebooks", failing).status, 2);
  const r = cli("--notebooks", failing, "--out", "/tmp/x.html", "--sample", "many");
  assert.equal(r.status, 2);
  assert.match(r.stderr, /invalid --sample: "many"; expected an integer >= 1/);
  assert.match(cli("--notebooks", "/nope/a.ipynb", "--out", "/tmp/x.html").stderr, /--notebooks: "\/nope\/a\.ipynb" does not exist/);
  assert.match(cli("--notebooks", failing, "--out", "/tmp/x.html", "--sample", "3").stderr, /--sample: no notebook declares a sample parameter/);
});

test("artefacts report exits 1 naming the notebook, cell and error of a failing cell, with progress on stderr and no file", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pa-cli-"));
  try {
    const out = path.join(dir, "r.html");
    const r = cli("--notebooks", failing, "--out", out);
    assert.equal(r.status, 1, r.stderr);
    assert.equal(r.stdout, "");
    const lines = r.stderr.trim().split("\n");
    assert.equal(lines[0], "artefacts report: [1/1] test/fixtures/notebooks/02-fail.ipynb: starting");
    assert.equal(lines[lines.length - 1], "artefacts report: test/fixtures/notebooks/02-fail.ipynb: cell 3 failed: RangeError: planted failure at n=2");
    assert.deepEqual(fs.readdirSync(dir), []);
  } finally {
    fs.rmSync(dir, { recursive: true });
  }
});

test("defaultNotebooks lists notebooks/*.ipynb in name order", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pa-cli-"));
  try {
    fs.mkdirSync(path.join(dir, "notebooks"));
    for (const f of ["10-b.ipynb", "02-a.ipynb", "README.md"]) fs.writeFileSync(path.join(dir, "notebooks", f), "");
    assert.deepEqual(defaultNotebooks(dir), [path.join(dir, "notebooks", "02-a.ipynb"), path.join(dir, "notebooks", "10-b.ipynb")]);
    assert.deepEqual(defaultNotebooks(path.join(dir, "none")), []);
  } finally {
    fs.rmSync(dir, { recursive: true });
  }
});

test("artefacts report stopped by SIGTERM leaves no kernel process and no file", async () => {
  const { spawn } = await import("node:child_process");
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pa-cli-"));
  try {
    const out = path.join(dir, "r.html");
    const child = spawn(process.execPath, [bin, "report", "--no-cache", "--notebooks", path.join(root, "test", "fixtures", "notebooks", "01-basic.ipynb"), "--out", out], { cwd: root });
    let stderr = "";
    child.stderr.on("data", (b) => { stderr += b; });
    // Wait until a cell runs, so the kernel is up.
    await new Promise<void>((resolve) => { const t = setInterval(() => { if (/cell \d/.test(stderr)) { clearInterval(t); resolve(); } }, 100); });
    const kernels = () => spawnSync("pgrep", ["-P", String(child.pid)], { encoding: "utf8" }).stdout.trim().split("\n").filter(Boolean).map(Number);
    const pids = kernels();
    assert.equal(pids.length >= 1, true, "a kernel runs as a child");
    child.kill("SIGTERM");
    const code = await new Promise((resolve) => child.on("exit", (c) => resolve(c)));
    assert.equal(code, 143);
    assert.match(stderr, /stopped by SIGTERM; no report written/);
    // Gone, or a zombie waiting for its new parent to reap it: either way no longer running.
    const running = (pid: number) => {
      try { return !/^\d+ \(.*\) Z/.test(fs.readFileSync(`/proc/${pid}/stat`, "utf8")); } catch { return false; }
    };
    for (let i = 0; i < 50 && pids.some(running); ++i) await new Promise((r) => setTimeout(r, 100));
    for (const pid of pids) assert.equal(running(pid), false, `kernel ${pid} still runs`);
    assert.deepEqual(fs.readdirSync(dir), []);
  } finally {
    fs.rmSync(dir, { recursive: true });
  }
});
