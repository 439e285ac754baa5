/** The QL iteration's Givens rotations, recorded then applied to blocks of 8 interleaved rows (see symmetric.ts). */

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
    // A is done; B's rotation lA takes A's last carry, then B goes on alone from row b, carrying e
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
    // eigenSweep8 reloads the carry from row b: storing it there first gives the same arithmetic
    store8(V, b, e0, e1, e2, e3, e4, e5, e6, e7);
    eigenSweep8(V, o, (b - o) >> 3, lB, cs, pB);
  } else {
    // B is done (its carry goes to row b + 1); A goes on alone from row b, carrying a
    store8(V, (b + 8) | 0, e0, e1, e2, e3, e4, e5, e6, e7);
    store8(V, b, a0, a1, a2, a3, a4, a5, a6, a7);
    eigenSweep8(V, o, (b - o) >> 3, lA, cs, pA);
  }
}

/** Writes eight carried values to the interleaved row at b. */
function store8(V: Float64Array, b: number, x0: number, x1: number, x2: number, x3: number, x4: number, x5: number, x6: number, x7: number): void {
  V[b] = x0;
  V[(b + 1) | 0] = x1;
  V[(b + 2) | 0] = x2;
  V[(b + 3) | 0] = x3;
  V[(b + 4) | 0] = x4;
  V[(b + 5) | 0] = x5;
  V[(b + 6) | 0] = x6;
  V[(b + 7) | 0] = x7;
}

/**
 * Applies the recorded QL sweeps to V. V is stored in blocks of 8 rows interleaved: V[k][i] is at
 * (k >> 3) * 8 * width + i * 8 + (k & 7), width = n + 1 (see symmetricEigen). A sweep (m, l) is JAMA's
 * loop i = m-1 .. l rotating V's columns i and i+1; along one row that is a recurrence whose carried
 * value is V[k][i+1], so each element is loaded and stored once per sweep, with JAMA's arithmetic.
 * A block's eight rows go together (independent chains), and consecutive sweeps with the same m (almost
 * all of them: the QL iterations for one eigenvalue, and the next eigenvalue's first one) in pairs.
 */
export function eigenApplySweeps(V: Float64Array, width: number, sweeps: Int32Array, nSweeps: number, cs: Float64Array): void {
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
