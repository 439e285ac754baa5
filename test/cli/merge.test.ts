/**
 * artefacts analyze --shard K/N|auto and artefacts merge, end to end through the CLI, on a SYNTHETIC
 * checkpoint (planted outlier in dim 5) and a seeded corpus file: the merged results are the single
 * run's bytes (provenance aside), and bad shard sets are refused naming the file. resolveShard reads
 * Slurm's and Kubernetes' variables.
 */
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { spawnSync } from "node:child_process";
import { synthesize } from "../../src/model/synth.js";
import { COMMON_WORDS } from "../../src/model/synthTokenizer.js";
import { createRandom } from "../../src/numerics/random.js";
import { resolveShard } from "../../src/cli/shardSpec.js";

const bin = path.join(__dirname, "..", "..", "..", "bin", "artefacts.js");
let dir: string, model: string, corpus: string;
const cli = (args: string[], env: Record<string, string> = {}) => spawnSync(process.execPath, [bin, ...args], { encoding: "utf8", env: { ...process.env, PA_THREADS: "1", ...env } });
const common = () => ["--model", model, "--corpus", corpus, "--sample", "40", "--fit-sentences", "10", "--block-sentences", "9", "--seed", "3", "--worker", "off"];
const bare = (file: string) => JSON.stringify({ ...JSON.parse(fs.readFileSync(file, "utf8")), provenance: null });

before(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "merge-cli-"));
  model = path.join(dir, "model");
  await synthesize({ arch: "bert", layers: 2, hidden: 16, heads: 2, seed: 2, plantOutlier: { dim: 5, sign: "min" }, out: model });
  const g = createRandom(1), words = COMMON_WORDS.slice(0, 80);
  corpus = path.join(dir, "corpus.txt");
  fs.writeFileSync(corpus, Array.from({ length: 60 }, () => Array.from({ length: 4 + g.int(6) }, () => words[g.int(80)]).join(" ")).join("\n") + "\n");
});

after(() => fs.rmSync(dir, { recursive: true, force: true }));

test("analyze --shard K/3 (and auto from a Slurm array starting at 4) then merge gives the single run's bytes", () => {
  const single = path.join(dir, "single.json");
  assert.equal(cli(["analyze", ...common(), "--out", single]).status, 0);
  const files = [0, 1, 2].map((k) => path.join(dir, `s${k}.shard`));
  let r = cli(["analyze", ...common(), "--shard", "0/3", "--out", files[0]]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, /wrote shard 0\/3 \(blocks 0-1 of 5\)/);
  for (const k of [1, 2]) {
    r = cli(["analyze", ...common(), "--shard", "auto", "--out", files[k]], { SLURM_ARRAY_TASK_ID: String(4 + k), SLURM_ARRAY_TASK_MIN: "4", SLURM_ARRAY_TASK_COUNT: "3" });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stderr, new RegExp(`analyze: shard ${k}/3`));
  }
  const merged = path.join(dir, "merged.json");
  r = cli(["merge", files[2], files[0], files[1], "--out", merged]);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(bare(merged), bare(single));
  assert.deepEqual(JSON.parse(fs.readFileSync(merged, "utf8")).provenance.corpus, JSON.parse(fs.readFileSync(single, "utf8")).provenance.corpus);
  assert.deepEqual(fs.readdirSync(dir).filter((f) => f.endsWith(".tmp")), []);
});

test("merge refuses a missing or duplicate shard, another seed or model, and a truncated or corrupt file", async () => {
  const files = [0, 1, 2].map((k) => path.join(dir, `s${k}.shard`));
  if (!files.every((f) => fs.existsSync(f))) for (const [k, f] of files.entries()) cli(["analyze", ...common(), "--shard", `${k}/3`, "--out", f]);
  const merge = (...shards: string[]) => cli(["merge", ...shards, "--out", path.join(dir, "bad.json")]);
  let r = merge(files[0], files[1]);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /shard 2 of 3 missing \(got 0, 1\); rerun it with --shard K\/3/);
  r = merge(files[0], files[1], files[1]);
  assert.match(r.stderr, /s1\.shard: duplicate shard 1\/3 \(also .*s1\.shard\)/);
  const seed = path.join(dir, "seed.shard");
  assert.equal(cli(["analyze", ...common(), "--seed", "4", "--shard", "2/3", "--out", seed]).status, 0);
  r = merge(files[0], files[1], seed);
  assert.match(r.stderr, /seed\.shard: seed 4 is not .*s0\.shard's 3; merge shards run with one seed/);
  const other = path.join(dir, "other");
  await synthesize({ arch: "bert", layers: 2, hidden: 16, heads: 2, seed: 9, plantOutlier: { dim: 5, sign: "min" }, out: other });
  const foreign = path.join(dir, "foreign.shard");
  assert.equal(cli(["analyze", ...common(), "--model", other, "--shard", "2/3", "--out", foreign]).status, 0);
  r = merge(files[0], files[1], foreign);
  assert.match(r.stderr, /foreign\.shard: model .* is not .*s0\.shard's .*; merge shards of one checkpoint/);
  const text = fs.readFileSync(files[2]);
  const cut = path.join(dir, "cut.shard");
  fs.writeFileSync(cut, text.subarray(0, Math.floor(text.length / 2)));
  r = merge(files[0], files[1], cut);
  assert.match(r.stderr, /cut\.shard: no end line \(the write stopped before it finished\); the shard file is truncated or corrupt: rerun that shard/);
  const bad = Buffer.from(text);
  bad[100] = bad[100] === 0x41 ? 0x42 : 0x41;
  fs.writeFileSync(cut, bad);
  r = merge(files[0], files[1], cut);
  assert.match(r.stderr, /cut\.shard: its content does not match the sha256 in its end line/);
  assert.ok(!fs.existsSync(path.join(dir, "bad.json")));
});

test("resolveShard: K/N, Slurm arrays (offset and step), Kubernetes Indexed Jobs, and what is refused", () => {
  assert.deepEqual(resolveShard("2/5", undefined, {}), { index: 2, count: 5 });
  assert.throws(() => resolveShard("5/5", undefined, {}), /K counts from 0, so K must be below N \(5\)/);
  assert.throws(() => resolveShard("1of4", undefined, {}), /invalid --shard: "1of4"; expected K\/N/);
  assert.deepEqual(resolveShard("auto", undefined, { SLURM_ARRAY_TASK_ID: "0", SLURM_ARRAY_TASK_COUNT: "3" }), { index: 0, count: 3 });
  assert.deepEqual(resolveShard("auto", undefined, { SLURM_ARRAY_TASK_ID: "14", SLURM_ARRAY_TASK_MIN: "10", SLURM_ARRAY_TASK_STEP: "2", SLURM_ARRAY_TASK_COUNT: "3" }), { index: 2, count: 3 });
  assert.throws(() => resolveShard("auto", undefined, { SLURM_ARRAY_TASK_ID: "3" }), /SLURM_ARRAY_TASK_COUNT is not/);
  assert.throws(() => resolveShard("auto", "4", { SLURM_ARRAY_TASK_ID: "1", SLURM_ARRAY_TASK_COUNT: "3" }), /--shards 4 contradicts SLURM_ARRAY_TASK_COUNT 3/);
  assert.deepEqual(resolveShard("auto", "4", { JOB_COMPLETION_INDEX: "3" }), { index: 3, count: 4 });
  assert.throws(() => resolveShard("auto", undefined, { JOB_COMPLETION_INDEX: "3" }), /needs --shards N/);
  assert.throws(() => resolveShard("auto", "3", { JOB_COMPLETION_INDEX: "3" }), /JOB_COMPLETION_INDEX 3 is not below --shards 3/);
  assert.throws(() => resolveShard("auto", undefined, {}), /neither SLURM_ARRAY_TASK_ID .* nor JOB_COMPLETION_INDEX .* is set; pass --shard K\/N/);
});
