import { test } from "node:test";
import assert from "node:assert/strict";
import { jsLinalg } from "../../src/numerics/linalg.js";
import { clipper, LayerMoments, zscorer, allButTheTop, whitener, applyPostprocessor, applyRowsWith } from "../../src/analysis/postprocess.js";
import { lb, split, close } from "./fixtures.js";

test("clipper zeroes the chosen dims in every layer, or per layer", () => {
  const b = lb({ layer: 1, dim: 3, data: [1, 2, 3, 4, 5, 6] });
  assert.deepEqual(Array.from(applyPostprocessor(clipper([1]), b).data), [1, 0, 3, 4, 0, 6]);
  const per = clipper({ 1: [0, 2] });
  assert.deepEqual(Array.from(per.applyRows(1, b.data, 3)), [0, 2, 0, 0, 5, 0]);
  assert.deepEqual(Array.from(per.applyRows(2, b.data, 3)), [1, 2, 3, 4, 5, 6]);
  assert.deepEqual(Array.from(b.data), [1, 2, 3, 4, 5, 6], "the input is not modified");
  assert.throws(() => clipper([3]).applyRows(1, b.data, 3), /invalid clip dimension: 3; layer 1 has dim 3/);
  assert.deepEqual(clipper([2, 0]).settings, { dims: [0, 2], layers: "all" });
});

test("zscorer maps each dimension to mean 0 and population sd 1", () => {
  // mean (2, 20), population sd (1, 10)
  const b = lb({ layer: 0, dim: 2, data: [1, 10, 3, 30] });
  const z = zscorer(new LayerMoments().add(b));
  assert.deepEqual(Array.from(z.applyRows(0, b.data, 2)), [-1, -1, 1, 1]);
  assert.throws(() => z.applyRows(1, b.data, 2), /zscore: layer 1 was not fitted \(fitted layers: 0\)/);
});

test("LayerMoments skips special tokens by default and merges shards exactly", () => {
  const b = lb({ layer: 0, dim: 2, data: [100, 100, 1, 10, 3, 30], special: [1, 0, 0] });
  const m = new LayerMoments().add(b);
  assert.deepEqual(Array.from(m.get(0).mean), [2, 20]);
  const [p, q] = split(b, 2);
  const merged = new LayerMoments().add(p).merge(new LayerMoments().add(q));
  assert.deepEqual(Array.from(merged.get(0).mean), [2, 20]);
  assert.deepEqual(Array.from(merged.get(0).scatter), Array.from(m.get(0).scatter));
  assert.equal(new LayerMoments({ includeSpecial: true }).add(b).get(0).count, 3);
  assert.throws(() => new LayerMoments().get(0), /invalid layer: 0; no tokens were fitted/);
  assert.throws(() => m.add(lb({ layer: 1, dim: 3, data: [1, 2, 3] })), /layer 1: dim 3 differs from the first batch \(2\)/);
});

// Points (±2, 0), (0, ±1): mean 0, covariance diag(2, 0.5), so the top principal direction is the x axis.
const cross = () => lb({ layer: 2, dim: 2, data: [-2, 0, 2, 0, 0, 1, 0, -1] });

test("allButTheTop removes the mean and the top principal direction", () => {
  const p = allButTheTop(new LayerMoments().add(cross()), { components: 1 });
  const out = Array.from(p.applyRows(2, cross().data, 2), (x) => Math.abs(x) < 1e-12 ? 0 : x);
  assert.deepEqual(out, [0, 0, 0, 0, 0, 1, 0, -1]);
  assert.equal(allButTheTop(new LayerMoments().add(cross())).settings.components, 1); // max(1, round(2/100))
});

test("whitener makes the fitted sample's covariance the identity", () => {
  const w = whitener(new LayerMoments().add(cross()), { eps: 0 });
  const out = w.applyRows(2, cross().data, 2);
  const m = new LayerMoments().add(lb({ layer: 2, dim: 2, data: Array.from(out) })).get(2).covariance()!;
  // outputs are float32, so the tolerance is float32 rounding
  close(m[0], 1, 1e-6); close(m[1], 0, 1e-6); close(m[3], 1, 1e-6);
  // (2, 0) -> ±(2/√2, 0) = ±(√2, 0)
  close(Math.abs(out[2]), Math.SQRT2, 1e-6);
});

test("LayerMoments.addWith(jsLinalg) fits every layer as add does, whatever the batching, and merges", async () => {
  // two layers of the same three tokens (the first is special); layer 1 = layer 0 * 2 + 1
  const l0 = lb({ layer: 0, dim: 2, data: [100, 100, 1, 10, 3, 30, 5, -2], special: [1, 0, 0, 0] });
  const l1 = lb({ layer: 1, dim: 2, data: Array.from(l0.data, (v) => 2 * v + 1), special: [1, 0, 0, 0] });
  const viaAdd = new LayerMoments().add(l0).add(l1);
  const viaGram = await new LayerMoments().addWith(jsLinalg, [l0, l1]);
  // the centred rows handed to gram are float32, so agreement is to float32 rounding (values ~100)
  for (const layer of [0, 1]) {
    assert.equal(viaGram.get(layer).count, 3);
    Array.from(viaAdd.get(layer).mean).forEach((v, i) => close(viaGram.get(layer).mean[i], v, 1e-12));
    const a = viaAdd.get(layer).covariance()!, b = viaGram.get(layer).covariance()!;
    a.forEach((v, i) => close(b[i], v, 1e-6 * Math.max(1, Math.abs(v))));
  }
  // covariance of layer 0 by hand: x (1, 3, 5) mean 3, var 8/3; y (10, 30, -2) mean 38/3; cov(x, y) = ((-2)(-8/3) + 0 + 2(-44/3)) / 3 = -8
  const c = viaGram.get(0).covariance()!;
  close(c[0], 8 / 3, 1e-6); close(c[1], -8, 1e-5); close(c[2], -8, 1e-5);
  // a second batch merges by Chan's formula: the same as adding all rows at once
  await viaGram.addWith(jsLinalg, [lb({ layer: 0, dim: 2, data: [7, 7] }), lb({ layer: 1, dim: 2, data: [15, 15] })]);
  const all = new LayerMoments().add(lb({ layer: 0, dim: 2, data: [1, 10, 3, 30, 5, -2, 7, 7] })).get(0).covariance()!;
  all.forEach((v, i) => close(viaGram.get(0).covariance()![i], v, 1e-6 * Math.max(1, Math.abs(v))));
  // the same rows split into other batches, in another order, give the same bytes
  const [p, q] = split(l0, 2), [r, t] = split(l1, 3);
  const resplit = await new LayerMoments().addWith(jsLinalg, [t, q, r, p]);
  const once = await new LayerMoments().addWith(jsLinalg, [l0, l1]);
  for (const layer of [0, 1]) assert.deepEqual(resplit.get(layer).scatter, once.get(layer).scatter);
  // values whose float64 sum depends on the order (1 + 1 + 1e17 - 1e17 = 0, 1e17 - 1e17 + 1 + 1 = 2):
  // rows are put in (sentence, position) order, so batches in any order give the same mean and scatter
  const big = lb({ layer: 0, dim: 1, data: [1e17, -1e17, 1, 1], sentence: [0, 1, 2, 3] });
  const [front, back] = split(big, 2);
  const ordered = await new LayerMoments().addWith(jsLinalg, [big]);
  const reversed = await new LayerMoments().addWith(jsLinalg, [back, front]);
  assert.equal(ordered.get(0).mean[0], 0.5);
  assert.deepEqual([reversed.get(0).mean[0], reversed.get(0).scatter[0]], [ordered.get(0).mean[0], ordered.get(0).scatter[0]]);
  await assert.rejects(new LayerMoments().addWith(jsLinalg, [l0, lb({ layer: 1, dim: 3, data: [1, 2, 3] })]), /layer 1: dim 3 differs from the first batch \(2\)/);
});

test("whitener exposes its linear form; applyRowsWith(jsLinalg) is applyRows", async () => {
  const w = whitener(new LayerMoments().add(cross()));
  const data = Float32Array.from([1, 2, -3, 0.5, 4, 4]);
  const { mean, matrix } = w.linear!(2, 2);
  // (x - mean) · matrix equals applyRows to float32 rounding
  const direct = w.applyRows(2, data, 2);
  for (let r = 0; r < 3; ++r) for (let c = 0; c < 2; ++c) {
    let s = 0;
    for (let i = 0; i < 2; ++i) s += (data[r * 2 + i] - mean[i]) * matrix[i * 2 + c];
    close(s, direct[r * 2 + c], 1e-6);
  }
  assert.deepEqual(await applyRowsWith(jsLinalg, w, 2, data, 2), direct);
  assert.equal(clipper([0]).linear, undefined);
});

test("whitener: the Cholesky form and, for a singular fit with eps 0, the eigen form give ZCA's cosines", () => {
  // SYNTHETIC 3-dim points; cosines after whitening equal (x-μ)ᵀ(Σ + floor I)⁻¹(y-μ) / norms for any whitening
  const pts = lb({ layer: 0, dim: 3, data: [3, 1, 0, -1, 2, 1, 0, -2, 4, 2, 2, -1, -4, -3, 1] });
  const moments = new LayerMoments().add(pts);
  const w = whitener(moments, { eps: 1e-3 });
  assert.equal(w.settings.method, "cholesky");
  const { values, vectors } = moments.eigen(0);
  const zca = (x: number[]) => {
    // U diag((λ + floor)^-1/2) Uᵀ (x - μ)
    const mean = moments.get(0).mean, c = x.map((v, i) => v - mean[i]), floor = 1e-3 * values[0];
    const out = [0, 0, 0];
    for (let k = 0; k < 3; ++k) {
      let p = 0;
      for (let i = 0; i < 3; ++i) p += vectors[k * 3 + i] * c[i];
      for (let i = 0; i < 3; ++i) out[i] += vectors[k * 3 + i] * p / Math.sqrt(values[k] + floor);
    }
    return out;
  };
  const cos = (a: ArrayLike<number>, b: ArrayLike<number>) => {
    let ab = 0, aa = 0, bb = 0;
    for (let i = 0; i < 3; ++i) { ab += a[i] * b[i]; aa += a[i] * a[i]; bb += b[i] * b[i]; }
    return ab / Math.sqrt(aa * bb);
  };
  const out = w.applyRows(0, pts.data, 3);
  for (let r = 0; r < 5; ++r) for (let s = r + 1; s < 5; ++s) {
    const z1 = zca(Array.from(pts.data.subarray(r * 3, r * 3 + 3))), z2 = zca(Array.from(pts.data.subarray(s * 3, s * 3 + 3)));
    close(cos(out.subarray(r * 3, r * 3 + 3), out.subarray(s * 3, s * 3 + 3)), cos(z1, z2), 1e-6);
  }
  // two points in 3 dims: a singular covariance, so eps 0 takes the eigen form (null directions map to 0)
  const two = new LayerMoments().add(lb({ layer: 0, dim: 3, data: [1, 2, 3, 3, 2, 1] }));
  const singular = whitener(two, { eps: 0 });
  assert.equal(singular.settings.method, "eigen");
  const o = singular.applyRows(0, Float32Array.of(1, 2, 3), 3);
  close(Math.hypot(o[0], o[1], o[2]), 1, 1e-6); // one unit along the only direction with variance
});
