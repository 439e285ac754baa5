/**
 * The bench's hook for issue 3 item 5 ("the analyses add at most 10% to extraction time on the default
 * sample and keep memory flat as the corpus grows"). The analyses are written elsewhere
 * (src/analysis/run.ts, `runAnalyses`); the bench loads that module only if it exists, so the bench
 * builds and runs without it and reports the measurement as not done.
 *
 * Assumed call: `runAnalyses(encoder, sentences, options?)` returning a promise of the results, which
 * encodes the sentences itself (batch 32) and feeds every batch to every analysis.
 */
import * as path from "node:path";
import type { Encoder } from "../src/model/encoder.js";

export interface AnalysisHook {
  available: boolean;
  /** Why the analyses cannot be measured, when not available. */
  reason: string;
  /** Runs every analysis over the sentences with this encoder. */
  run(encoder: Encoder, sentences: string[]): Promise<unknown>;
}

type RunAnalyses = (encoder: Encoder, sentences: string[], options?: Record<string, unknown>) => Promise<unknown>;

/** Loads src/analysis/run.ts (compiled) when present. */
export function analysisHook(): AnalysisHook {
  const file = path.join(__dirname, "..", "src", "analysis", "run.js");
  let fn: RunAnalyses | undefined;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    fn = (require(file) as { runAnalyses?: RunAnalyses }).runAnalyses;
  } catch (err) {
    const missing = (err as NodeJS.ErrnoException).code === "MODULE_NOT_FOUND";
    return unavailable(missing ? "src/analysis/run.ts does not exist yet" : `src/analysis/run.ts fails to load (${(err as Error).message.split("\n")[0]})`);
  }
  if (typeof fn !== "function") return unavailable("src/analysis/run.ts exports no runAnalyses function");
  const runAnalyses = fn;
  return { available: true, reason: "", run: (encoder, sentences) => runAnalyses(encoder, sentences, { batchSize: 32 }) };
}

function unavailable(reason: string): AnalysisHook {
  return {
    available: false,
    reason,
    run: () => Promise.reject(new Error(`bench: analyses not measurable: ${reason}`)),
  };
}
