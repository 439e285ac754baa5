/**
 * Reads the golden hidden states written by tools/reference/reference.py (PyTorch, Hugging Face
 * transformers) from test/fixtures/reference/<name>.json + <name>.f32, and compares our hidden states
 * with them. Shared by reference.test.ts and surgery-real.test.ts; not a test file itself.
 *
 * The .f32 layout (see reference.py): [layer 0..L][real tokens of every sentence, in sentence order,
 * padding excluded][hidden], little-endian float32.
 */
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import assert from "node:assert/strict";
import { createEncoder } from "../../src/model/encoder.js";
import { hashFile } from "../../src/model/files.js";

/** Agreement required with the PyTorch reference (issue item 9). */
export const TOLERANCE = 1e-4;

export const FIXTURES = path.join(__dirname, "..", "..", "..", "test", "fixtures");

export interface ReferenceFixture {
  name: string;
  model: string;
  model_type: string;
  files: Record<string, string>;
  sentences: string[];
  /** Unpadded ids per sentence, specials included, as the Python tokenizer produced them. */
  input_ids: number[][];
  tokens: string[][];
  token_counts: number[];
  /** The padded batch the reference model ran. */
  batch: { padding_side: string; input_ids: number[][]; attention_mask: number[][] };
  /** L + 1. */
  layers: number;
  hidden: number;
  data: { file: string; bytes: number; sha256: string };
  command: string;
  /** Decoded .f32: layers x sum(token_counts) x hidden. */
  values: Float32Array;
}

/** Loads a fixture pair and checks the .f32 against the size and sha256 recorded in the .json. */
export function loadReferenceFixture(name: string): ReferenceFixture {
  const dir = path.join(FIXTURES, "reference");
  const meta = JSON.parse(fs.readFileSync(path.join(dir, `${name}.json`), "utf8")) as Omit<ReferenceFixture, "values">;
  const bytes = fs.readFileSync(path.join(dir, meta.data.file));
  const tokens = meta.token_counts.reduce((a, b) => a + b, 0);
  if (bytes.length !== meta.data.bytes || bytes.length !== meta.layers * tokens * meta.hidden * 4) {
    throw new Error(`${meta.data.file}: ${bytes.length} bytes; expected ${meta.layers} layers x ${tokens} tokens x ${meta.hidden} x 4 = ${meta.layers * tokens * meta.hidden * 4}; regenerate with: ${meta.command}`);
  }
  const sha = crypto.createHash("sha256").update(bytes).digest("hex");
  if (sha !== meta.data.sha256) throw new Error(`${meta.data.file}: sha256 ${sha} differs from ${meta.data.sha256} in ${name}.json; regenerate with: ${meta.command}`);
  // copy into an aligned buffer (Buffer pool slices may be unaligned for Float32Array)
  const values = new Float32Array(bytes.length / 4);
  new Uint8Array(values.buffer).set(bytes);
  return { ...meta, values };
}

/** The reference vectors of one sentence at one layer: [token_counts[s] x hidden] view. */
export function referenceSentence(fx: ReferenceFixture, layer: number, sentence: number): Float32Array {
  const total = fx.token_counts.reduce((a, b) => a + b, 0);
  let start = 0;
  for (let s = 0; s < sentence; ++s) start += fx.token_counts[s];
  const offset = (layer * total + start) * fx.hidden;
  return fx.values.subarray(offset, offset + fx.token_counts[sentence] * fx.hidden);
}

export interface Mismatch {
  maxDelta: number;
  token: number;
  dim: number;
  expected: number;
  actual: number;
}

/** Largest |expected - actual| over two [tokens x hidden] arrays; NaN counts as infinitely far. */
export function maxDelta(expected: Float32Array, actual: Float32Array, hidden: number): Mismatch {
  let worst: Mismatch = { maxDelta: 0, token: -1, dim: -1, expected: 0, actual: 0 };
  for (let i = 0; i < expected.length; ++i) {
    const d = Math.abs(expected[i] - actual[i]);
    const delta = Number.isNaN(d) ? Infinity : d;
    if (delta > worst.maxDelta || worst.token < 0) {
      worst = { maxDelta: delta, token: Math.floor(i / hidden), dim: i % hidden, expected: expected[i], actual: actual[i] };
    }
  }
  return worst;
}

/**
 * Throws unless every |expected - actual| <= tolerance; the message gives the fixture, sentence, layer,
 * token, dimension, expected, actual, delta and tolerance of the worst value.
 */
export function assertClose(expected: Float32Array, actual: Float32Array, where: { fixture: string; sentence: number; layer: number; hidden: number; tokens?: string[] }, tolerance = TOLERANCE): number {
  if (expected.length !== actual.length) {
    throw new Error(`${where.fixture}: sentence ${where.sentence} layer ${where.layer}: ${actual.length} values; expected ${expected.length} (${expected.length / where.hidden} tokens x ${where.hidden})`);
  }
  const m = maxDelta(expected, actual, where.hidden);
  if (!(m.maxDelta <= tolerance)) {
    const tok = where.tokens?.[m.token];
    throw new Error(
      `${where.fixture}: sentence ${where.sentence} layer ${where.layer} token ${m.token}${tok === undefined ? "" : ` (${JSON.stringify(tok)})`} dim ${m.dim}: ` +
        `expected ${m.expected}, actual ${m.actual}, delta ${m.maxDelta} > tolerance ${tolerance}`,
    );
  }
  return m.maxDelta;
}

/** What {@link checkAgreement} needs of a fixture: the sentences and the Python tokenizer's output. */
export interface AgreementFixture {
  sentences: string[];
  input_ids: number[][];
  tokens: string[][];
  /** L + 1. */
  layers: number;
  hidden: number;
}

/**
 * Encodes the fixture's sentences with createEncoder in batches of 2 (so batches differ in padding) and
 * checks ids, token strings and every layer against `expected(layer, sentence)`; returns the largest |delta|.
 */
export async function checkAgreement(fx: AgreementFixture, source: string, label: string, expected: (layer: number, sentence: number) => Float32Array): Promise<number> {
  const encoder = await createEncoder(source, { threads: 1 });
  try {
    assert.equal(encoder.layers + 1, fx.layers, `${label}: layers`);
    assert.equal(encoder.hidden, fx.hidden, `${label}: hidden`);
    const seen = new Set<number>();
    let worst = 0;
    for await (const b of encoder.encode(fx.sentences, { batchSize: 2 })) {
      for (let r = 0; r < b.batch; ++r) {
        const s = b.sentenceIndex[r];
        seen.add(s);
        const n = b.tokenCounts[r];
        const o = r * b.length;
        // tokenisation agreement with the Python tokenizer, ids and strings
        assert.deepEqual(Array.from(b.inputIds.subarray(o, o + n)), fx.input_ids[s], `${label}: sentence ${s} input_ids`);
        assert.deepEqual(b.tokens[r], fx.tokens[s], `${label}: sentence ${s} tokens`);
        for (let l = 0; l < fx.layers; ++l) {
          // the encoder pads on the right: the real tokens are the first n rows of the row
          const actual = b.layers[l].subarray(o * b.hidden, (o + n) * b.hidden);
          worst = Math.max(worst, assertClose(expected(l, s), actual, { fixture: label, sentence: s, layer: l, hidden: fx.hidden, tokens: fx.tokens[s] }));
        }
      }
    }
    assert.equal(seen.size, fx.sentences.length, `${label}: every sentence encoded once`);
    return worst;
  } finally {
    await encoder.dispose();
  }
}

/** The fixture was made from these very files (`files`: name -> sha256): otherwise a regenerated checkpoint would test nothing. */
export function assertSameFiles(files: Record<string, string>, dir: string, fix: string, names: string[] = Object.keys(files)): void {
  for (const name of names) {
    const file = path.join(dir, name);
    assert.equal(hashFile(file).sha256, files[name], `${file}: sha256 differs from the fixture it was compared with; ${fix}`);
  }
}
