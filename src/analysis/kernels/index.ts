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
 *
 * Each kernel has a plain TypeScript twin in twins.ts: the same computation, in the same order, as
 * obvious loops. test/analysis/kernels.twins.test.ts runs kernel and twin on seeded random inputs
 * (NaN, ±0, ties, infinities included) and requires the same bits.
 *
 * Changing a kernel safely:
 *   1. Change the twin first (twins.ts) and make the accumulators' tests pass with `kernel: "js"`.
 *   2. Change the kernel's body (bodies.ts; the instructions are in assembler.ts, opcodes from the
 *      WebAssembly SIMD spec) and its caller here, keeping float64 additions in row order.
 *   3. Run the twins test (bit-for-bit on random inputs), kernels.test.ts, the goldens
 *      (test/analysis/golden.test.ts) and `npm run bench` (bench/kernels.ts: keep a kernel only while
 *      its twin is more than 5% slower end to end; DESIGN.md: new statistics are not added here).
 * Folder: assembler.ts (binary writer), bodies.ts (the five function bodies and the module),
 * index.ts (this file: the JavaScript entry points and memory layout), twins.ts (the references).
 */
import { assemble } from "./bodies.js";

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

/** False after useKernels(false): every caller takes its plain TypeScript path. */
let enabled = true;

/**
 * Turns the kernels off (or back on) for the whole process: accumulators made afterwards take their
 * plain TypeScript paths (the same bits; bench/kernels.ts measures the difference end to end).
 */
export function useKernels(on: boolean): void {
  enabled = on;
}

/** Whether the kernels can take rows of this width (a multiple of 4 where WebAssembly SIMD runs). */
export function kernelsFor(dim: number): boolean {
  if (!enabled) return false;
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
