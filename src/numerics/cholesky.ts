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
