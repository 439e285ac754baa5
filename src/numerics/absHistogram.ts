/**
 * A log-spaced histogram of |x| for float32 values, binned by their bit pattern: the exponent and the
 * top 7 mantissa bits of |x| index the bin, so every octave has 128 bins, a bin [lo, hi) has
 * hi / lo ≤ 1 + 2^-7, and binning costs a mask and a shift (no logarithm). Counts are float64, exact
 * up to 2^53, so two histograms merge exactly by adding counts and a quantile read from a merged
 * histogram is the one a single pass gives. Memory is fixed (2^15 bins) whatever the sample size.
 */

/** Mantissa bits kept in the bin index: 2^7 = 128 bins per octave. */
export const HISTOGRAM_MANTISSA_BITS = 7;
/** Right shift of |x|'s bits to its bin. */
export const HISTOGRAM_SHIFT = 23 - HISTOGRAM_MANTISSA_BITS;
const SHIFT = HISTOGRAM_SHIFT;
/** Bins: 8 exponent bits and 7 mantissa bits of |x| (the sign dropped). */
export const HISTOGRAM_BINS = 1 << (8 + HISTOGRAM_MANTISSA_BITS);
/** Largest relative width of a bin, (hi - lo) / lo: the histogram's relative resolution. */
export const HISTOGRAM_RESOLUTION = 2 ** -HISTOGRAM_MANTISSA_BITS;
/** Bit pattern of +Infinity: |x| bits at or above it are not finite. */
export const NON_FINITE_BITS = 0x7f800000;

const f32 = new Float32Array(1), u32 = new Uint32Array(f32.buffer);

/** The bit pattern of the float32 `x`. */
export function floatBits(x: number): number {
  f32[0] = x;
  return u32[0];
}

/** The float32 with bit pattern `bits`. */
export function bitsFloat(bits: number): number {
  u32[0] = bits;
  return f32[0];
}

/**
 * The bit pattern of the largest float32 ≤ x (x ≥ 0): for a float32 v ≥ 0, v > x exactly when
 * floatBits(v) > floorBits(x), so a float64 threshold is compared on bits without rounding error.
 */
export function floorBits(x: number): number {
  if (!(x >= 0)) throw new RangeError(`floorBits: ${x} is not a number >= 0`);
  const f = Math.fround(x);
  const b = floatBits(f);
  return f > x ? b - 1 : b;
}

/** The bin of a |x| bit pattern (sign already masked off). */
export function binOfBits(absBits: number): number {
  return absBits >>> SHIFT;
}

/** The value range [lo, hi) of bin `b`. */
export function binBounds(b: number): [number, number] {
  return [bitsFloat(b << SHIFT), bitsFloat((b + 1) << SHIFT)];
}

/** A quantile read from the bins: the bin holding it and its bounds. */
export interface BinnedQuantile {
  /** The bin's midpoint, (lo + hi) / 2: within HISTOGRAM_RESOLUTION / 2 of the true value, relatively. */
  value: number;
  /** The bin's range: the true quantile is in [lo, hi). */
  lo: number;
  hi: number;
}

/**
 * The lower median of the counted values (rank floor((n - 1) / 2) from the smallest, 0-based) as its
 * bin; null when the histogram is empty.
 */
export function binnedMedian(counts: Float64Array): BinnedQuantile | null {
  let n = 0;
  for (let b = 0; b < counts.length; ++b) n += counts[b];
  if (n === 0) return null;
  const rank = Math.floor((n - 1) / 2);
  let seen = 0;
  for (let b = 0; b < counts.length; ++b) {
    seen += counts[b];
    if (seen > rank) {
      const [lo, hi] = binBounds(b);
      return { value: (lo + hi) / 2, lo, hi };
    }
  }
  throw new Error("binnedMedian: unreachable (the counts changed while read)");
}

/** The non-zero bins as parallel arrays (a compact state: a layer's values span a few dozen octaves). */
export function sparseBins(counts: Float64Array): { bins: Uint32Array; counts: Float64Array } {
  let k = 0;
  for (let b = 0; b < counts.length; ++b) if (counts[b] !== 0) k++;
  const bins = new Uint32Array(k), out = new Float64Array(k);
  for (let b = 0, j = 0; b < counts.length; ++b) {
    if (counts[b] === 0) continue;
    bins[j] = b;
    out[j++] = counts[b];
  }
  return { bins, counts: out };
}

/** Adds sparse bins into a dense histogram; throws naming `where` when a bin is out of range. */
export function addSparseBins(into: Float64Array, bins: Uint32Array, counts: Float64Array, where: string): void {
  if (bins.length !== counts.length) throw new RangeError(`${where}: ${bins.length} bins but ${counts.length} counts; the state is corrupt`);
  for (let j = 0; j < bins.length; ++j) {
    if (bins[j] >= into.length) throw new RangeError(`${where}: bin ${bins[j]} is out of range (${into.length} bins); the state is corrupt`);
    into[bins[j]] += counts[j];
  }
}
