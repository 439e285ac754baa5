import { test } from "node:test";
import assert from "node:assert/strict";
import { VectorSlots, extentRows, kernelsFor, profileRows, scanRows, stageLayer, unstageLayer } from "../../src/analysis/kernels/index.js";
import { OutlierCounter } from "../../src/analysis/outliers.js";
import { PositionProfile } from "../../src/analysis/positions.js";
import { createRandom } from "../../src/numerics/random.js";
import { SelfSimilarity } from "../../src/analysis/selfsim.js";
import { lb } from "./fixtures.js";

// Synthetic rows (seeded) with the awkward cases planted: ties inside and across groups of four
// lanes, ±0, NaN first and in the middle, infinities, and rows that are all equal.
/** The rows with NaN and infinities replaced by 0.25 (what the counters accept). */
const finite = (data: Float32Array) => data.map((x) => (Number.isFinite(x) ? x : 0.25));

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
  // rows go two at a time: an odd count leaves one alone, and [51, 8] puts pairs of rows at one
  // position (and beyond the kept ones), which must still add one after the other
  for (const [n, dim, seed] of [[50, 4, 5], [200, 384, 6], [51, 8, 7]]) {
    const data = rows(n, dim, seed).map((x) => (Number.isFinite(x) ? x : 1));
    const keep = Int32Array.from({ length: n }, (_, i) => i).filter((r) => r % 3 !== 1 || n === 51);
    const pos = Int32Array.from(keep, (r, k) => (n === 51 ? Math.floor(k / 2) % 23 : (r * 7) % 23));
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
      // finite rows: the counters refuse NaN and infinities (issue 20), the kernels' own tests above keep them
      const n = 37 + b, data = finite(rows(n, dim, 10 + b));
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
      assert.deepEqual(a.keys, j.keys);
      for (const key of j.keys) for (const layer of [0, 1]) {
        const want = j.word(key, layer);
        assert.equal(a.word(key, layer)?.occurrences, want?.occurrences);
        if (want) sameBits(a.word(key, layer)!.sum, want.sum, `${key} layer ${layer} dim ${dim} ${JSON.stringify(opts)}`);
      }
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

test("VectorSlots.addUnitRowPairs gives two addUnitRows calls' bits: the raw row to one vector, the row with dims zeroed to another, each skipped alone when it has no direction", () => {
  for (const dim of [4, 8, 384]) {
    const n = 30, data = rows(n, dim, 60 + dim).map((x) => (Number.isFinite(x) ? x : 0.75));
    const zero = Int32Array.of(1, dim - 1);
    data.fill(0, 8 * dim, 9 * dim); // no direction for either
    data.fill(0, 9 * dim, 10 * dim);
    data[9 * dim + 1] = 2; // direction only where B reads 0: A takes it, B does not
    data[10 * dim + 2] = NaN; // NaN norm for both
    data[11 * dim + 1] = NaN; // NaN only where B reads 0: B takes it, A does not
    data[12 * dim + 2] = Infinity; // infinite norm: both add (the reference's 1/sqrt(Infinity) = 0 then gives NaN)
    const order = Int32Array.from({ length: n }, (_, k) => k).filter((k) => k % 13 !== 5);
    const m = order.length;
    // the pair call, and the reference: two addUnitRows calls on another pool
    const pair = new VectorSlots(dim), ref = new VectorSlots(dim);
    const pa = [pair.alloc(), pair.alloc()], pb = [pair.alloc(), pair.alloc(), pair.alloc()];
    const ra = [ref.alloc(), ref.alloc()], rb = [ref.alloc(), ref.alloc(), ref.alloc()];
    const atA = Int32Array.from(order, (k) => pa[k % 2]), atB = Int32Array.from(order, (k) => pb[k % 3]);
    const okA = new Uint8Array(m), okB = new Uint8Array(m), wantA = new Uint8Array(m), wantB = new Uint8Array(m);
    pair.addUnitRowPairs(data, order, atA, atB, m, zero, okA, okB);
    ref.addUnitRows(data, order, Int32Array.from(order, (k) => ra[k % 2]), m, new Int32Array(0), wantA);
    ref.addUnitRows(data, order, Int32Array.from(order, (k) => rb[k % 3]), m, zero, wantB);
    assert.deepEqual(okA, wantA, `okA dim ${dim}`);
    assert.deepEqual(okB, wantB, `okB dim ${dim}`);
    const at = (k: number) => order.indexOf(k);
    assert.deepEqual([okA[at(8)], okB[at(8)], okA[at(9)], okB[at(9)], okA[at(10)], okB[at(10)], okA[at(11)], okB[at(11)]], [0, 0, 1, 0, 0, 0, 0, 1], `planted rows dim ${dim}`);
    pa.forEach((a, j) => sameBits(pair.view(a), ref.view(ra[j]), `A ${j} dim ${dim}`));
    pb.forEach((b, j) => sameBits(pair.view(b), ref.view(rb[j]), `B ${j} dim ${dim}`));
    for (const b of pb) for (const z of zero) assert.equal(pair.view(b)[z], 0);
  }
  assert.throws(() => new VectorSlots(6).addUnitRowPairs(new Float32Array(6), Int32Array.of(0), Int32Array.of(0), Int32Array.of(0), 1, new Int32Array(0), new Uint8Array(1), new Uint8Array(1)), /no kernel for this width/);
});

test("SelfSimilarity.addPair equals two adds: shared pool, multi-subword words, evictions, a clipped side that starts later or tracks other words, and the fallbacks", () => {
  for (const dim of [8, 384]) {
    const n = 120, data = rows(n, dim, 70 + dim).map((x) => (Number.isFinite(x) ? x : 0.5));
    data.fill(0, 20 * dim, 21 * dim);
    data.fill(0, 30 * dim, 31 * dim);
    data[30 * dim + 1] = 3; // a direction only in a clipped dim
    const sentence = Array.from({ length: n }, (_, r) => Math.floor(r / 6));
    const word = Array.from({ length: n }, (_, r) => [0, 1, 2, 2, 3, 4][r % 6]);
    // sentences from 100 on (the batch only the raw side sees) have words of their own
    const wordKey = (s: number, w: number) => (s >= 100 ? `v${(s * 3 + w) % 7}` : `w${(s * 5 + w) % 11}`);
    const batch = (layer: number, from = 0, shift = 0) => lb({ layer, dim, data: Array.from(data.subarray(from * dim)), sentence: sentence.slice(from).map((s) => s + shift), word: word.slice(from) });
    const zeroDims = [1, dim - 2];
    for (const opts of [{ minOccurrences: 2 }, { minOccurrences: 2, maxWords: 4 }]) {
      for (const [shared, kernel, late] of [[true, "auto", false], [true, "auto", true], [false, "auto", false], [true, "js", false]] as const) {
        const pool = shared ? new VectorSlots(dim, kernel) : null;
        const a = new SelfSimilarity({ wordKey, ...opts, kernel, slots: pool }), b = new SelfSimilarity({ wordKey, ...opts, kernel, zeroDims, slots: pool });
        const ra = new SelfSimilarity({ wordKey, ...opts, kernel: "js" }), rb = new SelfSimilarity({ wordKey, ...opts, kernel: "js", zeroDims });
        // late: B misses the first batch (runAnalyses' deferred clipped side before its replay) and
        // its words, so under maxWords B tracks words that A has already evicted (the two-add fallback)
        if (late) {
          a.add(batch(0, 60, 100));
          ra.add(batch(0, 60, 100));
        }
        for (const [layer, from] of [[0, 0], [1, 0], [0, 6], [1, 60]] as const) {
          SelfSimilarity.addPair(a, b, batch(layer, from));
          ra.add(batch(layer, from));
          rb.add(batch(layer, from));
        }
        const what = `dim ${dim} ${JSON.stringify(opts)} shared ${shared} ${kernel} late ${late}`;
        assert.deepEqual(a.result(), ra.result(), `raw ${what}`);
        assert.deepEqual(b.result(), rb.result(), `clipped ${what}`);
        // bit for bit, word by word (results are rounded; a word's occurrences out of token order
        // would move only the last bits of its sum)
        for (const [x, ref, side] of [[a, ra, "raw"], [b, rb, "clipped"]] as const) {
          assert.deepEqual(x.keys, ref.keys, `${side} keys ${what}`);
          for (const key of ref.keys) {
            for (const layer of [0, 1]) {
              const got = x.word(key, layer), want = ref.word(key, layer);
              assert.equal(got?.occurrences, want?.occurrences, `${side} ${key} layer ${layer} ${what}`);
              if (want) sameBits(got!.sum, want.sum, `${side} ${key} layer ${layer} ${what}`);
            }
          }
        }
      }
    }
  }
  const pool = new VectorSlots(8);
  assert.throws(() => new SelfSimilarity({ wordKey: () => "x", slots: pool }).add(lb({ layer: 0, dim: 4, data: [1, 2, 3, 4], sentence: [0], word: [0] })), /differs from the slots option's width \(8\)/);
  assert.throws(() => new SelfSimilarity({ wordKey: () => "x", slots: {} as VectorSlots }), /invalid slots/);
});

test("scanRows gives extentRows' and profileRows' bits in one pass: odd and even row counts, two rows at one position, rows beyond the kept positions", () => {
  for (const [n, dim, seed] of [[9, 4, 81], [40, 8, 82], [301, 384, 83], [17, 12, 84]]) {
    const data = rows(n, dim, seed);
    const keep = Int32Array.from({ length: n }, (_, i) => i).filter((r) => r % 5 !== 4 || r === 4);
    const pos = Int32Array.from(keep, (_, k) => Math.floor(k / 2) % 13); // pairs of rows share a position; 12 is beyond P
    const P = 12, start = () => ({ argmin: new Uint32Array(dim).fill(3), argmax: new Uint32Array(dim), sum: new Float64Array(dim).fill(0.25), sums: new Float64Array(P * dim).fill(-1), sxx: new Float64Array(dim).fill(2) });
    const two = start(), one = start();
    extentRows(data, dim, keep, two.argmin, two.argmax, two.sum);
    profileRows(data, dim, keep, pos, two.sums, P, two.sxx);
    scanRows(data, dim, keep, one.argmin, one.argmax, one.sum, pos, one.sums, P, one.sxx);
    for (const k of ["argmin", "argmax", "sum", "sums", "sxx"] as const) sameBits(one[k], two[k], `${k} n ${n} dim ${dim}`);
  }
});

test("OutlierCounter.addWith(positions) equals the two adds; it falls back to them for the JavaScript path, other widths and other token rules", () => {
  for (const [dim, outOpts, posOpts] of [
    [384, {}, {}], [8, { includeSpecial: true }, { includeSpecial: true }], [8, {}, { includeSpecial: true }], [8, { kernel: "js" }, {}], [8, {}, { kernel: "js" }], [6, {}, {}],
  ] as const) {
    const fused = [new OutlierCounter(outOpts), new PositionProfile({ maxPositions: 20, ...posOpts })] as const;
    const apart = [new OutlierCounter(outOpts), new PositionProfile({ maxPositions: 20, ...posOpts })] as const;
    for (let b = 0; b < 4; ++b) {
      const n = 30 + b, data = finite(rows(n, dim, 90 + b));
      const batch = lb({ layer: b % 2, dim, data: Array.from(data), special: Array.from({ length: n }, (_, i) => (i % 7 === 0 ? 1 : 0)), position: Array.from({ length: n }, (_, i) => i % 25) });
      fused[0].addWith(fused[1], batch);
      apart[0].add(batch);
      apart[1].add(batch);
    }
    const what = `dim ${dim} ${JSON.stringify(outOpts)} ${JSON.stringify(posOpts)}`;
    assert.deepEqual(fused[0].result(), apart[0].result(), `outliers ${what}`);
    assert.deepEqual(fused[1].result([0, dim - 1]), apart[1].result([0, dim - 1]), `positions ${what}`);
  }
  assert.throws(() => new OutlierCounter().addWith(new PositionProfile(), { ...lb({ dim: 4, data: [1, 2, 3, 4] }), data: Float32Array.of(1, 2, 3, 4, 5) }), /data has 5 values for 1 tokens/);
  assert.throws(() => new PositionProfile({ kernel: "js" }).addFused(lb({ dim: 4, data: [1, 2, 3, 4] }), () => {}), /no kernel for dim 4 here/);
});
