/**
 * A small seeded pseudo-random generator (mulberry32) with integer, normal and shuffle helpers.
 * Every random choice in the project goes through it, so the same seed gives the same numbers on
 * every platform (DESIGN.md §2). Not cryptographic.
 */
export interface Random {
  /** The seed the generator was created with (an unsigned 32-bit integer). */
  readonly seed: number;
  /** A uniform float in [0, 1) with 32 random bits. */
  next(): number;
  /** A uniform integer in [0, n); n must be a positive integer <= 2^32. */
  int(n: number): number;
  /** A standard normal variate (Box-Muller; the second value of each pair is cached). */
  normal(): number;
  /** Shuffles `array` in place (Fisher-Yates) and returns it. */
  shuffle<T extends { length: number; [i: number]: any }>(array: T): T;
}

/** Creates a mulberry32 generator; `seed` must be an integer in [0, 2^32) (negative integers wrap). */
export function createRandom(seed: number): Random {
  if (!Number.isInteger(seed) || seed < -0x80000000 || seed > 0xffffffff) {
    throw new RangeError(`invalid seed: ${JSON.stringify(seed)}; expected an integer in [0, 4294967295]`);
  }
  let state = seed >>> 0;
  let spare: number | null = null;
  const nextUint32 = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
  const next = (): number => nextUint32() / 4294967296;
  return {
    seed: seed >>> 0,
    next,
    int(n: number): number {
      if (!Number.isInteger(n) || n < 1 || n > 4294967296) {
        throw new RangeError(`invalid n: ${JSON.stringify(n)}; expected an integer in [1, 4294967296]`);
      }
      return Math.floor(next() * n);
    },
    normal(): number {
      if (spare !== null) {
        const s = spare;
        spare = null;
        return s;
      }
      // 1 - next() lies in (0, 1], so the logarithm is finite.
      const r = Math.sqrt(-2 * Math.log(1 - next()));
      const theta = 2 * Math.PI * next();
      spare = r * Math.sin(theta);
      return r * Math.cos(theta);
    },
    shuffle<T extends { length: number; [i: number]: any }>(array: T): T {
      for (let i = array.length - 1; i > 0; --i) {
        const j = Math.floor(next() * (i + 1));
        const t = array[i];
        array[i] = array[j];
        array[j] = t;
      }
      return array;
    },
  };
}

/**
 * A stateless seeded hash of two integers to a float in [0, 1) with 52 bits (two rounds of a
 * splitmix-style 32-bit mixer). Used for order-independent sampling: a token's key depends only on
 * (seed, a, b), never on the order in which batches arrive, so shards merge exactly.
 */
export function hashUniform(seed: number, a: number, b = 0): number {
  const h1 = mix32((seed >>> 0) ^ mix32((a >>> 0) ^ mix32(b >>> 0)));
  const h2 = mix32(h1 ^ 0x9e3779b9 ^ (b >>> 0));
  return (h1 * 1048576 + (h2 >>> 12)) / 4503599627370496;
}

function mix32(x: number): number {
  x = (x + 0x9e3779b9) >>> 0;
  x = Math.imul(x ^ (x >>> 16), 0x85ebca6b);
  x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35);
  return (x ^ (x >>> 16)) >>> 0;
}
