/**
 * What an analysis is to the run driver (run.ts): a descriptor with its name, what it needs, and how
 * to make its accumulator from the run's context. Adding an analysis is one file in this folder and
 * one line in index.ts (ARCHITECTURE.md, "Where to add").
 */
import type { Encoder } from "../../model/encoder.js";
import type { EncodedBatch, SiteBatch, SiteKind } from "../../model/types.js";
import type { BatchReductions } from "../siteReductions.js";
import type { LayerBatch } from "../batch.js";
import type { Linalg } from "../../numerics/linalg.js";
import type { OutlierResult } from "../outliers.js";
import type { RunOptions } from "../options.js";

/** What the run knows when accumulators are made and results assembled. */
export interface RunContext {
  readonly encoder: Encoder;
  readonly sentences: readonly string[];
  readonly opts: RunOptions;
  readonly seed: number;
  readonly includeSpecial: boolean;
  /** Whether an analysis was asked for (RunOptions.only resolved). */
  wants(name: string): boolean;
  /** Whether an analysis runs (asked for, or needed by one that was). */
  runs(name: string): boolean;
  /** Another running analysis' accumulator (for a fused pass or a result that reads it); null if it does not run. */
  peer<T extends Accumulator>(name: string): T | null;
  /** The dense linear algebra backend (available from the first batch on). */
  linalg(): Linalg;
  /** Adds the seconds since the last lap to a phase of RunOptions.timings. */
  lap(phase: string): void;
}

/** What results are computed from: the outlier result, the clipped dims and earlier analyses' results. */
export interface ResultInputs {
  readonly outliers: OutlierResult;
  /** The outlier dims (every layer, sorted, unique): what the probe and the position profile report. */
  readonly dims: readonly number[];
  /** The clipped dims (RunOptions.clipDims or the fit sample's persistent outliers; [] when nothing clips). */
  readonly clipDims: readonly number[];
  /** Results of the analyses named in `needs`, awaited. */
  readonly results: ReadonlyMap<string, unknown>;
}

/**
 * A running analysis in the calling thread. Every method is optional except result. The pass makes
 * one per block (blocks.ts): block 0's (the fit sample) gets fit(); later blocks' are fresh and get
 * no fit, so add() may depend on the run's settings only (side parts get the clipped dims through
 * their fit(dims) before every block). Whatever fit() learns must live in the state, which merges
 * with the empty states of the later blocks.
 */
export interface Accumulator {
  /** Feeds one layer of one batch (every accumulator sees the same batches, in the same order). */
  add?(batch: LayerBatch): void;
  /**
   * Feeds one encoded batch whole (padded: every layer, the extra sites, token strings), before its
   * layer batches: for analyses that read activation sites or token strings (massive, norms, sinks).
   * Sentence indices are those of the run's sentences. The run awaits it before the next accumulator.
   */
  addEncoded?(batch: EncodedBatch): Promise<void> | void;
  /**
   * Called after each encoded batch's adds, before the encoder runs again: background work that must
   * not run beside the encoder (isotropy's Gram blocks: two onnxruntime thread pools contend) ends here.
   */
  idle?(): Promise<void>;
  /** The end of the fit stage: the fit sentences' layer batches (when the descriptor needs "fitBatches"). */
  fit?(batches: readonly LayerBatch[]): Promise<void> | void;
  /** The result, or undefined when the analysis adds nothing to the results JSON itself. */
  result(inputs: ResultInputs): Promise<unknown> | unknown;
  /**
   * Finishes work still in flight (isotropy's background Gram blocks); the run awaits it at the end of
   * every block, before state().
   */
  settle?(): Promise<void>;
  /** Its state (state.ts): the settings a merge needs to share, and the body; absent for a stateless analysis. */
  state?(): AccumulatorState;
  /** Merges the body of another accumulator's state (same settings: checked by unwrapState). */
  mergeState?(body: unknown): void;
}

/** An accumulator's state before it is wrapped in an envelope (state.ts). */
export interface AccumulatorState {
  settings: unknown;
  body: unknown;
}

/** What every side part is told besides its own settings. */
export interface SideCommon {
  /** The encoder's hidden size. */
  dim: number;
  seed: number;
  includeSpecial: boolean;
}

/** Adds the seconds since the last lap to a phase. */
export type Lap = (phase: string) => void;

/**
 * What the side gives its parts besides settings: the per-token and per-dim reductions of every token
 * site of an encoded batch (model/reductions.ts, in tokenSites(batch) order), computed once per batch
 * whichever part asks first (massive, norms).
 */
export interface SideEnv {
  reductions(batch: SiteBatch): Promise<BatchReductions>;
}

/**
 * An accumulator of the side (side.ts): it reads the layer batches (and the batch's words) or, with
 * addEncoded, the padded batch with its sites and token strings, so it can run in a worker thread
 * beside the encoder. Phases it laps: add.NAME, fit, result.NAME.
 */
export interface SidePart {
  /** Whether add() needs the batch's word table. */
  readonly needsWords: boolean;
  /** Whether the fit stage's batches must stay valid until fit() (it replays them). */
  readonly keepsFitBatches: boolean;
  add(stage: "fit" | "encode", batches: readonly LayerBatch[], words: Map<number, string[]> | null, lap: Lap): void;
  /**
   * Feeds one padded batch whole (its sites and token strings; sentence indices those of the run's
   * sentences), awaited before the next part: for parts that read activation sites (massive, norms).
   * The side then sends the worker the batch's site buffers and tokens too.
   */
  addEncoded?(batch: SiteBatch, lap: Lap): Promise<void>;
  /** The end of the fit stage: the clipped dims are known. */
  fit(clipDims: readonly number[], lap: Lap): void;
  result(linalg: () => Promise<Linalg>, input: unknown, lap: Lap): Promise<unknown>;
  state(): AccumulatorState;
  mergeState(body: unknown): void;
}

/** Run-level needs besides other analyses. */
export type Need = "clip" | "fitBatches";

/** One analysis. */
export interface AnalysisDescriptor<N extends string = string> {
  readonly name: N;
  /** One line for `artefacts analyze --help`. */
  readonly summary: string;
  /** Analyses whose accumulators or results this one reads (they run too), and run-level needs. */
  readonly needs: readonly (string | Need)[];
  /**
   * Activation site kinds (model/types.ts SiteKind) the encoder should deliver for this analysis, when
   * the model's family has them (sites.ts resolves them per family); hidden_states always come.
   */
  readonly sites?: readonly SiteKind[];
  /** Not in the default set: runs only when named in `only` (or, from the CLI, when its sites are asked for). */
  readonly optIn?: boolean;
  /** Also reported (its result key present) when one of these is asked for. */
  readonly reportedWith?: readonly string[];
  /**
   * Runs in the side part (side.ts: a worker thread beside the calling thread, or after it in the
   * calling thread): the accumulator lives there, made from these plain-JSON settings by the side
   * registry (registry/side.ts) under the descriptor's name.
   */
  readonly side?: {
    /** The side accumulator's settings (plain JSON: they may go to a worker thread). */
    settings(ctx: RunContext): unknown;
    /** What its result needs from this thread (plain JSON). */
    input(inputs: ResultInputs): unknown;
    /** The side accumulator, made in the side's thread from `settings`. */
    part(settings: unknown, common: SideCommon, env: SideEnv): SidePart;
  };
  /** The accumulator in the calling thread (absent for side analyses). */
  readonly create?: (ctx: RunContext) => Accumulator;
}

/** Typed identity, so the registry keeps each descriptor's literal name. */
export function defineAnalysis<N extends string>(d: AnalysisDescriptor<N>): AnalysisDescriptor<N> {
  return d;
}
