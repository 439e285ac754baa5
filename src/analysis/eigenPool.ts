/**
 * The eigenvalues of many symmetric matrices (isotropy's covariances: one per layer and variant, 35
 * of 384 x 384 for all-MiniLM-L6-v2, ~1.7 s in one thread), shared between this thread and one worker
 * thread when the machine has a second core: the same function on the same inputs, so the same bits.
 * This file is the worker's script too; it imports only the eigen solver, so the worker starts fast.
 */
import { Worker, isMainThread, parentPort, workerData } from "node:worker_threads";
import { availableParallelism } from "node:os";
import { symmetricEigenvalues } from "../numerics/eigen/values.js";

/** A worker start: the matrices it solves (row-major, dim x dim each). */
interface EigenJob {
  positionalArtefactsEigen: { matrices: Float64Array[]; dim: number };
}

/** Below this much work (matrices x dim³) a worker's start costs more than it saves. */
const MIN_WORK = 4 * 128 ** 3;

/**
 * symmetricEigenvalues of each matrix ([dim x dim] row-major), in order. `worker`: true always hands
 * every other matrix to a worker thread, false never, "auto" (default) when there are 2+ cores and
 * enough work. The matrices given to the worker are copied, never moved.
 */
export async function eigenvaluesOfMany(matrices: readonly Float64Array[], dim: number, { worker = "auto" }: { worker?: boolean | "auto" } = {}): Promise<Float64Array[]> {
  const use = worker === "auto" ? matrices.length >= 2 && matrices.length * dim ** 3 >= MIN_WORK && availableParallelism() > 1 : worker && matrices.length >= 2;
  if (!use) return matrices.map((m) => symmetricEigenvalues(m, dim));
  // odd indices to the worker, even ones here: the matrices are alike in size, so the halves are too
  const theirs = matrices.filter((_, i) => i % 2 === 1);
  const job: EigenJob = { positionalArtefactsEigen: { matrices: theirs, dim } };
  const w = new Worker(__filename, { workerData: job });
  const done = new Promise<Float64Array[]>((resolve, reject) => {
    w.once("message", resolve);
    w.once("error", reject);
    w.once("exit", (code) => reject(new Error(`isotropy eigenvalue worker exited with code ${code} before answering`)));
  });
  // marked handled: if this thread's half throws first, the worker's outcome is not awaited
  done.catch(() => {});
  try {
    const mine = matrices.filter((_, i) => i % 2 === 0).map((m) => symmetricEigenvalues(m, dim));
    const other = await done;
    return matrices.map((_, i) => (i % 2 === 0 ? mine[i / 2] : other[(i - 1) / 2]));
  } finally {
    await w.terminate();
  }
}

function serve({ matrices, dim }: EigenJob["positionalArtefactsEigen"]): void {
  const values = matrices.map((m) => symmetricEigenvalues(m, dim));
  parentPort!.postMessage(values, values.map((v) => v.buffer as ArrayBuffer));
}

if (!isMainThread && (workerData as Partial<EigenJob> | null)?.positionalArtefactsEigen) serve((workerData as EigenJob).positionalArtefactsEigen);
