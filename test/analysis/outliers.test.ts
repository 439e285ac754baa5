import { test } from "node:test";
import assert from "node:assert/strict";
import { OutlierCounter, argExtent, countOutliers, outlierDims } from "../../src/analysis/outliers.js";
import { lb, split } from "./fixtures.js";

test("OutlierCounter.add counts the argmax and argmin dimension of each token", () => {
  // 3 tokens x 4 dims: maxima in dims 2, 2, 0; minima in dims 1, 3, 3
  const r = new OutlierCounter().add(lb({ dim: 4, data: [0, -5, 9, 1, 2, 0, 7, -1, 8, 1, 2, -3] })).result();
  assert.deepEqual(r.layers[0].argmax, [1, 0, 2, 0]);
  assert.deepEqual(r.layers[0].argmin, [0, 1, 0, 2]);
  assert.deepEqual(r.layers[0].mean, [10 / 3, -4 / 3, 6, -1].map((x) => Number(x.toPrecision(7))));
  assert.equal(r.layers[0].tokens, 3);
});

test("OutlierCounter pins its defaults and records the token scope", () => {
  const r = new OutlierCounter().result();
  assert.deepEqual(r.settings, { includeSpecial: false, minShare: 0.25, minLayers: 1, tokens: "non-special" });
  assert.deepEqual(r.layers, []);
  assert.deepEqual(r.dimensions, []);
  assert.equal(r.pooled.minShare, null);
});

test("OutlierCounter skips special tokens unless includeSpecial is set", () => {
  // token 0 is special with its max in dim 0; token 1 has its max in dim 1
  const b = lb({ dim: 2, data: [5, 0, 0, 5], special: [1, 0] });
  assert.deepEqual(new OutlierCounter().add(b).result().layers[0].argmax, [0, 1]);
  const all = new OutlierCounter({ includeSpecial: true }).add(b).result();
  assert.deepEqual(all.layers[0].argmax, [1, 1]);
  assert.equal(all.settings.tokens, "all");
});

test("OutlierCounter pools layers 1..L, keeps layer 0 apart, and lists persistent outliers", () => {
  // Layer 0: dim 0 is the min of both tokens. Layers 1 and 2: dim 2 is the min of 2/2 and 1/2 tokens.
  // Layer 3: dim 2 is the min of 0/2. minShare 0.5, minLayers default ceil(3/2) = 2 -> dim 2 (layers 1, 2).
  const c = new OutlierCounter({ minShare: 0.5 });
  c.add(lb({ layer: 0, dim: 3, data: [-9, 0, 1, -9, 1, 0] }));
  c.add(lb({ layer: 1, dim: 3, data: [0, 1, -9, 1, 0, -9] }));
  c.add(lb({ layer: 2, dim: 3, data: [0, 1, -9, -9, 1, 0] }));
  c.add(lb({ layer: 3, dim: 3, data: [-1, 1, 0, -2, 1, 0] }));
  const r = c.result();
  assert.deepEqual(r.pooled.layers, [1, 2, 3]);
  assert.equal(r.pooled.tokens, 6);
  assert.deepEqual(r.pooled.argmin, [3, 0, 3]);
  assert.equal(r.settings.minLayers, 2);
  // pooled share of dim 2 as min = 3/6; dim 0 as min passes 0.5 in layers 0, 2 (1/2) and 3 -> layers 2,3 >= 2 too
  // maxima: layer 0 dims 2,1; layer 1 dims 1,0; layer 2 dims 1,1; layer 3 dims 1,1 -> dim 1 max pooled 5/6
  assert.deepEqual(r.dimensions, [
    { dim: 1, kind: "max", share: 0.8333333, layers: [0, 1, 2, 3] },
    { dim: 0, kind: "min", share: 0.5, layers: [0, 2, 3] },
    { dim: 2, kind: "min", share: 0.5, layers: [1, 2] },
  ]);
  assert.deepEqual(outlierDims(r), [0, 1, 2]);
  assert.deepEqual(r.layers[1].outliers, [{ dim: 2, kind: "min", share: 1 }, { dim: 0, kind: "max", share: 0.5 }, { dim: 1, kind: "max", share: 0.5 }]);
});

test("OutlierCounter gives the same result for one batch, uneven splits, and merged shards", () => {
  const b = lb({ layer: 1, dim: 3, data: [1, 2, 3, 3, 2, 1, 0, 5, 0, 7, -1, 2, 4, 4, -4], special: [0, 1, 0, 0, 0] });
  const whole = new OutlierCounter().add(b).result();
  const parts = split(b, 1, 4);
  const streamed = new OutlierCounter();
  parts.forEach((p) => streamed.add(p));
  assert.deepEqual(streamed.result(), whole);
  const merged = new OutlierCounter().add(parts[0]).merge(new OutlierCounter().add(parts[1]).add(parts[2]));
  assert.deepEqual(merged.result(), whole);
  assert.deepEqual(countOutliers(parts), whole);
});

test("OutlierCounter rejects a width change, bad layers and bad options", () => {
  const c = new OutlierCounter().add(lb({ layer: 1, dim: 2, data: [1, 2] }));
  assert.throws(() => c.add(lb({ layer: 2, dim: 3, data: [1, 2, 3] })), /^RangeError: layer 2: dim 3 differs from the first batch \(2\)/);
  assert.throws(() => c.add(lb({ layer: -1, dim: 2, data: [1, 2] })), /invalid layer: -1/);
  assert.throws(() => new OutlierCounter({ minShare: 2 }), /invalid minShare: 2/);
  assert.throws(() => new OutlierCounter({ minLayers: 0 }), /invalid minLayers: 0/);
  assert.throws(() => c.merge(new OutlierCounter({ includeSpecial: true })), /includeSpecial differs/);
});

test("argExtent works on a view and breaks ties toward the lower index", () => {
  assert.deepEqual(argExtent([9, 1, 1, 3, 3], 1, 4), [0, 2]);
});

// Float32-exact 2^54: in float64, (A + 1) - A is 0 but (1 - A) + A is 1, so any reordering of a sum shows.
const A = 2 ** 54;

/** The row-by-row definition: argExtent per kept token, float64 sums in token order. */
function reference(b: ReturnType<typeof lb>, includeSpecial = false) {
  const argmin = new Array(b.dim).fill(0), argmax = new Array(b.dim).fill(0), sum = new Array(b.dim).fill(0);
  let tokens = 0;
  for (let r = 0; r < b.special.length; ++r) {
    if (b.special[r] && !includeSpecial) continue;
    const [lo, hi] = argExtent(b.data, r * b.dim, b.dim);
    argmin[lo]++;
    argmax[hi]++;
    for (let i = 0; i < b.dim; ++i) sum[i] += b.data[r * b.dim + i];
    tokens++;
  }
  return { tokens, argmin, argmax, mean: sum.map((x) => Number((x / tokens).toPrecision(7))) };
}

test("OutlierCounter refuses a kept row holding NaN or an infinity, whichever path counts it; a special row left out is not read", () => {
  for (const bad of [NaN, Infinity, -Infinity]) {
    for (const kernel of ["auto", "js"] as const) {
      for (const dim of [3, 384]) {
        const data = Array.from({ length: 4 * dim }, (_, i) => (i % 7) - 3);
        data[2 * dim] = bad; // first value of row 2: argmin/argmax over it would be a fake index 0
        const c = new OutlierCounter({ kernel });
        assert.throws(() => c.add(lb({ dim, data, special: [0, 0, 0, 0] })), /OutlierCounter: layer 0 received a non-finite value \(dimension 0 sums to (NaN|-?Infinity)\)/);
        // the counter is spent: its counts would be meaningless
        assert.throws(() => c.result(), /its counts are meaningless, start a new counter/);
        // the same row as a special token, left out: counted fine
        assert.equal(new OutlierCounter({ kernel }).add(lb({ dim, data, special: [0, 0, 1, 0] })).result().layers[0].tokens, 3);
      }
    }
  }
});

test("OutlierCounter matches argExtent and in-order sums for odd and even token counts, ties and signed zeros", () => {
  // 7 tokens x 3 dims; tokens 0 and 4 special. Dim 2 sums A, 1, -A, 3 in token order.
  const data = [
    9, 9, 9, /* special */ 1, 1, A, 1, 1, 1, /* tie: lowest index wins */ 0, -0, -A, /* signed zeros tie */
    5, 5, 5, /* special */ 7, 2, 3, /* max first */ 4, 6, 1, /* max in the middle */
  ];
  const seven = lb({ dim: 3, data, special: [1, 0, 0, 0, 1, 0, 0] });
  const six = lb({ dim: 3, data: data.slice(0, 18), special: [1, 0, 0, 0, 1, 0] });
  for (const kept of [seven, six]) {
    const got = new OutlierCounter().add(kept).result().layers[0];
    const want = reference(kept);
    assert.deepEqual([got.tokens, got.argmin, got.argmax, got.mean], [want.tokens, want.argmin, want.argmax, want.mean]);
    // one token per add takes the one-row path: the same numbers
    const one = new OutlierCounter();
    for (let r = 0; r < kept.special.length; ++r) one.add(split(kept, r, r + 1)[1]);
    assert.deepEqual(one.result(), new OutlierCounter().add(kept).result());
  }
  // spelled out for the 4 kept tokens of `six`: dim 2 = ((A + 1) - A + 3) / 4 = 0.75 (in any other order, 1)
  const four = new OutlierCounter().add(six).result().layers[0];
  // argmin: row [1, 1, A] -> 0, [1, 1, 1] -> 0, [0, -0, -A] -> 2, [7, 2, 3] -> 1; argmax: 2, 0, 0 (0 before -0), 0
  assert.deepEqual(four.argmin, [2, 1, 1]);
  assert.deepEqual(four.argmax, [3, 0, 1]);
  assert.deepEqual(four.mean, [2.25, 1, 0.75]);
  // (special rows are counted here: the first one holds 9, 9, 9 and the second 5, 5, 5, both finite)
  const all = new OutlierCounter({ includeSpecial: true }).add(seven).result().layers[0];
  const wantAll = reference(seven, true);
  assert.deepEqual([all.tokens, all.argmin, all.argmax, all.mean], [wantAll.tokens, wantAll.argmin, wantAll.argmax, wantAll.mean]);
});
