/** `artefacts synth` run as a child process (the compiled CLI); models are SYNTHETIC (seeded random weights). */
import { test, after } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { spawnSync } from "node:child_process";
import { pair, parsePlant } from "../../src/cli/synth.js";

const bin = path.join(__dirname, "..", "..", "..", "bin", "artefacts.js");
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "pa-synth-cli-"));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));
const cli = (...args: string[]) => spawnSync(process.execPath, [bin, "synth", ...args], { encoding: "utf8" });

test("artefacts synth --help says the models are SYNTHETIC and lists every option", () => {
  const r = cli("--help");
  assert.equal(r.status, 0);
  assert.match(r.stdout, /SYNTHETIC/);
  assert.match(r.stdout, /SEEDED RANDOM weights, NOT a trained model/);
  for (const o of ["arch", "layers", "hidden", "heads", "intermediate", "vocab", "positions", "position-embeddings", "seed", "plant-outlier", "plant-rows", "plant-massive", "plant-sink", "dtype", "out", "force", "help"]) {
    assert.match(r.stdout, new RegExp(`--${o}\\b`), `--${o} missing from --help`);
  }
});

test("artefacts synth writes the folder, prints its path, and the same seed gives the same bytes", () => {
  const a = path.join(tmp, "a"), b = path.join(tmp, "b");
  const args = ["--arch", "bert", "--layers", "2", "--hidden", "32", "--heads", "4", "--seed", "1", "--plant-outlier", "7:max", "--plant-rows", "0,1"];
  const r = cli(...args, "--out", a);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, `${a}\n`);
  assert.match(r.stderr, /wrote a SYNTHETIC bert checkpoint \(seeded random weights, not trained\)/);
  assert.equal(cli(...args, "--out", b).status, 0);
  assert.ok(fs.readFileSync(path.join(a, "model.safetensors")).equals(fs.readFileSync(path.join(b, "model.safetensors"))));
  const planted = JSON.parse(fs.readFileSync(path.join(a, "config.json"), "utf8")).positional_artefacts_synthetic.plantedOutlier;
  assert.deepEqual([planted.dim, planted.sign, planted.rows], [7, "max", [0, 1]]);
  // an existing folder is refused without --force, replaced with it
  const again = cli(...args, "--out", a);
  assert.equal(again.status, 1);
  assert.match(again.stderr, /folder exists and is not empty; choose another --out or pass --force/);
  assert.equal(cli(...args, "--out", a, "--force").status, 0);
});

test("artefacts synth rejects missing and bad options with exit 2, naming the option", () => {
  const base = ["--arch", "bert", "--layers", "2", "--hidden", "32", "--heads", "4", "--seed", "1"];
  const cases: [string[], RegExp][] = [
    [["--arch", "bert", "--layers", "2"], /--hidden is required/],
    [[...base], /--out is required/],
    [[...base.slice(0, 7), "5", "--seed", "1", "--out", path.join(tmp, "x")], /invalid --heads: 5; hidden 32 must be a multiple of heads/],
    [[...base, "--out", path.join(tmp, "x"), "--plant-outlier", "40"], /invalid --plant-outlier: dim 40; expected an integer in 0\.\.31/],
    [[...base, "--out", path.join(tmp, "x"), "--plant-outlier", "3:mid"], /invalid --plant-outlier: "3:mid"; expected DIM, DIM:min or DIM:max/],
    [[...base, "--out", path.join(tmp, "x"), "--layers", "two"], /invalid --layers: "two"; expected an integer >= 1/],
    [[...base, "--out", path.join(tmp, "x"), "--dtype", "f64"], /invalid --dtype: "F64"; expected one of F32, F16, BF16/],
    [[...base, "--out", path.join(tmp, "x"), "--bogus"], /unknown option --bogus/],
    [[...base, "--out", path.join(tmp, "x"), "--plant-massive", "2"], /invalid --plant-massive: "2"; expected LAYER:DIM, e\.g\. 2:5/],
    [[...base, "--out", path.join(tmp, "x"), "--plant-sink", "3:0"], /invalid --plant-sink: layer 3; expected a block 1\.\.2/],
    [[...base, "--out", path.join(tmp, "x"), "--plant-sink", "1:0", "--plant-outlier", "3"], /cannot be combined with --plant-outlier/],
  ];
  for (const [args, re] of cases) {
    const r = cli(...args);
    assert.equal(r.status, 2, `${args.join(" ")}: ${r.stderr}`);
    assert.match(r.stderr, re);
  }
  assert.ok(!fs.existsSync(path.join(tmp, "x")));
});

test("parsePlant reads DIM, DIM:min and DIM:max (default min)", () => {
  assert.deepEqual(parsePlant("7"), { dim: 7, sign: "min" });
  assert.deepEqual(parsePlant("7:max"), { dim: 7, sign: "max" });
  assert.throws(() => parsePlant("-1"), /invalid --plant-outlier: "-1"/);
});

test("artefacts synth --plant-massive and --plant-sink record the plants in config.json (SYNTHETIC)", () => {
  const out = path.join(tmp, "planted");
  const r = cli("--arch", "bert", "--layers", "2", "--hidden", "16", "--heads", "4", "--seed", "3", "--plant-massive", "2:4", "--plant-sink", "1:3", "--out", out);
  assert.equal(r.status, 0, r.stderr);
  const rec = JSON.parse(fs.readFileSync(path.join(out, "config.json"), "utf8")).positional_artefacts_synthetic;
  assert.deepEqual([rec.plantedMassive.site, rec.plantedMassive.dim, rec.plantedSink.site, rec.plantedSink.head], ["ffn_resid.2", 4, "attn_probs.1", 3]);
  assert.deepEqual(pair("2:5", "plant-massive", "dim"), { layer: 2, dim: 5 });
  assert.deepEqual(pair(" 1:0 ", "plant-sink", "head"), { layer: 1, head: 0 });
});
