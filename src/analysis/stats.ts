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

/** Rows per chunk in VectorMoments.addRows. */
const CHUNK = 64;

/**
 * Running per-dimension mean and covariance of vectors (float64; Welford's vector update, merged
 * exactly by Chan's formula). `scatter` is the full [dim x dim] sum of outer products of deviations.
 */
export class VectorMoments {
  count = 0;
  readonly mean: Float64Array;
  readonly scatter: Float64Array;
  readonly #delta: Float64Array;
  /** Scratch for addRows: one chunk of centred rows, allocated on first use. */
  #chunk: Float64Array | null = null;

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

  /**
   * Adds the rows `rows[0..count)` of the row-major [* x dim] array `data`, the same as calling add()
   * on each, to within float rounding. Rows go in chunks of up to 64: each chunk's mean and centred
   * scatter are merged by Chan's formula, and each 2 x 2 tile of the scatter gets contiguous dot products over
   * the chunk instead of one read-modify-write per row (the update is O(dim²) per row either way).
   */
  addRows(data: ArrayLike<number>, rows: ArrayLike<number>, count = rows.length): this {
    integer(count, "count", 0, rows.length);
    const { dim, mean, scatter } = this, d = this.#delta;
    const buf = (this.#chunk ??= new Float64Array(CHUNK * dim));
    for (let start = 0; start < count; start += CHUNK) {
      const m = Math.min(CHUNK, count - start);
      // chunk mean, then the rows centred on it
      d.fill(0);
      for (let k = 0; k < m; ++k) {
        const o = rows[start + k] * dim;
        for (let i = 0; i < dim; ++i) d[i] += data[o + i];
      }
      for (let i = 0; i < dim; ++i) d[i] /= m;
      // centred rows stored transposed (buf[i*m + k] = component i of row k), so each entry of the
      // chunk's scatter is one contiguous dot product of length m
      for (let k = 0; k < m; ++k) {
        const o = rows[start + k] * dim;
        for (let i = 0; i < dim; ++i) buf[i * m + k] = data[o + i] - d[i];
      }
      // Chan: S += S_chunk + (mean_chunk - mean)(mean_chunk - mean)^T n1 m / n; upper triangle only
      const n1 = this.count, n = n1 + m, w = (n1 * m) / n;
      for (let i = 0; i < dim; ++i) d[i] -= mean[i];
      // 2 x 2 tiles of the upper triangle: four entries per pass over four centred columns
      let i = 0;
      for (; i + 1 < dim; i += 2) {
        const r0 = i * dim, r1 = r0 + dim, b0 = i * m, b1 = b0 + m, d0 = d[i] * w, d1 = d[i + 1] * w;
        let j = i;
        for (; j + 1 < dim; j += 2) {
          const c0 = j * m, c1 = c0 + m;
          let s00 = 0, s01 = 0, s10 = 0, s11 = 0;
          for (let k = 0; k < m; ++k) {
            const u0 = buf[b0 + k], u1 = buf[b1 + k], v0 = buf[c0 + k], v1 = buf[c1 + k];
            s00 += u0 * v0;
            s01 += u0 * v1;
            s10 += u1 * v0;
            s11 += u1 * v1;
          }
          scatter[r0 + j] += d0 * d[j] + s00;
          scatter[r0 + j + 1] += d0 * d[j + 1] + s01;
          if (j > i) scatter[r1 + j] += d1 * d[j] + s10; // (i+1, i) is below the diagonal
          scatter[r1 + j + 1] += d1 * d[j + 1] + s11;
        }
        if (j < dim) {
          const c0 = j * m;
          let s0 = 0, s1 = 0;
          for (let k = 0; k < m; ++k) {
            s0 += buf[b0 + k] * buf[c0 + k];
            s1 += buf[b1 + k] * buf[c0 + k];
          }
          scatter[r0 + j] += d0 * d[j] + s0;
          scatter[r1 + j] += d1 * d[j] + s1;
        }
      }
      if (i < dim) {
        // odd dim: the last diagonal entry
        const b0 = i * m;
        let s0 = 0;
        for (let k = 0; k < m; ++k) s0 += buf[b0 + k] * buf[b0 + k];
        scatter[i * dim + i] += d[i] * w * d[i] + s0;
      }
      for (let i = 0; i < dim; ++i) mean[i] += (d[i] * m) / n;
      this.count = n;
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
export function pearsonFromSums(n: number, sx: number, sy: number, sxx: number, syy: number, sxy: number): number | null {
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

/**
 * Math.hypot(x, y) as V8 computes it (the larger magnitude times the square root of the sum of the squared
 * ratios), bit for bit, without the builtin call; non-finite arguments go to Math.hypot itself.
 */
function eigenHypot(x: number, y: number): number {
  const a = Math.abs(x), b = Math.abs(y);
  const max = a > b ? a : b;
  if (!(max < Infinity) || max !== max || y !== y || x !== x) return Math.hypot(x, y);
  if (max === 0) return 0;
  const p = a / max, q = b / max;
  return Math.sqrt(p * p + q * q) * max;
}

/**
 * JAMA's tred2 on W = V transposed (see symmetricEigen): leaves the diagonal in d, the off-diagonal in
 * e and the accumulated transformation, transposed, in W.
 */
function eigenTridiagonalize(W: Float64Array, n: number, d: Float64Array, e: Float64Array): void {
  for (let j = 0; j < n; ++j) d[j] = W[j * n + n - 1];
  for (let i = n - 1; i > 0; --i) {
    let scale = 0, h = 0;
    for (let k = 0; k < i; ++k) scale += Math.abs(d[k]);
    if (scale === 0) {
      e[i] = d[i - 1];
      for (let j = 0; j < i; ++j) {
        d[j] = W[j * n + i - 1];
        W[j * n + i] = 0;
        W[i * n + j] = 0;
      }
    } else {
      for (let k = 0; k < i; ++k) {
        d[k] /= scale;
        h += d[k] * d[k];
      }
      let f = d[i - 1], g = Math.sqrt(h);
      if (f > 0) g = -g;
      e[i] = scale * g;
      h -= f * g;
      d[i - 1] = f - g;
      for (let j = 0; j < i; ++j) e[j] = 0;
      const rowI = i * n;
      let j = 0;
      // Four rows at a time: the same operations in the same order per element as one row at a time.
      for (; j + 4 <= i; j += 4) {
        const f0 = d[j], f1 = d[j + 1], f2 = d[j + 2], f3 = d[j + 3];
        W[rowI + j] = f0; W[rowI + j + 1] = f1; W[rowI + j + 2] = f2; W[rowI + j + 3] = f3;
        const r0 = j * n, r1 = r0 + n, r2 = r1 + n, r3 = r2 + n;
        let w;
        let g0 = e[j] + W[r0 + j] * f0;
        w = W[r0 + j + 1]; g0 += w * d[j + 1]; e[j + 1] += w * f0;
        w = W[r0 + j + 2]; g0 += w * d[j + 2]; e[j + 2] += w * f0;
        w = W[r0 + j + 3]; g0 += w * d[j + 3]; e[j + 3] += w * f0;
        let g1 = e[j + 1] + W[r1 + j + 1] * f1;
        w = W[r1 + j + 2]; g1 += w * d[j + 2]; e[j + 2] += w * f1;
        w = W[r1 + j + 3]; g1 += w * d[j + 3]; e[j + 3] += w * f1;
        let g2 = e[j + 2] + W[r2 + j + 2] * f2;
        w = W[r2 + j + 3]; g2 += w * d[j + 3]; e[j + 3] += w * f2;
        let g3 = e[j + 3] + W[r3 + j + 3] * f3;
        for (let k = j + 4; k < i; ++k) {
          const w0 = W[r0 + k], w1 = W[r1 + k], w2 = W[r2 + k], w3 = W[r3 + k], dk = d[k];
          g0 += w0 * dk; g1 += w1 * dk; g2 += w2 * dk; g3 += w3 * dk;
          e[k] = e[k] + w0 * f0 + w1 * f1 + w2 * f2 + w3 * f3;
        }
        e[j] = g0; e[j + 1] = g1; e[j + 2] = g2; e[j + 3] = g3;
      }
      for (; j < i; ++j) {
        f = d[j];
        W[rowI + j] = f;
        const row = j * n;
        g = e[j] + W[row + j] * f;
        for (let k = j + 1; k < i; ++k) {
          const w = W[row + k];
          g += w * d[k];
          e[k] += w * f;
        }
        e[j] = g;
      }
      f = 0;
      for (let j = 0; j < i; ++j) {
        e[j] /= h;
        f += e[j] * d[j];
      }
      const hh = f / (h + h);
      for (let j = 0; j < i; ++j) e[j] -= hh * d[j];
      j = 0;
      for (; j + 4 <= i; j += 4) {
        const f0 = d[j], f1 = d[j + 1], f2 = d[j + 2], f3 = d[j + 3];
        const g0 = e[j], g1 = e[j + 1], g2 = e[j + 2], g3 = e[j + 3];
        const r0 = j * n, r1 = r0 + n, r2 = r1 + n, r3 = r2 + n;
        W[r0 + j] -= f0 * e[j] + g0 * d[j];
        W[r0 + j + 1] -= f0 * e[j + 1] + g0 * d[j + 1];
        W[r0 + j + 2] -= f0 * e[j + 2] + g0 * d[j + 2];
        W[r1 + j + 1] -= f1 * e[j + 1] + g1 * d[j + 1];
        W[r1 + j + 2] -= f1 * e[j + 2] + g1 * d[j + 2];
        W[r2 + j + 2] -= f2 * e[j + 2] + g2 * d[j + 2];
        for (let k = j + 3; k < i; ++k) {
          const ek = e[k], dk = d[k];
          W[r0 + k] -= f0 * ek + g0 * dk;
          W[r1 + k] -= f1 * ek + g1 * dk;
          W[r2 + k] -= f2 * ek + g2 * dk;
          W[r3 + k] -= f3 * ek + g3 * dk;
        }
        d[j] = W[r0 + i - 1]; d[j + 1] = W[r1 + i - 1]; d[j + 2] = W[r2 + i - 1]; d[j + 3] = W[r3 + i - 1];
        W[r0 + i] = 0; W[r1 + i] = 0; W[r2 + i] = 0; W[r3 + i] = 0;
      }
      for (; j < i; ++j) {
        f = d[j];
        g = e[j];
        const row = j * n;
        for (let k = j; k < i; ++k) W[row + k] -= f * e[k] + g * d[k];
        d[j] = W[row + i - 1];
        W[row + i] = 0;
      }
    }
    d[i] = h;
  }
  // Accumulate the transformations. Step i subtracts g[j] * u from rows j <= i (columns <= i), where
  // g[j] = <row i+1, row j>; the dot products of step i+1 for rows j <= i are summed while step i
  // updates those rows (same terms, same order), so each row is read once per step.
  const u = new Float64Array(n), g = new Float64Array(n), gNext = new Float64Array(n);
  let have = false; // g[0..i-1] already hold this step's dot products
  for (let i = 0; i < n - 1; ++i) {
    W[i * n + n - 1] = W[i * n + i];
    W[i * n + i] = 1;
    const h = d[i + 1], next = (i + 1) * n;
    if (h !== 0) {
      for (let k = 0; k <= i; ++k) u[k] = W[next + k] / h;
      if (!have) eigenDots(W, n, next, 0, i, g);
      else eigenDots(W, n, next, i, i, g);
      // Fuse with step i+1 when it will update (its h is d[i+2]; the last step is i = n-2).
      if (i + 1 < n - 1 && d[i + 2] !== 0) {
        eigenUpdateAndDot(W, n, i, u, g, (i + 2) * n, gNext);
        g.set(gNext.subarray(0, i + 1));
        have = true;
      } else {
        eigenUpdate(W, n, i, u, g);
        have = false;
      }
    } else have = false;
    for (let k = 0; k <= i; ++k) W[next + k] = 0;
  }
  for (let j = 0; j < n; ++j) {
    d[j] = W[j * n + n - 1];
    W[j * n + n - 1] = 0;
  }
  if (n > 0) W[n * n - 1] = 1;
}

/** g[j] = sum over k <= j1 of W[next+k] * W[j*n+k], in k order, for rows j = j0 .. j1 (j1 is the step i). */
function eigenDots(W: Float64Array, n: number, next: number, j0: number, j1: number, g: Float64Array): void {
  let j = j0;
  for (; j + 4 <= j1 + 1; j += 4) {
    const r0 = j * n, r1 = r0 + n, r2 = r1 + n, r3 = r2 + n;
    let g0 = 0, g1 = 0, g2 = 0, g3 = 0;
    for (let k = 0; k <= j1; ++k) {
      const x = W[next + k];
      g0 += x * W[r0 + k]; g1 += x * W[r1 + k]; g2 += x * W[r2 + k]; g3 += x * W[r3 + k];
    }
    g[j] = g0; g[j + 1] = g1; g[j + 2] = g2; g[j + 3] = g3;
  }
  for (; j <= j1; ++j) {
    const row = j * n;
    let s = 0;
    for (let k = 0; k <= j1; ++k) s += W[next + k] * W[row + k];
    g[j] = s;
  }
}

/** W[j*n+k] -= g[j] * u[k] for j, k <= i. */
function eigenUpdate(W: Float64Array, n: number, i: number, u: Float64Array, g: Float64Array): void {
  let j = 0;
  for (; j + 4 <= i + 1; j += 4) {
    const r0 = j * n, r1 = r0 + n, r2 = r1 + n, r3 = r2 + n;
    const g0 = g[j], g1 = g[j + 1], g2 = g[j + 2], g3 = g[j + 3];
    for (let k = 0; k <= i; ++k) {
      const uk = u[k];
      W[r0 + k] -= g0 * uk; W[r1 + k] -= g1 * uk; W[r2 + k] -= g2 * uk; W[r3 + k] -= g3 * uk;
    }
  }
  for (; j <= i; ++j) {
    const row = j * n, gj = g[j];
    for (let k = 0; k <= i; ++k) W[row + k] -= gj * u[k];
  }
}

/** eigenUpdate(), and gNext[j] = sum over k <= i+1 of W[next+k] * (updated) W[j*n+k], for j <= i. */
function eigenUpdateAndDot(W: Float64Array, n: number, i: number, u: Float64Array, g: Float64Array, next: number, gNext: Float64Array): void {
  let j = 0;
  for (; j + 4 <= i + 1; j += 4) {
    const r0 = j * n, r1 = r0 + n, r2 = r1 + n, r3 = r2 + n;
    const g0 = g[j], g1 = g[j + 1], g2 = g[j + 2], g3 = g[j + 3];
    let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    for (let k = 0; k <= i; ++k) {
      const uk = u[k], x = W[next + k];
      const w0 = W[r0 + k] - g0 * uk, w1 = W[r1 + k] - g1 * uk, w2 = W[r2 + k] - g2 * uk, w3 = W[r3 + k] - g3 * uk;
      W[r0 + k] = w0; W[r1 + k] = w1; W[r2 + k] = w2; W[r3 + k] = w3;
      s0 += x * w0; s1 += x * w1; s2 += x * w2; s3 += x * w3;
    }
    const x = W[next + i + 1];
    gNext[j] = s0 + x * W[r0 + i + 1]; gNext[j + 1] = s1 + x * W[r1 + i + 1];
    gNext[j + 2] = s2 + x * W[r2 + i + 1]; gNext[j + 3] = s3 + x * W[r3 + i + 1];
  }
  for (; j <= i; ++j) {
    const row = j * n, gj = g[j];
    let s = 0;
    for (let k = 0; k <= i; ++k) {
      const w = W[row + k] - gj * u[k];
      W[row + k] = w;
      s += W[next + k] * w;
    }
    gNext[j] = s + W[next + i + 1] * W[row + i + 1];
  }
}

/** One sweep (m, l) on the block of 8 interleaved rows at o (see eigenApplySweeps). */
function eigenSweep8(V: Float64Array, o: number, m: number, l: number, cs: Float64Array, p: number): void {
  let b = (o + 8 * m) | 0;
  const stop = (o + 8 * l) | 0;
  let h0 = V[b], h1 = V[(b + 1) | 0], h2 = V[(b + 2) | 0], h3 = V[(b + 3) | 0], h4 = V[(b + 4) | 0], h5 = V[(b + 5) | 0], h6 = V[(b + 6) | 0], h7 = V[(b + 7) | 0], v = 0;
  while (b > stop) {
    b = (b - 8) | 0;
    const c = cs[p], s = cs[(p + 1) | 0];
    p = (p + 2) | 0;
    v = V[b]; V[(b + 8) | 0] = s * v + c * h0; h0 = c * v - s * h0;
    v = V[(b + 1) | 0]; V[(b + 1 + 8) | 0] = s * v + c * h1; h1 = c * v - s * h1;
    v = V[(b + 2) | 0]; V[(b + 2 + 8) | 0] = s * v + c * h2; h2 = c * v - s * h2;
    v = V[(b + 3) | 0]; V[(b + 3 + 8) | 0] = s * v + c * h3; h3 = c * v - s * h3;
    v = V[(b + 4) | 0]; V[(b + 4 + 8) | 0] = s * v + c * h4; h4 = c * v - s * h4;
    v = V[(b + 5) | 0]; V[(b + 5 + 8) | 0] = s * v + c * h5; h5 = c * v - s * h5;
    v = V[(b + 6) | 0]; V[(b + 6 + 8) | 0] = s * v + c * h6; h6 = c * v - s * h6;
    v = V[(b + 7) | 0]; V[(b + 7 + 8) | 0] = s * v + c * h7; h7 = c * v - s * h7;
  }
  V[b] = h0;
  V[(b + 1) | 0] = h1;
  V[(b + 2) | 0] = h2;
  V[(b + 3) | 0] = h3;
  V[(b + 4) | 0] = h4;
  V[(b + 5) | 0] = h5;
  V[(b + 6) | 0] = h6;
  V[(b + 7) | 0] = h7;
}
/**
 * Two consecutive sweeps A = (m, lA) and B = (m, lB) in one pass on the block of 8 interleaved rows at o:
 * B's rotation i+1 follows A's rotation i, when A has finished with elements i+1 and up; every element
 * sees A's rotations, then B's, in JAMA's order.
 */
function eigenSweepPair8(V: Float64Array, o: number, m: number, lA: number, lB: number, cs: Float64Array, pA: number, pB: number): void {
  let b = (o + 8 * m) | 0;
  let a0 = V[b], a1 = V[(b + 1) | 0], a2 = V[(b + 2) | 0], a3 = V[(b + 3) | 0], a4 = V[(b + 4) | 0], a5 = V[(b + 5) | 0], a6 = V[(b + 6) | 0], a7 = V[(b + 7) | 0], v = 0, w = 0;
  b = (b - 8) | 0;
  let c = cs[pA], s = cs[(pA + 1) | 0];
  pA = (pA + 2) | 0;
  // A's rotation m-1; B's carry starts as element m after A
  v = V[b]; let e0 = s * v + c * a0; a0 = c * v - s * a0;
  v = V[(b + 1) | 0]; let e1 = s * v + c * a1; a1 = c * v - s * a1;
  v = V[(b + 2) | 0]; let e2 = s * v + c * a2; a2 = c * v - s * a2;
  v = V[(b + 3) | 0]; let e3 = s * v + c * a3; a3 = c * v - s * a3;
  v = V[(b + 4) | 0]; let e4 = s * v + c * a4; a4 = c * v - s * a4;
  v = V[(b + 5) | 0]; let e5 = s * v + c * a5; a5 = c * v - s * a5;
  v = V[(b + 6) | 0]; let e6 = s * v + c * a6; a6 = c * v - s * a6;
  v = V[(b + 7) | 0]; let e7 = s * v + c * a7; a7 = c * v - s * a7;
  const lo = lA > lB - 1 ? lA : lB - 1;
  const stop = (o + 8 * lo) | 0;
  while (b > stop) {
    b = (b - 8) | 0;
    const cA = cs[pA], sA = cs[(pA + 1) | 0], cB = cs[pB], sB = cs[(pB + 1) | 0];
    pA = (pA + 2) | 0;
    pB = (pB + 2) | 0;
    v = V[b]; w = sA * v + cA * a0; a0 = cA * v - sA * a0; V[(b + 16) | 0] = sB * w + cB * e0; e0 = cB * w - sB * e0;
    v = V[(b + 1) | 0]; w = sA * v + cA * a1; a1 = cA * v - sA * a1; V[(b + 1 + 16) | 0] = sB * w + cB * e1; e1 = cB * w - sB * e1;
    v = V[(b + 2) | 0]; w = sA * v + cA * a2; a2 = cA * v - sA * a2; V[(b + 2 + 16) | 0] = sB * w + cB * e2; e2 = cB * w - sB * e2;
    v = V[(b + 3) | 0]; w = sA * v + cA * a3; a3 = cA * v - sA * a3; V[(b + 3 + 16) | 0] = sB * w + cB * e3; e3 = cB * w - sB * e3;
    v = V[(b + 4) | 0]; w = sA * v + cA * a4; a4 = cA * v - sA * a4; V[(b + 4 + 16) | 0] = sB * w + cB * e4; e4 = cB * w - sB * e4;
    v = V[(b + 5) | 0]; w = sA * v + cA * a5; a5 = cA * v - sA * a5; V[(b + 5 + 16) | 0] = sB * w + cB * e5; e5 = cB * w - sB * e5;
    v = V[(b + 6) | 0]; w = sA * v + cA * a6; a6 = cA * v - sA * a6; V[(b + 6 + 16) | 0] = sB * w + cB * e6; e6 = cB * w - sB * e6;
    v = V[(b + 7) | 0]; w = sA * v + cA * a7; a7 = cA * v - sA * a7; V[(b + 7 + 16) | 0] = sB * w + cB * e7; e7 = cB * w - sB * e7;
  }
  if (lB <= lA) {
    // A is done; B's rotation lA takes A's last carry, then B goes on alone
    c = cs[pB]; s = cs[(pB + 1) | 0];
    pB = (pB + 2) | 0;
    V[(b + 8) | 0] = s * a0 + c * e0; e0 = c * a0 - s * e0;
    V[(b + 1 + 8) | 0] = s * a1 + c * e1; e1 = c * a1 - s * e1;
    V[(b + 2 + 8) | 0] = s * a2 + c * e2; e2 = c * a2 - s * e2;
    V[(b + 3 + 8) | 0] = s * a3 + c * e3; e3 = c * a3 - s * e3;
    V[(b + 4 + 8) | 0] = s * a4 + c * e4; e4 = c * a4 - s * e4;
    V[(b + 5 + 8) | 0] = s * a5 + c * e5; e5 = c * a5 - s * e5;
    V[(b + 6 + 8) | 0] = s * a6 + c * e6; e6 = c * a6 - s * e6;
    V[(b + 7 + 8) | 0] = s * a7 + c * e7; e7 = c * a7 - s * e7;
    const stopB = (o + 8 * lB) | 0;
    while (b > stopB) {
      b = (b - 8) | 0;
      c = cs[pB]; s = cs[(pB + 1) | 0];
      pB = (pB + 2) | 0;
      v = V[b]; V[(b + 8) | 0] = s * v + c * e0; e0 = c * v - s * e0;
      v = V[(b + 1) | 0]; V[(b + 1 + 8) | 0] = s * v + c * e1; e1 = c * v - s * e1;
      v = V[(b + 2) | 0]; V[(b + 2 + 8) | 0] = s * v + c * e2; e2 = c * v - s * e2;
      v = V[(b + 3) | 0]; V[(b + 3 + 8) | 0] = s * v + c * e3; e3 = c * v - s * e3;
      v = V[(b + 4) | 0]; V[(b + 4 + 8) | 0] = s * v + c * e4; e4 = c * v - s * e4;
      v = V[(b + 5) | 0]; V[(b + 5 + 8) | 0] = s * v + c * e5; e5 = c * v - s * e5;
      v = V[(b + 6) | 0]; V[(b + 6 + 8) | 0] = s * v + c * e6; e6 = c * v - s * e6;
      v = V[(b + 7) | 0]; V[(b + 7 + 8) | 0] = s * v + c * e7; e7 = c * v - s * e7;
    }
    V[b] = e0;
    V[(b + 1) | 0] = e1;
    V[(b + 2) | 0] = e2;
    V[(b + 3) | 0] = e3;
    V[(b + 4) | 0] = e4;
    V[(b + 5) | 0] = e5;
    V[(b + 6) | 0] = e6;
    V[(b + 7) | 0] = e7;
  } else {
    // B is done; A goes on alone
    V[(b + 8) | 0] = e0;
    V[(b + 1 + 8) | 0] = e1;
    V[(b + 2 + 8) | 0] = e2;
    V[(b + 3 + 8) | 0] = e3;
    V[(b + 4 + 8) | 0] = e4;
    V[(b + 5 + 8) | 0] = e5;
    V[(b + 6 + 8) | 0] = e6;
    V[(b + 7 + 8) | 0] = e7;
    const stopA = (o + 8 * lA) | 0;
    while (b > stopA) {
      b = (b - 8) | 0;
      c = cs[pA]; s = cs[(pA + 1) | 0];
      pA = (pA + 2) | 0;
      v = V[b]; V[(b + 8) | 0] = s * v + c * a0; a0 = c * v - s * a0;
      v = V[(b + 1) | 0]; V[(b + 1 + 8) | 0] = s * v + c * a1; a1 = c * v - s * a1;
      v = V[(b + 2) | 0]; V[(b + 2 + 8) | 0] = s * v + c * a2; a2 = c * v - s * a2;
      v = V[(b + 3) | 0]; V[(b + 3 + 8) | 0] = s * v + c * a3; a3 = c * v - s * a3;
      v = V[(b + 4) | 0]; V[(b + 4 + 8) | 0] = s * v + c * a4; a4 = c * v - s * a4;
      v = V[(b + 5) | 0]; V[(b + 5 + 8) | 0] = s * v + c * a5; a5 = c * v - s * a5;
      v = V[(b + 6) | 0]; V[(b + 6 + 8) | 0] = s * v + c * a6; a6 = c * v - s * a6;
      v = V[(b + 7) | 0]; V[(b + 7 + 8) | 0] = s * v + c * a7; a7 = c * v - s * a7;
    }
    V[b] = a0;
    V[(b + 1) | 0] = a1;
    V[(b + 2) | 0] = a2;
    V[(b + 3) | 0] = a3;
    V[(b + 4) | 0] = a4;
    V[(b + 5) | 0] = a5;
    V[(b + 6) | 0] = a6;
    V[(b + 7) | 0] = a7;
  }
}

/**
 * Applies the recorded QL sweeps to V. V is stored in blocks of 8 rows interleaved: V[k][i] is at
 * (k >> 3) * 8 * width + i * 8 + (k & 7), width = n + 1 (see symmetricEigen). A sweep (m, l) is JAMA's
 * loop i = m-1 .. l rotating V's columns i and i+1; along one row that is a recurrence whose carried
 * value is V[k][i+1], so each element is loaded and stored once per sweep, with JAMA's arithmetic.
 * A block's eight rows go together (independent chains), and consecutive sweeps with the same m (almost
 * all of them: the QL iterations for one eigenvalue, and the next eigenvalue's first one) in pairs.
 */
function eigenApplySweeps(V: Float64Array, width: number, sweeps: Int32Array, nSweeps: number, cs: Float64Array): void {
  const len = V.length, stride = 8 * width;
  for (let o = 0; o < len; o += stride) {
    let p = 0, t = 0;
    while (t < nSweeps) {
      const m = sweeps[2 * t], lA = sweeps[2 * t + 1];
      if (t + 1 < nSweeps && sweeps[2 * t + 2] === m) {
        const lB = sweeps[2 * t + 3], pB = p + 2 * (m - lA);
        eigenSweepPair8(V, o, m, lA, lB, cs, p, pB);
        p = pB + 2 * (m - lB);
        t += 2;
      } else {
        eigenSweep8(V, o, m, lA, cs, p);
        p += 2 * (m - lA);
        t += 1;
      }
    }
  }
}

/** Rotations recorded before they are applied to V (16 bytes each). */
const EIGEN_SWEEP_CHUNK = 8192;

/**
 * Eigen-decomposition of a symmetric [n x n] matrix in float64: Householder tridiagonalisation then the
 * implicit QL algorithm, i.e. EISPACK's tred2/tql2 as translated in JAMA (public domain;
 * https://math.nist.gov/javanumerics/jama/, EigenvalueDecomposition.java). Returns eigenvalues sorted
 * descending and the eigenvectors as ROWS of `vectors` (vectors[j*n + k] = component k of vector j).
 *
 * Every floating-point operation, and the order of every sum, is JAMA's, so the result is bit for bit
 * the one of the plain translation (test/analysis/stats.test.ts keeps that as its oracle); only the
 * memory layout and the loop nesting differ:
 * - tred2 and the accumulation work on W = V transposed (W[j*n + k] = V[k][j]), so their loops run along
 *   rows; independent rows go four at a time (more independent chains per loop), and each accumulation
 *   step sums the next step's dot products while it updates a row (one pass over the block, not two).
 * - tql2 runs on d and e alone and records each sweep's rotations (c, s); they are applied afterwards,
 *   chunk by chunk, along the rows of V (blocks of eight rows interleaved), two sweeps per pass: one load
 *   and one store per element and two rotations, instead of two of each per rotation on two columns of V.
 *   For each element the rotations come in JAMA's order.
 * - Math.hypot is replaced by eigenHypot, the same computation inlined.
 * 384 x 384 takes about a third of the time of the plain translation; the rotations (about 1.06 n^2 of
 * them, 6 flops per element of V each) are most of what remains.
 */
export function symmetricEigen(a: ArrayLike<number>, n: number): { values: Float64Array; vectors: Float64Array } {
  if (a.length !== n * n) throw new RangeError(`symmetricEigen: matrix has ${a.length} entries; expected ${n}x${n}`);
  const W = Float64Array.from(a);
  const d = new Float64Array(n), e = new Float64Array(n);
  eigenTridiagonalize(W, n, d, e);
  // V[k][i] = W[i*n + k], stored in blocks of 8 rows (see eigenApplySweeps); rows past n are padding.
  // Column n is NaN: only non-finite input makes tql2 run a sweep from m = n, and then JAMA's rotation
  // reads V[k][n] past the end of its array (undefined, so NaN) and drops the write; reading NaN here
  // gives the same results (what is written there is NaN again and never read out).
  const blocks = (n + 7) >> 3, width = n + 1, stride = 8 * width;
  const V = new Float64Array(blocks * stride);
  for (let q = 0; q < blocks; ++q) V.fill(NaN, q * stride + 8 * n, (q + 1) * stride);
  for (let i = 0; i < n; ++i) {
    const src = i * n;
    for (let k = 0; k < n; ++k) V[(k >> 3) * stride + i * 8 + (k & 7)] = W[src + k];
  }
  e[0] = 0;
  for (let i = 1; i < n; ++i) e[i - 1] = e[i];
  if (n > 0) e[n - 1] = 0;
  const cap = Math.max(EIGEN_SWEEP_CHUNK, n);
  const cs = new Float64Array(2 * cap);
  const sweeps = new Int32Array(2 * cap);
  let nRot = 0, nSweeps = 0;
  let f = 0, tst1 = 0;
  const eps = 2 ** -52;
  for (let l = 0; l < n; ++l) {
    tst1 = Math.max(tst1, Math.abs(d[l]) + Math.abs(e[l]));
    let m = l;
    while (m < n) {
      if (Math.abs(e[m]) <= eps * tst1) break;
      m++;
    }
    if (m > l) {
      let iter = 0;
      do {
        if (++iter > 100) throw new Error(`symmetricEigen: QL did not converge at eigenvalue ${l}; the matrix has non-finite entries`);
        let g = d[l];
        let p = (d[l + 1] - g) / (2 * e[l]);
        let r = eigenHypot(p, 1);
        if (p < 0) r = -r;
        d[l] = e[l] / (p + r);
        d[l + 1] = e[l] * (p + r);
        const dl1 = d[l + 1];
        let h = g - d[l];
        for (let i = l + 2; i < n; ++i) d[i] -= h;
        f += h;
        p = d[m];
        let c = 1, c2 = c, c3 = c, s = 0, s2 = 0;
        const el1 = e[l + 1];
        if (nRot + (m - l) > cap) {
          eigenApplySweeps(V, width, sweeps, nSweeps, cs);
          nRot = 0; nSweeps = 0;
        }
        sweeps[2 * nSweeps] = m; sweeps[2 * nSweeps + 1] = l; ++nSweeps;
        let q = 2 * nRot;
        for (let i = m - 1; i >= l; --i) {
          c3 = c2;
          c2 = c;
          s2 = s;
          g = c * e[i];
          h = c * p;
          r = eigenHypot(p, e[i]);
          e[i + 1] = s * r;
          s = e[i] / r;
          c = p / r;
          p = c * d[i] - s * g;
          d[i + 1] = h + s * (c * g + s * d[i]);
          cs[q] = c; cs[q + 1] = s; q += 2;
        }
        nRot += m - l;
        p = (-s * s2 * c3 * el1 * e[l]) / dl1;
        e[l] = s * p;
        d[l] = c * p;
      } while (Math.abs(e[l]) > eps * tst1);
    }
    d[l] += f;
    e[l] = 0;
  }
  if (nSweeps > 0) eigenApplySweeps(V, width, sweeps, nSweeps, cs);
  const order = Array.from({ length: n }, (_, i) => i).sort((x, y) => d[y] - d[x] || x - y);
  const values = new Float64Array(n), vectors = new Float64Array(n * n);
  for (let j = 0; j < n; ++j) {
    const src = order[j];
    values[j] = d[src];
    const out = j * n;
    for (let k = 0; k < n; ++k) vectors[out + k] = V[(k >> 3) * stride + src * 8 + (k & 7)];
  }
  return { values, vectors };
}

/**
 * The k largest eigenvalues (descending) and their eigenvectors (rows) of a symmetric n x n matrix,
 * by Lanczos with full reorthogonalisation from a fixed start vector: O(m n^2) for m steps instead of
 * symmetricEigen's O(n^3). The Krylov space grows (m = 3k + 30, doubled up to n/2, past which the full
 * decomposition is cheaper and is used) until every wanted
 * Ritz pair has a residual |A y - θ y| <= tol * max |θ|. A single start vector sees one direction of
 * a repeated eigenvalue only, so the result is then checked: Lanczos on A with the k vectors
 * projected out must find nothing above the k-th value (else symmetricEigen decides). Eigenvectors of
 * repeated eigenvalues (and signs) are one valid choice, as with symmetricEigen; projections onto
 * the top-k subspace do not depend on it.
 */
export function topEigen(a: ArrayLike<number>, n: number, k: number, tol = 1e-10): { values: Float64Array; vectors: Float64Array } {
  if (a.length !== n * n) throw new RangeError(`topEigen: matrix has ${a.length} entries; expected ${n}x${n}`);
  if (!Number.isInteger(k) || k < 0 || k > n) throw new RangeError(`topEigen: k = ${k}; expected an integer in [0, ${n}]`);
  if (k === 0) return { values: new Float64Array(0), vectors: new Float64Array(0) };
  const full = () => {
    const e = symmetricEigen(a, n);
    return { values: e.values.slice(0, k), vectors: e.vectors.slice(0, k * n) };
  };
  if (k === n || n <= 64) return full();
  const A = a instanceof Float64Array ? a : Float64Array.from(a);
  // four rows at a time: four independent sums, each still adding its row's products in column order
  const matvec = (x: Float64Array, out: Float64Array) => {
    let r = 0;
    for (; r + 3 < n; r += 4) {
      const o0 = r * n, o1 = o0 + n, o2 = o1 + n, o3 = o2 + n;
      let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
      for (let c = 0; c < n; ++c) {
        const xc = x[c];
        s0 += A[o0 + c] * xc;
        s1 += A[o1 + c] * xc;
        s2 += A[o2 + c] * xc;
        s3 += A[o3 + c] * xc;
      }
      out[r] = s0;
      out[r + 1] = s1;
      out[r + 2] = s2;
      out[r + 3] = s3;
    }
    for (; r < n; ++r) {
      let s = 0;
      for (let c = 0, o = r * n; c < n; ++c) s += A[o + c] * x[c];
      out[r] = s;
    }
  };
  // Past n/2 steps Lanczos (with its failed shorter tries) would approach the full decomposition's
  // cost, as on flat spectra (random-weight models): then the full decomposition it is.
  const cap = Math.floor(n / 2);
  let found: { values: Float64Array; vectors: Float64Array } | null = null;
  for (let m = 3 * k + 30; !found; m *= 2) {
    if (m > cap) return full();
    found = lanczos(matvec, n, k, m, tol, null, 0.3);
  }
  if (found.values.length < k) return full();
  // the check: the top of (I - Y Yᵀ) A (I - Y Yᵀ) must not exceed the k-th value found
  const Y = found.vectors, tmp = new Float64Array(n);
  const project = (x: Float64Array) => {
    for (let i = 0; i < k; ++i) {
      let d = 0;
      for (let c = 0; c < n; ++c) d += Y[i * n + c] * x[c];
      for (let c = 0; c < n; ++c) x[c] -= d * Y[i * n + c];
    }
  };
  const deflated = (x: Float64Array, out: Float64Array) => {
    tmp.set(x);
    project(tmp);
    matvec(tmp, out);
    project(out);
  };
  const scale = Math.max(Math.abs(found.values[0]), 1e-300);
  for (let m = 40; ; m *= 2) {
    if (m > cap) return full();
    const rest = lanczos(deflated, n, 1, m, tol, project, 1.1);
    if (rest) return rest.values[0] > found.values[k - 1] + 1e-8 * scale ? full() : found;
  }
}

/**
 * m steps of Lanczos (full reorthogonalisation) with the operator `matvec`, from a fixed start vector
 * (phase `phase`, projected by `start` when given); the top k Ritz pairs when their residuals are
 * below tol * max |θ|, else null.
 */
function lanczos(matvec: (x: Float64Array, out: Float64Array) => void, n: number, k: number, m: number, tol: number, start: ((x: Float64Array) => void) | null, phase: number): { values: Float64Array; vectors: Float64Array } | null {
  const Q = new Float64Array(m * n), alpha = new Float64Array(m), beta = new Float64Array(m), w = new Float64Array(n);
  // a fixed start vector with no symmetry, so not orthogonal to an eigenvector by construction
  const q0 = Q.subarray(0, n);
  for (let i = 0; i < n; ++i) q0[i] = 1 + Math.sin(1.7 * i + phase) / 2;
  start?.(q0);
  let norm = 0;
  for (let i = 0; i < n; ++i) norm += q0[i] * q0[i];
  norm = Math.sqrt(norm);
  if (!(norm > 0)) return null;
  for (let i = 0; i < n; ++i) q0[i] /= norm;
  let steps = m;
  for (let j = 0; j < m; ++j) {
    const q = Q.subarray(j * n, (j + 1) * n);
    matvec(q, w);
    let al = 0;
    for (let i = 0; i < n; ++i) al += w[i] * q[i];
    alpha[j] = al;
    // full reorthogonalisation against every previous vector, twice (classical Gram-Schmidt)
    for (let pass = 0; pass < 2; ++pass) {
      for (let p = 0; p <= j; ++p) {
        let d = 0;
        for (let i = 0; i < n; ++i) d += w[i] * Q[p * n + i];
        for (let i = 0; i < n; ++i) w[i] -= d * Q[p * n + i];
      }
    }
    let b = 0;
    for (let i = 0; i < n; ++i) b += w[i] * w[i];
    b = Math.sqrt(b);
    beta[j] = b;
    if (j + 1 === m) break;
    if (!(b > 1e-13 * Math.max(Math.abs(alpha[0]), Math.abs(al), 1e-300))) {
      // an invariant subspace: its Ritz pairs are exact
      steps = j + 1;
      beta[j] = 0;
      break;
    }
    for (let i = 0; i < n; ++i) Q[(j + 1) * n + i] = w[i] / b;
  }
  const T = new Float64Array(steps * steps);
  for (let j = 0; j < steps; ++j) {
    T[j * steps + j] = alpha[j];
    if (j + 1 < steps) T[j * steps + j + 1] = T[(j + 1) * steps + j] = beta[j];
  }
  const e = symmetricEigen(T, steps);
  const scale = Math.max(Math.abs(e.values[0]), Math.abs(e.values[steps - 1]), 1e-300);
  const want = Math.min(k, steps), last = beta[steps - 1];
  for (let i = 0; i < want; ++i) if (Math.abs(last * e.vectors[i * steps + steps - 1]) > tol * scale) return null;
  const values = e.values.slice(0, want), vectors = new Float64Array(want * n);
  for (let i = 0; i < want; ++i) {
    const y = vectors.subarray(i * n, (i + 1) * n);
    for (let j = 0; j < steps; ++j) {
      const s = e.vectors[i * steps + j];
      for (let c = 0; c < n; ++c) y[c] += s * Q[j * n + c];
    }
    let nn = 0;
    for (let c = 0; c < n; ++c) nn += y[c] * y[c];
    nn = Math.sqrt(nn);
    for (let c = 0; c < n; ++c) y[c] /= nn;
  }
  return { values, vectors };
}

/**
 * L⁻¹ (row-major, lower triangular) for the Cholesky factor L of the symmetric positive definite
 * matrix a + shift I (L Lᵀ = a + shift I), or null when that matrix is not positive definite.
 */
export function choleskyInverse(a: ArrayLike<number>, n: number, shift = 0): Float64Array | null {
  const L = new Float64Array(n * n);
  for (let j = 0; j < n; ++j) {
    let d = a[j * n + j] + shift;
    for (let p = 0; p < j; ++p) d -= L[j * n + p] * L[j * n + p];
    if (!(d > 0)) return null;
    const ljj = Math.sqrt(d), rj = j * n;
    L[rj + j] = ljj;
    // four rows at a time: four independent sums, each subtracting its products in the order p = 0..j-1
    let i = j + 1;
    for (; i + 3 < n; i += 4) {
      const r0 = i * n, r1 = r0 + n, r2 = r1 + n, r3 = r2 + n;
      let s0 = a[r0 + j], s1 = a[r1 + j], s2 = a[r2 + j], s3 = a[r3 + j];
      for (let p = 0; p < j; ++p) {
        const l = L[rj + p];
        s0 -= L[r0 + p] * l;
        s1 -= L[r1 + p] * l;
        s2 -= L[r2 + p] * l;
        s3 -= L[r3 + p] * l;
      }
      L[r0 + j] = s0 / ljj;
      L[r1 + j] = s1 / ljj;
      L[r2 + j] = s2 / ljj;
      L[r3 + j] = s3 / ljj;
    }
    for (; i < n; ++i) {
      let s = a[i * n + j];
      for (let p = 0; p < j; ++p) s -= L[i * n + p] * L[rj + p];
      L[i * n + j] = s / ljj;
    }
  }
  // forward substitution by rows: row i of L⁻¹ = (e_i - Σ_{p<i} L[i, p] row p of L⁻¹) / L[i, i]
  const inv = new Float64Array(n * n);
  for (let i = 0; i < n; ++i) {
    const ri = i * n;
    for (let p = 0; p < i; ++p) {
      const l = L[ri + p], rp = p * n;
      if (l !== 0) for (let c = 0; c <= p; ++c) inv[ri + c] -= l * inv[rp + c];
    }
    inv[ri + i] += 1;
    const d = L[ri + i];
    for (let c = 0; c <= i; ++c) inv[ri + c] /= d;
  }
  return inv;
}
