/**
 * Householder tridiagonalisation of a symmetric matrix (JAMA's tred2, reordered for cache: see
 * symmetric.ts) and the V8-exact hypot the QL iteration uses.
 */

/**
 * Math.hypot(x, y) as V8 computes it (the larger magnitude times the square root of the sum of the squared
 * ratios), bit for bit, without the builtin call; non-finite arguments go to Math.hypot itself.
 */
export function eigenHypot(x: number, y: number): number {
  const a = Math.abs(x), b = Math.abs(y);
  const max = a > b ? a : b;
  if (!(max < Infinity) || max !== max || y !== y || x !== x) return Math.hypot(x, y);
  if (max === 0) return 0;
  const p = a / max, q = b / max;
  return Math.sqrt(p * p + q * q) * max;
}

/**
 * JAMA's tred2 on W = V transposed (see symmetricEigen): leaves the diagonal in d, the off-diagonal in
 * e and the accumulated transformation, transposed, in W. With `accumulate` false (eigenvalues only)
 * the transformation is not accumulated: the diagonal is read from W's diagonal, where tred2's first
 * half leaves it, and W is left as scratch.
 */
export function eigenTridiagonalize(W: Float64Array, n: number, d: Float64Array, e: Float64Array, accumulate = true): void {
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
      householderProduct(W, n, i, d, e);
      f = 0;
      for (let j = 0; j < i; ++j) {
        e[j] /= h;
        f += e[j] * d[j];
      }
      const hh = f / (h + h);
      for (let j = 0; j < i; ++j) e[j] -= hh * d[j];
      householderUpdate(W, n, i, d, e);
    }
    d[i] = h;
  }
  if (accumulate) accumulateTransformations(W, n, d);
  else for (let j = 0; j < n; ++j) d[j] = W[j * n + j];
}

/** tred2's e = A·d step for row i (columns < i): W's row i takes d, e[j] the product (e zeroed first). */
function householderProduct(W: Float64Array, n: number, i: number, d: Float64Array, e: Float64Array): void {
  for (let j = 0; j < i; ++j) e[j] = 0;
  const rowI = i * n;
  let j = 0, f: number, g: number;
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
}

/** tred2's rank-two update of rows j < i: W[j][k] -= d[j] e[k] + e[j] d[k]; d takes column i-1, column i is zeroed. */
function householderUpdate(W: Float64Array, n: number, i: number, d: Float64Array, e: Float64Array): void {
  let j = 0, f: number, g: number;
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

/** tred2's second half: the accumulated Householder transformations into W, the diagonal into d. */
function accumulateTransformations(W: Float64Array, n: number, d: Float64Array): void {
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
