/** A minimal WebAssembly binary writer and the instructions the kernels use (bodies.ts). */

// ---- a minimal WebAssembly binary writer -----------------------------------------------------

export const uleb = (n: number): number[] => {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n !== 0) b |= 0x80;
    out.push(b);
  } while (n !== 0);
  return out;
};
export const sleb = (n: number): number[] => {
  const out: number[] = [];
  for (;;) {
    const b = n & 0x7f;
    n >>= 7;
    if ((n === 0 && (b & 0x40) === 0) || (n === -1 && (b & 0x40) !== 0)) return [...out, b];
    out.push(b | 0x80);
  }
};
export const vec = (items: number[][]): number[] => [...uleb(items.length), ...items.flat()];
export const str = (s: string): number[] => vec([...new TextEncoder().encode(s)].map((b) => [b]));
export const section = (id: number, body: number[]): number[] => [id, ...uleb(body.length), ...body];

export const I32 = 0x7f, F32 = 0x7d, F64 = 0x7c, V128 = 0x7b;
// instructions (memarg: alignment hint 0, offset)
export const get = (l: number) => [0x20, ...uleb(l)], set = (l: number) => [0x21, ...uleb(l)], tee = (l: number) => [0x22, ...uleb(l)];
export const i32c = (n: number) => [0x41, ...sleb(n)];
export const i32load = (off = 0) => [0x28, 0, ...uleb(off)], i32store = (off = 0) => [0x36, 0, ...uleb(off)], f32load = (off = 0) => [0x2a, 0, ...uleb(off)];
export const simd = (op: number, ...imm: number[]) => [0xfd, ...uleb(op), ...imm];
export const v128load = (off = 0) => simd(0x00, 0, ...uleb(off)), v128store = (off = 0) => simd(0x0b, 0, ...uleb(off));
export const op = {
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
