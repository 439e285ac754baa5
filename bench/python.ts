/**
 * The bench's Python references: the current-PyTorch venv of `npm run setup:bench`
 * (tools/reference/setup-venv.sh: torch 2.15, transformers 5.25, onnxruntime 1.32, pinned in
 * tools/reference/requirements-current.txt) runs tools/reference/bench_torch.py (torch eager, SDPA) and
 * tools/reference/bench_ort.py (python onnxruntime) on batches the bench writes to a JSON job.
 * PA_TORCH_PYTHON overrides the interpreter; Debian's /usr/bin/python3 (torch 1.13, transformers 4, no
 * SDPA) is used only when nothing else exists, and every line it gives is labelled outdated.
 */
import * as child from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { cacheRoot } from "../src/model/files.js";
import type { PaddedBatch } from "./bare.js";

const ROOT = path.join(__dirname, "..", "..");
const VENV_PYTHON = path.join(cacheRoot(), "venv-ref", "bin", "python");
const DEBIAN_PYTHON = "/usr/bin/python3";

export interface Reference {
  python: string;
  /** "current" (the setup:bench venv or PA_TORCH_PYTHON) or "outdated" (Debian's torch 1.13). */
  status: "current" | "outdated";
  label: string;
}

/** The interpreter the references run under, or null when none exists (setup:bench not run). */
export function reference(): Reference | null {
  if (process.env.PA_TORCH_PYTHON) return { python: process.env.PA_TORCH_PYTHON, status: "current", label: `PA_TORCH_PYTHON (${process.env.PA_TORCH_PYTHON})` };
  if (fs.existsSync(VENV_PYTHON)) return { python: VENV_PYTHON, status: "current", label: "setup:bench venv (torch 2.15, transformers 5.25, onnxruntime 1.32)" };
  if (fs.existsSync(DEBIAN_PYTHON)) return { python: DEBIAN_PYTHON, status: "outdated", label: "OUTDATED: Debian python3 (torch 1.13, transformers 4, no SDPA); run npm run setup:bench" };
  return null;
}

/** One JSON line of a reference script: real and padded tokens per pass, seconds per pass, median tok/s. */
export interface ReferenceResult {
  tokens: number;
  padded: number;
  seconds: number[];
  median_s: number;
  tps: number;
  [key: string]: unknown;
}

/** Rows of one padded batch as nested lists, the shape the Python scripts read. */
function rows(a: BigInt64Array, b: PaddedBatch): number[][] {
  return Array.from({ length: b.batch }, (_, r) => Array.from(a.subarray(r * b.length, (r + 1) * b.length), Number));
}

/**
 * Runs tools/reference/SCRIPT with a job of `fields` plus the batches; returns its last JSON line. The
 * thread count goes to OMP/MKL too, so torch's own pools match onnxruntime's intra-op threads.
 */
export function runReference(ref: Reference, script: "bench_torch.py" | "bench_ort.py", fields: Record<string, unknown>, batches: PaddedBatch[], threads: number): ReferenceResult {
  const job = path.join(os.tmpdir(), `pa-bench-${script}-${process.pid}.json`);
  fs.writeFileSync(job, JSON.stringify({ ...fields, threads, batches: batches.map((b) => ({ input_ids: rows(b.ids, b), attention_mask: rows(b.mask, b) })) }));
  try {
    const env = { ...process.env, OMP_NUM_THREADS: String(threads), MKL_NUM_THREADS: String(threads) };
    const r = child.spawnSync(ref.python, [path.join(ROOT, "tools", "reference", script), "--job", job], { env, encoding: "utf8", maxBuffer: 1 << 26 });
    if (r.status !== 0) {
      const tail = (r.stderr || String(r.error ?? "")).trim().split("\n").slice(-3).join(" | ");
      throw new Error(`tools/reference/${script}: exited with ${r.status ?? r.signal} (${tail}); run npm run setup:bench (or set PA_TORCH_PYTHON), or pass --no-python`);
    }
    return JSON.parse(r.stdout.trim().split("\n").pop()!) as ReferenceResult;
  } finally {
    fs.rmSync(job, { force: true });
  }
}
