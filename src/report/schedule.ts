/**
 * Runs a report's notebooks, `jobs` at a time, each in its own kernel (notebooks are independent:
 * each reads the shared passes through the results cache, whose lock makes a second notebook wait
 * for a pass another is computing instead of encoding twice). The next notebook's kernel starts
 * while the running ones work (a tslab start is seconds of compiler set-up). Each kernel gets its
 * own PA_INPUT_LOG file, so the inputs each notebook read come back with its outputs. The first
 * failing notebook stops the others; its error is the one thrown.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { randomBytes } from "node:crypto";
import { INPUT_LOG_ENV, readInputLog, type InputRecord } from "../numerics/inputs.js";
import { executeNotebook, startKernelFor, type Notebook } from "./execute.js";
import type { Kernel } from "./kernel.js";

export interface NotebookJob {
  /** Position in the report (0-based). */
  index: number;
  file: string;
  /** How progress and errors name it. */
  name: string;
  parameters: Record<string, unknown>;
}

export interface ScheduleOptions {
  /** Notebooks run at once (default 1). */
  jobs?: number;
  cellTimeoutMs: number;
  kernelArgv?: string[];
  /** Notebooks in the report, for the "[i/n]" of progress lines. */
  total: number;
  onProgress?: (message: string) => void;
}

export interface Executed {
  notebook: Notebook;
  inputs: InputRecord[];
}

/** Executes every job; resolves with each one's executed notebook and inputs, by index. */
export async function runNotebooks(todo: readonly NotebookJob[], { jobs = 1, cellTimeoutMs, kernelArgv, total, onProgress }: ScheduleOptions): Promise<Map<number, Executed>> {
  const out = new Map<number, Executed>();
  const started = new Map<number, { kernel: Promise<Kernel>; log: string; claimed: boolean }>();
  const start = (job: NotebookJob) => {
    let s = started.get(job.index);
    if (!s) {
      const log = path.join(os.tmpdir(), `pa-inputs-${process.pid}-${randomBytes(6).toString("hex")}.jsonl`);
      const kernel = startKernelFor(job.file, { kernelArgv, env: { [INPUT_LOG_ENV]: log } });
      kernel.catch(() => undefined); // its failure surfaces when the notebook runs
      started.set(job.index, (s = { kernel, log, claimed: false }));
    }
    return s;
  };
  let next = 0;
  let failure: { error: unknown } | null = null;
  const worker = async () => {
    while (failure === null && next < todo.length) {
      const job = todo[next++];
      const s = start(job);
      s.claimed = true;
      if (next < todo.length) start(todo[next]);
      const step = `[${job.index + 1}/${total}]`;
      onProgress?.(`${step} ${job.name}: starting`);
      const t0 = Date.now();
      try {
        const notebook = await executeNotebook(job.file, { parameters: job.parameters, cellTimeoutMs, kernel: s.kernel, name: job.name, onProgress: (m) => onProgress?.(`${step} ${m}`) });
        out.set(job.index, { notebook, inputs: readInputLog(s.log) });
        onProgress?.(`${step} ${job.name}: done in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
      } catch (e) {
        if (failure === null) {
          failure = { error: e };
          // stop the notebooks still running: the report is not written anyway
          for (const other of started.values()) if (other !== s) void other.kernel.then((k) => k.kill(), () => undefined);
        }
      } finally {
        fs.rmSync(s.log, { force: true });
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.max(1, Math.min(jobs, todo.length)) }, worker));
  } finally {
    // kernels started ahead for notebooks that never ran (after a failure)
    for (const s of started.values()) {
      if (!s.claimed) await s.kernel.then((k) => k.shutdown(), () => undefined);
      fs.rmSync(s.log, { force: true });
    }
  }
  if (failure !== null) throw (failure as { error: unknown }).error;
  return out;
}
