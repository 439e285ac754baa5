import { test } from "node:test";
import assert from "node:assert/strict";
import { clipper, LayerMoments, zscorer, allButTheTop, whitener, applyPostprocessor } from "../../src/analysis/postprocess.js";
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
