/**
 * The covariance of post-processed vectors from the covariance of the inputs. Every post-processing of
 * postprocess.ts is affine, x' = A (x - mean) with A fitted on the fit sentences, so the covariance of
 * the outputs is A Σ Aᵀ whatever the vectors it is applied to; these are its products for each form of
 * A, in float64, O(d²) except the dense whitening matrix (O(d³)). Σ is row-major [d x d], symmetric.
 */

/** Clipping: A zeroes `zero`'s dims, so their rows and columns of Σ become 0. */
export function maskCovariance(cov: ArrayLike<number>, dim: number, zero: readonly number[]): Float64Array {
  const out = Float64Array.from(cov);
  for (const d of zero) {
    if (d >= dim) throw new RangeError(`invalid clip dimension: ${d}; the covariance has dim ${dim}`);
    for (let i = 0; i < dim; ++i) out[d * dim + i] = out[i * dim + d] = 0;
  }
  return out;
}

/** z-scoring: A = diag(scale), so Σ'[i, j] = scale[i] Σ[i, j] scale[j]. */
export function scaleCovariance(cov: ArrayLike<number>, dim: number, scale: ArrayLike<number>): Float64Array {
  const out = new Float64Array(dim * dim);
  for (let i = 0; i < dim; ++i) for (let j = 0; j < dim; ++j) out[i * dim + j] = scale[i] * cov[i * dim + j] * scale[j];
  return out;
}

/**
 * All-but-the-top: A = P_k ... P_1 with P_c = I - v_c v_cᵀ applied in that order (as applyRows removes
 * one component after the other), so each step is Σ <- Σ - v (Σv)ᵀ - (Σv) vᵀ + (vᵀΣv) v vᵀ.
 * `top` holds the k unit vectors as rows.
 */
export function projectOutCovariance(cov: ArrayLike<number>, dim: number, top: ArrayLike<number>, k: number): Float64Array {
  const out = Float64Array.from(cov), sv = new Float64Array(dim);
  for (let c = 0; c < k; ++c) {
    const o = c * dim;
    sv.fill(0);
    for (let i = 0; i < dim; ++i) {
      let s = 0;
      for (let j = 0; j < dim; ++j) s += out[i * dim + j] * top[o + j];
      sv[i] = s;
    }
    let vsv = 0;
    for (let i = 0; i < dim; ++i) vsv += top[o + i] * sv[i];
    for (let i = 0; i < dim; ++i) {
      const vi = top[o + i];
      for (let j = 0; j < dim; ++j) out[i * dim + j] += -vi * sv[j] - sv[i] * top[o + j] + vsv * vi * top[o + j];
    }
  }
  return out;
}

/**
 * Whitening: A = R (row-major [d x d]; `lower`: R[c, i] = 0 for i > c, the inverse Cholesky factor), so
 * Σ' = R Σ Rᵀ: first T = R Σ, then the upper triangle of T Rᵀ, mirrored.
 */
export function linearCovariance(cov: ArrayLike<number>, dim: number, R: ArrayLike<number>, lower: boolean): Float64Array {
  const T = new Float64Array(dim * dim), out = new Float64Array(dim * dim);
  for (let c = 0; c < dim; ++c) {
    const row = c * dim, stop = lower ? c + 1 : dim;
    for (let i = 0; i < stop; ++i) {
      const r = R[row + i];
      if (r === 0) continue;
      const ci = i * dim;
      for (let j = 0; j < dim; ++j) T[row + j] += r * cov[ci + j];
    }
  }
  for (let c = 0; c < dim; ++c) {
    const tc = c * dim;
    for (let e = c; e < dim; ++e) {
      const re = e * dim, stop = lower ? e + 1 : dim;
      let s = 0;
      for (let i = 0; i < stop; ++i) s += T[tc + i] * R[re + i];
      out[tc + e] = out[e * dim + c] = s;
    }
  }
  return out;
}
