/**
 * The isotropy panel checked against a naive recomputation: every vector kept, each post-processing
 * applied to every vector (applyRows), the covariance summed in a float64 loop, and the scores taken by
 * src/numerics/isotropy.ts's isotropyScores (itself checked against the PyPI IsoScore package). Data:
 * seeded normal points with a rogue dimension (large mean and variance), SYNTHETIC.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as path from "node:path";
import { toLayerBatches, type LayerBatch } from "../../src/analysis/batch.js";
import { runAnalyses } from "../../src/analysis/run.js";
import { createEncoder } from "../../src/model/encoder.js";
import { COMMON_WORDS } from "../../src/model/synthTokenizer.js";
import { LayerCovariance, covarianceScores, isotropyResult, isotropyResultWith, type IsotropyResult } from "../../src/analysis/isotropy.js";
import { createOrtLinalg } from "../../src/model/linalg.js";
import { allButTheTop, clipper, LayerMoments, whitener, zscorer, type Postprocessor } from "../../src/analysis/postprocess.js";
import { jsLinalg } from "../../src/numerics/linalg.js";
import { isotropyScores } from "../../src/numerics/isotropy.js";
import { createRandom } from "../../src/numerics/random.js";
import { lb } from "./fixtures.js";

const DIM = 7, LAYERS = [0, 1, 2];

/** `n` tokens per layer: dim 2 rogue (mean 6, sd 15), dims scaled 1..DIM, every 9th token special; sentence k/5, position k%5. */
function batches(seed: number, n: number): LayerBatch[] {
  const g = createRandom(seed);
  return LAYERS.map((layer) => {
    const data: number[] = [];
    for (let k = 0; k < n; ++k) for (let i = 0; i < DIM; ++i) data.push(i === 2 ? 6 + 15 * g.normal() : (i + 1) * g.normal() + layer * (i % 2));
    const ids = Array.from({ length: n }, (_, k) => k);
    return lb({ layer, dim: DIM, data, special: ids.map((k) => (k % 9 === 0 ? 1 : 0)), sentence: ids.map((k) => Math.floor(k / 5)), position: ids.map((k) => k % 5) });
  });
}

/** Rows [from, to) of a batch. */
function rows(b: LayerBatch, from: number, to: number): LayerBatch {
  return { ...b, data: b.data.slice(from * b.dim, to * b.dim), special: b.special.slice(from, to), sentence: b.sentence.slice(from, to), position: b.position.slice(from, to), word: b.word.slice(from, to) };
}

/** Naive float64 unbiased covariance of the rows of `data` whose `keep` is true. */
function naiveCovariance(data: ArrayLike<number>, keep: (r: number) => boolean, dim: number): Float64Array {
  const rows: number[] = [];
  for (let r = 0; r < data.length / dim; ++r) if (keep(r)) rows.push(r);
  const mean = new Float64Array(dim), cov = new Float64Array(dim * dim);
  for (const r of rows) for (let i = 0; i < dim; ++i) mean[i] += data[r * dim + i] / rows.length;
  for (const r of rows) for (let i = 0; i < dim; ++i) for (let j = 0; j < dim; ++j) cov[i * dim + j] += ((data[r * dim + i] - mean[i]) * (data[r * dim + j] - mean[j])) / (rows.length - 1);
  return cov;
}

/** C0 = (tr Σ / d) I, the scaled identity isotropyResult shrinks toward. */
function scaledIdentity(cov: ArrayLike<number>, dim: number): Float64Array {
  let t = 0;
  for (let i = 0; i < dim; ++i) t += cov[i * dim + i];
  return Float64Array.from({ length: dim * dim }, (_, k) => (k % (dim + 1) === 0 ? t / dim : 0));
}

function close(a: number | null, b: number | null, tol: number, what: string): void {
  assert.ok(a !== null && b !== null && Math.abs(a - b) <= tol * Math.max(1, Math.abs(b)), `${what}: got ${a}, want ${b}, delta ${a !== null && b !== null ? Math.abs(a - b) : "null"}, tolerance ${tol}`);
}

/** The fitted post-processings (fit on another seed's tokens, as the run fits on its fit sentences). */
function postprocessors(): Postprocessor[] {
  const fit = new LayerMoments();
  for (const b of batches(99, 60)) fit.add(b);
  return [clipper([2]), zscorer(fit), allButTheTop(fit, { components: 2 }), whitener(fit)];
}

test("Postprocessor.covariance is A Σ Aᵀ: equals the covariance of the post-processed vectors (every method is affine)", () => {
  const [b] = batches(1, 80), cov = naiveCovariance(b.data, () => true, DIM);
  const fit = new LayerMoments().add(batches(5, 40)[0]);
  // eps 0 on a rank-deficient fit forces whitening's eigen fallback (dense R)
  const rankDeficient = new LayerMoments().add(lb({ layer: 0, dim: DIM, data: Array.from({ length: 4 * DIM }, (_, k) => Math.sin(k)) }));
  const all = [...postprocessors(), clipper({ 0: [1, 4] }), whitener(rankDeficient, { eps: 0 }), whitener(fit)];
  assert.equal(all.at(-2)!.settings.method, "eigen");
  for (const p of all) {
    const want = naiveCovariance(p.applyRows(0, b.data, DIM), () => true, DIM), got = p.covariance!(0, cov, DIM);
    const scale = Math.max(...want.map(Math.abs));
    for (let i = 0; i < DIM * DIM; ++i) close(got[i] / scale, want[i] / scale, 1e-6, `${p.name} ${JSON.stringify(p.settings.method ?? "")} entry ${i}`);
  }
});

test("LayerCovariance: mean and covariance of every non-special token, whatever the block size, split or backend order", async () => {
  const all = batches(2, 100);
  const want = naiveCovariance(all[1].data, (r) => all[1].special[r] === 0, DIM);
  for (const block of [2, 7, 1000]) {
    const c = new LayerCovariance(() => jsLinalg, { block });
    for (const [from, to] of [[0, 37], [37, 38], [38, 100]]) for (const b of all) c.add(rows(b, from, to));
    const m = (await c.settle()).get(1);
    // tokens 0, 9, ..., 99 are special
    assert.equal(m.count, 100 - 12);
    const cov = m.covariance()!.map((v) => (v * m.count) / (m.count - 1));
    // each block's rows are centred on its float64 mean and stored as float32 for the Gram backend: 1e-7 of the largest entry
    const scale = Math.max(...want.map(Math.abs));
    for (let i = 0; i < DIM * DIM; ++i) close(cov[i] / scale, want[i] / scale, 1e-7, `block ${block} entry ${i}`);
  }
  const withSpecial = new LayerCovariance(() => jsLinalg, { includeSpecial: true });
  for (const b of all) withSpecial.add(b);
  assert.equal((await withSpecial.settle()).get(0).count, 100);
});

test("isotropyResult: every score of every variant equals isotropyScores on the naively post-processed vectors", async () => {
  const all = batches(3, 150), post = postprocessors();
  const c = new LayerCovariance(() => jsLinalg, { block: 16 });
  for (const b of all) c.add(b);
  const r = isotropyResult(await c.settle(), post, { zeta: 0.3 });
  assert.deepEqual(r.layerIndices, LAYERS);
  assert.deepEqual(r.settings.variants, ["raw", "clipped", "zscore", "allButTheTop", "whitening"]);
  for (const b of all) {
    const layer = r.layers[b.layer], keep = (k: number) => b.special[k] === 0;
    assert.equal(layer.tokens, 150 - 17);
    for (const p of [null, ...post]) {
      const data = p ? p.applyRows(b.layer, b.data, DIM) : b.data;
      const cov = naiveCovariance(data, keep, DIM), want = isotropyScores(cov, DIM, { zeta: 0.3, c0: scaledIdentity(cov, DIM) });
      const got = layer.variants[p ? p.name : "raw"]!;
      for (const k of ["isoScore", "isoScoreStar", "effectiveRank", "top1", "top5"] as const) close(got[k], want[k], 2e-6, `layer ${b.layer} ${p?.name ?? "raw"} ${k}`);
      assert.equal(got.averageCosine, null);
    }
  }
  // the rogue dim holds most of the raw variance; clipping it spreads the variance
  const raw = r.layers[0].variants.raw!, clipped = r.layers[0].variants.clipped!;
  assert.ok(raw.top1! > 0.6 && clipped.top1! < 0.5 && clipped.isoScore! > raw.isoScore!, JSON.stringify({ raw, clipped }));
});

test("isotropy state: a JSON round trip gives the same bytes; merged shards equal one pass", async () => {
  const single = new LayerCovariance(() => jsLinalg, { block: 8 });
  for (const b of batches(4, 90)) single.add(b);
  assert.throws(() => single.state(), /isotropy state: \d+ row\(s\) pending and \d+ block\(s\) in flight; await settle\(\) first/);
  await single.settle();
  const text = JSON.stringify(single.state());
  const restored = new LayerCovariance(() => jsLinalg).mergeState(JSON.parse(text));
  const post = postprocessors();
  const result = async (c: LayerCovariance): Promise<IsotropyResult> => isotropyResult(await c.settle(), post);
  const want = JSON.stringify(await result(single));
  assert.equal(JSON.stringify(await result(restored)), want);
  const a = new LayerCovariance(() => jsLinalg, { block: 8 }), b = new LayerCovariance(() => jsLinalg, { block: 5 });
  for (const x of batches(4, 90)) a.add(rows(x, 0, 31)), b.add(rows(x, 31, 90));
  const merged = await result(await a.merge(b)), one = JSON.parse(want) as IsotropyResult;
  merged.layers.forEach((l, i) => {
    for (const [v, s] of Object.entries(l.variants)) for (const [k, x] of Object.entries(s)) if (x !== null) close(x, (one.layers[i].variants as Record<string, Record<string, number>>)[v][k], 2e-6, `layer ${l.layer} ${v} ${k}`);
  });
});

test("covarianceScores: null where the scores are undefined; IsoScore* shrinks toward (tr Σ / d) I, so it does not depend on scale", () => {
  assert.deepEqual(covarianceScores(new Float64Array(4), 2, 0.2), { isoScore: null, isoScoreStar: null, effectiveRank: null, top1: null, top5: null });
  const s = covarianceScores([4, 0, 0, 1], 2, 0.5);
  // C0 = 2.5 I: shrunk eigenvalues 3.25 and 1.75
  const want = isotropyScores([4, 0, 0, 1], 2, { zeta: 0.5, c0: [2.5, 0, 0, 2.5] });
  close(want.isoScoreStar, isotropyScores([3.25, 0, 0, 1.75], 2).isoScore, 1e-12, "hand-shrunk");
  close(s.isoScoreStar, want.isoScoreStar, 1e-6, "IsoScore* (rounded to 7 digits)");
  assert.equal(covarianceScores([4, 0, 0, 1], 2, 0).isoScoreStar, null);
  assert.deepEqual(covarianceScores([400, 0, 0, 100], 2, 0.5), s);
});

test("bad input is refused: block size, zeta, a width change, a post-processing without a covariance map", async () => {
  assert.throws(() => new LayerCovariance(() => jsLinalg, { block: 1 }), /isotropy.block/);
  const c = new LayerCovariance(() => jsLinalg);
  c.add(lb({ layer: 0, dim: 2, data: [1, 2, 3, 4] }));
  assert.throws(() => c.add(lb({ layer: 1, dim: 3, data: [1, 2, 3] })), /layer 1: dim 3 differs from the first batch \(2\)/);
  const m = await c.settle();
  assert.throws(() => isotropyResult(m, [], { zeta: 2 }), /isotropy.zeta/);
  const bare: Postprocessor = { name: "zscore", layers: "all", settings: {}, applyRows: (_l, d) => d };
  assert.throws(() => isotropyResult(m, [bare]), /post-processing "zscore" has no covariance map/);
});

test("runAnalyses --only isotropy on a SYNTHETIC model: raw and clipped scores equal a naive recomputation from every stored vector, on both backends", async () => {
  const dir = path.join(__dirname, "..", "..", "..", "test", "fixtures", "models", "synth-bert-outlier");
  const encoder = await createEncoder(dir, { threads: 1 });
  try {
    const g = createRandom(8), words = COMMON_WORDS.slice(0, 50);
    const sentences = Array.from({ length: 40 }, () => Array.from({ length: 3 + g.int(8) }, () => words[g.int(words.length)]).join(" "));
    const kept = new Map<number, number[]>();
    for (const linalg of ["js", "onnxruntime"] as const) {
      const r = await runAnalyses(encoder, sentences, { seed: 1, fitSentences: 10, batchSize: 8, only: ["anisotropy", "isotropy"], anisotropy: { pairs: 100, sampleSize: 100 }, isotropy: { block: 50 }, linalg });
      const iso = r.isotropy!;
      assert.deepEqual(iso.settings.variants, ["raw", "clipped", "zscore", "allButTheTop", "whitening"]);
      assert.ok(r.clip.dims.length > 0, "the planted outlier is clipped");
      if (kept.size === 0) for await (const enc of encoder.encode(sentences, { batchSize: 8 })) {
        for (const b of toLayerBatches(enc)) {
          const list = kept.get(b.layer) ?? [];
          for (let k = 0; k < b.special.length; ++k) if (!b.special[k]) list.push(...b.data.subarray(k * b.dim, (k + 1) * b.dim));
          kept.set(b.layer, list);
        }
      }
      for (const l of iso.layers) {
        const data = kept.get(l.layer)!, dim = l.dim;
        assert.equal(l.tokens, data.length / dim);
        const clipped = data.map((v, i) => (r.clip.dims.includes(i % dim) ? 0 : v));
        for (const [v, x] of [["raw", data], ["clipped", clipped]] as const) {
          const cov = naiveCovariance(x, () => true, dim), want = isotropyScores(cov, dim, { zeta: 0.2, c0: scaledIdentity(cov, dim) });
          // js: float64 sums of float32-centred rows, 1e-5; onnxruntime: float32 Gram sums, which move the
          // smallest eigenvalues most, and effective rank reads their square roots: 5e-4 there
          for (const k of ["isoScore", "isoScoreStar", "effectiveRank", "top1", "top5"] as const) {
            close(l.variants[v]![k], want[k], linalg === "onnxruntime" && k === "effectiveRank" ? 5e-4 : 1e-5, `${linalg}: layer ${l.layer} ${v} ${k}`);
          }
          assert.equal(l.variants[v]!.averageCosine, r.anisotropy!.layers.find((a) => a.layer === l.layer)![v]);
        }
      }
    }
  } finally {
    await encoder.dispose();
  }
});

test("isotropyResultWith: the js backend gives isotropyResult's bytes; onnxruntime's float32 whitening product agrees within 1e-4", async () => {
  const c = new LayerCovariance(() => jsLinalg, { block: 32 });
  for (const b of batches(6, 120)) c.add(b);
  const moments = await c.settle(), post = postprocessors();
  const want = isotropyResult(moments, post);
  assert.equal(JSON.stringify(await isotropyResultWith(jsLinalg, moments, post)), JSON.stringify(want));
  const ort = await createOrtLinalg({ threads: 1 });
  try {
    const got = await isotropyResultWith(ort, moments, post);
    got.layers.forEach((l, i) => {
      for (const [v, s] of Object.entries(l.variants)) {
        for (const [k, x] of Object.entries(s)) {
          const w = (want.layers[i].variants as Record<string, Record<string, number | null>>)[v][k];
          if (v === "whitening" && x !== null) close(x as number, w, 1e-4, `layer ${l.layer} ${v} ${k}`);
          else assert.equal(x, w, `layer ${l.layer} ${v} ${k}`);
        }
      }
    });
  } finally {
    await ort.release();
  }
  // clipping a dim that is 0 everywhere reuses the raw scores
  const zero = new LayerCovariance(() => jsLinalg);
  for (const b of batches(7, 40)) zero.add({ ...b, data: b.data.map((x, k) => (k % DIM === 4 ? 0 : x)) });
  const r = isotropyResult(await zero.settle(), [clipper([4])]);
  assert.deepEqual(r.layers[0].variants.clipped, r.layers[0].variants.raw);
});
