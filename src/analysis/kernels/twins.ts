/**
 * Plain TypeScript twins of the WebAssembly kernels (index.ts): the same inputs, the same outputs,
 * bit for bit (test/analysis/kernels.twins.test.ts), written as the obvious loops. They are the
 * reference when a kernel changes, and what to switch to if a kernel is retired.
 */

/** One row's argmin and argmax: the first index of its smallest (largest) non-NaN value; 0 when the row starts with NaN. */
function extremes(data: Float32Array, o: number, dim: number): [number, number] {
  let lo = 0, hi = 0, vlo = data[o], vhi = vlo;
  for (let i = 1; i < dim; ++i) {
    const x = data[o + i];
    if (x < vlo) { vlo = x; lo = i; }
    else if (x > vhi) { vhi = x; hi = i; }
  }
  return [lo, hi];
}

/** extentRows' twin: per kept row, argmin and argmax counted and the row added to `sum` (float64, row order). */
export function extentRowsTwin(data: Float32Array, dim: number, rows: Int32Array, argmin: Uint32Array, argmax: Uint32Array, sum: Float64Array): void {
  for (const r of rows) {
    const o = r * dim, [lo, hi] = extremes(data, o, dim);
    argmin[lo]++;
    argmax[hi]++;
    for (let i = 0; i < dim; ++i) sum[i] += data[o + i];
  }
}

/** profileRows' twin: per kept row at pos[k], in order, the row added to `sums` row pos[k] (when < positions) and its squares to sxx. */
export function profileRowsTwin(data: Float32Array, dim: number, rows: Int32Array, pos: Int32Array, sums: Float64Array, positions: number, sxx: Float64Array): void {
  for (let k = 0; k < rows.length; ++k) {
    const o = rows[k] * dim, p = pos[k];
    for (let i = 0; i < dim; ++i) {
      const x = data[o + i];
      sxx[i] += x * x;
      if (p < positions) sums[p * dim + i] += x;
    }
  }
}

/** scanRows' twin: extentRowsTwin and profileRowsTwin on the same rows. */
export function scanRowsTwin(
  data: Float32Array, dim: number, rows: Int32Array, argmin: Uint32Array, argmax: Uint32Array, sum: Float64Array,
  pos: Int32Array, sums: Float64Array, positions: number, sxx: Float64Array,
): void {
  extentRowsTwin(data, dim, rows, argmin, argmax, sum);
  profileRowsTwin(data, dim, rows, pos, sums, positions, sxx);
}

/**
 * The unitRows kernel's twin for one row (SelfSimilarity's plain path): adds the row at offset o (the
 * `cut` dims read as 0) as a unit vector to `sum`, as the kernel does:
 * the squared norm is summed in four lanes (i mod 4, each in index order), norm = (lane0 + lane2) +
 * (lane1 + lane3). Returns false (nothing added) for a row without direction (norm 0 or NaN).
 */
export function addUnitRowTwin(data: Float32Array, o: number, dim: number, cut: Uint8Array, sum: Float64Array): boolean {
  const sq = (i: number) => (cut[i] ? 0 : data[o + i] * data[o + i]);
  let p0 = 0, p1 = 0, p2 = 0, p3 = 0, i = 0;
  for (; i + 4 <= dim; i += 4) {
    p0 += sq(i);
    p1 += sq(i + 1);
    p2 += sq(i + 2);
    p3 += sq(i + 3);
  }
  if (i < dim) p0 += sq(i);
  if (i + 1 < dim) p1 += sq(i + 1);
  if (i + 2 < dim) p2 += sq(i + 2);
  const norm = (p0 + p2) + (p1 + p3);
  if (!(norm > 0)) return false;
  const inv = 1 / Math.sqrt(norm);
  for (let k = 0; k < dim; ++k) if (!cut[k]) sum[k] += data[o + k] * inv;
  return true;
}

/** 1 for the dims in `zero`. */
export function cutMask(zero: Int32Array, dim: number): Uint8Array {
  const cut = new Uint8Array(dim);
  for (let k = 0; k < zero.length; ++k) cut[zero[k]] = 1;
  return cut;
}

/**
 * VectorSlots.addUnitRows' twin: row rows[k] (the `zero` dims read as 0) added as a unit vector to
 * targets[k] when its norm is > 0 (ok[k] = 1), else nothing (ok[k] = 0); see addUnitRowTwin.
 */
export function addUnitRowsTwin(data: Float32Array, dim: number, rows: Int32Array, n: number, zero: Int32Array, targets: Float64Array[], ok: Uint8Array): void {
  const cut = cutMask(zero, dim);
  for (let k = 0; k < n; ++k) ok[k] = addUnitRowTwin(data, rows[k] * dim, dim, cut, targets[k]) ? 1 : 0;
}

/** VectorSlots.addUnitRowPairs' twin: addUnitRowsTwin of the raw rows to targetsA, and with `zeroB` zeroed to targetsB. */
export function addUnitRowPairsTwin(
  data: Float32Array, dim: number, rows: Int32Array, n: number, zeroB: Int32Array, targetsA: Float64Array[], targetsB: Float64Array[], okA: Uint8Array, okB: Uint8Array,
): void {
  addUnitRowsTwin(data, dim, rows, n, new Int32Array(0), targetsA, okA);
  addUnitRowsTwin(data, dim, rows, n, zeroB, targetsB, okB);
}
