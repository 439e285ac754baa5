/**
 * The REAL sentence-transformers/all-mpnet-base-v2 (fetched from PyPI by scripts/fetch-mpnet.sh into
 * ~/.cache/positional-artefacts/mpnet, sha256-checked; never committed) against current
 * sentence-transformers 6.3 / transformers 5.25 (test/fixtures/reference/mpnet-real.{json,f32}, written by
 * tools/reference/mpnet_reference.py): sentence vectors (mean pooling over the last layer, L2-normalised)
 * within 1e-5, and every layer's values of a few tokens within 1e-5 relative. Skipped, with the reason
 * printed, when the checkpoint is not cached (run `npm run setup:test`).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { createEncoder } from "../../src/model/encoder.js";
import { l2normalize, meanPool } from "../../src/model/pooling.js";
import type { EncodedBatch } from "../../src/model/types.js";

const MPNET = path.join(os.homedir(), ".cache", "positional-artefacts", "mpnet", "all-mpnet-base-v2");
const REFERENCE = path.join(__dirname, "..", "..", "..", "test", "fixtures", "reference", "mpnet-real.json");

interface Block { name: string; offset: number; shape: number[]; max_abs: number }
interface Meta {
  sentences: string[];
  input_ids: number[][];
  picks: { sentence: number; position: number; token: string }[];
  layers: number;
  hidden: number;
  blocks: Block[];
  data: { file: string; bytes: number; sha256: string };
  command: string;
}

const missing = fs.existsSync(path.join(MPNET, "model.safetensors")) ? null : `${MPNET}/model.safetensors is not cached; run \`npm run setup:test\` (scripts/fetch-mpnet.sh)`;
if (missing) process.stdout.write(`# skipping mpnet-real: ${missing}\n`);

function loadReference(): { meta: Meta; block: (name: string) => Float32Array } {
  const meta = JSON.parse(fs.readFileSync(REFERENCE, "utf8")) as Meta;
  const bytes = fs.readFileSync(path.join(path.dirname(REFERENCE), meta.data.file));
  const sha = crypto.createHash("sha256").update(bytes).digest("hex");
  if (sha !== meta.data.sha256) throw new Error(`${meta.data.file}: sha256 ${sha} differs from mpnet-real.json; regenerate with: ${meta.command}`);
  const values = new Float32Array(bytes.length / 4);
  new Uint8Array(values.buffer).set(bytes);
  return {
    meta,
    block: (name) => {
      const b = meta.blocks.find((x) => x.name === name);
      if (!b) throw new Error(`mpnet-real.json: no block ${name}`);
      return values.subarray(b.offset / 4, b.offset / 4 + b.shape[0] * b.shape[1]);
    },
  };
}

test("all-mpnet-base-v2 (real): sentence vectors and per-layer token values equal sentence-transformers / transformers", { skip: missing ?? false }, async () => {
  const { meta, block } = loadReference();
  const encoder = await createEncoder(MPNET, { threads: 2 });
  try {
    assert.equal(encoder.config.architecture, "mpnet");
    const H = encoder.hidden, L = encoder.layers;
    assert.equal(L + 1, meta.layers);
    const vectors = new Float32Array(meta.sentences.length * H);
    const rows: { batch: EncodedBatch; row: number }[] = [];
    for await (const batch of encoder.encode(meta.sentences, { batchSize: 4 })) {
      const pooled = l2normalize(meanPool(batch, L), H);
      batch.sentenceIndex.forEach((s, r) => {
        vectors.set(pooled.subarray(r * H, (r + 1) * H), s * H);
        rows[s] = { batch, row: r };
        assert.deepEqual([...batch.inputIds.subarray(r * batch.length, r * batch.length + batch.tokenCounts[r])], meta.input_ids[s], `ids of sentence ${s}`);
      });
    }
    let dv = 0;
    const ref = block("sentence_vectors");
    for (let i = 0; i < ref.length; ++i) dv = Math.max(dv, Math.abs(vectors[i] - ref[i]));
    process.stdout.write(`# mpnet-real: sentence vectors max |ours - sentence-transformers| = ${dv.toExponential(2)}\n`);
    assert.ok(dv <= 1e-5, `sentence vectors: max |ours - sentence-transformers| = ${dv}, tolerance 1e-5`);
    const worst: string[] = [];
    for (let l = 0; l <= L; ++l) {
      const b = meta.blocks.find((x) => x.name === `hidden_states.${l}`)!;
      const refL = block(b.name);
      let d = 0;
      meta.picks.forEach((p, k) => {
        const { batch, row } = rows[p.sentence];
        const o = (row * batch.length + p.position) * H;
        for (let i = 0; i < H; ++i) d = Math.max(d, Math.abs(batch.layers[l][o + i] - refL[k * H + i]));
      });
      const tol = 1e-5 * Math.max(1, b.max_abs);
      worst.push(`${l}:${d.toExponential(1)}`);
      assert.ok(d <= tol, `hidden_states.${l}: max |ours - transformers| over ${meta.picks.length} tokens = ${d}, tolerance ${tol}`);
    }
    process.stdout.write(`# mpnet-real: per-layer max |ours - transformers| ${worst.join(" ")}\n`);
  } finally {
    await encoder.dispose();
  }
});
