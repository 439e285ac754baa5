import { symmetricEigen } from "./symmetric.js";

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
