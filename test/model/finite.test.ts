import { test } from "node:test";
import assert from "node:assert/strict";
import { firstNonFinite, nonFiniteRows } from "../../src/model/finite.js";

// firstNonFinite's fast pass and its search must agree with a plain scan wherever the bad value sits
// (in the 4-wide body, in the tail, at the range's ends) and for finite extremes (-0, subnormals, max).
const naive = (d: Float32Array | Float64Array, from: number, to: number) => {
  for (let i = from; i < to; ++i) if (!Number.isFinite(d[i])) return i;
  return -1;
};

test("firstNonFinite: every position, every kind, every range end, both array types", () => {
  for (const make of [(n: number) => new Float32Array(n), (n: number) => new Float64Array(n)]) {
    for (const n of [0, 1, 3, 4, 5, 11, 16]) {
      for (const bad of [NaN, Infinity, -Infinity]) {
        for (let at = -1; at < n; ++at) {
          const d = make(n);
          for (let i = 0; i < n; ++i) d[i] = (i % 3) - 1 + i * 1e-3;
          if (at >= 0) d[at] = bad;
          for (const [from, to] of [[0, n], [1, n], [0, n - 1], [2, Math.max(2, n - 2)]]) {
            if (from > n || to < from) continue;
            assert.equal(firstNonFinite(d, from, to), naive(d, from, to), `n ${n} bad ${bad} at ${at} range [${from}, ${to})`);
          }
        }
      }
    }
  }
});

test("firstNonFinite: finite extremes are finite", () => {
  const f32 = Float32Array.from([-0, 0, 1.4e-45, -1.4e-45, 3.4028234e38, -3.4028234e38, 1e-38]);
  assert.equal(firstNonFinite(f32), -1);
  const f64 = Float64Array.from([-0, Number.MIN_VALUE, Number.MAX_VALUE, -Number.MAX_VALUE, 5e-324]);
  assert.equal(firstNonFinite(f64), -1);
  f64[3] = NaN;
  assert.equal(firstNonFinite(f64), 3);
});

test("nonFiniteRows: the lowest layer and its first token per row; padding is not read", () => {
  const [B, T, H] = [3, 4, 5];
  const layers = [new Float32Array(B * T * H), new Float32Array(B * T * H)];
  layers[1][(0 * T + 2) * H + 4] = NaN; // row 0, layer 1, token 2
  layers[0][(1 * T + 1) * H] = -Infinity; // row 1, layer 0, token 1
  layers[1][(1 * T + 0) * H] = NaN; // row 1 again, higher layer: not reported
  layers[0][(2 * T + 3) * H] = NaN; // row 2, token 3: padding (2 real tokens)
  assert.deepEqual(nonFiniteRows(layers, B, T, H, [4, 4, 2]), [{ layer: 1, token: 2 }, { layer: 0, token: 1 }, null]);
});
