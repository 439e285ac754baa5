import { test } from "node:test";
import assert from "node:assert/strict";
import { VectorSlots, extentRows, kernelsFor, profileRows, stageLayer, unstageLayer } from "../../src/analysis/kernels.js";
import { OutlierCounter } from "../../src/analysis/outliers.js";
import { PositionProfile } from "../../src/analysis/positions.js";
import { createRandom } from "../../src/analysis/random.js";
import { SelfSimilarity } from "../../src/analysis/selfsim.js";
import { lb } from "./fixtures.js";

// Synthetic rows (seeded) with the awkward cases planted: ties inside and across groups of four
// lanes, ±0, NaN first and in the middle, infinities, and rows that are all equal.
function rows(n: number, dim: number, seed: number): Float32Array {
  const random = createRandom(seed), rand = () => random.next(), data = new Float32Array(n * dim);
  for (let i = 0; i < data.length; ++i) data[i] = (rand() - 0.5) * 8;
  const row = (r: number, values: [number, number][]) => { if (r < n) for (const [i, v] of values) if (i < dim) data[r * dim + i] = v; };
  row(0, [[1, -9], [2, -9], [dim - 1, 9], [3, 9]]); // min tie in one group, max tie across groups
  row(1, [[0, NaN]]); // NaN first: argmin = argmax = 0
  row(2, [[2, NaN], [5, -20], [6, 20]]); // NaN inside is skipped
  row(3, [[0, 0], [1, -0], [2, -10], [3, 10]]);
  if (n > 4) data.fill(0, 4 * dim, 5 * dim); // all +0
  if (n > 5) { data.fill(-0, 5 * dim, 6 * dim); data[5 * dim + 1] = 0; } // ±0 mixed
  row(6, [[dim - 2, -Infinity], [dim - 3, Infinity]]);
  row(7, [[4, -11], [dim - 1, -11]]);
  return data;
}

/** The JavaScript semantics the kernels must reproduce, written plainly. */
function extentReference(data: Float32Array, dim: number, keep: Int32Array) {
  const argmin = new Uint32Array(dim), argmax = new Uint32Array(dim), sum = new Float64Array(dim);
  for (const r of keep) {
    const o = r * dim;
    let lo = 0, hi = 0, vlo = data[o], vhi = data[o];
    for (let i = 0; i < dim; ++i) {
      const x = data[o + i];
      sum[i] += x;
      if (x < vlo) { vlo = x; lo = i; }
      if (x > vhi) { vhi = x; hi = i; }
    }
    argmin[lo]++;
    argmax[hi]++;
  }
  return { argmin, argmax, sum };
}

const sameBits = (a: ArrayLike<number>, b: ArrayLike<number>, what: string) => {
  assert.equal(a.length, b.length, what);
  for (let i = 0; i < a.length; ++i) if (!Object.is(a[i], b[i])) assert.fail(`${what}[${i}]: ${a[i]} vs ${b[i]}`);
};

test("kernels: WebAssembly SIMD is available here, for widths that are multiples of 4 only", () => {
  assert.equal(kernelsFor(384), true);
  assert.equal(kernelsFor(8), true);
  assert.equal(kernelsFor(6), false);
});

test("extentRows gives the JavaScript argmin, argmax and float64 sums bit for bit (ties, ±0, NaN, infinities)", () => {
  for (const [n, dim, seed] of [[9, 4, 1], [40, 8, 2], [300, 384, 3], [17, 12, 4]]) {
    const data = rows(n, dim, seed);
    const keep = Int32Array.from({ length: n }, (_, i) => i).filter((r) => r % 5 !== 4 || r === 4);
    const want = extentReference(data, dim, keep);
    // start from non-zero state: the kernel adds to what it is given
    const argmin = Uint32Array.from({ length: dim }, (_, i) => i), argmax = Uint32Array.from({ length: dim }, (_, i) => 2 * i), sum = Float64Array.from({ length: dim }, (_, i) => i / 3);
    extentRows(data, dim, keep, argmin, argmax, sum);
    sameBits(argmin, want.argmin.map((c, i) => c + i), `argmin dim ${dim}`);
    sameBits(argmax, want.argmax.map((c, i) => c + 2 * i), `argmax dim ${dim}`);
    const sums = Float64Array.from({ length: dim }, (_, i) => i / 3);
    for (const r of keep) for (let i = 0; i < dim; ++i) sums[i] += data[r * dim + i];
    sameBits(sum, sums, `sum dim ${dim}`);
  }
});

test("extentRows picks the planted extremes: first index of a tie, NaN skipped, NaN first gives 0", () => {
  const dim = 8, data = rows(8, dim, 9);
  const one = (r: number) => {
    const argmin = new Uint32Array(dim), argmax = new Uint32Array(dim);
    extentRows(data, dim, Int32Array.of(r), argmin, argmax, new Float64Array(dim));
    return [argmin.indexOf(1), argmax.indexOf(1)];
  };
  assert.deepEqual(one(0), [1, 3]);
  assert.deepEqual(one(1), [0, 0]);
  assert.deepEqual(one(2), [5, 6]);
  assert.deepEqual(one(3), [2, 3]);
  assert.deepEqual(one(4), [0, 0]);
  assert.deepEqual(one(6), [6, 5]);
  assert.equal(one(7)[0], 4);
});

test("profileRows gives the JavaScript per-position sums and Σx² bit for bit, skipping the sums of rows beyond the kept positions", () => {
  for (const [n, dim, seed] of [[50, 4, 5], [200, 384, 6]]) {
    const data = rows(n, dim, seed).map((x) => (Number.isFinite(x) ? x : 1));
    const keep = Int32Array.from({ length: n }, (_, i) => i).filter((r) => r % 3 !== 1);
    const pos = Int32Array.from(keep, (r) => (r * 7) % 23);
    const P = 20, sums = new Float64Array(P * dim).fill(0.5), sxx = new Float64Array(dim).fill(2);
    const want = { sums: sums.slice(), sxx: sxx.slice() };
    keep.forEach((r, k) => {
      const p = pos[k];
      for (let i = 0; i < dim; ++i) {
        const x = data[r * dim + i];
        want.sxx[i] += x * x;
        if (p < P) want.sums[p * dim + i] += x;
      }
    });
    profileRows(data, dim, keep, pos, sums, P, sxx);
    sameBits(sums, want.sums, "sums");
    sameBits(sxx, want.sxx, "sxx");
  }
});

test("OutlierCounter and PositionProfile give the same results with kernel auto and js, batch by batch", () => {
  for (const dim of [4, 6, 384]) {
    const auto = new OutlierCounter(), js = new OutlierCounter({ kernel: "js" });
    const pa = new PositionProfile({ maxPositions: 30 }), pj = new PositionProfile({ maxPositions: 30, kernel: "js" });
    for (let b = 0; b < 3; ++b) {
      const n = 37 + b, data = rows(n, dim, 10 + b);
      const batch = lb({ layer: b % 2, dim, data: Array.from(data), special: Array.from({ length: n }, (_, i) => (i % 9 === 0 ? 1 : 0)), position: Array.from({ length: n }, (_, i) => i) });
      auto.add(batch);
      js.add(batch);
      pa.add(batch);
      pj.add(batch);
    }
    assert.deepEqual(auto.result(), js.result(), `outliers dim ${dim}`);
    assert.deepEqual(pa.result([0, dim - 1]), pj.result([0, dim - 1]), `positions dim ${dim}`);
  }
  assert.throws(() => new OutlierCounter({ kernel: "gpu" as "js" }), /invalid kernel: "gpu"; expected one of auto, js/);
  assert.throws(() => new PositionProfile({ kernel: "simd" as "js" }), /invalid kernel: "simd"/);
});

test("VectorSlots.addUnitRows adds unit rows bit for bit as the four-lane JavaScript reference, zeroing dims, skipping rows without direction", () => {
  for (const dim of [4, 8, 384]) {
    const n = 40, data = rows(n, dim, 20 + dim).map((x) => (Number.isFinite(x) ? x : 0.25));
    data.fill(0, 9 * dim, 10 * dim); // a zero row: no direction
    data[11 * dim + 1] = NaN; // NaN norm: skipped too
    const zero = dim > 4 ? Int32Array.of(1, dim - 1) : new Int32Array(0);
    const slots = new VectorSlots(dim);
    assert.equal(slots.kernel, true);
    const sums = [slots.alloc(), slots.alloc(), slots.alloc()];
    const order = Array.from({ length: n }, (_, k) => k).filter((k) => k % 4 !== 3);
    const want = [0, 1, 2].map(() => new Float64Array(dim)), wantOk: number[] = [];
    for (const k of order) {
      const x = Float64Array.from(data.subarray(k * dim, (k + 1) * dim));
      for (const z of zero) x[z] = 0;
      const p = [0, 0, 0, 0];
      for (let i = 0; i < dim; ++i) p[i % 4] += x[i] * x[i];
      const norm = (p[0] + p[2]) + (p[1] + p[3]);
      wantOk.push(norm > 0 ? 1 : 0);
      if (!(norm > 0)) continue;
      const inv = 1 / Math.sqrt(norm), s = want[k % 3];
      for (let i = 0; i < dim; ++i) s[i] += x[i] * inv;
    }
    const ok = new Uint8Array(order.length);
    slots.addUnitRows(data, Int32Array.from(order), Int32Array.from(order, (k) => sums[k % 3]), order.length, zero, ok);
    assert.equal(data[order[0] * dim + (zero[0] ?? 0)], rows(n, dim, 20 + dim)[order[0] * dim + (zero[0] ?? 0)], "the caller's rows are not zeroed");
    assert.deepEqual(Array.from(ok), wantOk);
    sums.forEach((at, j) => sameBits(slots.view(at), want[j], `sum ${j} dim ${dim}`));
    // growing the memory keeps what was added
    const before = slots.view(sums[0]).slice();
    for (let k = 0; k < 3000; ++k) slots.alloc();
    sameBits(slots.view(sums[0]), before, "after growth");
  }
  assert.equal(new VectorSlots(6).kernel, false);
  assert.equal(new VectorSlots(8, "js").kernel, false);
});

test("SelfSimilarity gives the same results with kernel auto and js: single and multi-subword occurrences of one word in a batch, zero rows, zeroDims, evictions, merge", () => {
  for (const dim of [8, 384]) {
    const n = 120, data = rows(n, dim, 40 + dim).map((x) => (Number.isFinite(x) ? x : 0.5));
    data.fill(0, 20 * dim, 21 * dim);
    // sentences of 6 tokens; word w of sentence s has key "w{(s * 7 + w) % 9}"; words 2 and 3 span two tokens
    const sentence = Array.from({ length: n }, (_, r) => Math.floor(r / 6));
    const word = Array.from({ length: n }, (_, r) => [0, 1, 2, 2, 3, 3][r % 6]);
    const wordKey = (s: number, w: number) => `w${(s * 7 + w) % 9}`;
    const batch = (layer: number) => lb({ layer, dim, data: Array.from(data), sentence, word });
    for (const opts of [{}, { zeroDims: [0, dim - 2] }, { maxWords: 4 }]) {
      const make = (kernel: "auto" | "js") => new SelfSimilarity({ wordKey, minOccurrences: 2, ...opts, kernel });
      const [a, j] = [make("auto"), make("js")];
      for (const layer of [0, 1, 0]) {
        a.add(batch(layer));
        j.add(batch(layer));
      }
      assert.deepEqual(a.result(), j.result(), `dim ${dim} ${JSON.stringify(opts)}`);
      const merged = make("auto").add(batch(0)).merge(make("js").add(batch(1)).add(batch(0)));
      assert.deepEqual(merged.result(), j.result(), `merged dim ${dim} ${JSON.stringify(opts)}`);
    }
  }
  assert.throws(() => new SelfSimilarity({ wordKey: () => null, kernel: "wasm" as "js" }), /invalid kernel: "wasm"/);
});

test("stageLayer: the staged layer is read in place by extentRows and profileRows, other arrays are copied, nothing is clobbered", () => {
  const dim = 8, a = rows(30, dim, 50).map((x) => (Number.isFinite(x) ? x : 0)), b = rows(30, dim, 51).map((x) => (Number.isFinite(x) ? x : 0));
  const keep = Int32Array.from({ length: 30 }, (_, i) => i);
  const run = (data: Float32Array) => {
    const out = { argmin: new Uint32Array(dim), argmax: new Uint32Array(dim), sum: new Float64Array(dim), sums: new Float64Array(40 * dim), sxx: new Float64Array(dim) };
    extentRows(data, dim, keep, out.argmin, out.argmax, out.sum);
    profileRows(data, dim, keep, keep, out.sums, 40, out.sxx);
    return out;
  };
  const plainA = run(a), plainB = run(b);
  stageLayer(a, dim);
  try {
    assert.deepEqual(run(b), plainB); // another array: copied after the staged one
    assert.deepEqual(run(a), plainA); // the staged one, in place, still intact
  } finally {
    unstageLayer();
  }
  stageLayer(a, 6); // no kernels for width 6: nothing staged
  assert.deepEqual(run(a), plainA);
  unstageLayer();
});
