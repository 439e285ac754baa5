// Issue 20 (and issue 14 item 7): one test per defect found by feeding the CLI bad input. Each case
// runs the real CLI on a SYNTHETIC checkpoint (seeded random weights: exact ground truth, no meaning)
// damaged in one way, and checks the exit code, the first error line and that the answer is quick.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { spawn, spawnSync, type SpawnSyncReturns } from "node:child_process";
import { synthesize } from "../../src/model/synth.js";
import { COMMON_WORDS } from "../../src/model/synthTokenizer.js";
import { createRandom } from "../../src/numerics/random.js";

const bin = path.join(__dirname, "..", "..", "..", "bin", "artefacts.js");
let dir: string, model: string, corpus: string;

function cli(args: string[], env: Record<string, string> = {}, input?: string): SpawnSyncReturns<string> & { seconds: number } {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: "utf8", env: { ...process.env, PA_THREADS: "1", ...env }, input, timeout: 60000, maxBuffer: 64 << 20 });
  return Object.assign(r, { seconds: Number(process.hrtime.bigint() - t0) / 1e9 });
}

/** A copy of the synthetic model with one float32 value of one tensor overwritten. */
function withValue(name: string, tensor: string, index: number, value: number): string {
  const out = path.join(dir, name);
  fs.cpSync(model, out, { recursive: true });
  const file = path.join(out, "model.safetensors");
  const b = fs.readFileSync(file);
  const n = Number(b.readBigUInt64LE(0));
  const e = JSON.parse(b.subarray(8, 8 + n).toString("utf8"))[tensor];
  b.writeFloatLE(value, 8 + n + e.data_offsets[0] + 4 * index);
  fs.writeFileSync(file, b);
  return out;
}

function withConfig(name: string, edit: (c: Record<string, unknown>) => void): string {
  const out = path.join(dir, name);
  fs.cpSync(model, out, { recursive: true });
  const c = JSON.parse(fs.readFileSync(path.join(out, "config.json"), "utf8"));
  edit(c);
  fs.writeFileSync(path.join(out, "config.json"), JSON.stringify(c));
  return out;
}

const firstLine = (s: string) => s.split("\n").find((l) => l.trim() !== "") ?? "";

before(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "robustness-cli-"));
  model = path.join(dir, "model");
  await synthesize({ arch: "bert", layers: 2, hidden: 16, heads: 2, seed: 2, out: model });
  const g = createRandom(1), words = COMMON_WORDS.slice(0, 80);
  corpus = path.join(dir, "corpus.txt");
  fs.writeFileSync(corpus, Array.from({ length: 40 }, () => Array.from({ length: 4 + g.int(6) }, () => words[g.int(80)]).join(" ")).join("\n") + "\n");
});

after(() => fs.rmSync(dir, { recursive: true, force: true }));

test("defect 1: a NaN weight is refused at load by encode, export and analyze, naming the tensor and its index", () => {
  const bad = withValue("nan-bias", "encoder.layer.0.output.dense.bias", 3, NaN);
  const want = /model\.safetensors: encoder\.layer\.0\.output\.dense\.bias\[3\] is NaN \(shape \[16\], flat index 3\)/;
  const enc = cli(["encode", "--model", bad, "a word"]);
  assert.equal(enc.status, 1, enc.stderr);
  assert.match(firstLine(enc.stderr), want);
  assert.equal(enc.stdout, "");
  const exp = cli(["export", bad, "--out", path.join(dir, "nan-export")]);
  assert.equal(exp.status, 1);
  assert.match(exp.stderr, want);
  assert.equal(fs.existsSync(path.join(dir, "nan-export")), false);
  const out = path.join(dir, "nan.json");
  const an = cli(["analyze", "--model", bad, "--corpus", corpus, "--sample", "20", "--only", "outliers", "--out", out]);
  assert.equal(an.status, 1);
  assert.match(an.stderr, want);
  assert.equal(fs.existsSync(out), false);
  // an infinity too
  const inf = withValue("inf-emb", "embeddings.word_embeddings.weight", 16 * 7 + 2, -Infinity);
  assert.match(cli(["encode", "--model", inf, "x"]).stderr, /embeddings\.word_embeddings\.weight\[7, 2\] is -Infinity/);
});

test("defect 1: with --allow-nonfinite the activation check stops analyze at the layer, sentence and token", () => {
  const bad = withValue("nan-bias-2", "encoder.layer.0.output.dense.bias", 0, NaN);
  const out = path.join(dir, "nan2.json");
  const r = cli(["analyze", "--model", bad, "--allow-nonfinite", "--corpus", corpus, "--sample", "20", "--only", "outliers", "--out", out]);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /hidden_states\.1 \(layer 1\) holds NaN at sentence \d+ \(0-based input index\), token 0 "\[CLS\]"/);
  assert.equal(fs.existsSync(out), false);
});

test("defect 1: a NaN word-embedding row is found in the sentences holding that word; --nonfinite exclude drops and counts them", () => {
  // the word's id is its line in vocab.txt; only sentences containing it turn non-finite
  const word = COMMON_WORDS[3];
  const id = fs.readFileSync(path.join(model, "vocab.txt"), "utf8").split("\n").indexOf(word);
  assert.ok(id > 0);
  const bad = withValue("nan-row", "embeddings.word_embeddings.weight", id * 16 + 5, NaN);
  const lines = fs.readFileSync(corpus, "utf8").trim().split("\n");
  const holding = lines.filter((l) => l.split(" ").includes(word)).length;
  assert.ok(holding > 0 && holding < lines.length, `${holding} of ${lines.length} sentences hold ${word}`);
  const stop = cli(["analyze", "--model", bad, "--allow-nonfinite", "--corpus", corpus, "--sample", "40", "--min-words", "1", "--only", "outliers", "--out", path.join(dir, "x.json")]);
  assert.equal(stop.status, 1);
  assert.match(stop.stderr, new RegExp(`hidden_states\\.0 \\(layer 0\\) holds NaN at sentence \\d+ \\(0-based input index\\), token \\d+ "${word}"`));
  const out = path.join(dir, "excluded.json");
  const r = cli(["analyze", "--model", bad, "--allow-nonfinite", "--nonfinite", "exclude", "--corpus", corpus, "--sample", "40", "--min-words", "1", "--only", "outliers", "--out", out]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, /non-finite activations are excluded/);
  const j = JSON.parse(fs.readFileSync(out, "utf8"));
  assert.equal(j.provenance.nonFinite.policy, "exclude");
  assert.equal(j.provenance.nonFinite.sentences, holding);
  assert.equal(j.provenance.nonFinite.first.layer, 0);
  // every number finite: the JSON has no null where a NaN would have been
  assert.doesNotMatch(JSON.stringify(j.outliers), /null/);
  assert.equal(j.outliers.dimensions.some((d: { dim: number; share: number }) => d.dim === 0 && d.share === 1), false);
});

test("defect 2: a 100,000-character sentence argument works as from --file (no SIGSEGV)", () => {
  const long = "word ".repeat(20000);
  const r = cli(["encode", "--model", model, long, "a b"]);
  assert.equal(r.status, 0, `signal ${r.signal}: ${r.stderr}`);
  const file = path.join(dir, "long.txt");
  fs.writeFileSync(file, `${long}\na b\n`);
  const f = cli(["encode", "--model", model, "--file", file]);
  assert.equal(f.status, 0);
  assert.equal(r.stdout, f.stdout);
  assert.equal(r.stdout.trim().split("\n").length, 2);
});

test("defect 3: num_hidden_layers 2000000 with weights for 2 layers: one bounded error from encode and inspect", () => {
  const bad = withConfig("layers-2m", (c) => { c.num_hidden_layers = 2000000; });
  for (const args of [["encode", "--model", bad, "x"], ["inspect", bad]]) {
    const r = cli(args);
    assert.equal(r.status, 1, r.stderr);
    assert.ok(r.seconds < 10, `${args[0]} took ${r.seconds} s`);
    assert.ok(r.stderr.length < 1000, `${r.stderr.length} characters of error`);
    assert.equal(r.stdout, "");
    assert.match(firstLine(r.stderr), /config\.json: num_hidden_layers 2000000 disagrees with .*model\.safetensors, which holds num_hidden_layers 2; use the config\.json saved with these weights/);
  }
  // an ONNX export whose config.json disagrees with its graph's outputs
  const onnx = path.join(dir, "onnx-2m");
  assert.equal(cli(["export", model, "--out", onnx, "--quiet"]).status, 0);
  const c = JSON.parse(fs.readFileSync(path.join(onnx, "config.json"), "utf8"));
  fs.writeFileSync(path.join(onnx, "config.json"), JSON.stringify({ ...c, num_hidden_layers: 2000000 }));
  for (const args of [["encode", "--model", onnx, "x"], ["inspect", onnx]]) {
    const r = cli(args);
    assert.equal(r.status, 1, r.stdout);
    assert.ok(r.stderr.length < 1000 && r.stdout === "", `${args[0]}: ${r.stderr.length} characters`);
    assert.match(r.stderr, /2000000/);
  }
  // every size at once, in one line
  const all = withConfig("all-wrong", (c) => { c.num_hidden_layers = 3; c.vocab_size = 700; c.max_position_embeddings = 64; });
  assert.match(cli(["inspect", all]).stderr, /num_hidden_layers 3, vocab_size 700, max_position_embeddings 64 disagree with .*, which holds num_hidden_layers 2, vocab_size 618, max_position_embeddings 128/);
});

test("defect 4: --threads above the core count is capped with a warning", () => {
  const r = cli(["encode", "--model", model, "--threads", "999", "a word"]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, new RegExp(`warning: threads 999 exceeds the ${os.availableParallelism()} cores of this machine; using ${os.availableParallelism()}`));
  const j = cli(["encode", "--model", model, "--threads", "999", "--json", "a word"]);
  assert.equal(JSON.parse(j.stdout).provenance.threads, os.availableParallelism());
});

test("defect 5: a hub that accepts and never answers fails after the connect timeout and leaves no cache folder", async () => {
  const sockets: net.Socket[] = [];
  const server = net.createServer((s) => { sockets.push(s); s.on("error", () => {}); });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as net.AddressInfo).port;
  const cache = path.join(dir, "hub-cache");
  try {
    const t0 = Date.now();
    // spawn (not spawnSync): the server answers connections in this process
    const r = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
      const child = spawn(process.execPath, [bin, "encode", "--model", "org/name", "x"], {
        env: { ...process.env, HF_ENDPOINT: `http://127.0.0.1:${port}`, PA_CACHE_DIR: cache, PA_HUB_CONNECT_TIMEOUT: "1", HF_HUB_OFFLINE: "" },
      });
      let stderr = "";
      child.stderr.on("data", (d) => (stderr += d));
      child.on("close", (code) => resolve({ code, stderr }));
    });
    const seconds = (Date.now() - t0) / 1000;
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /config\.json: no response within 1 s \(PA_HUB_CONNECT_TIMEOUT\)/);
    assert.ok(seconds < 10, `${seconds} s`);
    assert.equal(fs.existsSync(cache), false);
  } finally {
    for (const s of sockets) s.destroy();
    server.close();
  }
});

test("defect 6: config.json linked to /dev/zero, or larger than 1 MiB, is refused at once", { skip: !fs.existsSync("/dev/zero") && "no /dev/zero" }, () => {
  const zero = path.join(dir, "zero");
  fs.cpSync(model, zero, { recursive: true });
  fs.rmSync(path.join(zero, "config.json"));
  fs.symlinkSync("/dev/zero", path.join(zero, "config.json"));
  for (const args of [["encode", "--model", zero, "x"], ["inspect", zero]]) {
    const r = cli(args);
    assert.equal(r.status, 1);
    assert.ok(r.seconds < 10, `${r.seconds} s`);
    assert.match(firstLine(r.stderr), /zero\/config\.json: not a regular file \(a device, FIFO or socket\)/);
  }
  const big = withConfig("big-config", (c) => { c.padding = " ".repeat(1 << 20); });
  assert.match(cli(["inspect", big]).stderr, /config\.json: 1,0\d\d,\d\d\d bytes exceeds the 1,048,576-byte limit for this file/);
  const tok = path.join(dir, "zero-tok");
  fs.cpSync(model, tok, { recursive: true });
  fs.rmSync(path.join(tok, "tokenizer.json"));
  fs.symlinkSync("/dev/zero", path.join(tok, "tokenizer.json"));
  assert.match(cli(["encode", "--model", tok, "x"]).stderr, /tokenizer\.json: not a regular file/);
});

test("defect 7: tokenizer ids beyond vocab_size are refused when the model loads, naming tokenizer.json and vocab_size", async () => {
  const small = path.join(dir, "small-vocab");
  await synthesize({ arch: "bert", layers: 1, hidden: 16, heads: 2, seed: 3, vocab: 200, out: small });
  for (const f of ["tokenizer.json", "vocab.txt"]) fs.copyFileSync(path.join(model, f), path.join(small, f));
  const r = cli(["encode", "--model", small, "x"]);
  assert.equal(r.status, 1);
  assert.match(firstLine(r.stderr), /small-vocab\/tokenizer\.json: its largest id 617 \(".*"\) is outside the model's embedding table \(config\.json vocab_size 200, ids 0\.\.199\); use the tokenizer saved with these weights/);
  assert.doesNotMatch(r.stderr, /Gather|artefacts inspect/);
});

test("defect 8: every writing command checks --out before any work", () => {
  const cases: [string[], RegExp][] = [
    [["analyze", "--model", model, "--corpus", corpus, "--out", dir], /--out .*: is a folder; pass a file name inside it/],
    [["analyze", "--model", model, "--out", path.join(dir, "no", "r.json")], /the folder .*\/no does not exist; create it first/],
    [["report", "--out", dir], /--out .*: is a folder/],
    [["export", model, "--out", path.join(model, "config.json")], /exists and is not a folder/],
    [["synth", "--arch", "bert", "--layers", "1", "--hidden", "8", "--heads", "2", "--seed", "1", "--out", path.join(corpus, "x")], /ENOTDIR: a part of the path is a file/],
  ];
  for (const [args, re] of cases) {
    const r = cli(args);
    assert.equal(r.status, 2, `${args[0]}: ${r.stderr}`);
    assert.match(firstLine(r.stderr), re);
    // refused before the model or the notebooks load
    assert.ok(r.seconds < 5, `${args[0]} took ${r.seconds} s`);
  }
});

test("minor: an empty tokenizer vocabulary is refused", () => {
  const empty = path.join(dir, "empty-vocab");
  fs.cpSync(model, empty, { recursive: true });
  const t = JSON.parse(fs.readFileSync(path.join(empty, "tokenizer.json"), "utf8"));
  t.model.vocab = {};
  t.added_tokens = [];
  t.post_processor = null;
  fs.writeFileSync(path.join(empty, "tokenizer.json"), JSON.stringify(t));
  const r = cli(["encode", "--model", empty, "x y z"]);
  assert.equal(r.status, 1, r.stdout);
  assert.match(firstLine(r.stderr), /empty-vocab\/tokenizer\.json: the vocabulary is empty, so every word would give the same vector/);
});

test("minor: encode --file and stdin refuse invalid UTF-8 as analyze --corpus does", () => {
  const bad = path.join(dir, "latin1.txt");
  fs.writeFileSync(bad, Buffer.from("fine line\ncaf\xe9 au lait\n", "latin1"));
  const want = /latin1\.txt:2: invalid UTF-8; re-save the file as UTF-8/;
  assert.match(cli(["encode", "--model", model, "--file", bad]).stderr, want);
  assert.match(cli(["analyze", "--model", model, "--corpus", bad, "--out", path.join(dir, "u.json")]).stderr, want);
  const stdin = spawnSync(process.execPath, [bin, "encode", "--model", model], { input: Buffer.from("ok\ncaf\xe9\n", "latin1"), env: { ...process.env, PA_THREADS: "1" } });
  assert.equal(stdin.status, 1);
  assert.match(stdin.stderr.toString(), /^stdin:2: invalid UTF-8/);
});

test("minor: a config.json without model_type says so and how to fix it", () => {
  const bad = withConfig("no-type", (c) => { delete c.model_type; });
  assert.match(cli(["inspect", bad]).stderr, /config\.json: model_type is missing; add "model_type" with one of bert, roberta, distilbert/);
});

test("minor: an unknown extra tensor is noted, a known head is not", () => {
  const extra = path.join(dir, "extra");
  fs.cpSync(model, extra, { recursive: true });
  const file = path.join(extra, "model.safetensors");
  const b = fs.readFileSync(file);
  const n = Number(b.readBigUInt64LE(0));
  const header = JSON.parse(b.subarray(8, 8 + n).toString("utf8"));
  const data = b.subarray(8 + n);
  const end = data.length;
  header["mystery.weight"] = { dtype: "F32", shape: [2], data_offsets: [end, end + 8] };
  header["cls.predictions.bias"] = { dtype: "F32", shape: [2], data_offsets: [end + 8, end + 16] };
  let json = JSON.stringify(header);
  json += " ".repeat((8 - (json.length % 8)) % 8);
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(Buffer.byteLength(json)));
  fs.writeFileSync(file, Buffer.concat([len, Buffer.from(json), data, Buffer.alloc(16)]));
  const r = cli(["encode", "--model", extra, "x"]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, /1 tensor not used by the bert encoder and not a known head or buffer: mystery\.weight/);
  assert.doesNotMatch(r.stderr, /cls\.predictions/);
});

test("minor: two runs writing one --out at once both finish with one whole file and no temporary left", async () => {
  const out = path.join(dir, "shared.json");
  // enough work that both runs usually take their first look at --out before either writes it (with
  // 20 sentences of the 2 x 16 model a fast machine could finish one run before the other began)
  const big = path.join(dir, "race-corpus.txt"), g = createRandom(5), words = COMMON_WORDS.slice(0, 80);
  fs.writeFileSync(big, Array.from({ length: 1500 }, () => Array.from({ length: 4 + g.int(8) }, () => words[g.int(80)]).join(" ")).join("\n") + "\n");
  const run = () => new Promise<{ code: number | null; stderr: string }>((resolve) => {
    const child = spawn(process.execPath, [bin, "analyze", "--model", model, "--corpus", big, "--sample", "1000", "--only", "outliers", "--out", out], { env: { ...process.env, PA_THREADS: "1" }, stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (d) => (stderr += d));
    child.on("close", (code) => resolve({ code, stderr }));
  });
  const replaced = /shared\.json was written by another run while this one worked; this run's result replaces it/;
  // the pair again until the runs overlap (at most 6 tries): when both started before either wrote, the
  // one that finished second says that it replaced the other's file; when they did not overlap, neither does
  const warned: number[] = [];
  for (let attempt = 0; attempt < 6 && !warned.includes(1); ++attempt) {
    fs.rmSync(out, { force: true });
    const both = await Promise.all([run(), run()]);
    assert.deepEqual(both.map((r) => r.code), [0, 0], both.map((r) => r.stderr).join("\n"));
    warned.push(both.filter((r) => replaced.test(r.stderr)).length);
    assert.equal(JSON.parse(fs.readFileSync(out, "utf8")).settings.only[0], "outliers");
    assert.deepEqual(fs.readdirSync(dir).filter((f) => f.includes("shared.json") && f !== "shared.json"), []);
  }
  assert.ok(warned.every((n) => n <= 1), `never both: ${warned.join(", ")}`);
  assert.equal(warned[warned.length - 1], 1, `the overlapping pair warned once (warnings per try: ${warned.join(", ")})`);
});
