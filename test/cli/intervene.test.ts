/** `artefacts intervene` run as a child process; the models are SYNTHETIC (seeded random weights) fixtures. */
import { test, after } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { spawnSync } from "node:child_process";

const root = path.join(__dirname, "..", "..", "..");
const bin = path.join(root, "bin", "artefacts.js");
const HEAD = path.join(root, "test", "fixtures", "heads", "bert");
const BARE = path.join(root, "test", "fixtures", "families", "bert");
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "pa-intervene-cli-"));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));
const cli = (...args: string[]) => spawnSync(process.execPath, [bin, "intervene", ...args], { encoding: "utf8", env: { ...process.env, PA_THREADS: "1" } });

test("artefacts intervene --help lists every option", () => {
  const r = cli("--help");
  assert.equal(r.status, 0);
  for (const o of ["model", "dims", "layers", "site", "ablation", "value", "score", "sts", "sample", "fit-sample", "repeats", "seed", "out"]) assert.match(r.stdout, new RegExp(`--${o}\\b`));
});

test("artefacts intervene writes the result atomically, the statement and progress on stderr", () => {
  const out = path.join(tmp, "r.json");
  const r = cli("--model", HEAD, "--dims", "3,7", "--layers", "1,2", "--repeats", "2", "--sample", "6", "--fit-sample", "2", "--corpus", "brown", "--out", out);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, "");
  const j = JSON.parse(fs.readFileSync(out, "utf8"));
  assert.equal(j.kind, "mlm-intervention");
  assert.deepEqual(j.targets, ["hidden_states.1", "hidden_states.2"]);
  assert.equal(j.random.scores.length, 2);
  assert.equal(j.sentences.count, 6);
  assert.match(j.sentences.source, /corpus brown \(not known to be held out/);
  assert.match(r.stderr, /artefacts intervene: scoring random dims 2\/2/);
  assert.match(r.stderr, /artefacts intervene: ablating dims 3, 7 \(zero, hidden_states, layers 1, 2\) (raises|lowers) the MLM loss from/);
  assert.deepEqual(fs.readdirSync(tmp).filter((f) => f.endsWith(".tmp")), []);
});

test("artefacts intervene: bad input says what is valid, writes nothing", () => {
  const out = path.join(tmp, "bad.json");
  const cases: [string[], RegExp][] = [
    [["--dims", "32"], /invalid dim: 32; expected an integer in 0\.\.31 \(width 32\)/],
    [["--dims", "1", "--layers", "5"], /invalid layer: 5; the model has layers 0\.\.2/],
    [["--dims", "1", "--site", "residual"], /invalid --site: "residual"; expected one of hidden_states, ln_weight, ln_bias, position_table, attn_out/],
    [["--dims", "1", "--ablation", "clip"], /invalid --ablation: "clip"; expected one of zero, mean, value/],
    [["--dims", "1", "--score", "bleu"], /invalid --score: "bleu"; expected one of mlm, pppl, sts, wic, probe/],
    [["--dims", "1", "--score", "sts"], /--score sts needs --sts FILE/],
  ];
  for (const [args, re] of cases) {
    const r = cli("--model", HEAD, ...args, "--out", out);
    assert.equal(r.status, 2, `${args.join(" ")}: ${r.stderr}`);
    assert.match(r.stderr, re);
  }
  const bare = cli("--model", BARE, "--dims", "1", "--out", out);
  assert.equal(bare.status, 1);
  assert.match(bare.stderr, /no BertForMaskedLM head: cls\.predictions\.transform\.dense\.weight, .* missing .*score it downstream instead \(score sts, wic or probe\)/);
  assert.ok(!fs.existsSync(out));
});
