/**
 * Every WebAssembly kernel against its plain TypeScript twin (src/analysis/kernels/twins.ts) on
 * seeded random inputs, NaN, ±0, infinities and ties included: the same bits.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { VectorSlots, extentRows, kernelsFor, profileRows, scanRows } from "../../src/analysis/kernels/index.js";
import { addUnitRowPairsTwin, addUnitRowsTwin, extentRowsTwin, profileRowsTwin, scanRowsTwin } from "../../src/analysis/kernels/twins.js";
import { createRandom, type Random } from "../../src/numerics/random.js";

const WIDTHS = [4, 8, 12, 32, 36];

/** tokens x dim values: mostly normal, some exact ties (a few repeated values), ±0, NaN, ±Infinity. */
function values(g: Random, tokens: number, dim: number): Float32Array {
  const out = new Float32Array(tokens * dim);
  for (let i = 0; i < out.length; ++i) {
    const u = g.next();
    out[i] = u < 0.02 ? NaN : u < 0.03 ? (g.next() < 0.5 ? Infinity : -Infinity) : u < 0.06 ? (g.next() < 0.5 ? 0 : -0) : u < 0.2 ? [1.5, -1.5, 2][g.int(3)] : g.normal() * 3;
  }
  return out;
}

/** A random subset of row indices, ascending (the kept, non-special rows). */
function rowsOf(g: Random, tokens: number): Int32Array {
  return Int32Array.from([...Array(tokens).keys()].filter(() => g.next() < 0.8));
}

/**
 * The bytes, every NaN written as the canonical one: WebAssembly may give a NaN sum another sign or
 * payload than JavaScript (both are NaN; the spec leaves NaN bits open), and nothing reads NaN bits.
 */
const bits = (a: Float64Array | Uint32Array) => {
  const c = a instanceof Float64Array ? a.map((x) => (Number.isNaN(x) ? NaN : x)) : a;
  return Buffer.from(c.buffer, c.byteOffset, c.byteLength).toString("hex");
};

test("kernels run here (the twins test compares something)", () => {
  for (const d of WIDTHS) assert.ok(kernelsFor(d), `width ${d}`);
});

test("extentRows, profileRows and scanRows equal their twins bit for bit on random inputs", () => {
  const g = createRandom(31);
  for (let trial = 0; trial < 60; ++trial) {
    const dim = WIDTHS[trial % WIDTHS.length], tokens = 1 + g.int(40), positions = 1 + g.int(12);
    const data = values(g, tokens, dim), rows = rowsOf(g, tokens), pos = Int32Array.from(rows, () => g.int(16));
    // start from non-zero accumulators, as on every batch after the first
    const start = () => ({
      argmin: Uint32Array.from({ length: dim }, () => g.int(5)), argmax: Uint32Array.from({ length: dim }, () => g.int(5)),
      sum: Float64Array.from({ length: dim }, () => g.normal()), sums: Float64Array.from({ length: positions * dim }, () => g.normal()),
      sxx: Float64Array.from({ length: dim }, () => g.next()),
    });
    const a = start(), b = { argmin: a.argmin.slice(), argmax: a.argmax.slice(), sum: a.sum.slice(), sums: a.sums.slice(), sxx: a.sxx.slice() };
    const c = { argmin: a.argmin.slice(), argmax: a.argmax.slice(), sum: a.sum.slice(), sums: a.sums.slice(), sxx: a.sxx.slice() };
    const d = { argmin: a.argmin.slice(), argmax: a.argmax.slice(), sum: a.sum.slice(), sums: a.sums.slice(), sxx: a.sxx.slice() };
    extentRows(data, dim, rows, a.argmin, a.argmax, a.sum);
    profileRows(data, dim, rows, pos, a.sums, positions, a.sxx);
    extentRowsTwin(data, dim, rows, b.argmin, b.argmax, b.sum);
    profileRowsTwin(data, dim, rows, pos, b.sums, positions, b.sxx);
    scanRows(data, dim, rows, c.argmin, c.argmax, c.sum, pos, c.sums, positions, c.sxx);
    scanRowsTwin(data, dim, rows, d.argmin, d.argmax, d.sum, pos, d.sums, positions, d.sxx);
    for (const k of ["argmin", "argmax", "sum", "sums", "sxx"] as const) {
      assert.equal(bits(a[k]), bits(b[k]), `extent/profile ${k}, trial ${trial}`);
      assert.equal(bits(c[k]), bits(d[k]), `scan ${k}, trial ${trial}`);
    }
  }
});

test("VectorSlots.addUnitRows and addUnitRowPairs equal their twins bit for bit on random inputs", () => {
  const g = createRandom(32);
  for (let trial = 0; trial < 40; ++trial) {
    const dim = WIDTHS[trial % WIDTHS.length], tokens = 1 + g.int(30);
    // finite values here: a NaN or infinite norm has no direction either way, and the sums would hold NaN
    const data = values(g, tokens, dim).map((x) => (Number.isFinite(x) ? x : 0));
    if (trial % 7 === 0) data.fill(0, 0, dim); // a row without direction
    const rows = rowsOf(g, tokens), n = rows.length;
    const zero = Int32Array.from([...Array(dim).keys()].filter(() => g.next() < 0.15));
    const slots = new VectorSlots(dim);
    // two vectors per row, some rows sharing a word's vector (the usual case)
    const words = Math.max(1, Math.ceil(n / 2));
    const atA = Array.from({ length: words }, () => slots.alloc()), atB = Array.from({ length: words }, () => slots.alloc());
    const pick = Int32Array.from({ length: n }, () => g.int(words));
    const twinA = atA.map(() => new Float64Array(dim)), twinB = atB.map(() => new Float64Array(dim));
    const okA = new Uint8Array(n), okB = new Uint8Array(n), tA = new Uint8Array(n), tB = new Uint8Array(n);
    if (trial % 2) {
      slots.addUnitRows(data, rows, Int32Array.from(pick, (w) => atA[w]), n, zero, okA);
      addUnitRowsTwin(data, dim, rows, n, zero, Array.from(pick, (w) => twinA[w]), tA);
    } else {
      slots.addUnitRowPairs(data, rows, Int32Array.from(pick, (w) => atA[w]), Int32Array.from(pick, (w) => atB[w]), n, zero, okA, okB);
      addUnitRowPairsTwin(data, dim, rows, n, zero, Array.from(pick, (w) => twinA[w]), Array.from(pick, (w) => twinB[w]), tA, tB);
    }
    assert.deepEqual([...okA], [...tA], `okA, trial ${trial}`);
    assert.deepEqual([...okB], [...tB], `okB, trial ${trial}`);
    for (let w = 0; w < words; ++w) {
      assert.equal(bits(slots.view(atA[w])), bits(twinA[w]), `A ${w}, trial ${trial}`);
      assert.equal(bits(slots.view(atB[w])), bits(twinB[w]), `B ${w}, trial ${trial}`);
    }
  }
});
