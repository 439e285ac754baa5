/**
 * Eigenvalues only of a symmetric matrix: JAMA's tred2 without accumulating the transformation, then
 * tql2's iteration on the diagonal and off-diagonal alone (EISPACK's tql1). The values are bit for bit
 * those of symmetricEigen (the same operations on d and e in the same order; test/numerics/eigenValues
 * checks it) at a fraction of its cost: no eigenvectors, no rotations applied to them.
 */
import { eigenHypot, eigenTridiagonalize } from "./tridiagonal.js";

/** Eigenvalues of the symmetric [n x n] matrix `a` (row-major), sorted descending. */
export function symmetricEigenvalues(a: ArrayLike<number>, n: number): Float64Array {
  if (a.length !== n * n) throw new RangeError(`symmetricEigenvalues: matrix has ${a.length} entries; expected ${n}x${n}`);
  const W = Float64Array.from(a);
  const d = new Float64Array(n), e = new Float64Array(n);
  eigenTridiagonalize(W, n, d, e, false);
  for (let i = 1; i < n; ++i) e[i - 1] = e[i];
  if (n > 0) e[n - 1] = 0;
  tql1(d, e, n);
  return d.sort().reverse();
}

/** tql2's implicit QL iteration on d (diagonal) and e (off-diagonal, e[n-1] = 0), leaving the eigenvalues in d. */
function tql1(d: Float64Array, e: Float64Array, n: number): void {
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
        if (++iter > 100) throw new Error(`symmetricEigenvalues: QL did not converge at eigenvalue ${l}; the matrix has non-finite entries`);
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
        }
        p = (-s * s2 * c3 * el1 * e[l]) / dl1;
        e[l] = s * p;
        d[l] = c * p;
      } while (Math.abs(e[l]) > eps * tst1);
    }
    d[l] += f;
    e[l] = 0;
  }
}
