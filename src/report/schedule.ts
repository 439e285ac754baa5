/**
 * Runs a report's notebooks, `jobs` at a time. Notebooks are independent: each reads the shared
 * passes through the results cache, whose lock makes a second notebook wait for a pass another is
 * computing instead of encoding twice. A tslab start plus the toolkit's import is about 2.5 s of CPU,
 * so each job keeps ONE kernel for the notebooks it runs from one folder (`reuseKernels`, the default
 * with tslab): before each notebook a prelude cell points PA_INPUT_LOG at that notebook's own file
 * and drops the toolkit's modules from the require cache, so its import gets fresh module state
 * (show.ts' "plotly.js with the first figure", warnings once per process, input notes) exactly as
 * in a kernel of its own; execute.ts numbers its cells from 1 as a fresh kernel does. With another
 * kernel command (`kernelArgv`) or `reuseKernels: false` each notebook gets its own kernel, the next
 * one started while the running ones work. The inputs each notebook read come back with its
 * outputs. The first failing notebook stops the others; its error is the one thrown.
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
  /** One tslab kernel per job for the notebooks of one folder (default: true unless kernelArgv is given). */
  reuseKernels?: boolean;
  /** Extra environment for every kernel (default none). */
  env?: Record<string, string>;
}

export interface Executed {
  notebook: Notebook;
  inputs: InputRecord[];
  /** The process id of the kernel that ran it. */
  kernelPid?: number;
}

/** The toolkit's compiled modules (dist/), which a notebook's `import * as pa` loads. */
const TOOLKIT_DIST = path.resolve(__dirname, "..", "..") + path.sep;

/**
 * The cell run in a reused kernel before a notebook: its own input log, and the toolkit's modules
 * out of the require cache so the notebook's import evaluates them afresh (state as in a new kernel).
 * A block, so tslab declares nothing and prints nothing.
 */
export function preludeCell(inputLog: string, dist = TOOLKIT_DIST): string {
  return [
    "{",
    `  process.env[${JSON.stringify(INPUT_LOG_ENV)}] = ${JSON.stringify(inputLog)};`,
    `  for (const k of Object.keys(require.cache)) if (k.startsWith(${JSON.stringify(dist)}) && !k.endsWith(".node")) delete require.cache[k];`,
    "}",
  ].join("\n");
}

const newLog = () => path.join(os.tmpdir(), `pa-inputs-${process.pid}-${randomBytes(6).toString("hex")}.jsonl`);

/** Executes every job; resolves with each one's executed notebook and inputs, by index. */
export async function runNotebooks(todo: readonly NotebookJob[], options: ScheduleOptions): Promise<Map<number, Executed>> {
  const { kernelArgv, reuseKernels = kernelArgv === undefined } = options;
  return reuseKernels ? runReusing(todo, options) : runFresh(todo, options);
}

/** Shared by both ways: progress, timing, the first failure stops the rest. */
async function runJob(job: NotebookJob, kernel: Promise<Kernel>, log: string, prelude: string | undefined, keepKernel: boolean, { cellTimeoutMs, total, onProgress }: ScheduleOptions): Promise<Executed> {
  const step = `[${job.index + 1}/${total}]`;
  onProgress?.(`${step} ${job.name}: starting`);
  const t0 = Date.now();
  const notebook = await executeNotebook(job.file, { parameters: job.parameters, cellTimeoutMs, kernel, name: job.name, prelude, keepKernel, onProgress: (m) => onProgress?.(`${step} ${m}`) });
  const executed = { notebook, inputs: readInputLog(log), kernelPid: (await kernel).pid };
  onProgress?.(`${step} ${job.name}: done in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  return executed;
}

/** One kernel per job, reused for consecutive notebooks of one folder. */
async function runReusing(todo: readonly NotebookJob[], options: ScheduleOptions): Promise<Map<number, Executed>> {
  const { jobs = 1, kernelArgv, env = {} } = options;
  const out = new Map<number, Executed>();
  const live = new Set<Promise<Kernel>>();
  let next = 0;
  let failure: { error: unknown } | null = null;
  const worker = async () => {
    let held: { kernel: Promise<Kernel>; dir: string } | null = null;
    try {
      while (failure === null && next < todo.length) {
        const job = todo[next++];
        const dir = path.dirname(path.resolve(job.file));
        if (held && held.dir !== dir) {
          live.delete(held.kernel);
          await held.kernel.then((k) => k.shutdown(), () => undefined);
          held = null;
        }
        if (!held) {
          const kernel = startKernelFor(job.file, { kernelArgv, env });
          kernel.catch(() => undefined); // its failure surfaces when the notebook runs
          live.add(kernel);
          held = { kernel, dir };
        }
        const log = newLog();
        try {
          out.set(job.index, await runJob(job, held.kernel, log, preludeCell(log), true, options));
        } catch (e) {
          if (failure === null) {
            failure = { error: e };
            // stop the notebooks still running: the report is not written anyway
            for (const other of live) if (other !== held.kernel) void other.then((k) => k.kill(), () => undefined);
          }
        } finally {
          fs.rmSync(log, { force: true });
        }
      }
    } finally {
      if (held) {
        live.delete(held.kernel);
        await held.kernel.then((k) => k.shutdown(), () => undefined);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(jobs, todo.length)) }, worker));
  if (failure !== null) throw (failure as { error: unknown }).error;
  return out;
}

/** A kernel per notebook, the next one started while the running ones work. */
async function runFresh(todo: readonly NotebookJob[], options: ScheduleOptions): Promise<Map<number, Executed>> {
  const { jobs = 1, kernelArgv, env = {} } = options;
  const out = new Map<number, Executed>();
  const started = new Map<number, { kernel: Promise<Kernel>; log: string; claimed: boolean }>();
  const start = (job: NotebookJob) => {
    let s = started.get(job.index);
    if (!s) {
      const log = newLog();
      const kernel = startKernelFor(job.file, { kernelArgv, env: { ...env, [INPUT_LOG_ENV]: log } });
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
      try {
        out.set(job.index, await runJob(job, s.kernel, s.log, undefined, false, options));
      } catch (e) {
        if (failure === null) {
          failure = { error: e };
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
