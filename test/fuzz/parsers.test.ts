// Property-based fuzzing (fast-check) of every parser of untrusted files: the safetensors header
// parser, the config reader, the tokenizer loader and the corpus readers. Seeded (FUZZ_SEED, default
// below) and sized by FUZZ_RUNS; on a failure fast-check prints the seed, the replay path and the
// SHRUNK counterexample. The property each time: a result that satisfies the format's own rules, or
// an Error whose message starts with the file's path. Never another exception, a hang or a partial
// result (each case is bounded by the files' sizes and checked for time).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import fc from "fast-check";
import { readSafetensorsHeader, readSafetensors } from "../../src/model/safetensors.js";
import { parseConfig, readConfig } from "../../src/model/config.js";
import { SentenceTokenizer } from "../../src/model/tokenizer.js";
import { readUtf8, DataFileError } from "../../src/data/formats/text.js";
import { loadCorpus } from "../../src/data/corpus.js";
import { synthesize } from "../../src/model/synth.js";

const SEED = Number(process.env.FUZZ_SEED ?? 20201);
const RUNS = Number(process.env.FUZZ_RUNS ?? 2000);
const params = (numRuns: number) => ({ seed: SEED, numRuns, endOnFailure: true });
let dir: string, model: string;

before(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "fuzz-"));
  model = path.join(dir, "model");
  await synthesize({ arch: "bert", layers: 1, hidden: 8, heads: 2, seed: 5, out: model });
  process.stderr.write(`fuzz: seed ${SEED} (FUZZ_SEED), ${RUNS} runs per parser (FUZZ_RUNS)\n`);
});
after(() => fs.rmSync(dir, { recursive: true, force: true }));

/** An error the caller can act on: an Error whose message names the file first. */
function namesFile(err: unknown, file: string): boolean {
  return err instanceof Error && err.message.startsWith(file) && !/undefined|NaN|\[object Object\]/.test(err.message.split(";")[0].slice(file.length));
}

/** Runs fn and fails when it takes longer than `ms` (a hang would show up as a slow case). */
function timed<T>(ms: number, fn: () => T): T {
  const t0 = Date.now();
  const r = fn();
  assert.ok(Date.now() - t0 < ms, `took ${Date.now() - t0} ms`);
  return r;
}

const DTYPES = ["F32", "F16", "BF16", "I64", "U8", "BOOL", "F64", "f32", "", "X"];
const dim = fc.oneof(fc.integer({ min: 0, max: 6 }), fc.constantFrom(-1, 1.5, 2 ** 53, "3" as unknown as number));
const entry = fc.record({
  dtype: fc.constantFrom(...DTYPES),
  shape: fc.oneof(fc.array(dim, { maxLength: 3 }), fc.constant("x" as unknown as number[])),
  data_offsets: fc.oneof(fc.tuple(fc.integer({ min: 0, max: 80 }), fc.integer({ min: 0, max: 80 })), fc.array(fc.integer({ min: -5, max: 2 ** 40 }), { maxLength: 3 })),
});
/** A header of a few entries, then data bytes; sometimes a wrong length field or junk instead of JSON. */
const safetensorsFile = fc.record({
  entries: fc.dictionary(fc.string({ maxLength: 6 }), entry, { maxKeys: 4 }),
  metadata: fc.option(fc.dictionary(fc.string({ maxLength: 3 }), fc.oneof(fc.string({ maxLength: 3 }), fc.integer())), { nil: undefined }),
  data: fc.uint8Array({ maxLength: 96 }),
  lengthDelta: fc.oneof(fc.constant(0n), fc.constant(0n), fc.bigInt({ min: -8n, max: 8n }), fc.constant(2n ** 60n), fc.constant(2n ** 64n - 1n)),
  junk: fc.option(fc.uint8Array({ maxLength: 40 }), { nil: undefined, freq: 5 }),
});

test(`fuzz: the safetensors header parser gives a checked header or a named error (${RUNS} cases)`, () => {
  const file = path.join(dir, "fuzz.safetensors");
  fc.assert(fc.property(safetensorsFile, ({ entries, metadata, data, lengthDelta, junk }) => {
    const header: Record<string, unknown> = { ...entries };
    if (metadata) header.__metadata__ = metadata;
    const json = junk ? Buffer.from(junk) : Buffer.from(JSON.stringify(header));
    const len = Buffer.alloc(8);
    const claimed = BigInt(json.length) + lengthDelta;
    len.writeBigUInt64LE(claimed < 0n ? 0n : claimed > 2n ** 64n - 1n ? 2n ** 64n - 1n : claimed);
    fs.writeFileSync(file, Buffer.concat([len, json, data]));
    let h;
    try {
      h = timed(1000, () => readSafetensorsHeader(file));
    } catch (err) {
      assert.ok(namesFile(err, file), String(err));
      return;
    }
    const size = fs.statSync(file).size;
    for (const e of h.entries) {
      assert.ok(e.begin >= 0 && e.begin <= e.end && h.dataStart + e.end <= size, JSON.stringify(e));
      assert.ok(e.shape.every((d) => Number.isSafeInteger(d) && d >= 0));
    }
    // reading the float tensors gives exactly shape-many values, or a named refusal of the dtype
    try {
      const { tensors } = readSafetensors(file);
      for (const [name, t] of tensors) assert.equal(t.data.length, t.shape.reduce((a, b) => a * b, 1), name);
    } catch (err) {
      assert.ok(namesFile(err, file), String(err));
    }
  }), params(RUNS));
});

const CONFIG_FIELDS = ["model_type", "num_hidden_layers", "hidden_size", "num_attention_heads", "intermediate_size", "vocab_size", "max_position_embeddings",
  "type_vocab_size", "pad_token_id", "layer_norm_eps", "position_embedding_type", "hidden_act", "n_layers", "dim", "n_heads", "hidden_dim", "activation"];
const configValue = fc.oneof(
  fc.integer({ min: -2, max: 64 }), fc.constantFrom("bert", "roberta", "distilbert", "gpt2", "gelu", "relu", "absolute", "relative_key", "none"),
  fc.double(), fc.constant(null), fc.constant(1e300), fc.constant(2 ** 60), fc.string({ maxLength: 4 }), fc.array(fc.integer(), { maxLength: 2 }),
);

test(`fuzz: the config reader gives positive integer sizes or a named error (${RUNS} cases)`, () => {
  const file = path.join(dir, "cfg", "config.json");
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fc.assert(fc.property(fc.oneof(
    fc.dictionary(fc.constantFrom(...CONFIG_FIELDS), configValue, { maxKeys: 12 }),
    fc.jsonValue({ maxDepth: 2 }),
  ), fc.boolean(), (raw, asBytes) => {
    let c;
    try {
      if (asBytes) {
        fs.writeFileSync(file, JSON.stringify(raw) ?? "");
        c = timed(1000, () => readConfig(path.dirname(file)));
      } else c = timed(1000, () => parseConfig(raw, file));
    } catch (err) {
      assert.ok(namesFile(err, file), String(err));
      return;
    }
    for (const k of ["layers", "hidden", "heads", "intermediate", "vocab", "maxPositions"] as const) {
      assert.ok(Number.isSafeInteger(c[k]) && c[k] >= 1, `${k} ${c[k]}`);
    }
    assert.equal(c.hidden % c.heads, 0);
    assert.ok(c.padTokenId < c.vocab && Number.isFinite(c.layerNormEps) && c.layerNormEps > 0);
  }), params(RUNS));
});

test(`fuzz: the corpus readers return the file's exact text or a named error (${RUNS} cases)`, () => {
  const file = path.join(dir, "corpus.txt");
  const text = fc.oneof(
    fc.uint8Array({ maxLength: 64 }),
    fc.string({ unit: "binary", maxLength: 40 }).map((s) => new Uint8Array(Buffer.from(s, "utf8"))),
    fc.tuple(fc.string({ unit: "grapheme", maxLength: 20 }), fc.constantFrom([0xef, 0xbb, 0xbf], [0xff], [0xc3], [0xed, 0xa0, 0x80], [0x0a, 0x0a], []))
      .map(([s, b]) => new Uint8Array([...Buffer.from(s, "utf8"), ...b, ...Buffer.from(s, "utf8")])),
  );
  fc.assert(fc.property(text, (bytes) => {
    fs.writeFileSync(file, bytes);
    let s: string;
    try {
      s = timed(1000, () => readUtf8(file));
    } catch (err) {
      assert.ok(err instanceof DataFileError && namesFile(err, file), String(err));
      return;
    }
    // strict: what came back is the file byte for byte, a leading BOM dropped; nothing replaced
    const body = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? bytes.subarray(3) : bytes;
    assert.deepEqual(new Uint8Array(Buffer.from(s, "utf8")), body);
    try {
      const sentences = loadCorpus(file);
      assert.ok(sentences.length > 0 && sentences.every((x) => x.trim() !== "" && x === x.trim()));
    } catch (err) {
      assert.ok(namesFile(err, file), String(err));
    }
  }), params(RUNS));
});

test(`fuzz: the tokenizer loader loads a consistent tokenizer or refuses with a named error (${Math.ceil(RUNS / 10)} cases)`, async () => {
  const base = JSON.parse(fs.readFileSync(path.join(model, "tokenizer.json"), "utf8"));
  const words = Object.keys(base.model.vocab);
  const tok = path.join(dir, "tok");
  fs.cpSync(model, tok, { recursive: true });
  const mutation = fc.record({
    drop: fc.array(fc.constantFrom(...words), { maxLength: 20 }),
    renumber: fc.array(fc.tuple(fc.constantFrom(...words), fc.oneof(fc.integer({ min: -3, max: 2000 }), fc.constant(2 ** 40))), { maxLength: 3 }),
    field: fc.option(fc.tuple(fc.constantFrom("model", "pre_tokenizer", "post_processor", "normalizer", "added_tokens", "decoder"), fc.jsonValue({ maxDepth: 1 })), { nil: undefined, freq: 3 }),
    raw: fc.option(fc.string({ maxLength: 30 }), { nil: undefined, freq: 10 }),
  });
  await fc.assert(fc.asyncProperty(mutation, fc.string({ maxLength: 30 }), async ({ drop, renumber, field, raw }, sentence) => {
    const t = structuredClone(base);
    for (const w of drop) delete t.model.vocab[w];
    for (const [w, id] of renumber) t.model.vocab[w] = id;
    if (field) t[field[0]] = field[1];
    fs.writeFileSync(path.join(tok, "tokenizer.json"), raw ?? JSON.stringify(t));
    let tokenizer: SentenceTokenizer;
    const t0 = Date.now();
    try {
      tokenizer = await SentenceTokenizer.load(tok);
    } catch (err) {
      assert.ok(err instanceof Error && err.message.includes(tok), String(err));
      return;
    }
    assert.ok(Date.now() - t0 < 5000);
    let out;
    try {
      out = tokenizer.tokenize(sentence);
    } catch (err) {
      // a tokenizer whose pieces cannot be aligned with the words says so, naming itself
      assert.ok(err instanceof Error && err.message.includes(tok), String(err));
      return;
    }
    assert.ok(out.ids.length <= tokenizer.maxLength);
    assert.ok(Array.from(out.ids).every((id) => Number.isInteger(id) && id <= tokenizer.largestId.id), JSON.stringify(Array.from(out.ids)));
    assert.equal(out.tokens.length, out.ids.length);
  }), params(Math.ceil(RUNS / 10)));
});
