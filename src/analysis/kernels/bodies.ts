/**
 * The kernels' code, one function body each, in the assembler of assembler.ts. See index.ts for
 * what each computes and how to change one safely.
 */
import { F32, F64, I32, V128, f32load, get, i32c, i32load, i32store, op, section, set, str, tee, uleb, v128load, v128store, vec } from "./assembler.js";

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

/** The module: the five kernels and one memory, exported by name (index.ts). */
export function assemble(): Uint8Array {
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
