/**
 * Small numeric helpers shared by the analyses: option normalisers, float64 dot products and
 * cosines on array views, scalar and vector running moments (Welford / Chan, exact merge), a normal
 * confidence interval, and a rank helper. Helpers take (array, offset, length) so they work on
 * views into one batch buffer without copying (STYLE.md, "A file in src/analysis").
 */

/** Returns `value` if it is one of `allowed`; otherwise throws a RangeError listing the choices. */
export function keyword<T extends string>(value: unknown, name: string, allowed: readonly T[]): T {
  if (allowed.includes(value as T)) return value as T;
  throw new RangeError(`invalid ${name}: ${JSON.stringify(value)}; expected one of ${allowed.join(", ")}`);
}

/** Checks that `value` is an integer in [min, max]; returns it. */
export function integer(value: unknown, name: string, min = -Infinity, max = Infinity): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) {
    const range = `${min > -Infinity ? ` >= ${min}` : ""}${min > -Infinity && max < Infinity ? " and" : ""}${max < Infinity ? ` <= ${max}` : ""}`;
    throw new RangeError(`invalid ${name}: ${JSON.stringify(value)}; expected an integer${range}`);
  }
  return value;
}

/** Checks that `value` is a finite number in [min, max]; returns it. */
export function number(value: unknown, name: string, min = -Infinity, max = Infinity): number {
  if (typeof value !== "number" || !Number.isFinite(value) || value < min || value > max) {
    throw new RangeError(`invalid ${name}: ${JSON.stringify(value)}; expected a number in [${min}, ${max}]`);
  }
  return value;
}

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

/** Running count, mean and sum of squared deviations of scalars (Welford; merge by Chan et al. 1979). */
export class RunningStats {
  count = 0;
  mean = 0;
  m2 = 0;

  add(x: number): this {
    const d = x - this.mean;
    this.mean += d / ++this.count;
    this.m2 += d * (x - this.mean);
    return this;
  }

  merge(other: RunningStats): this {
    if (other.count === 0) return this;
    const n = this.count + other.count, d = other.mean - this.mean;
    this.m2 += other.m2 + (d * d * this.count * other.count) / n;
    this.mean += (d * other.count) / n;
    this.count = n;
    return this;
  }

  /** Sample variance (n - 1 denominator); null below two values. */
  variance(): number | null {
    return this.count > 1 ? this.m2 / (this.count - 1) : null;
  }
}

/** Two-sided normal confidence interval of a mean: mean ± z·sd/√n; null below two values. */
export function meanInterval(stats: RunningStats, level = 0.95): { mean: number; low: number; high: number; level: number } | null {
  const v = stats.variance();
  if (v === null) return null;
  const half = normalQuantile(0.5 + level / 2) * Math.sqrt(v / stats.count);
  return { mean: stats.mean, low: stats.mean - half, high: stats.mean + half, level };
}

/**
 * Quantile of the standard normal (Acklam's rational approximation, relative error < 1.2e-9).
 * Source: P. J. Acklam, "An algorithm for computing the inverse normal cumulative distribution function".
 */
export function normalQuantile(p: number): number {
  if (!(p > 0 && p < 1)) throw new RangeError(`invalid p: ${JSON.stringify(p)}; expected a number in (0, 1)`);
  const a = [-3.969683028665376e1, 2.209460984245205e2, -2.759285104469687e2, 1.38357751867269e2, -3.066479806614716e1, 2.506628277459239];
  const b = [-5.447609879822406e1, 1.615858368580409e2, -1.556989798598866e2, 6.680131188771972e1, -1.328068155288572e1];
  const c = [-7.784894002430293e-3, -3.223964580411365e-1, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
  const d = [7.784695709041462e-3, 3.224671290700398e-1, 2.445134137142996, 3.754408661907416];
  const lo = 0.02425;
  if (p < lo) {
    const q = Math.sqrt(-2 * Math.log(p));
    return (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  }
  if (p > 1 - lo) return -normalQuantile(1 - p);
  const q = p - 0.5, r = q * q;
  return ((((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q) / (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
}

/**
 * Running per-dimension mean and covariance of vectors (float64; Welford's vector update, merged
 * exactly by Chan's formula). `scatter` is the full [dim x dim] sum of outer products of deviations.
 */
export class VectorMoments {
  count = 0;
  readonly mean: Float64Array;
  readonly scatter: Float64Array;
  readonly #delta: Float64Array;

  constructor(readonly dim: number) {
    this.mean = new Float64Array(dim);
    this.scatter = new Float64Array(dim * dim);
    this.#delta = new Float64Array(dim);
  }

  /** Adds the vector data[offset, offset + dim). */
  add(data: ArrayLike<number>, offset: number): this {
    const { dim, mean, scatter } = this, d = this.#delta;
    const n = ++this.count;
    for (let i = 0; i < dim; ++i) {
      d[i] = data[offset + i] - mean[i];
      mean[i] += d[i] / n;
    }
    // S += d (x - mean_new)^T = d d^T (n-1)/n; symmetric, so fill the upper triangle and mirror later.
    const f = (n - 1) / n;
    for (let i = 0; i < dim; ++i) {
      const di = d[i] * f;
      if (di === 0) continue;
      const row = i * dim;
      for (let j = i; j < dim; ++j) scatter[row + j] += di * d[j];
    }
    return this;
  }

  merge(other: VectorMoments): this {
    if (other.dim !== this.dim) throw new RangeError(`VectorMoments.merge: dim ${other.dim} differs from ${this.dim}; merge moments of one layer only`);
    if (other.count === 0) return this;
    const { dim, mean, scatter } = this;
    const n1 = this.count, n2 = other.count, n = n1 + n2, d = this.#delta;
    for (let i = 0; i < dim; ++i) d[i] = other.mean[i] - mean[i];
    for (let i = 0; i < dim; ++i) {
      for (let j = i; j < dim; ++j) scatter[i * dim + j] += other.scatter[i * dim + j] + (d[i] * d[j] * n1 * n2) / n;
    }
    for (let i = 0; i < dim; ++i) mean[i] += (d[i] * n2) / n;
    this.count = n;
    return this;
  }

  /** Covariance [dim x dim] with denominator n (population), full symmetric; null when empty. */
  covariance(): Float64Array | null {
    if (this.count === 0) return null;
    const { dim, scatter, count } = this;
    const c = new Float64Array(dim * dim);
    for (let i = 0; i < dim; ++i) {
      for (let j = i; j < dim; ++j) c[i * dim + j] = c[j * dim + i] = scatter[i * dim + j] / count;
    }
    return c;
  }
}

/** 1-based rank of values[index] when sorted descending by `score` (ties share the better rank). */
export function rankOf(values: ArrayLike<number>, index: number, score: (x: number) => number = (x) => x): number {
  const s = score(values[index]);
  let rank = 1;
  for (let i = 0; i < values.length; ++i) if (score(values[i]) > s) rank++;
  return rank;
}

/** Pearson correlation from the five running sums; null when either variance is zero or n < 2. */
export function pearson(n: number, sx: number, sy: number, sxx: number, syy: number, sxy: number): number | null {
  if (n < 2) return null;
  const vx = sxx - (sx * sx) / n, vy = syy - (sy * sy) / n;
  if (!(vx > 0 && vy > 0)) return null;
  return (sxy - (sx * sy) / n) / Math.sqrt(vx * vy);
}

/** Rounds a float to 6 significant decimals for JSON; keeps results compact and byte-stable. */
export function round6(x: number): number {
  return Number.isFinite(x) ? Number(x.toPrecision(7)) : x;
}

/** Maps a typed array to plain rounded numbers for JSON. */
export function toJsonArray(a: ArrayLike<number>, round = true): number[] {
  return Array.from(a, (x) => (round ? round6(x) : x));
}
