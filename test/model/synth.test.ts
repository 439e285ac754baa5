/**
 * synthesize() writes SYNTHETIC checkpoints (seeded random weights, not trained). These tests pin
 * determinism, the config/tokenizer agreement, the recorded ground truth, and that the planted outlier is
 * the argmin/argmax of every token at every layer when encoded through the real ONNX graph.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { mulberry32, normalSource, synthesize, type SynthOptions } from "../../src/model/synth.js";
import { WORDPIECE_MIN_VOCAB, BPE_MIN_VOCAB } from "../../src/model/synthTokenizer.js";
import { readSafetensors } from "../../src/model/safetensors.js";
import { createEncoder } from "../../src/model/encoder.js";

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "pa-synth-test-"));
process.on("exit", () => fs.rmSync(tmp, { recursive: true, force: true }));
let n = 0;
const small = (o: Partial<SynthOptions> = {}): SynthOptions =>
  ({ arch: "bert", layers: 2, hidden: 16, heads: 2, seed: 1, positions: 32, out: path.join(tmp, `m${n++}`), ...o }) as SynthOptions;
const readJson = (dir: string, f: string) => JSON.parse(fs.readFileSync(path.join(dir, f), "utf8"));

test("mulberry32 is deterministic and uniform in [0, 1); normalSource has mean 0 and sd 1", () => {
  const a = mulberry32(42), b = mulberry32(42);
  const xs = Array.from({ length: 5 }, () => a());
  assert.deepEqual(xs, Array.from({ length: 5 }, () => b()));
  assert.ok(xs.every((x) => x >= 0 && x < 1));
  assert.notDeepEqual(xs, Array.from({ length: 5 }, mulberry32(43)));
  const normal = normalSource(mulberry32(7));
  let s = 0, ss = 0;
  const N = 200_000;
  for (let i = 0; i < N; ++i) { const x = normal(); s += x; ss += x * x; }
  // standard errors: mean 1/sqrt(N) = 0.0022, variance sqrt(2/N) = 0.0032; allow 5 of them
  assert.ok(Math.abs(s / N) < 0.011, `mean ${s / N}`);
  assert.ok(Math.abs(ss / N - 1) < 0.016, `variance ${ss / N}`);
});

test("synthesize with the same seed writes byte-identical files; another seed changes the weights", async () => {
  const a = await synthesize(small({ seed: 9, plantOutlier: { dim: 3, sign: "max" } }));
  const b = await synthesize(small({ seed: 9, plantOutlier: { dim: 3, sign: "max" } }));
  const c = await synthesize(small({ seed: 10, plantOutlier: { dim: 3, sign: "max" } }));
  const files = fs.readdirSync(a).sort();
  assert.deepEqual(files, ["README.md", "config.json", "model.safetensors", "special_tokens_map.json", "tokenizer.json", "tokenizer_config.json", "vocab.txt"]);
  for (const f of files) assert.ok(fs.readFileSync(path.join(a, f)).equals(fs.readFileSync(path.join(b, f))), `${f} differs between two runs`);
  assert.ok(!fs.readFileSync(path.join(a, "model.safetensors")).equals(fs.readFileSync(path.join(c, "model.safetensors"))));
});

test("synthesize writes each family's config fields, tensor names and a tokenizer whose vocabulary equals vocab_size", async () => {
  const cases: [SynthOptions["arch"], number | undefined, string, string][] = [
    ["bert", undefined, "BertModel", "vocab.txt"],
    ["bert", 700, "BertModel", "vocab.txt"],
    ["distilbert", undefined, "DistilBertModel", "vocab.txt"],
    ["roberta", undefined, "RobertaModel", "vocab.json"],
    ["roberta", 300, "RobertaModel", "vocab.json"],
  ];
  for (const [arch, vocab, cls, vocabFile] of cases) {
    const dir = await synthesize(small({ arch, vocab, positions: arch === "roberta" ? 34 : 32 }));
    const config = readJson(dir, "config.json");
    assert.deepEqual(config.architectures, [cls]);
    assert.equal(config.model_type, arch);
    const V = config.vocab_size;
    if (vocab) assert.equal(V, vocab);
    const tok = readJson(dir, "tokenizer.json");
    // every id 0..V-1 names exactly one token, in tokenizer.json and in the slow-tokenizer file
    const ids = Object.values(tok.model.vocab as Record<string, number>).sort((x, y) => x - y);
    assert.deepEqual(ids, Array.from({ length: V }, (_, i) => i), `${arch} ${vocab}: tokenizer.json ids`);
    const slow = vocabFile === "vocab.txt"
      ? fs.readFileSync(path.join(dir, vocabFile), "utf8").trimEnd().split("\n")
      : Object.keys(readJson(dir, vocabFile));
    assert.equal(new Set(slow).size, V, `${arch} ${vocab}: ${vocabFile} distinct tokens`);
    const { tensors } = readSafetensors(path.join(dir, "model.safetensors"));
    const D = 16;
    assert.deepEqual(tensors.get("embeddings.word_embeddings.weight")!.shape, [V, D]);
    if (arch === "distilbert") {
      assert.equal(config.n_layers, 2);
      assert.equal(config.dim, D);
      assert.deepEqual(tensors.get("transformer.layer.1.ffn.lin1.weight")!.shape, [64, D]);
      assert.ok(!tensors.has("embeddings.token_type_embeddings.weight"));
    } else {
      assert.equal(config.num_hidden_layers, 2);
      assert.deepEqual(tensors.get("encoder.layer.1.intermediate.dense.weight")!.shape, [64, D]);
      assert.deepEqual(tensors.get("embeddings.token_type_embeddings.weight")!.shape, [arch === "roberta" ? 1 : 2, D]);
    }
    if (arch === "roberta") {
      assert.equal(config.pad_token_id, 1);
      assert.equal(tok.post_processor.type, "RobertaProcessing");
      assert.equal(tok.pre_tokenizer.type, "ByteLevel");
      assert.deepEqual(["<s>", "<pad>", "</s>", "<unk>"].map((t) => tok.model.vocab[t]), [0, 1, 2, 3]);
      assert.equal(tok.model.vocab["<mask>"], V - 1);
      assert.equal(readJson(dir, "tokenizer_config.json").model_max_length, 32);
    }
    // HF zeroes the padding row of the word table
    const pad = config.pad_token_id;
    assert.ok(tensors.get("embeddings.word_embeddings.weight")!.data.subarray(pad * D, pad * D + D).every((x) => x === 0));
  }
});

test("synthesize records the planted outlier and plants it in the position rows and every LayerNorm", async () => {
  const dir = await synthesize(small({ arch: "roberta", positions: 34, plantOutlier: { dim: 5, sign: "max" } }));
  const record = readJson(dir, "config.json").positional_artefacts_synthetic;
  // RoBERTa's first token uses row padding_idx + 1 = 2
  assert.deepEqual(record.plantedOutlier, { dim: 5, sign: "max", rows: [2], positionValue: 1, layerNormGamma: 2, layerNormBeta: 16 });
  assert.equal(record.seed, 1);
  assert.equal(record.synthetic, true);
  const { tensors } = readSafetensors(path.join(dir, "model.safetensors"));
  const pos = tensors.get("embeddings.position_embeddings.weight")!.data;
  const D = 16;
  assert.equal(pos[2 * D + 5], 1);
  // the planted value is the extreme of its row and of the whole table
  assert.equal(Math.max(...pos), 1);
  const lns = [...tensors.keys()].filter((k) => /LayerNorm\.weight$/.test(k));
  assert.equal(lns.length, 1 + 2 * 2);
  for (const k of lns) {
    assert.equal(tensors.get(k)!.data[5], 2, k);
    assert.equal(tensors.get(k.replace(/weight$/, "bias"))!.data[5], 16, k);
  }
  const none = await synthesize(small({ seed: 3 }));
  assert.equal(readJson(none, "config.json").positional_artefacts_synthetic.plantedOutlier, null);
});

// arch | sign | dim | dtype | rows: the planted dimension must win at every token of every layer
const PLANTED: [SynthOptions["arch"], "min" | "max", number, SynthOptions["dtype"], number[] | undefined][] = [
  ["bert", "min", 7, "F32", undefined],
  ["roberta", "max", 3, "F16", undefined],
  ["distilbert", "min", 11, "BF16", [0, 1]],
];
for (const [arch, sign, dim, dtype, rows] of PLANTED) {
  test(`a planted ${arch} outlier (dim ${dim}, ${sign}, ${dtype}) is the ${sign === "min" ? "argmin" : "argmax"} of every token at every layer`, async () => {
    const dir = await synthesize(small({ arch, seed: 11, positions: arch === "roberta" ? 34 : 32, dtype, plantOutlier: { dim, sign }, plantRows: rows }));
    const encoder = await createEncoder(dir, { threads: 1 });
    try {
      const sentences = ["The people said hello again.", "Water", "A few children walked near the river while the sun was low!"];
      let tokens = 0;
      for await (const b of encoder.encode(sentences, { batchSize: 2 })) {
        for (const [l, data] of b.layers.entries()) {
          for (let k = 0; k < b.batch * b.length; ++k) {
            if (!b.attentionMask[k]) continue;
            let best = 0;
            for (let d = 1; d < b.hidden; ++d) {
              const x = data[k * b.hidden + d], y = data[k * b.hidden + best];
              if (sign === "min" ? x < y : x > y) best = d;
            }
            assert.equal(best, dim, `layer ${l}, token ${k} (${b.tokens[Math.floor(k / b.length)][k % b.length]})`);
            if (l === 0) ++tokens;
          }
        }
      }
      assert.ok(tokens > 20, `${tokens} tokens checked`);
    } finally {
      await encoder.dispose();
    }
  });
}

test("synthesize rejects bad options before writing anything, naming the option", async () => {
  const cases: [Partial<SynthOptions>, RegExp][] = [
    [{ heads: 3 }, /invalid heads: 3; hidden 16 must be a multiple of heads/],
    [{ arch: "gpt2" as never }, /invalid arch: "gpt2"; expected one of bert, roberta, distilbert/],
    [{ plantOutlier: { dim: 16, sign: "min" } }, /invalid plant-outlier: dim 16; expected an integer in 0\.\.15/],
    [{ plantOutlier: { dim: 1, sign: "min" }, plantRows: [32] }, /invalid plant-rows: 32; expected integers in 0\.\.31/],
    [{ plantRows: [1] }, /plant-rows needs --plant-outlier/],
    [{ vocab: WORDPIECE_MIN_VOCAB - 1 }, new RegExp(`invalid vocab: ${WORDPIECE_MIN_VOCAB - 1}; a synthetic WordPiece vocabulary needs at least ${WORDPIECE_MIN_VOCAB}`)],
    [{ arch: "roberta", vocab: BPE_MIN_VOCAB - 1 }, /byte-level BPE vocabulary needs at least 261/],
    [{ arch: "distilbert", positionEmbeddings: "none" }, /distilbert always has a position table/],
    [{ seed: -1 }, /invalid seed: -1/],
    [{ dtype: "F64" as never }, /invalid dtype: "F64"; expected one of F32, F16, BF16/],
  ];
  for (const [o, re] of cases) {
    const opts = small(o);
    await assert.rejects(synthesize(opts), re);
    assert.ok(!fs.existsSync(opts.out), `${opts.out} was written`);
  }
  const busy = path.join(tmp, "busy");
  fs.mkdirSync(busy);
  fs.writeFileSync(path.join(busy, "keep.txt"), "x");
  await assert.rejects(synthesize(small({ out: busy })), /folder exists and is not empty; choose another --out or pass --force/);
  assert.deepEqual(fs.readdirSync(busy), ["keep.txt"]);
  // overwrite replaces an earlier synthetic checkpoint, never another folder
  await assert.rejects(synthesize(small({ out: busy, overwrite: true })), /busy: folder is not a checkpoint written by `artefacts synth` .*; refusing to replace it/);
  assert.deepEqual(fs.readdirSync(busy), ["keep.txt"]);
  const earlier = await synthesize(small({ seed: 1 }));
  fs.writeFileSync(path.join(earlier, "extra.txt"), "x");
  await synthesize(small({ out: earlier, seed: 2, overwrite: true }));
  assert.ok(!fs.existsSync(path.join(earlier, "extra.txt")));
  assert.equal(readJson(earlier, "config.json").positional_artefacts_synthetic.seed, 2);
  assert.deepEqual(fs.readdirSync(tmp).filter((f) => f.includes(".tmp-")), []);
});

test("synthesize without position embeddings writes no position table and records no rows", async () => {
  const dir = await synthesize(small({ positionEmbeddings: "none", plantOutlier: { dim: 2, sign: "min" } }));
  const config = readJson(dir, "config.json");
  assert.equal(config.position_embedding_type, "none");
  assert.deepEqual(config.positional_artefacts_synthetic.plantedOutlier.rows, []);
  const { tensors } = readSafetensors(path.join(dir, "model.safetensors"));
  assert.ok(!tensors.has("embeddings.position_embeddings.weight"));
});
