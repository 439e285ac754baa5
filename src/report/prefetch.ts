/**
 * The report's shared passes, computed in a child process from the moment the report starts, while
 * the tslab kernels start and the notebooks begin with work of their own. Every notebook reads each
 * model's shared pass first (cache.ts); without this, the first notebook began it only after its
 * kernel start and toolkit import (about 2.5 s on 2 cores, on the report's critical path). The
 * child writes the same cache entries a notebook would (same key, same bytes), under the results
 * cache's lock, so a notebook that needs a pass still being computed waits for it instead of
 * encoding twice, and a pass nobody asked for costs time but never changes a result. A pass that
 * fails here is left to the notebooks, which compute it and report the error where it belongs.
 *
 * Run as a program (`node prefetch.js JSON`) it is that child: JSON = {models, sample, seed}.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { sharedAnalyses } from "./cache.js";

export interface PrefetchOptions {
  /** The report's --sample (undefined: each model's report sample, as the notebooks' `sample = null`). */
  sample?: number;
  /** The report's --seed (undefined: 1, the notebooks' default). */
  seed?: number;
  /** Extra environment for the child (default none). */
  env?: Record<string, string>;
  /** One line per pass: ready (with its seconds) or left to the notebooks (with the reason). */
  onProgress?: (message: string) => void;
}

export interface Prefetch {
  /** Resolves when the child has ended (never rejects). */
  done: Promise<void>;
  /** Ends the child if it still runs (a notebook failed, or nothing is left to read) and waits for it. */
  stop(): Promise<void>;
}

/** Starts the child computing each model's shared pass in turn, in report order. */
export function startPrefetch(models: readonly string[], { sample, seed, env = {}, onProgress }: PrefetchOptions = {}): Prefetch {
  const child: ChildProcess = spawn(process.execPath, [__filename, JSON.stringify({ models, sample: sample ?? null, seed: seed ?? 1 })], {
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "ignore"],
  });
  let buffered = "";
  child.stdout?.on("data", (b: Buffer) => {
    buffered += b.toString();
    for (let i; (i = buffered.indexOf("\n")) >= 0; buffered = buffered.slice(i + 1)) onProgress?.(`shared pass: ${buffered.slice(0, i)}`);
  });
  const done = new Promise<void>((resolve) => {
    child.once("exit", () => resolve());
    child.once("error", (e) => { onProgress?.(`shared pass: not computed ahead (${e.message}); the notebooks compute it`); resolve(); });
  });
  return {
    done,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
      await done;
    },
  };
}

/** The child: each model's shared pass, as a notebook with `sample`, `seed` and the default corpus asks for it. */
async function main(arg: string): Promise<void> {
  const { models, sample, seed } = JSON.parse(arg) as { models: string[]; sample: number | null; seed: number };
  for (const m of models) {
    const t0 = Date.now();
    try {
      const run = await sharedAnalyses(m, { sample, seed, corpus: "default", warnings: "ignore" });
      process.stdout.write(`${run.model}: ${run.cached ? "already cached" : `computed in ${((Date.now() - t0) / 1000).toFixed(1)} s`}\n`);
    } catch (e) {
      process.stdout.write(`${m}: left to the notebooks (${String((e as Error).message).split("\n")[0]})\n`);
    }
  }
}

if (require.main === module) void main(process.argv[2] ?? "{}");
