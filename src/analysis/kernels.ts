/**
 * WebAssembly SIMD kernels for the two hottest per-token passes of the streaming analyses: the
 * outlier scan (each row's argmin and argmax, and the float64 sum of the rows), the position
 * profile (per-position float64 sums and Σx²) and self-similarity's unit vectors.
 *
 * Why hand-assembled WebAssembly: these passes read every value of every layer (1.4 G values for
 * MiniLM on 20,000 sentences) and cost 2-4 ns a value as JavaScript loops, more than 10% of the
 * extraction they follow. The module is about 1 KB, written below by a 60-line assembler, so it needs
 * no compiler toolchain and no dependency (a WAT compiler would be a larger risk than the bytes).
 *
 * Exactness: every float64 sum adds the rows one by one in row order, lane by lane (f64x2 lanes are
 * independent IEEE additions of the same values the JavaScript loop adds), so results are
 * bit-identical to the JavaScript reference, which stays in OutlierCounter and PositionProfile and is
 * used when `kernel: "js"` is asked for, when the width is not a multiple of 4, or where
 * WebAssembly SIMD is missing. argmin/argmax: the first index holding the row's smallest (largest)
 * non-NaN value, index 0 when the row starts with NaN, as the JavaScript comparisons give; the tests
 * check both paths against each other on ties, ±0, NaN and random rows.
 */

// ---- a minimal WebAssembly binary writer -----------------------------------------------------

const uleb = (n: number): number[] => {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n !== 0) b |= 0x80;
    out.push(b);
  } while (n !== 0);
  return out;
};
const sleb = (n: number): number[] => {
  const out: number[] = [];
  for (;;) {
    const b = n & 0x7f;
    n >>= 7;
    if ((n === 0 && (b & 0x40) === 0) || (n === -1 && (b & 0x40) !== 0)) return [...out, b];
    out.push(b | 0x80);
  }
};
const vec = (items: number[][]): number[] => [...uleb(items.length), ...items.flat()];
const str = (s: string): number[] => vec([...new TextEncoder().encode(s)].map((b) => [b]));
const section = (id: number, body: number[]): number[] => [id, ...uleb(body.length), ...body];

const I32 = 0x7f, F32 = 0x7d, F64 = 0x7c, V128 = 0x7b;
// instructions (memarg: alignment hint 0, offset)
const get = (l: number) => [0x20, ...uleb(l)], set = (l: number) => [0x21, ...uleb(l)], tee = (l: number) => [0x22, ...uleb(l)];
const i32c = (n: number) => [0x41, ...sleb(n)];
const i32load = (off = 0) => [0x28, 0, ...uleb(off)], i32store = (off = 0) => [0x36, 0, ...uleb(off)], f32load = (off = 0) => [0x2a, 0, ...uleb(off)];
const simd = (op: number, ...imm: number[]) => [0xfd, ...uleb(op), ...imm];
const v128load = (off = 0) => simd(0x00, 0, ...uleb(off)), v128store = (off = 0) => simd(0x0b, 0, ...uleb(off));
const op = {
  block: [0x02, 0x40], loop: [0x03, 0x40], if: [0x04, 0x40], end: [0x0b], br: (d: number) => [0x0c, ...uleb(d)], brIf: (d: number) => [0x0d, ...uleb(d)], select: [0x1b],
  f64const: (x: number) => [0x44, ...new Uint8Array(Float64Array.of(x).buffer)], f64gt: [0x64], f64add: [0xa0], f64div: [0xa3], f64sqrt: [0x9f],
  f64x2lane: (l: number) => simd(0x21, l),
  i32geS: [0x4e], i32ltS: [0x48], i32add: [0x6a], i32mul: [0x6c], i32shl: [0x74], i32shrU: [0x76], f32eq: [0x5b], f32lt: [0x5d], f32gt: [0x5e], f64fromI32: [0xb7],
  f32x4splat: simd(0x13), f64x2splat: simd(0x14), f32x4lane: (l: number) => simd(0x1f, l),
  // lanes 2,3 of a f32x4 moved to lanes 0,1 (bytes 8..15 twice)
  highHalf: simd(0x0d, 8, 9, 10, 11, 12, 13, 14, 15, 8, 9, 10, 11, 12, 13, 14, 15),
  else: [0x05], i32and: [0x71], v128and: simd(0x4e),
  promoteLow: simd(0x5f), f64x2add: simd(0xf0), f64x2mul: simd(0xf2), f32x4pmin: simd(0xea), f32x4pmax: simd(0xeb), f32x4eq: simd(0x41), anyTrue: simd(0x53),
};

/** `for (l = 0; l < lim; l += step) body`: l and lim are locals, step a constant. */
function forLoop(l: number, lim: number, step: number, body: number[]): number[] {
  return [...i32c(0), ...set(l), ...op.block, ...op.loop, ...get(l), ...get(lim), ...op.i32geS, ...op.brIf(1), ...body,
    ...get(l), ...i32c(step), ...op.i32add, ...set(l), ...op.br(0), ...op.end, ...op.end];
}
/** mem[addr + off] (two f64 lanes) += the v128 left on the stack by `value`. */
const addF64x2 = (addr: number, off: number, value: number[]) => [...get(addr), ...get(addr), ...v128load(off), ...value, ...op.f64x2add, ...v128store(off)];
/** ++mem32[base + 4 * index] */
const bump = (base: number, index: number, tmp: number) => [...get(base), ...get(index), ...i32c(2), ...op.i32shl, ...op.i32add, ...tee(tmp), ...get(tmp), ...i32load(), ...i32c(1), ...op.i32add, ...i32store()];

/**
 * The argmin/argmax count of one row (extent, scan): the four lanes of its running min (max) reduced
 * to the row's extreme `m`, then the first index holding it (four lanes compared at a time, then the
 * lanes of the first group with a match one by one; 0 when none matches, as for a row starting with
 * NaN), whose counter is bumped.
 */
function extremes(l: { m: number; t: number; v: number; j: number; end: number; lo: number; hi: number; tmp: number; argmin: number; argmax: number }) {
  const { m, t, v, j, end } = l;
  const reduce = (vl: number, cmp: number[]) => [...get(vl), ...op.f32x4lane(0), ...set(m),
    ...[1, 2, 3].flatMap((L) => [...get(vl), ...op.f32x4lane(L), ...set(t), ...get(t), ...get(m), ...get(t), ...get(m), ...cmp, ...op.select, ...set(m)])];
  const first = (out: number, row: number) => [...i32c(0), ...set(out), ...get(m), ...op.f32x4splat, ...set(v), ...i32c(0), ...set(j), ...op.block, ...op.loop,
    ...get(j), ...get(end), ...op.i32geS, ...op.brIf(1),
    ...get(row), ...get(j), ...op.i32add, ...v128load(), ...get(v), ...op.f32x4eq, ...op.anyTrue, ...op.if,
    ...[0, 4, 8].flatMap((b) => [...get(row), ...get(j), ...op.i32add, ...f32load(b), ...get(m), ...op.f32eq, ...op.if, ...get(j), ...i32c(b), ...op.i32add, ...i32c(2), ...op.i32shrU, ...set(out), ...op.br(3), ...op.end]),
    ...get(j), ...i32c(12), ...op.i32add, ...i32c(2), ...op.i32shrU, ...set(out), ...op.br(2), ...op.end,
    ...get(j), ...i32c(16), ...op.i32add, ...set(j), ...op.br(0), ...op.end, ...op.end];
  return (row: number, vmin: number, vmax: number) => [
    ...reduce(vmin, op.f32lt), ...first(l.lo, row), ...bump(l.argmin, l.lo, l.tmp),
    ...reduce(vmax, op.f32gt), ...first(l.hi, row), ...bump(l.argmax, l.hi, l.tmp),
  ];
}

/** The running min and max of a row start at its first value. */
const startExtremes = (row: number, vmin: number, vmax: number) => [...get(row), ...f32load(), ...op.f32x4splat, ...tee(vmin), ...set(vmax)];

/** `for (k = 0; k + 1 < n; k += 2) pair; if (k < n) single` (k and n locals). */
const twoAtATime = (k: number, n: number, pair: number[], single: number[]) => [
  ...i32c(0), ...set(k), ...op.block, ...op.loop,
  ...get(k), ...i32c(1), ...op.i32add, ...get(n), ...op.i32geS, ...op.brIf(1),
  ...pair, ...get(k), ...i32c(2), ...op.i32add, ...set(k), ...op.br(0), ...op.end, ...op.end,
  ...get(k), ...get(n), ...op.i32ltS, ...op.if, ...single, ...op.end,
];

/**
 * extent(data, rows, n, dim, argmin, argmax, sum): for each of the n row indices at `rows`, the
 * row's argmin and argmax counters are bumped and the row is added to the float64 `sum`. Rows go two
 * at a time (one load and store of `sum` per pair: (sum + row k) + row k+1, the same additions in
 * the same order), then the last one alone.
 */
function extentBody(): { params: number; locals: [number, number][]; code: number[] } {
  const [data, rows, n, dim, argmin, argmax, sum] = [0, 1, 2, 3, 4, 5, 6];
  const [k, o, j, end, s, lo, hi, tmp, o2] = [7, 8, 9, 10, 11, 12, 13, 14, 15];
  const [m, t] = [16, 17];
  const [vmin, vmax, v, vmin2, vmax2, v2] = [18, 19, 20, 21, 22, 23];
  const rowAt = (index: number[], out: number) => [...get(data), ...get(rows), ...index, ...i32c(2), ...op.i32shl, ...op.i32add, ...i32load(), ...get(end), ...op.i32mul, ...op.i32add, ...set(out)];
  const scan = (row: number, val: number, lo_: number, hi_: number) => [
    ...get(row), ...get(j), ...op.i32add, ...v128load(), ...set(val),
    ...get(lo_), ...get(val), ...op.f32x4pmin, ...set(lo_),
    ...get(hi_), ...get(val), ...op.f32x4pmax, ...set(hi_),
  ];
  const finish = extremes({ m, t, v, j, end, lo, hi, tmp, argmin, argmax });
  const sumAt = [...get(sum), ...get(j), ...i32c(1), ...op.i32shl, ...op.i32add, ...set(s)];
  const low = (val: number) => [...get(val), ...op.promoteLow], high = (val: number) => [...get(val), ...get(val), ...op.highHalf, ...op.promoteLow];
  const pair = [
    ...rowAt([...get(k)], o), ...rowAt([...get(k), ...i32c(1), ...op.i32add], o2),
    ...startExtremes(o, vmin, vmax), ...startExtremes(o2, vmin2, vmax2),
    ...forLoop(j, end, 16, [
      ...scan(o, v, vmin, vmax), ...scan(o2, v2, vmin2, vmax2), ...sumAt,
      ...get(s), ...get(s), ...v128load(0), ...low(v), ...op.f64x2add, ...low(v2), ...op.f64x2add, ...v128store(0),
      ...get(s), ...get(s), ...v128load(16), ...high(v), ...op.f64x2add, ...high(v2), ...op.f64x2add, ...v128store(16),
    ]),
    ...finish(o, vmin, vmax), ...finish(o2, vmin2, vmax2),
  ];
  const single = [
    ...rowAt([...get(k)], o), ...startExtremes(o, vmin, vmax),
    ...forLoop(j, end, 16, [...scan(o, v, vmin, vmax), ...sumAt, ...addF64x2(s, 0, low(v)), ...addF64x2(s, 16, high(v))]),
    ...finish(o, vmin, vmax),
  ];
  const code = [...get(dim), ...i32c(2), ...op.i32shl, ...set(end), ...twoAtATime(k, n, pair, single)];
  return { params: 7, locals: [[9, I32], [2, F32], [6, V128]], code };
}

/**
 * profile(data, rows, target, n, dim, sxx): for each of the n kept rows (row index at `rows`, byte
 * address of its per-position sum row at `target`), adds the row to that sum row and its squares to
 * Σx².
 */
function profileBody(): { params: number; locals: [number, number][]; code: number[] } {
  const [data, rows, target, n, dim, sxx] = [0, 1, 2, 3, 4, 5];
  const [k, o, j, end, q, a, o2, q2] = [6, 7, 8, 9, 10, 11, 12, 13];
  const [lo, hi, v, lo2, hi2] = [14, 15, 16, 17, 18];
  const at = (base: number, next = 0) => [...get(base), ...get(k), ...i32c(2), ...op.i32shl, ...op.i32add, ...i32load(next * 4)];
  const addr = (base: number) => [...get(base), ...get(j), ...i32c(1), ...op.i32shl, ...op.i32add, ...set(a)];
  const halves = (row: number, l: number, h: number) => [...get(row), ...get(j), ...op.i32add, ...v128load(), ...tee(v), ...op.promoteLow, ...set(l), ...get(v), ...get(v), ...op.highHalf, ...op.promoteLow, ...set(h)];
  const sq = (x: number) => [...get(x), ...get(x), ...op.f64x2mul];
  const setup = (next: number, row: number, tgt: number) => [...get(data), ...at(rows, next), ...get(end), ...op.i32mul, ...op.i32add, ...set(row), ...at(target, next), ...set(tgt)];
  // two rows per pass: each row's own sum row (load, add, store, in row order, so two rows at one
  // position still add one after the other), and Σx² loaded once: (sxx + x_k²) + x_{k+1}²
  const pair = [
    ...setup(0, o, q), ...setup(1, o2, q2),
    ...forLoop(j, end, 16, [
      ...halves(o, lo, hi), ...halves(o2, lo2, hi2),
      ...addr(q), ...addF64x2(a, 0, get(lo)), ...addF64x2(a, 16, get(hi)),
      ...addr(q2), ...addF64x2(a, 0, get(lo2)), ...addF64x2(a, 16, get(hi2)),
      ...addr(sxx),
      ...get(a), ...get(a), ...v128load(0), ...sq(lo), ...op.f64x2add, ...sq(lo2), ...op.f64x2add, ...v128store(0),
      ...get(a), ...get(a), ...v128load(16), ...sq(hi), ...op.f64x2add, ...sq(hi2), ...op.f64x2add, ...v128store(16),
    ]),
  ];
  const single = [
    ...setup(0, o, q),
    ...forLoop(j, end, 16, [
      ...halves(o, lo, hi),
      ...addr(q), ...addF64x2(a, 0, get(lo)), ...addF64x2(a, 16, get(hi)),
      ...addr(sxx), ...addF64x2(a, 0, sq(lo)), ...addF64x2(a, 16, sq(hi)),
    ]),
  ];
  const code = [...get(dim), ...i32c(2), ...op.i32shl, ...set(end), ...twoAtATime(k, n, pair, single)];
  return { params: 6, locals: [[8, I32], [5, V128]], code };
}

/**
 * scan(data, rows, target, n, dim, argmin, argmax, sum, sxx): extent and profile in one read of
 * each row (the outlier scan and the position profile of runAnalyses): per row its argmin and argmax
 * bumped, the row added to `sum`, to its sum row at target[k] and its squares to `sxx`. Two rows at
 * a time; every float64 sum gets the same additions in the same order as extent and profile give.
 */
function scanBody(): { params: number; locals: [number, number][]; code: number[] } {
  const [data, rows, target, n, dim, argmin, argmax, sum, sxx] = [0, 1, 2, 3, 4, 5, 6, 7, 8];
  const [k, o, j, end, s, lo, hi, tmp, o2, q, q2, a] = [9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20];
  const [m, t] = [21, 22];
  const [vmin, vmax, v, vmin2, vmax2, v2, l1, h1, l2, h2] = [23, 24, 25, 26, 27, 28, 29, 30, 31, 32];
  const index = (base: number, next: number) => [...get(base), ...get(k), ...i32c(2), ...op.i32shl, ...op.i32add, ...i32load(next * 4)];
  const setup = (next: number, row: number, tgt: number) => [...get(data), ...index(rows, next), ...get(end), ...op.i32mul, ...op.i32add, ...set(row), ...index(target, next), ...set(tgt)];
  const load = (row: number, val: number, lo_: number, hi_: number, l: number, h: number) => [
    ...get(row), ...get(j), ...op.i32add, ...v128load(), ...tee(val), ...op.promoteLow, ...set(l), ...get(val), ...get(val), ...op.highHalf, ...op.promoteLow, ...set(h),
    ...get(lo_), ...get(val), ...op.f32x4pmin, ...set(lo_),
    ...get(hi_), ...get(val), ...op.f32x4pmax, ...set(hi_),
  ];
  const finish = extremes({ m, t, v, j, end, lo, hi, tmp, argmin, argmax });
  const addr = (base: number) => [...get(base), ...get(j), ...i32c(1), ...op.i32shl, ...op.i32add, ...set(a)];
  const sq = (x: number) => [...get(x), ...get(x), ...op.f64x2mul];
  // (x + a) + b at a and a + 16
  const add2 = (fa: number[], fb: number[], ga: number[], gb: number[]) => [
    ...get(a), ...get(a), ...v128load(0), ...fa, ...op.f64x2add, ...fb, ...op.f64x2add, ...v128store(0),
    ...get(a), ...get(a), ...v128load(16), ...ga, ...op.f64x2add, ...gb, ...op.f64x2add, ...v128store(16),
  ];
  const pair = [
    ...setup(0, o, q), ...setup(1, o2, q2),
    ...startExtremes(o, vmin, vmax), ...startExtremes(o2, vmin2, vmax2),
    ...forLoop(j, end, 16, [
      ...load(o, v, vmin, vmax, l1, h1), ...load(o2, v2, vmin2, vmax2, l2, h2),
      ...addr(sum), ...add2(get(l1), get(l2), get(h1), get(h2)),
      ...addr(q), ...addF64x2(a, 0, get(l1)), ...addF64x2(a, 16, get(h1)),
      ...addr(q2), ...addF64x2(a, 0, get(l2)), ...addF64x2(a, 16, get(h2)),
      ...addr(sxx), ...add2(sq(l1), sq(l2), sq(h1), sq(h2)),
    ]),
    ...finish(o, vmin, vmax), ...finish(o2, vmin2, vmax2),
  ];
  const single = [
    ...setup(0, o, q), ...startExtremes(o, vmin, vmax),
    ...forLoop(j, end, 16, [
      ...load(o, v, vmin, vmax, l1, h1),
      ...addr(sum), ...addF64x2(a, 0, get(l1)), ...addF64x2(a, 16, get(h1)),
      ...addr(q), ...addF64x2(a, 0, get(l1)), ...addF64x2(a, 16, get(h1)),
      ...addr(sxx), ...addF64x2(a, 0, sq(l1)), ...addF64x2(a, 16, sq(h1)),
    ]),
    ...finish(o, vmin, vmax),
  ];
  const code = [...get(dim), ...i32c(2), ...op.i32shl, ...set(end), ...twoAtATime(k, n, pair, single)];
  return { params: 9, locals: [[12, I32], [2, F32], [10, V128]], code };
}

/**
 * unitRows(data, rows, slots, n, dim, ok): for each of the n row indices at `rows`, the row's squared norm in
 * four lanes (i mod 4, each summed in index order; norm = (lane0 + lane2) + (lane1 + lane3)); when
 * it is > 0, the row times 1/sqrt(norm) is added to the float64 sum at byte address slots[k], and
 * ok[k] = 1 (else 0).
 */
function unitRowsBody(): { params: number; locals: [number, number][]; code: number[] } {
  const [data, rows, slots, n, dim, ok] = [0, 1, 2, 3, 4, 5];
  const [k, o, j, end, s, a] = [6, 7, 8, 9, 10, 11];
  const [nrm] = [12];
  const [A, B, v, lo, hi, vinv] = [13, 14, 15, 16, 17, 18];
  const halves = [...get(o), ...get(j), ...op.i32add, ...v128load(), ...tee(v), ...op.promoteLow, ...set(lo), ...get(v), ...get(v), ...op.highHalf, ...op.promoteLow, ...set(hi)];
  const row = [
    ...get(data), ...get(rows), ...get(k), ...i32c(2), ...op.i32shl, ...op.i32add, ...i32load(), ...get(end), ...op.i32mul, ...op.i32add, ...set(o),
    ...op.f64const(0), ...op.f64x2splat, ...tee(A), ...set(B),
    ...forLoop(j, end, 16, [...halves,
      ...get(A), ...get(lo), ...get(lo), ...op.f64x2mul, ...op.f64x2add, ...set(A),
      ...get(B), ...get(hi), ...get(hi), ...op.f64x2mul, ...op.f64x2add, ...set(B)]),
    ...get(A), ...get(B), ...op.f64x2add, ...tee(A), ...op.f64x2lane(0), ...get(A), ...op.f64x2lane(1), ...op.f64add, ...set(nrm),
    ...get(ok), ...get(k), ...i32c(2), ...op.i32shl, ...op.i32add, ...get(nrm), ...op.f64const(0), ...op.f64gt, ...i32store(),
    ...get(nrm), ...op.f64const(0), ...op.f64gt, ...op.if,
    ...op.f64const(1), ...get(nrm), ...op.f64sqrt, ...op.f64div, ...op.f64x2splat, ...set(vinv),
    ...get(slots), ...get(k), ...i32c(2), ...op.i32shl, ...op.i32add, ...i32load(), ...set(s),
    ...forLoop(j, end, 16, [...halves,
      ...get(s), ...get(j), ...i32c(1), ...op.i32shl, ...op.i32add, ...set(a),
      ...addF64x2(a, 0, [...get(lo), ...get(vinv), ...op.f64x2mul]),
      ...addF64x2(a, 16, [...get(hi), ...get(vinv), ...op.f64x2mul])]),
    ...op.end,
  ];
  const code = [...get(dim), ...i32c(2), ...op.i32shl, ...set(end), ...forLoop(k, n, 1, row)];
  return { params: 6, locals: [[6, I32], [1, F64], [6, V128]], code };
}

/**
 * unitPairs(data, rows, slotsA, slotsB, n, dim, okA, okB, mask): unitRows for two accumulators in
 * one read of each row: A takes the row as it is, B the row AND `mask` (dim int32 lanes, -1 to keep
 * a dim, 0 to read it as +0: the clipped self-similarity). Each norm and each sum is what unitRows
 * gives on that row (B's: on the row with the masked dims set to +0), bit for bit.
 */
function unitPairsBody(): { params: number; locals: [number, number][]; code: number[] } {
  const [data, rows, slotsA, slotsB, n, dim, okA, okB, mask] = [0, 1, 2, 3, 4, 5, 6, 7, 8];
  const [k, o, j, end, sa, sb, a] = [9, 10, 11, 12, 13, 14, 15];
  const [nA, nB] = [16, 17];
  const [A, B, C, D, v, lo, hi, invA, invB] = [18, 19, 20, 21, 22, 23, 24, 25, 26];
  const raw = [...get(o), ...get(j), ...op.i32add, ...v128load(), ...tee(v), ...op.promoteLow, ...set(lo), ...get(v), ...get(v), ...op.highHalf, ...op.promoteLow, ...set(hi)];
  const masked = [...get(v), ...get(mask), ...get(j), ...op.i32add, ...v128load(), ...op.v128and, ...tee(v), ...op.promoteLow, ...set(lo), ...get(v), ...get(v), ...op.highHalf, ...op.promoteLow, ...set(hi)];
  const square = (x: number, y: number) => [...get(x), ...get(lo), ...get(lo), ...op.f64x2mul, ...op.f64x2add, ...set(x), ...get(y), ...get(hi), ...get(hi), ...op.f64x2mul, ...op.f64x2add, ...set(y)];
  const norm = (x: number, y: number, out: number) => [...get(x), ...get(y), ...op.f64x2add, ...tee(x), ...op.f64x2lane(0), ...get(x), ...op.f64x2lane(1), ...op.f64add, ...set(out)];
  const flag = (ok: number, nrm: number) => [...get(ok), ...get(k), ...i32c(2), ...op.i32shl, ...op.i32add, ...get(nrm), ...op.f64const(0), ...op.f64gt, ...i32store()];
  const inverse = (nrm: number, inv: number) => [...op.f64const(1), ...get(nrm), ...op.f64sqrt, ...op.f64div, ...op.f64x2splat, ...set(inv)];
  const slot = (base: number, out: number) => [...get(base), ...get(k), ...i32c(2), ...op.i32shl, ...op.i32add, ...i32load(), ...set(out)];
  const add = (s: number, inv: number) => [
    ...get(s), ...get(j), ...i32c(1), ...op.i32shl, ...op.i32add, ...set(a),
    ...addF64x2(a, 0, [...get(lo), ...get(inv), ...op.f64x2mul]),
    ...addF64x2(a, 16, [...get(hi), ...get(inv), ...op.f64x2mul]),
  ];
  const gtZero = (nrm: number) => [...get(nrm), ...op.f64const(0), ...op.f64gt];
  const row = [
    ...get(data), ...get(rows), ...get(k), ...i32c(2), ...op.i32shl, ...op.i32add, ...i32load(), ...get(end), ...op.i32mul, ...op.i32add, ...set(o),
    ...op.f64const(0), ...op.f64x2splat, ...tee(A), ...tee(B), ...tee(C), ...set(D),
    ...forLoop(j, end, 16, [...raw, ...square(A, B), ...masked, ...square(C, D)]),
    ...norm(A, B, nA), ...norm(C, D, nB), ...flag(okA, nA), ...flag(okB, nB),
    ...slot(slotsA, sa), ...slot(slotsB, sb),
    ...gtZero(nA), ...op.if, ...inverse(nA, invA), ...op.end,
    ...gtZero(nB), ...op.if, ...inverse(nB, invB), ...op.end,
    ...gtZero(nA), ...gtZero(nB), ...op.i32and, ...op.if,
    ...forLoop(j, end, 16, [...raw, ...add(sa, invA), ...masked, ...add(sb, invB)]),
    ...op.else,
    ...gtZero(nA), ...op.if, ...forLoop(j, end, 16, [...raw, ...add(sa, invA)]), ...op.end,
    ...gtZero(nB), ...op.if, ...forLoop(j, end, 16, [...raw, ...masked, ...add(sb, invB)]), ...op.end,
    ...op.end,
  ];
  const code = [...get(dim), ...i32c(2), ...op.i32shl, ...set(end), ...forLoop(k, n, 1, row)];
  return { params: 9, locals: [[7, I32], [2, F64], [9, V128]], code };
}

function assemble(): Uint8Array {
  const fns = [["extent", extentBody()], ["profile", profileBody()], ["unitRows", unitRowsBody()], ["unitPairs", unitPairsBody()], ["scan", scanBody()]] as const;
  const types = fns.map(([, f]) => [0x60, ...vec(Array.from({ length: f.params }, () => [I32])), ...vec([])]);
  const bodies = fns.map(([, f]) => {
    const body = [...vec(f.locals.map(([c, t]) => [...uleb(c), t])), ...f.code, ...op.end];
    return [...uleb(body.length), ...body];
  });
  return Uint8Array.from([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, vec(types)),
    ...section(3, vec(fns.map((_, i) => uleb(i)))),
    ...section(5, vec([[0x00, ...uleb(1)]])),
    ...section(7, vec([...fns.map(([name], i) => [...str(name), 0x00, ...uleb(i)]), [...str("memory"), 0x02, 0]])),
    ...section(10, vec(bodies)),
  ]);
}

// ---- the kernels as JavaScript functions ------------------------------------------------------

/** The few WebAssembly APIs used (the project's TypeScript lib has no DOM types). */
interface WasmMemory { readonly buffer: ArrayBuffer; grow(pages: number): number }
interface WasmApi {
  validate(bytes: Uint8Array): boolean;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object) => { exports: unknown };
}
const wasm = (globalThis as unknown as { WebAssembly?: WasmApi }).WebAssembly;

interface Exports {
  memory: WasmMemory;
  extent: (...args: number[]) => void;
  profile: (...args: number[]) => void;
  unitRows: (...args: number[]) => void;
  unitPairs: (...args: number[]) => void;
  scan: (...args: number[]) => void;
}

let compiled: object | null | undefined;
let instance: Exports | null | undefined;

/** The compiled module, or null where WebAssembly SIMD is not available. */
function module(): object | null {
  if (compiled !== undefined) return compiled;
  const bytes = assemble();
  compiled = wasm && wasm.validate(bytes) ? new wasm.Module(bytes) : null;
  return compiled;
}

/** A fresh instance with its own memory (for state that lives in it), or null without WebAssembly SIMD. */
export function kernelInstance(): Exports | null {
  const m = module();
  return m ? (new wasm!.Instance(m).exports as Exports) : null;
}

/** The shared instance of the stateless calls (extentRows, profileRows). */
function kernels(): Exports | null {
  if (instance === undefined) instance = kernelInstance();
  return instance;
}

/** Whether the kernels can take rows of this width (a multiple of 4 where WebAssembly SIMD runs). */
export function kernelsFor(dim: number): boolean {
  return dim % 4 === 0 && kernels() !== null;
}

/** Lays out byte ranges (16-aligned) in the module's memory from `base`, growing it as needed. */
function layout(sizes: number[], base = 0): { mem: ArrayBuffer; at: number[] } {
  const k = kernels()!;
  const at: number[] = [];
  let end = base;
  for (const s of sizes) {
    at.push(end);
    end += Math.ceil(s / 16) * 16;
  }
  const have = k.memory.buffer.byteLength;
  // doubling: each growth is a new buffer that V8 counts as external memory (and may answer with a
  // full GC), so grow rarely
  if (end > have) k.memory.grow(Math.ceil((Math.max(end, 2 * have) - have) / 65536));
  return { mem: k.memory.buffer, at };
}

/** The layer batch copied into the shared memory by stageLayer() (at byte 0), if any. */
let staged: { data: Float32Array; bytes: number } | null = null;

/**
 * Copies `data` into the kernels' memory once, for several kernel calls on it (runAnalyses: one
 * layer batch, then every accumulator); until unstageLayer(), the caller must not change `data`.
 * Without the kernels for this width it does nothing.
 */
export function stageLayer(data: Float32Array, dim: number): void {
  staged = null;
  if (!kernelsFor(dim)) return;
  const bytes = Math.ceil((data.length * 4) / 16) * 16;
  new Float32Array(layout([bytes]).mem, 0, data.length).set(data);
  staged = { data, bytes };
}

export function unstageLayer(): void {
  staged = null;
}

/** Places `data` (unless it is the staged batch) and then `sizes` in the memory; at[0] is the data. */
function place(data: Float32Array, sizes: number[]): { mem: ArrayBuffer; at: number[] } {
  const resident = staged !== null && staged.data === data;
  const { mem, at } = layout([resident ? 0 : data.length * 4, ...sizes], staged ? staged.bytes : 0);
  if (resident) at[0] = 0;
  else new Float32Array(mem, at[0], data.length).set(data);
  return { mem, at };
}

/**
 * For each row index in `rows`: argmin[argmin of the row]++, argmax[argmax of the row]++, and the row
 * added to `sum` (float64, row order). `data` is row-major [tokens x dim] with dim % 4 === 0.
 */
export function extentRows(data: Float32Array, dim: number, rows: Int32Array, argmin: Uint32Array, argmax: Uint32Array, sum: Float64Array): void {
  const n = rows.length;
  if (n === 0) return;
  const { mem, at } = place(data, [n * 4, dim * 4, dim * 4, dim * 8]);
  new Int32Array(mem, at[1], n).set(rows);
  const mn = new Uint32Array(mem, at[2], dim), mx = new Uint32Array(mem, at[3], dim), s = new Float64Array(mem, at[4], dim);
  mn.set(argmin);
  mx.set(argmax);
  s.set(sum);
  kernels()!.extent(at[0], at[1], n, dim, at[2], at[3], at[4]);
  argmin.set(mn);
  argmax.set(mx);
  sum.set(s);
}

/** Values of the per-position sums a batch touches: rows 0..the largest kept position below `positions` (only they travel). */
function sumSpan(pos: Int32Array, positions: number, dim: number): number {
  let top = -1;
  for (let k = 0; k < pos.length; ++k) if (pos[k] < positions && pos[k] > top) top = pos[k];
  return (top + 1) * dim;
}

/** target[k] = byte address of row pos[k] of the sums at `base`, or `trash` for a position beyond them. */
function sumTargets(target: Int32Array, pos: Int32Array, positions: number, dim: number, base: number, trash: number): void {
  for (let k = 0; k < target.length; ++k) target[k] = pos[k] < positions ? base + pos[k] * dim * 8 : trash;
}

/**
 * For each kept row `rows[k]` at position `pos[k]`, in order: adds it to `sums` row pos[k] when pos[k]
 * < positions (the number of rows `sums` holds), and its squares to sxx; all float64.
 */
export function profileRows(data: Float32Array, dim: number, rows: Int32Array, pos: Int32Array, sums: Float64Array, positions: number, sxx: Float64Array): void {
  const n = rows.length;
  if (n === 0) return;
  const span = sumSpan(pos, positions, dim);
  const { mem, at } = place(data, [n * 4, n * 4, dim * 8, span * 8, dim * 8]);
  new Int32Array(mem, at[1], n).set(rows);
  sumTargets(new Int32Array(mem, at[2], n), pos, positions, dim, at[4], at[5]);
  const vxx = new Float64Array(mem, at[3], dim), vs = new Float64Array(mem, at[4], span);
  vxx.set(sxx);
  vs.set(sums.subarray(0, span));
  kernels()!.profile(at[0], at[1], at[2], n, dim, at[3]);
  sxx.set(vxx);
  sums.set(vs);
}

/**
 * extentRows and profileRows in one read of each row, the same bits as the two calls: for each kept
 * row `rows[k]` at position `pos[k]`, argmin/argmax counted, the row added to `sum`, to `sums` row
 * pos[k] when pos[k] < positions, and its squares to sxx.
 */
export function scanRows(
  data: Float32Array, dim: number, rows: Int32Array, argmin: Uint32Array, argmax: Uint32Array, sum: Float64Array,
  pos: Int32Array, sums: Float64Array, positions: number, sxx: Float64Array,
): void {
  const n = rows.length;
  if (n === 0) return;
  const span = sumSpan(pos, positions, dim);
  const { mem, at } = place(data, [n * 4, n * 4, dim * 4, dim * 4, dim * 8, dim * 8, span * 8, dim * 8]);
  new Int32Array(mem, at[1], n).set(rows);
  sumTargets(new Int32Array(mem, at[2], n), pos, positions, dim, at[7], at[8]);
  const mn = new Uint32Array(mem, at[3], dim), mx = new Uint32Array(mem, at[4], dim), s = new Float64Array(mem, at[5], dim);
  const vxx = new Float64Array(mem, at[6], dim), vs = new Float64Array(mem, at[7], span);
  mn.set(argmin);
  mx.set(argmax);
  s.set(sum);
  vxx.set(sxx);
  vs.set(sums.subarray(0, span));
  kernels()!.scan(at[0], at[1], at[2], n, dim, at[3], at[4], at[5], at[6]);
  argmin.set(mn);
  argmax.set(mx);
  sum.set(s);
  sxx.set(vxx);
  sums.set(vs);
}

/**
 * Float64 vectors of one width kept in one growable memory: the memory of a private kernel instance
 * (so `addUnitRows` adds to them in place) or, without WebAssembly SIMD or for widths that are not a
 * multiple of 4, an ArrayBuffer. A vector is named by its byte address; views are made on demand,
 * since growing the memory detaches the old ones.
 */
export class VectorSlots {
  readonly dim: number;
  readonly #bytes: number;
  readonly #instance: Exports | null;
  #buffer: ArrayBuffer = new ArrayBuffer(0);
  #end = 0;
  readonly #free: number[] = [];

  constructor(dim: number, kernel: "auto" | "js" = "auto") {
    this.dim = dim;
    this.#bytes = Math.ceil((dim * 8) / 16) * 16;
    this.#instance = kernel === "auto" && kernelsFor(dim) ? kernelInstance() : null;
  }

  /** Whether addUnitRows runs (else the caller adds rows itself through views). */
  get kernel(): boolean {
    return this.#instance !== null;
  }

  get #memory(): ArrayBuffer {
    return this.#instance ? this.#instance.memory.buffer : this.#buffer;
  }

  /** A zeroed vector's address. */
  alloc(): number {
    const at = this.#free.pop() ?? this.#grow(this.#bytes);
    this.view(at).fill(0);
    return at;
  }

  /** Gives a vector's space back for reuse. */
  release(at: number): void {
    this.#free.push(at);
  }

  view(at: number): Float64Array {
    return new Float64Array(this.#memory, at, this.dim);
  }

  /** Appends `bytes` to the vectors' space; returns where it starts. */
  #grow(bytes: number): number {
    const at = this.#end;
    this.#end += bytes;
    this.#reserve(this.#end);
    return at;
  }

  #reserve(total: number): void {
    const have = this.#memory.byteLength;
    if (total <= have) return;
    // doubling: each growth is a new buffer that V8 counts as external memory (and may answer with a
    // full GC), so grow rarely
    if (this.#instance) this.#instance.memory.grow(Math.ceil((Math.max(total, 2 * have) - have) / 65536)); // doubling, as in layout
    else {
      const next = new ArrayBuffer(Math.max(total, 2 * have));
      new Uint8Array(next).set(new Uint8Array(this.#buffer));
      this.#buffer = next;
    }
  }

  /**
   * For k = 0..n-1: row `rows[k]` of `data` ([tokens x dim]), with `zero` dims read as 0, is added as
   * a unit vector to the vector at `slots[k]` when its norm (four-lane order, see unitRows) is > 0;
   * ok[k] says whether it was. Requires `kernel`.
   */
  addUnitRows(data: Float32Array, rows: Int32Array, slots: Int32Array, n: number, zero: Int32Array, ok: Uint8Array): void {
    if (!this.#instance) throw new Error("VectorSlots.addUnitRows: no kernel for this width; add through views");
    if (n === 0) return;
    const { copy, at, next } = this.#rows(data, rows, n, [n, n]);
    const dim = this.dim, mem = this.#memory, slotAt = next[0], okAt = next[1];
    new Int32Array(mem, slotAt, n).set(slots.subarray(0, n));
    if (zero.length) for (let k = 0; k < n; ++k) for (let z = 0; z < zero.length; ++z) copy[at[k] * dim + zero[z]] = 0;
    this.#instance.unitRows(copy.byteOffset, at.byteOffset, slotAt, n, dim, okAt);
    ok.set(new Int32Array(mem, okAt, n));
  }

  /**
   * addUnitRows for two accumulators whose vectors share this pool, in one read of each row: row
   * rows[k] is added as it is to the vector at slotsA[k] (okA[k] says whether), and with the `zeroB`
   * dims read as 0 to the vector at slotsB[k] (okB[k]): the same bits as two addUnitRows calls.
   * Requires `kernel`.
   */
  addUnitRowPairs(data: Float32Array, rows: Int32Array, slotsA: Int32Array, slotsB: Int32Array, n: number, zeroB: Int32Array, okA: Uint8Array, okB: Uint8Array): void {
    if (!this.#instance) throw new Error("VectorSlots.addUnitRowPairs: no kernel for this width; add through views");
    if (n === 0) return;
    const dim = this.dim;
    const { copy, at, next } = this.#rows(data, rows, n, [n, n, n, n, dim]);
    const mem = this.#memory, [aAt, bAt, okAAt, okBAt, maskAt] = next;
    new Int32Array(mem, aAt, n).set(slotsA.subarray(0, n));
    new Int32Array(mem, bAt, n).set(slotsB.subarray(0, n));
    const mask = new Int32Array(mem, maskAt, dim).fill(-1);
    for (let z = 0; z < zeroB.length; ++z) mask[zeroB[z]] = 0;
    this.#instance.unitPairs(copy.byteOffset, at.byteOffset, aAt, bAt, n, dim, okAAt, okBAt, maskAt);
    okA.set(new Int32Array(mem, okAAt, n));
    okB.set(new Int32Array(mem, okBAt, n));
  }

  /**
   * Copies rows rows[0..n) of `data` past the vectors (packed when they are few, the usual case: the
   * tracked words' one-subword tokens; else one copy of the whole batch is cheaper), with their row
   * indices in the copy, then reserves `int32s` more int32 arrays; returns views and their addresses.
   */
  #rows(data: Float32Array, rows: Int32Array, n: number, int32s: number[]): { copy: Float32Array; at: Int32Array; next: number[] } {
    const dim = this.dim, start = this.#end, tokens = data.length / dim;
    const packed = 3 * n < tokens, floats = packed ? n * dim : data.length;
    const align = (bytes: number) => Math.ceil(bytes / 16) * 16;
    const rowsAt = start + align(floats * 4);
    let end = rowsAt + align(n * 4);
    const next = int32s.map((c) => {
      const a = end;
      end += align(c * 4);
      return a;
    });
    this.#reserve(end);
    const mem = this.#memory, copy = new Float32Array(mem, start, floats), at = new Int32Array(mem, rowsAt, n);
    if (packed) {
      for (let k = 0; k < n; ++k) {
        copy.set(data.subarray(rows[k] * dim, rows[k] * dim + dim), k * dim);
        at[k] = k;
      }
    } else {
      copy.set(data);
      at.set(rows.subarray(0, n));
    }
    return { copy, at, next };
  }
}
