/**
 * The norms analysis' four-row loops (powerSums4, rowPowers with four rows) against the one- and
 * two-row loops they replace: the same bits, for seeded random float32 rows with heavy-tailed values
 * (so that reassociated float64 additions would differ), and every row count 1..9.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { powerSums, powerSums4, rowPowers } from "../../src/analysis/normsSite.js";
import { createRandom } from "../../src/numerics/random.js";

const WIDTH = 37;

function rowsOf(n: number, seed: number): Float32Array {
  const rnd = createRandom(seed), out = new Float32Array(n * WIDTH);
  // a few huge values among small ones, both signs: the float64 sums round differently in another order
  for (let i = 0; i < out.length; ++i) out[i] = (rnd.next() - 0.5) * (rnd.next() < 0.05 ? 3000 : 3);
  return out;
}

const sums = () => [new Float64Array(WIDTH), new Float64Array(WIDTH), new Float64Array(WIDTH), new Float64Array(WIDTH)] as const;

/** Bit-equality of float64 arrays (a plain deepEqual would also pass 0 vs -0). */
function sameBits(a: Float64Array, b: Float64Array, what: string): void {
  assert.deepEqual(new Uint32Array(a.buffer, a.byteOffset, a.length * 2), new Uint32Array(b.buffer, b.byteOffset, b.length * 2), what);
}

test("powerSums4 adds exactly what two powerSums pairs add, and reports each row's max, argmax and sum", () => {
  for (let seed = 1; seed <= 40; ++seed) {
    const data = rowsOf(4, seed), bits = new Int32Array(data.buffer);
    const c = Float64Array.from(rowsOf(1, 1000 + seed));
    const four = sums(), pairs = sums(), s4 = new Float64Array(12), s2 = new Float64Array(12);
    // non-zero starting sums, as after earlier rows of the batch
    for (const [k, s] of four.entries()) for (let j = 0; j < WIDTH; ++j) s[j] = pairs[k][j] = (k + 1) * (j - 11.5);
    powerSums4(data, bits, 0, WIDTH, 2 * WIDTH, 3 * WIDTH, WIDTH, c, four, s4);
    powerSums(data, bits, 0, WIDTH, WIDTH, c, pairs, s2);
    powerSums(data, bits, 2 * WIDTH, 3 * WIDTH, WIDTH, c, pairs, s2.subarray(6));
    for (let k = 0; k < 4; ++k) sameBits(four[k], pairs[k], `seed ${seed}: power sum ${k + 1}`);
    sameBits(s4, s2, `seed ${seed}: row stats`);
  }
});

test("rowPowers gives each row the sums of d^2 and d^4 that the row alone gives, for 1 to 9 rows", () => {
  for (let n = 1; n <= 9; ++n) {
    const data = rowsOf(n, 77 + n), rows = Array.from({ length: n }, (_, i) => i);
    const stats = new Float64Array(12), together = new Float64Array(8), alone = new Float64Array(8);
    for (let r = 0, g = 0; r < n; r += g) {
      g = n - r >= 4 ? 4 : n - r >= 2 ? 2 : 1;
      for (let t = 0; t < g; ++t) {
        let s = 0;
        for (let j = 0; j < WIDTH; ++j) s += data[(r + t) * WIDTH + j];
        stats[3 * t + 2] = s;
      }
      rowPowers(data, rows, r, g, WIDTH, stats, together);
      for (let t = 0; t < g; ++t) {
        rowPowers(data, rows, r + t, 1, WIDTH, stats.subarray(3 * t), alone);
        sameBits(together.subarray(2 * t, 2 * t + 2), alone.subarray(0, 2), `${n} rows: row ${r + t}`);
      }
    }
  }
});
