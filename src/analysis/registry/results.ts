/** The results JSON of runAnalyses: one key per analysis of the registry that reports. */
import type { AnisotropyResult } from "../anisotropy.js";
import type { ContributionResult } from "../contributions.js";
import type { IsotropyResult } from "../isotropy.js";
import type { OriginResult } from "../origins.js";
import type { OutlierResult } from "../outliers.js";
import type { PositionResult } from "../positions.js";
import type { ProbeResult } from "../probe.js";
import type { SelfSimResult } from "../selfsim.js";
import type { MassiveResult } from "../massive.js";
import type { NormsResult } from "../norms.js";
import type { SinkResult } from "../sinks.js";
import type { AnalysisName } from "./index.js";

export interface AnalysisResults {
  provenance: Record<string, unknown>;
  settings: {
    only: AnalysisName[];
    seed: number;
    includeSpecial: boolean;
    tokens: "all" | "non-special";
    fitSentences: number;
    /** The sentence cap per encoder batch, null for none (the token budget, in provenance.batching, decides). */
    batchSize: number | null;
    blockSentences: number;
    linalg: "js" | "onnxruntime";
    /** The site reductions' backend (massive, norms): onnxruntime, or plain TypeScript when linalg is "js". */
    reducer: "js" | "onnxruntime";
  };
  sample: { sentences: number; tokens: number; truncated: number; layers: number[] };
  clip: { dims: number[]; source: "option" | "fit-sample" | "none"; fitSentences: number; matchesOutliers: boolean | null };
  outliers: OutlierResult;
  origins?: OriginResult;
  positions?: PositionResult;
  probe?: ProbeResult;
  anisotropy?: AnisotropyResult;
  selfsim?: { raw: SelfSimResult; clipped: SelfSimResult };
  contributions?: ContributionResult;
  massive?: MassiveResult;
  norms?: NormsResult;
  sinks?: SinkResult;
  isotropy?: IsotropyResult;
}
