import { test } from "node:test";
import assert from "node:assert/strict";
import { PositionProfile } from "../../src/analysis/positions.js";
import { pearsonFromSums } from "../../src/numerics/vectors.js";
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

/** The row-by-row definition (every sum in token order), for the result's correlation and means. */
function reference(x: ReturnType<typeof lb>, maxPositions: number, dims: number[]) {
  const { dim } = x;
  const sx = new Array(dim).fill(0), sxx = new Array(dim).fill(0), sxp = new Array(dim).fill(0);
  const sums = new Map<number, number[]>(), counts = new Map<number, number>();
  let n = 0, sp = 0, spp = 0, beyond = 0;
  for (let r = 0; r < x.special.length; ++r) {
    if (x.special[r]) continue;
    const p = x.position[r];
    n++; sp += p; spp += p * p;
    if (p < maxPositions) counts.set(p, (counts.get(p) ?? 0) + 1);
    else beyond++;
    for (let i = 0; i < dim; ++i) {
      const v = x.data[r * dim + i];
      sx[i] += v; sxx[i] += v * v; sxp[i] += v * p;
      if (p < maxPositions) {
        if (!sums.has(p)) sums.set(p, new Array(dim).fill(0));
        sums.get(p)![i] += v;
      }
    }
  }
  const r6 = (v: number) => Number(v.toPrecision(7));
  const last = Math.max(-1, ...counts.keys());
  const count = Array.from({ length: last + 1 }, (_, p) => counts.get(p) ?? 0);
  return {
    tokens: n, beyond, counts: count,
    correlation: sx.map((_, i) => {
      const r = pearsonFromSums(n, sx[i], sp, sxx[i], spp, sxp[i]);
      return r === null ? null : r6(r);
    }),
    byPosition: dims.map((d) => ({ dim: d, mean: count.map((c, p) => (c > 0 ? r6(sums.get(p)![d] / c) : null)) })),
  };
}

test("PositionProfile equals the row-by-row sums in token order, whatever the grouping of kept rows", () => {
  // 11 tokens x 2 dims, specials at 0 and 6, positions beyond maxPositions = 3 mixed in; dim 0 carries A, 1, -A
  // (float32-exact 2^54: (A + 1) - A is 0 in float64, any other order is not).
  const A = 2 ** 54;
  const x = lb({
    layer: 2, dim: 2,
    data: [7, 7, A, 1, 1, 2, -A, 3, 2, -1, 5, 0.5, 9, 9, 0.25, 4, 1, 1, 3, -2, 2, 8],
    special: [1, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0],
    position: [0, 1, 2, 3, 4, 1, 0, 1, 2, 5, 1],
    sentence: [0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1],
  });
  for (const maxPositions of [3, 512]) {
    for (const rows of [11, 10, 9, 8, 7]) {
      const part = split(x, rows)[0];
      const got = new PositionProfile({ maxPositions }).add(part).result([0, 1]).layers[0];
      const want = reference(part, maxPositions, [0, 1]);
      assert.deepEqual({ tokens: got.tokens, beyond: got.beyond, counts: got.counts, correlation: got.correlation, byPosition: got.byPosition }, want);
      const one = new PositionProfile({ maxPositions });
      for (let r = 0; r < rows; ++r) one.add(split(part, r, r + 1)[1]);
      assert.deepEqual(one.result([0, 1]), new PositionProfile({ maxPositions }).add(part).result([0, 1]));
    }
  }
  // by hand: position 2 holds tokens 2 and 8, (1, 2) and (1, 1); positions 3, 4, 5 are beyond
  const all = new PositionProfile({ maxPositions: 3 }).add(x).result([0, 1]).layers[0];
  assert.deepEqual(all.byPosition.map((b) => b.mean[2]), [1, 1.5]);
  assert.deepEqual([all.tokens, all.beyond], [9, 3]);
});
