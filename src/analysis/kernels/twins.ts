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
 * VectorSlots.addUnitRows' twin: row rows[k] (the `zero` dims read as 0) added as a unit vector to
 * targets[k] when its norm is > 0 (ok[k] = 1), else nothing (ok[k] = 0). The squared norm is summed
 * in four lanes (i mod 4, each in index order) and combined as (lane0 + lane2) + (lane1 + lane3), the
 * order of the kernel's SIMD lanes.
 */
export function addUnitRowsTwin(data: Float32Array, dim: number, rows: Int32Array, n: number, zero: Int32Array, targets: Float64Array[], ok: Uint8Array): void {
  const cut = new Uint8Array(dim);
  for (const z of zero) cut[z] = 1;
  for (let k = 0; k < n; ++k) {
    const o = rows[k] * dim, lanes = [0, 0, 0, 0];
    for (let i = 0; i < dim; ++i) if (!cut[i]) lanes[i & 3] += data[o + i] * data[o + i];
    const norm = (lanes[0] + lanes[2]) + (lanes[1] + lanes[3]);
    ok[k] = norm > 0 ? 1 : 0;
    if (!ok[k]) continue;
    const inv = 1 / Math.sqrt(norm);
    for (let i = 0; i < dim; ++i) if (!cut[i]) targets[k][i] += data[o + i] * inv;
  }
}

/** VectorSlots.addUnitRowPairs' twin: addUnitRowsTwin of the raw rows to targetsA, and with `zeroB` zeroed to targetsB. */
export function addUnitRowPairsTwin(
  data: Float32Array, dim: number, rows: Int32Array, n: number, zeroB: Int32Array, targetsA: Float64Array[], targetsB: Float64Array[], okA: Uint8Array, okB: Uint8Array,
): void {
  addUnitRowsTwin(data, dim, rows, n, new Int32Array(0), targetsA, okA);
  addUnitRowsTwin(data, dim, rows, n, zeroB, targetsB, okB);
}
