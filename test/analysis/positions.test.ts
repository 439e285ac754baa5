import { test } from "node:test";
import assert from "node:assert/strict";
import { PositionProfile } from "../../src/analysis/positions.js";
import { lb, split, close } from "./fixtures.js";

// 4 tokens of one sentence, dim 2: dim 0 = 2·position (r = 1), dim 1 = (1, -1, 1, -1) (r by hand below)
const b = () => lb({ layer: 1, dim: 2, data: [0, 1, 2, -1, 4, 1, 6, -1] });

test("PositionProfile gives the mean by position and the Pearson correlation with position", () => {
  const r = new PositionProfile().add(b()).result([0, 1]);
  const l = r.layers[0];
  assert.deepEqual(l.counts, [1, 1, 1, 1]);
  assert.deepEqual(l.byPosition, [{ dim: 0, mean: [0, 2, 4, 6] }, { dim: 1, mean: [1, -1, 1, -1] }]);
  assert.equal(l.correlation[0], 1);
  // positions 0..3 (mean 1.5), y = 1,-1,1,-1 (mean 0): sxy = -1.5+0.5-0.5... = (−1.5)(1)+(−0.5)(−1)+(0.5)(1)+(1.5)(−1) = −2;
  // sxx = 5, syy = 4 -> r = −2/sqrt(20) = −0.4472136
  close(l.correlation[1], -2 / Math.sqrt(20), 1e-6);
  assert.deepEqual(r.settings, { includeSpecial: false, maxPositions: 512, tokens: "non-special", dims: [0, 1] });
});

test("PositionProfile skips special tokens by default and leaves unseen positions null", () => {
  const x = lb({ layer: 0, dim: 1, data: [5, 1, 3], special: [1, 0, 0], position: [0, 1, 3] });
  const r = new PositionProfile().add(x).result([0]);
  assert.deepEqual(r.layers[0].byPosition[0].mean, [null, 1, null, 3]);
  assert.deepEqual(new PositionProfile({ includeSpecial: true }).add(x).result([0]).layers[0].byPosition[0].mean, [5, 1, null, 3]);
});

test("PositionProfile: splits and merged shards give the same result", () => {
  const whole = new PositionProfile().add(b()).result([1]);
  const [p, q] = split(b(), 3);
  assert.deepEqual(new PositionProfile().add(p).add(q).result([1]), whole);
  assert.deepEqual(new PositionProfile().add(p).merge(new PositionProfile().add(q)).result([1]), whole);
});

test("PositionProfile counts tokens beyond maxPositions apart but keeps them in the correlation", () => {
  const r = new PositionProfile({ maxPositions: 2 }).add(b()).result([0]);
  assert.equal(r.layers[0].beyond, 2);
  assert.deepEqual(r.layers[0].byPosition[0].mean, [0, 2]);
  assert.equal(r.layers[0].correlation[0], 1);
});

test("PositionProfile rejects out-of-range dims and width changes; empty input gives no layers", () => {
  const p = new PositionProfile().add(b());
  assert.throws(() => p.result([2]), /invalid dimension: 2; expected an integer in \[0, 1\]/);
  assert.throws(() => p.add(lb({ layer: 2, dim: 3, data: [1, 2, 3] })), /layer 2: dim 3 differs from the first batch \(2\)/);
  assert.deepEqual(new PositionProfile().result().layers, []);
});
