/**
 * Float64 dot products, cosines, ranks and correlations on array views: helpers take (array, offset,
 * length) so they work on views into one batch buffer without copying.
 */

/** Float64 dot product of a[ao, ao+n) and b[bo, bo+n). */
export function dot(a: ArrayLike<number>, ao: number, b: ArrayLike<number>, bo: number, n: number): number {
  let s = 0;
  for (let i = 0; i < n; ++i) s += a[ao + i] * b[bo + i];
  return s;
}

/** Cosine of two vectors given as views; null when either has zero norm (never NaN). */
export function cosine(a: ArrayLike<number>, ao: number, b: ArrayLike<number>, bo: number, n: number): number | null {
  let ab = 0, aa = 0, bb = 0;
  for (let i = 0; i < n; ++i) {
    const x = a[ao + i], y = b[bo + i];
    ab += x * y;
    aa += x * x;
    bb += y * y;
  }
  return aa > 0 && bb > 0 ? ab / Math.sqrt(aa * bb) : null;
}

/** 1-based rank of values[index] when sorted descending by `score` (ties share the better rank). */
export function rankOf(values: ArrayLike<number>, index: number, score: (x: number) => number = (x) => x): number {
  const s = score(values[index]);
  let rank = 1;
  for (let i = 0; i < values.length; ++i) if (score(values[i]) > s) rank++;
  return rank;
}

/** Pearson correlation from the five running sums; null when either variance is zero or n < 2. */
export function pearsonFromSums(n: number, sx: number, sy: number, sxx: number, syy: number, sxy: number): number | null {
  if (n < 2) return null;
  const vx = sxx - (sx * sx) / n, vy = syy - (sy * sy) / n;
  if (!(vx > 0 && vy > 0)) return null;
  return (sxy - (sx * sy) / n) / Math.sqrt(vx * vy);
}
