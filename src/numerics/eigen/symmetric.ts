import { eigenHypot, eigenTridiagonalize } from "./tridiagonal.js";
import { eigenApplySweeps } from "./sweeps.js";

/** Rotations recorded before they are applied to V (16 bytes each). */
const EIGEN_SWEEP_CHUNK = 8192;

/**
 * Eigen-decomposition of a symmetric [n x n] matrix in float64: Householder tridiagonalisation then the
 * implicit QL algorithm, i.e. EISPACK's tred2/tql2 as translated in JAMA (public domain;
 * https://math.nist.gov/javanumerics/jama/, EigenvalueDecomposition.java). Returns eigenvalues sorted
 * descending and the eigenvectors as ROWS of `vectors` (vectors[j*n + k] = component k of vector j).
 *
 * Every floating-point operation, and the order of every sum, is JAMA's, so the result is bit for bit
 * the one of the plain translation (test/numerics/stats.test.ts keeps that as its oracle); only the
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
  const width = n + 1, stride = 8 * width;
  const V = blockedTranspose(W, n);
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
  return descending(d, V, n, stride);
}

/** V[k][i] = W[i*n + k] in blocks of 8 rows of width n + 1, column n NaN (see symmetricEigen). */
function blockedTranspose(W: Float64Array, n: number): Float64Array {
  const blocks = (n + 7) >> 3, width = n + 1, stride = 8 * width;
  const V = new Float64Array(blocks * stride);
  for (let q = 0; q < blocks; ++q) V.fill(NaN, q * stride + 8 * n, (q + 1) * stride);
  for (let i = 0; i < n; ++i) {
    const src = i * n;
    for (let k = 0; k < n; ++k) V[(k >> 3) * stride + i * 8 + (k & 7)] = W[src + k];
  }
  return V;
}

/** The eigenvalues descending (ties by index) and their eigenvectors as rows, read out of the blocked V. */
function descending(d: Float64Array, V: Float64Array, n: number, stride: number): { values: Float64Array; vectors: Float64Array } {
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
