import { integer } from "./options.js";

/**
 * Running moments: scalars (RunningStats, with a normal confidence interval of the mean) and vectors
 * (VectorMoments: per-dimension mean and covariance). Welford updates, merged exactly by Chan et al.
 */

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

/**
 * The rows list[from[order[k]]].data's row row[order[k]] (k = 0..n-1) centred on their float64 mean, as
 * float32 rows in k order, and that mean. A plain synchronous function, so the optimising compiler
 * sees its loops whole: inside the async LayerMoments.addWith (analysis/postprocess.ts) one block of
 * 1024 x 768 rows took 20.0 ms against 14.7-14.8 ms now, the Gram matrix alone 8.0-9.6 ms (2 threads,
 * 2026-12-07).
 */
export function centredRows(list: readonly { data: Float32Array }[], from: Int32Array, row: Int32Array, order: Int32Array, dim: number): { mean: Float64Array; x: Float32Array } {
  const n = order.length, mean = new Float64Array(dim), x = new Float32Array(n * dim);
  for (let k = 0; k < n; ++k) {
    const data = list[from[order[k]]].data, o = row[order[k]] * dim;
    for (let i = 0; i < dim; ++i) mean[i] += data[o + i];
  }
  for (let i = 0; i < dim; ++i) mean[i] /= n;
  for (let k = 0; k < n; ++k) {
    const data = list[from[order[k]]].data, o = row[order[k]] * dim, out = k * dim;
    for (let i = 0; i < dim; ++i) x[out + i] = data[o + i] - mean[i];
  }
  return { mean, x };
}
