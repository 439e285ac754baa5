/**
 * Reads a family fixture (test/fixtures/families/<name>/, written by
 * tools/reference/make_family_fixtures.py with transformers 5; format in that folder's README.md) and
 * runs our graph of the same SYNTHETIC checkpoint on the same padded batch. Not a test file itself.
 */
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import * as ort from "onnxruntime-node";
import { loadCheckpoint } from "../../src/model/checkpoint.js";
import { buildOnnx } from "../../src/model/onnx/build.js";

export const FAMILY_FIXTURES = path.join(__dirname, "..", "..", "..", "test", "fixtures", "families");

export interface FamilyFixture {
  name: string;
  dir: string;
  model_type: string;
  features: string[];
  sentences: string[];
  input_ids: number[][];
  token_counts: number[];
  batch: { input_ids: number[][]; attention_mask: number[][] };
  layers: number;
  hidden: number;
  blocks: { name: string; offset: number; shape: number[]; max_abs: number }[];
  data: { bytes: number; sha256: string };
  command: string;
  values: Float32Array;
}

/** Every fixture folder name, sorted. */
export function familyFixtureNames(): string[] {
  return fs.readdirSync(FAMILY_FIXTURES, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name).sort();
}

export function loadFamilyFixture(name: string): FamilyFixture {
  const dir = path.join(FAMILY_FIXTURES, name);
  const meta = JSON.parse(fs.readFileSync(path.join(dir, "reference.json"), "utf8")) as Omit<FamilyFixture, "values" | "dir">;
  const bytes = fs.readFileSync(path.join(dir, "reference.f32"));
  const sha = crypto.createHash("sha256").update(bytes).digest("hex");
  if (bytes.length !== meta.data.bytes || sha !== meta.data.sha256) throw new Error(`${dir}/reference.f32: size or sha256 differs from reference.json; regenerate with: ${meta.command}`);
  const values = new Float32Array(bytes.length / 4);
  new Uint8Array(values.buffer).set(bytes);
  return { ...meta, dir, values };
}

/** One block of the reference: [tokens x hidden]. */
export function referenceBlock(fx: FamilyFixture, name: string): Float32Array {
  const b = fx.blocks.find((x) => x.name === name);
  if (!b) throw new Error(`${fx.dir}/reference.json: no block ${name}`);
  return fx.values.subarray(b.offset / 4, b.offset / 4 + b.shape[0] * b.shape[1]);
}

/** Runs our graph of the fixture's checkpoint on its padded batch; returns every output, real tokens only. */
export async function runOurs(fx: FamilyFixture): Promise<Map<string, Float32Array>> {
  const ckpt = loadCheckpoint(fx.dir);
  const session = await ort.InferenceSession.create(buildOnnx(ckpt), { intraOpNumThreads: 1 });
  try {
    const B = fx.batch.input_ids.length, T = fx.batch.input_ids[0].length, H = fx.hidden;
    const t = (rows: number[][]) => new ort.Tensor("int64", BigInt64Array.from(rows.flat().map(BigInt)), [B, T]);
    const feeds: Record<string, ort.Tensor> = { input_ids: t(fx.batch.input_ids), attention_mask: t(fx.batch.attention_mask) };
    if (session.inputNames.includes("token_type_ids")) feeds.token_type_ids = new ort.Tensor("int64", new BigInt64Array(B * T), [B, T]);
    const out = await session.run(feeds);
    const result = new Map<string, Float32Array>();
    for (const name of session.outputNames) {
      const data = out[name].data as Float32Array;
      const real = new Float32Array(fx.token_counts.reduce((a, b) => a + b, 0) * H);
      let row = 0;
      for (let b = 0; b < B; ++b) for (let i = 0; i < fx.token_counts[b]; ++i) real.set(data.subarray((b * T + i) * H, (b * T + i + 1) * H), (row++) * H);
      result.set(name, real);
    }
    return result;
  } finally {
    await session.release();
  }
}

/** max |a - b|. */
export function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  let m = 0;
  for (let i = 0; i < a.length; ++i) m = Math.max(m, Math.abs(a[i] - b[i]));
  return a.length === b.length ? m : Infinity;
}
