import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { spawnSync } from "node:child_process";
import { synthesize } from "../../src/model/synth.js";
import { COMMON_WORDS } from "../../src/model/synthTokenizer.js";
import { createRandom } from "../../src/numerics/random.js";

const bin = path.join(__dirname, "..", "..", "..", "bin", "artefacts.js");
let dir: string, model: string, corpus: string;
const cli = (...args: string[]) => spawnSync(process.execPath, [bin, "analyze", ...args], { encoding: "utf8", env: { ...process.env, PA_THREADS: "1" } });

before(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "analyze-cli-"));
  model = path.join(dir, "model");
  // SYNTHETIC checkpoint with a planted min outlier in dim 5, and a seeded corpus file of common words.
  await synthesize({ arch: "bert", layers: 2, hidden: 16, heads: 2, seed: 2, plantOutlier: { dim: 5, sign: "min" }, out: model });
  const g = createRandom(1), words = COMMON_WORDS.slice(0, 80);
  corpus = path.join(dir, "corpus.txt");
  fs.writeFileSync(corpus, Array.from({ length: 40 }, () => Array.from({ length: 4 + g.int(6) }, () => words[g.int(80)]).join(" ")).join("\n") + "\n");
});

after(() => fs.rmSync(dir, { recursive: true, force: true }));

test("artefacts analyze writes a results JSON with provenance, outliers.dimensions and anisotropy.layers", () => {
  const out = path.join(dir, "r.json");
  const r = cli("--model", model, "--corpus", corpus, "--sample", "30", "--fit-sentences", "10", "--only", "anisotropy,origins", "--seed", "3", "--out", out);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, /analyze: fit 10\/30 sentences[^]*analyze: encode 30\/30 sentences/);
  const j = JSON.parse(fs.readFileSync(out, "utf8"));
  assert.deepEqual(j.outliers.dimensions.find((d: { kind: string }) => d.kind === "min"), { dim: 5, kind: "min", share: 1, layers: [0, 1, 2] });
  assert.deepEqual(Object.keys(j.anisotropy.layers[0]).slice(0, 6), ["layer", "sampled", "seen", "pairs", "raw", "clipped"]);
  assert.equal(j.provenance.corpus.sample, 30);
  assert.equal(j.provenance.seed, 3);
  assert.equal(j.settings.includeSpecial, false);
  assert.deepEqual(fs.readdirSync(dir).filter((f) => f.endsWith(".tmp")), []);
  // same inputs, same bytes
  const out2 = path.join(dir, "r2.json");
  assert.equal(cli("--model", model, "--corpus", corpus, "--sample", "30", "--fit-sentences", "10", "--only", "anisotropy,origins", "--seed", "3", "--out", out2).status, 0);
  assert.equal(fs.readFileSync(out2, "utf8"), fs.readFileSync(out, "utf8"));
});

test("artefacts analyze explains bad input and leaves no partial file", () => {
  assert.match(cli("--corpus", corpus, "--out", "x.json").stderr, /--model is required/);
  assert.match(cli("--model", model, "--only", "bogus", "--out", "x.json").stderr, /invalid analysis: "bogus"; expected one of outliers/);
  assert.match(cli("--model", model, "--sample", "1", "--out", "x.json").stderr, /invalid --sample: "1"; expected an integer >= 2/);
  assert.match(cli("--model", model, "--linalg", "blas", "--out", "x.json").stderr, /invalid --linalg: "blas"; expected onnxruntime or js/);
  assert.match(cli("--model", model, "--worker", "yes", "--out", "x.json").stderr, /invalid --worker: "yes"; expected auto, on or off/);
  const tooMany = cli("--model", model, "--corpus", corpus, "--sample", "500", "--out", path.join(dir, "no.json"));
  assert.equal(tooMany.status, 1);
  assert.match(tooMany.stderr, /^--corpus .*corpus\.txt: /);
  const bad = cli("--model", model, "--corpus", corpus, "--sample", "20", "--only", "outliers", "--out", path.join(dir, "missing", "r.json"));
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /missing\/r\.json: the folder .*missing does not exist; create it first/);
  assert.equal(fs.existsSync(path.join(dir, "missing")), false);
  assert.match(cli("--help").stdout, /usage: artefacts analyze --model SRC/);
});

test("artefacts analyze --worker on and off write the same bytes", () => {
  const run = (worker: string) => {
    const out = path.join(dir, `w-${worker}.json`);
    const r = cli("--model", model, "--corpus", corpus, "--sample", "30", "--fit-sentences", "10", "--only", "probe,selfsim", "--worker", worker, "--out", out);
    assert.equal(r.status, 0, r.stderr);
    // "auto" keeps a 30-sentence sample in one thread
    assert.equal(/run in a worker thread/.test(r.stderr), worker === "on", r.stderr);
    return fs.readFileSync(out, "utf8");
  };
  const on = run("on");
  assert.ok(JSON.parse(on).selfsim.raw.layers.length === 3 && JSON.parse(on).probe.layers.length === 3);
  assert.equal(on, run("off"));
  assert.equal(on, run("auto"));
});

test("artefacts analyze --only massive,norms,sinks: massive and norms read the residual sums too, sinks the attention; --sites adds sites and refuses unknown ones", () => {
  const out = path.join(dir, "sites.json");
  const r = cli("--model", model, "--corpus", corpus, "--sample", "12", "--only", "massive,norms,sinks", "--out", out);
  assert.equal(r.status, 0, r.stderr);
  const j = JSON.parse(fs.readFileSync(out, "utf8"));
  // hidden_states.0..2 and, per block 1..2, the residual sums entering the two LayerNorms (post-LN bert)
  const sites = ["hidden_states.0", "hidden_states.1", "attn_resid.1", "ffn_resid.1", "hidden_states.2", "attn_resid.2", "ffn_resid.2"];
  assert.deepEqual(j.massive.sites.map((s: { site: string }) => s.site), sites);
  assert.deepEqual(j.norms.sites.map((s: { site: string }) => s.site), sites);
  assert.deepEqual(j.sinks.layers.map((l: { layer: number; heads: unknown[] }) => [l.layer, l.heads.length]), [[1, 2], [2, 2]]);
  // --sites ffn_act: analysed by massive and norms at its own width (intermediate 64); attn_probs alone turns sinks on
  const out2 = path.join(dir, "sites2.json");
  const r2 = cli("--model", model, "--corpus", corpus, "--sample", "12", "--only", "massive", "--sites", "ffn_act.2,attn_probs", "--out", out2);
  assert.equal(r2.status, 0, r2.stderr);
  const j2 = JSON.parse(fs.readFileSync(out2, "utf8"));
  assert.deepEqual(j2.settings.only, ["outliers", "massive", "sinks"]);
  assert.equal(j2.massive.sites.find((s: { site: string }) => s.site === "ffn_act.2").width, 64);
  const bad = cli("--model", model, "--corpus", corpus, "--sample", "12", "--sites", "attn_bogus", "--out", path.join(dir, "no.json"));
  assert.equal(bad.status, 1);
  assert.match(bad.stderr, /^--sites: unknown site "attn_bogus": no kind "attn_bogus"; bert has hidden_states \(0\.\.2\), attn_probs \(1\.\.2\)/);
  assert.equal(fs.existsSync(path.join(dir, "no.json")), false);
});

test("artefacts analyze --isotropy-sentences S: the covariance reads every ceil(sample / S)-th sentence; a bad S is refused naming the flag", () => {
  const out = path.join(dir, "iso.json");
  const r = cli("--model", model, "--corpus", corpus, "--sample", "30", "--fit-sentences", "10", "--only", "isotropy", "--isotropy-sentences", "8", "--out", out);
  assert.equal(r.status, 0, r.stderr);
  const iso = JSON.parse(fs.readFileSync(out, "utf8")).isotropy;
  assert.equal(iso.settings.sentences, 8);
  assert.equal(iso.settings.stride, 4);
  assert.match(cli("--model", model, "--isotropy-sentences", "-1", "--out", "x.json").stderr, /invalid --isotropy-sentences: "-1"; expected an integer >= 0/);
  assert.match(cli("--help").stdout, /--isotropy-sentences/);
});
