/**
 * Pearson and Spearman correlation of two equal-length samples, in float64.
 * Spearman's rho is the Pearson correlation of the average ranks, so ties are handled as SciPy's
 * `spearmanr` and SentEval do (ties share the mean of the ranks they span).
 */

/** Pearson's r of x and y; null when n < 2 or either sample is constant (never NaN). */
export function pearson(x: ArrayLike<number>, y: ArrayLike<number>): number | null {
  checkLengths(x, y);
  const n = x.length;
  if (n < 2) return null;
  let mx = 0, my = 0;
  for (let i = 0; i < n; ++i) {
    mx += x[i];
    my += y[i];
  }
  mx /= n;
  my /= n;
  // Two passes: centring first keeps the sums of squares accurate when the means are large.
  let sxy = 0, sxx = 0, syy = 0;
  for (let i = 0; i < n; ++i) {
    const dx = x[i] - mx, dy = y[i] - my;
    sxy += dx * dy;
    sxx += dx * dx;
    syy += dy * dy;
  }
  if (sxx === 0 || syy === 0) return null;
  const r = sxy / Math.sqrt(sxx * syy);
  return Math.max(-1, Math.min(1, r));
}

/** Spearman's rho of x and y with tie-aware average ranks; null when n < 2 or either sample is constant. */
export function spearman(x: ArrayLike<number>, y: ArrayLike<number>): number | null {
  checkLengths(x, y);
  return pearson(averageRanks(x), averageRanks(y));
}

/**
 * 1-based ranks of `values`, where tied values share the mean of the ranks they span
 * ([10, 20, 20, 30] -> [1, 2.5, 2.5, 4]). NaN is rejected: it has no rank.
 */
export function averageRanks(values: ArrayLike<number>): Float64Array {
  const n = values.length;
  const order = Array.from({ length: n }, (_, i) => i);
  for (let i = 0; i < n; ++i) {
    if (Number.isNaN(values[i])) throw new RangeError(`invalid value at index ${i}: NaN; ranks need numbers`);
  }
  order.sort((a, b) => values[a] - values[b] || a - b);
  const ranks = new Float64Array(n);
  for (let i = 0; i < n; ) {
    let j = i + 1;
    while (j < n && values[order[j]] === values[order[i]]) ++j;
    // Positions i..j-1 (0-based) hold ranks i+1..j; their mean is (i + 1 + j) / 2.
    const rank = (i + 1 + j) / 2;
    for (let k = i; k < j; ++k) ranks[order[k]] = rank;
    i = j;
  }
  return ranks;
}

function checkLengths(x: ArrayLike<number>, y: ArrayLike<number>): void {
  if (x.length !== y.length) {
    throw new RangeError(`invalid samples: lengths ${x.length} and ${y.length} differ; pass one value per pair in each`);
  }
}
