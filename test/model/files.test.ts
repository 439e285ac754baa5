/**
 * hashFileMemo: the sha256 of a file remembered while stat says the file is unchanged, read again when
 * it changes (content, times, or another file renamed over it), and never used by the checks of
 * downloaded bytes (hashFile reads every time).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { fileEntry, hashFile, hashFileMemo } from "../../src/model/files.js";

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "files-test-"));
process.on("exit", () => fs.rmSync(tmp, { recursive: true, force: true }));

const sha = (b: string | Buffer) => crypto.createHash("sha256").update(b).digest("hex");
const memo = () => (globalThis as Record<symbol, Map<string, { stat: string; bytes: number; sha256: string }> | undefined>)[Symbol.for("positional-artefacts.fileHashes")]!;

test("hashFileMemo: the bytes' sha256, kept for the file while stat says it is unchanged", () => {
  const f = path.join(tmp, "w.bin");
  fs.writeFileSync(f, "weights v1");
  assert.deepEqual(hashFileMemo(f), { bytes: 10, sha256: sha("weights v1") });
  // the entry is trusted while the file's stat is the same: a planted hash comes back (a memo hit)
  const entry = memo().get(path.resolve(f))!;
  memo().set(path.resolve(f), { ...entry, sha256: "planted" });
  assert.equal(hashFileMemo(f).sha256, "planted");
  assert.equal(fileEntry(tmp, "w.bin").sha256, "planted");
  // hashFile, for downloads checked against a pinned sha256, reads the bytes every time
  assert.equal(hashFile(f).sha256, sha("weights v1"));
});

test("hashFileMemo reads a changed file again: same size, times put back, or another file renamed over it", () => {
  const f = path.join(tmp, "c.bin");
  fs.writeFileSync(f, "aaaa");
  assert.equal(hashFileMemo(f).sha256, sha("aaaa"));
  // same size, modification time restored: the change time still moves
  const { atime, mtime } = fs.statSync(f);
  fs.writeFileSync(f, "bbbb");
  fs.utimesSync(f, atime, mtime);
  assert.equal(hashFileMemo(f).sha256, sha("bbbb"));
  // a file renamed over it (as an atomic rewrite does): another inode
  const other = path.join(tmp, "c.new");
  fs.writeFileSync(other, "cccc");
  fs.renameSync(other, f);
  assert.equal(hashFileMemo(f).sha256, sha("cccc"));
  // a relative path and the absolute one are one entry
  const rel = path.relative(process.cwd(), f);
  assert.equal(hashFileMemo(rel).sha256, sha("cccc"));
});

test("hashFileMemo on a missing file throws, naming it", () => {
  assert.throws(() => hashFileMemo(path.join(tmp, "absent.bin")), /absent\.bin/);
});
