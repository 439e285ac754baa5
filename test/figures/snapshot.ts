/**
 * JSON snapshots of figure specs (Observable Plot's test/plot-snapshot.js, for JSON): numbers are
 * rounded to 3 decimals first, then compared with test/figures/snapshots/<name>.json (committed).
 * A missing snapshot is written there (review and commit it); a mismatch writes
 * test/output/<name>-changed.json (git-ignored) and fails.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import assert from "node:assert/strict";

/** Committed snapshots, and the git-ignored folder for changed ones, in the source tree (tests run from dist/test/figures). */
export const snapshotDir = path.resolve(__dirname, "..", "..", "..", "test", "figures", "snapshots");
export const outputDir = path.resolve(__dirname, "..", "..", "..", "test", "output");

/** A deep copy of `value` with every number rounded to `digits` decimals (-0 becomes 0). */
export function roundNumbers(value: unknown, digits = 3): unknown {
  const f = 10 ** digits;
  return JSON.parse(JSON.stringify(value, (_k, v) => {
    if (typeof v === "number") { const r = Math.round(v * f) / f; return Object.is(r, -0) ? 0 : r; }
    if (ArrayBuffer.isView(v) && !(v instanceof DataView)) return Array.from(v as unknown as ArrayLike<number>, (x) => Math.round(x * f) / f);
    return v;
  }));
}

/** Asserts that `spec` matches test/output/<name>.json after rounding. */
export function assertSnapshot(name: string, spec: unknown): void {
  const text = JSON.stringify(roundNumbers(spec), null, 1) + "\n";
  const file = path.join(snapshotDir, `${name}.json`);
  const changed = path.join(outputDir, `${name}-changed.json`);
  if (!fs.existsSync(file)) {
    fs.mkdirSync(snapshotDir, { recursive: true });
    fs.writeFileSync(file, text);
    return;
  }
  const expected = fs.readFileSync(file, "utf8");
  if (expected === text) {
    if (fs.existsSync(changed)) fs.unlinkSync(changed);
    return;
  }
  fs.mkdirSync(outputDir, { recursive: true });
  fs.writeFileSync(changed, text);
  assert.fail(`${name}: the figure spec differs from test/figures/snapshots/${name}.json; see test/output/${name}-changed.json (copy it over the snapshot to accept the change)`);
}
