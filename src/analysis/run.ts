/**
 * runAnalyses: one streaming pass over the encoder feeding every selected analysis of the registry
 * (registry/index.ts) the same layer batches, then their results in registry order. No analysis is
 * named here: what runs, what it needs and where (this thread or the side worker) is the registry's.
 */
import { availableParallelism } from "node:os";
import { performance } from "node:perf_hooks";
import type { Encoder } from "../model/encoder.js";
import { DEFAULT_TOKEN_BUDGET } from "../model/batching.js";
import { createOrtLinalg } from "../model/linalg.js";
import { jsLinalg, type Linalg } from "../numerics/linalg.js";
import { integer } from "../numerics/options.js";
import { toLayerBatches, type LayerBatch } from "./batch.js";
import { outlierDims, type OutlierResult } from "./outliers.js";
import type { RunOptions } from "./options.js";
import type { AnalysisResults } from "./registry/results.js";
import { closure, reported, resolveOnly, BASE, type AnalysisName } from "./registry/index.js";
import type { Accumulator, AnalysisDescriptor, Need, ResultInputs, RunContext } from "./registry/types.js";
import { stateIdentity } from "./state.js";
import { SiteReducer } from "./siteReductions.js";
import { localSide, SideAccumulators, workerSide, type Side, type SideSettings } from "./side.js";
import { BlockTree, blockRanges, type BlockRange } from "./blocks.js";
import { combineBlocks, drain, isSide, liveParts, localAccumulators, MergedSet, mergeInto, toStates, type LiveBlock, type SetSpec } from "./blockState.js";
import { handOver } from "../numerics/arrays.js";
import type { StateEnvelope } from "./state.js";
import { Spill } from "./spill.js";

export { ANALYSIS_NAMES, DEFAULT_ANALYSES, analysisSites, resolveOnly, type AnalysisName } from "./registry/index.js";
export type { RunOptions, RunProgress } from "./options.js";
export type { AnalysisResults } from "./registry/results.js";
export { batchWords, frequentWords } from "./words.js";

/** What runAnalyses settled before the pass: validated options and what runs. */
export interface Plan {
  encoder: Encoder;
  sentences: string[];
  opts: RunOptions;
  seed: number;
  includeSpecial: boolean;
  batchSize: number | undefined;
  tokenBudget: number;
  fitSentences: number;
  blockSentences: number;
  /** The fit sample, then blockSentences at a time (blocks.ts). */
  blocks: BlockRange[];
  only: AnalysisName[];
  analyses: AnalysisDescriptor[];
  needs: Set<Need>;
  clip: AnalysisResults["clip"];
  clock: Stopwatch;
}

/** The running pass: the current block's accumulators in this thread, the side, the linear algebra and the block's counts. */
export interface Pass {
  spec: SetSpec;
  local: Map<string, Accumulator>;
  side: Side | null;
  inWorker: boolean;
  linalg: Linalg;
  ownLinalg: boolean;
  /** The site reductions' backend: onnxruntime, or plain TypeScript when linalg is "js". */
  reducer: SiteReducer;
  tokens: number;
  truncated: number;
  /** The last block analysed; -1 before the first (whose accumulators startPass made). */
  block: number;
  /** Where pending tree nodes wait on disk (removed when the pass ends). */
  spill: Spill;
}

/**
 * Runs the chosen analyses on `sentences` with one streaming pass over the encoder (the first
 * `fitSentences` first: they choose the clipped dims and fit the post-processings), feeding every
 * accumulator the same LayerBatches, block by block (blocks.ts: block states combine in a fixed tree,
 * the order a merge of shards uses too); dense linear algebra goes through `opts.linalg`. Returns plain
 * JSON; the same inputs, seed and backend give byte-identical JSON, whatever the batch size.
 */
export async function runAnalyses(encoder: Encoder, sentences: string[], opts: RunOptions = {}): Promise<AnalysisResults> {
  return withPass(encoder, sentences, opts, async (plan, pass) => {
    const tree = blockTree(plan, pass);
    for (let b = 0; b < plan.blocks.length; ++b) {
      await parkPending(plan, pass, tree);
      await tree.push(0, b, await runBlock(plan, pass, b));
    }
    return finish(plan, pass, tree.root());
  });
}

/** Plans the run, starts the pass, runs `body`, and releases the side and the linear algebra whatever happens. */
export async function withPass<T>(encoder: Encoder, sentences: string[], opts: RunOptions, body: (plan: Plan, pass: Pass) => Promise<T>): Promise<T> {
  const plan = planRun(encoder, sentences, opts);
  const pass = await startPass(plan);
  try {
    return await body(plan, pass);
  } finally {
    pass.spill.close();
    if (pass.side) await pass.side.close();
    if (pass.ownLinalg) await pass.linalg.release();
    await pass.reducer.release();
  }
}

/**
 * How many of the newest pending tree nodes stay in memory while the next block runs. At 4096
 * sentences a block, up to 2 are pending until 7 blocks (about 25,000 sentences), so runs of that size
 * never touch the disk; past it memory stays at this many nodes however long the sample.
 */
export const PENDING_IN_MEMORY = 2;

/** Moves the tree's pending nodes but the newest `keep` to disk (spill.ts) before more blocks run: memory then no longer grows with their number. */
export async function parkPending(plan: Plan, pass: Pass, tree: BlockTree<LiveBlock>, keep = PENDING_IN_MEMORY): Promise<void> {
  plan.clock.start();
  await tree.park((node) => pass.spill.park(node), keep);
  plan.clock.lap("blocks");
}

/** The canonical tree over the plan's blocks (blocks.ts), combining block states with fresh accumulators. */
export function blockTree(plan: Plan, pass: Pass, start = 0): BlockTree<LiveBlock> {
  return new BlockTree<LiveBlock>(plan.blocks.length, (l, r) => {
    const node = combineBlocks(pass.spec, plan.clip.dims, l, r);
    plan.clock.lap("blocks");
    return node;
  }, start);
}

/**
 * Analyses block `b` with fresh accumulators and returns them as a live node. Block 0 is the fit sample: at
 * its end the clipped dims are picked and the accumulators fit; later blocks' side parts start told
 * the dims.
 */
export async function runBlock(plan: Plan, pass: Pass, b: number): Promise<LiveBlock> {
  const { from, to } = plan.blocks[b];
  if (pass.block !== -1) pass.local = localAccumulators(pass.spec);
  pass.tokens = pass.truncated = 0;
  await encodeStage(plan, pass, from, to, b === 0 ? "fit" : "encode");
  for (const a of pass.local.values()) if (a.settle) await a.settle();
  const side = pass.side ? await pass.side.cut(plan.clip.dims) : null;
  pass.block = b;
  // the node keeps the block's accumulators (their states are taken one at a time when it merges); the next block makes fresh ones
  const parts = side instanceof SideAccumulators ? liveParts(pass.spec, pass.local, side, []) : liveParts(pass.spec, pass.local, null, side ?? []);
  pass.local = new Map();
  plan.clock.lap("blocks");
  return { sentences: to - from, tokens: pass.tokens, truncated: pass.truncated, parts };
}

/**
 * The results from the tree's root: fresh accumulators (here and in the side) with its states merged,
 * one analysis at a time (the whole set as JSON only for onStates).
 */
export async function finish(plan: Plan, pass: Pass, root: LiveBlock): Promise<AnalysisResults> {
  const counts = { tokens: root.tokens, truncated: root.truncated };
  if (plan.opts.onStates) {
    const { states } = toStates(root);
    await plan.opts.onStates(states);
    root = { ...root, parts: states.map((e) => ({ analysis: e.analysis, take: () => e })) };
  }
  plan.clock.start();
  const set = new MergedSet(pass.spec, plan.clip.dims, false), side: StateEnvelope[] = [];
  // onStates' caller may keep the states: their arrays are copied, not handed over, when merged
  drain(root, (e, own) => (isSide(pass.spec, e.analysis) ? side.push(own ? handOver(e) : e) : mergeInto(set, e, own)));
  pass.local = set.local;
  await pass.side?.load(plan.clip.dims, pass.spec.model, side);
  plan.clock.lap("blocks");
  pass.tokens = counts.tokens;
  pass.truncated = counts.truncated;
  return assemble(plan, pass);
}

/** Checks the options and resolves what runs. */
function planRun(encoder: Encoder, sentences: string[], opts: RunOptions): Plan {
  const { seed = 0, includeSpecial = false, batchSize, tokenBudget = DEFAULT_TOKEN_BUDGET, clipDims = null } = opts;
  integer(seed, "seed", 0, 0xffffffff);
  if (batchSize !== undefined) integer(batchSize, "batchSize", 1);
  integer(tokenBudget, "tokenBudget", 1);
  if (!Array.isArray(sentences) || sentences.length === 0) throw new RangeError("sentences: the sample is empty; pass at least two sentences (anisotropy pairs tokens from different sentences)");
  const only = resolveOnly(opts.only);
  const fitSentences = Math.min(integer(opts.fitSentences ?? 200, "fitSentences", 1), sentences.length);
  const blockSentences = integer(opts.blockSentences ?? 4096, "blockSentences", 1);
  if (clipDims) for (const d of clipDims) if (!Number.isInteger(d) || d < 0 || d >= encoder.hidden) throw new RangeError(`invalid clip dimension: ${JSON.stringify(d)}; expected an integer in [0, ${encoder.hidden - 1}] (hidden size ${encoder.hidden})`);
  const { analyses, needs } = closure(only);
  const clip: AnalysisResults["clip"] = needs.has("clip") && clipDims
    ? { dims: [...clipDims].sort((a, b) => a - b), source: "option", fitSentences, matchesOutliers: null }
    : { dims: [], source: "none", fitSentences, matchesOutliers: null };
  const blocks = blockRanges(sentences.length, fitSentences, blockSentences);
  return { encoder, sentences, opts, seed, includeSpecial, batchSize, tokenBudget, fitSentences, blockSentences, blocks, only, analyses, needs, clip, clock: stopwatch(opts.timings) };
}

/** Makes block 0's accumulators, the side (in a worker or here) and the linear algebra backend. */
async function startPass(plan: Plan): Promise<Pass> {
  const { encoder, sentences, opts, seed, includeSpecial, only, analyses, clock } = plan;
  let linalg: Linalg | null = null;
  const reducer = new SiteReducer(opts.linalg === "js" || (typeof opts.linalg === "object" && opts.linalg.backend === "js") ? "js" : "onnxruntime", encoderThreads(encoder));
  const base: SetSpec["base"] = {
    encoder, sentences, opts, seed, includeSpecial,
    wants: (n) => (only as string[]).includes(n),
    runs: (n) => analyses.some((d) => d.name === n),
    linalg: () => linalg ?? fail("RunContext.linalg: the backend starts after the accumulators are made; call it from add, fit or result"),
    reductions: (enc) => reducer.reductions(enc),
    lap: (phase) => clock.lap(phase),
  };
  const ctx = { ...base, peer: () => null } as RunContext;
  const sideSettings: SideSettings = {
    dim: encoder.hidden, seed, includeSpecial,
    parts: analyses.flatMap((d) => (d.side ? [{ name: d.name, settings: d.side.settings(ctx) }] : [])),
  };
  const hasSide = sideSettings.parts.length > 0;
  const spec: SetSpec = { base, analyses, side: hasSide ? sideSettings : null, model: stateIdentity(encoder.provenance()) };
  const local = localAccumulators(spec);
  const linalgKind = opts.linalg === undefined ? "onnxruntime" : typeof opts.linalg === "string" ? opts.linalg : null;
  const inWorker = useWorker(opts.worker ?? "auto", sentences.length, linalgKind) && hasSide;
  // the side checks its options here, before anything is started that would need releasing
  const side: Side | null = !hasSide ? null
    : inWorker ? workerSide(sideSettings, linalgKind!, encoderThreads(encoder), opts.timings)
    : localSide(sideSettings, () => base.linalg(), (phase) => clock.lap(phase));
  const ownLinalg = opts.linalg === undefined || opts.linalg === "onnxruntime";
  try {
    linalg = ownLinalg ? await createOrtLinalg({ threads: encoderThreads(encoder) }) : opts.linalg === "js" ? jsLinalg : (opts.linalg as Linalg);
  } catch (err) {
    await side?.close();
    throw err;
  }
  return { spec, local, side, inWorker, linalg, ownLinalg, reducer, tokens: 0, truncated: 0, block: -1, spill: new Spill() };
}

/**
 * Encodes sentences [from, to) and feeds every batch to every accumulator (sentence indices offset so
 * every row keeps its index in `sentences`); at the end of the fit stage, fits (fitStage).
 */
async function encodeStage(plan: Plan, pass: Pass, from: number, to: number, stage: "fit" | "encode"): Promise<void> {
  const { encoder, sentences, batchSize, tokenBudget, clock, opts } = plan;
  const { side, inWorker } = pass;
  const adders = [...pass.local.values()].filter((a) => a.add);
  const encAdders = [...pass.local.values()].filter((a) => a.addEncoded);
  // The fit sentences' layer batches wait here until their stage ends (memory bounded by the fit
  // sample, not the corpus); the others reuse `scratch` (every accumulator copies what it keeps).
  // The side worker gets its own copy of each batch (side.ts), taken before the adders below run.
  const keepFit = stage === "fit" && (plan.needs.has("fitBatches") || (side?.keepsFitBatches ?? false));
  const fitBatches: LayerBatch[] = [], scratch: Float32Array[] = [], inflight: Promise<void>[] = [];
  clock.start();
  const part = from === 0 && to === sentences.length ? sentences : sentences.slice(from, to);
  for await (const raw of encoder.encode(part, { batchSize, tokenBudget, onProgress: (done) => opts.onProgress?.({ stage, done: from + done, total: sentences.length, worker: inWorker }) })) {
    clock.lap("encode");
    const enc = from === 0 ? raw : { ...raw, sentenceIndex: raw.sentenceIndex.map((i) => i + from) };
    for (let b = 0; b < enc.batch; ++b) if (enc.truncated[b]) pass.truncated++;
    for (const t of enc.tokenCounts) pass.tokens += t;
    const layerBatches = toLayerBatches(enc, keepFit ? undefined : scratch);
    clock.lap("split");
    // whole batches (sites, token strings) first
    for (const a of encAdders) await a.addEncoded!(enc);
    if (stage === "fit" && plan.needs.has("fitBatches")) fitBatches.push(...layerBatches);
    // in a worker the side runs now, beside the loop below; in this thread, after it
    if (inWorker) inflight.push(later(side!.add(stage, enc, layerBatches)));
    if (inWorker) clock.lap("split");
    for (const lb of layerBatches) for (const a of adders) a.add!(lb);
    for (const a of adders) if (a.idle) await a.idle();
    if (!inWorker && side) await side.add(stage, enc, layerBatches);
    // the worker may finish the batch while the encoder runs the next one, no further behind
    while (inflight.length > SIDE_LAG) await inflight.shift();
    if (inWorker) clock.lap("wait");
  }
  clock.lap("encode");
  while (inflight.length) await inflight.shift();
  if (inWorker) clock.lap("wait");
  if (stage === "fit") await fitStage(plan, pass, fitBatches);
}

/** The end of the fit stage: the fit sample's persistent outliers become the clipped dims; accumulators fit. */
async function fitStage(plan: Plan, pass: Pass, fitBatches: LayerBatch[]): Promise<void> {
  const { clock } = plan;
  let sideFit: Promise<void> | null = null;
  if (plan.needs.has("clip") && !plan.opts.clipDims) {
    plan.clip = { dims: outlierDims(await baseResult(pass)), source: "fit-sample", fitSentences: plan.fitSentences, matchesOutliers: null };
    clock.lap("fit");
    // the side's clipped parts replay the fit sample (in the worker: while this thread fits)
    if (pass.side) sideFit = pass.side.fit(plan.clip.dims);
  }
  for (const a of pass.local.values()) if (a.fit) await a.fit(fitBatches);
  if (sideFit) {
    await sideFit;
    clock.lap(pass.inWorker ? "wait" : "fit");
  }
  fitBatches.length = 0;
}

/** The base analysis' result (the outlier scan, which every run has). */
async function baseResult(pass: Pass): Promise<OutlierResult> {
  return (await pass.local.get(BASE)!.result({ outliers: null!, dims: [], clipDims: [], results: new Map() })) as OutlierResult;
}

/**
 * Every result, in registry order (an analysis' needs come before it). Side results in the worker
 * start once this thread's results are done (their onnxruntime threads would compete with those of
 * the fits and anisotropy) and are awaited last; the results JSON has the same key order whichever
 * thread computed them.
 */
async function assemble(plan: Plan, pass: Pass): Promise<AnalysisResults> {
  const { clock, only, analyses, clip, sentences, seed, includeSpecial, fitSentences, batchSize, tokenBudget, blockSentences, opts } = plan;
  const outliers = await baseResult(pass), dims = outlierDims(outliers);
  if (clip.source === "fit-sample") clip.matchesOutliers = JSON.stringify(clip.dims) === JSON.stringify(dims);
  const values = new Map<string, unknown>([[BASE, outliers]]);
  const inputs: ResultInputs = { outliers, dims, clipDims: clip.dims, results: values };
  const deferred: AnalysisDescriptor[] = [];
  const rest = analyses.filter((d) => d.name !== BASE);
  for (const [i, d] of rest.entries()) {
    clock.start();
    opts.onProgress?.({ stage: "result", done: i, total: rest.length, analysis: d.name, worker: pass.inWorker });
    if (d.side && pass.inWorker) deferred.push(d);
    else if (d.side) values.set(d.name, await pass.side!.result(d.name, d.side.input(inputs)));
    else {
      const value = await pass.local.get(d.name)!.result(inputs);
      values.set(d.name, value);
      if (value !== undefined) clock.lap(`result.${d.name}`);
    }
  }
  const side = deferred.map((d) => later(pass.side!.result(d.name, d.side!.input(inputs))));
  for (const [i, d] of deferred.entries()) values.set(d.name, await side[i]);
  if (pass.inWorker) clock.lap("result.wait");
  const settings: AnalysisResults["settings"] = { only, seed, includeSpecial, tokens: includeSpecial ? "all" : "non-special", fitSentences, batchSize: batchSize ?? null, blockSentences, linalg: pass.linalg.backend, reducer: pass.reducer.backend };
  const results: AnalysisResults = { provenance: {}, settings, sample: { sentences: sentences.length, tokens: pass.tokens, truncated: pass.truncated, layers: outliers.layerIndices }, clip, outliers };
  const out = results as unknown as Record<string, unknown>;
  for (const d of rest) if (reported(d, only) && values.get(d.name) !== undefined) out[d.name] = values.get(d.name);
  results.provenance = {
    ...plan.encoder.provenance(), package: packageVersions(), node: process.version, seed, settings,
    // how the sample was batched: recorded, never a setting of the results (batching does not change them)
    batching: { tokenBudget, batchSize: batchSize ?? null },
    sampleSizes: { sentences: sentences.length, tokens: pass.tokens, fitSentences },
  };
  return results;
}

function fail(message: string): never {
  throw new Error(message);
}

/**
 * A promise awaited later: marked handled now, so that if it fails while this thread fails first
 * (and never awaits it) Node does not also report an unhandled rejection; awaiting it still throws.
 */
function later<T>(p: Promise<T>): Promise<T> {
  p.catch(() => {});
  return p;
}

/**
 * Batches the side worker may still be working on when the encoder starts the next one. 1 (rather
 * than 0, waiting for it before every encode) measured +2.8% and +3.8% against +4.6% on the default
 * sample (all-MiniLM-L6-v2, 2 cores): the worker's tail overlaps the encoder instead of idling it.
 */
const SIDE_LAG = 1;

/** RunOptions.worker resolved: whether the side runs in a worker thread. */
function useWorker(worker: boolean | "auto", sentences: number, linalg: "onnxruntime" | "js" | null): boolean {
  if (worker !== true && worker !== false && worker !== "auto") throw new RangeError(`invalid worker: ${JSON.stringify(worker)}; expected true, false or "auto"`);
  if (worker === true && linalg === null) throw new RangeError('worker: true needs linalg "onnxruntime" or "js" (a Linalg instance cannot move to a worker thread); pass worker: false');
  if (worker !== "auto") return worker;
  return linalg !== null && sentences >= 500 && availableParallelism() > 1;
}

/** Adds the seconds since the last start or lap to `timings[phase]`; does nothing without timings. */
interface Stopwatch {
  start(): void;
  lap(phase: string): void;
}

function stopwatch(timings: Record<string, number> | undefined): Stopwatch {
  let t = 0;
  if (!timings) return { start() {}, lap() {} };
  return {
    start() {
      t = performance.now();
    },
    lap(phase) {
      const now = performance.now();
      timings[phase] = (timings[phase] ?? 0) + (now - t) / 1000;
      t = now;
    },
  };
}

/** The encoder's ORT thread count (its provenance), so the linear algebra uses the same. */
function encoderThreads(encoder: Encoder): number | undefined {
  const t = encoder.provenance().threads;
  return typeof t === "number" ? t : undefined;
}

function packageVersions(): Record<string, string | null> {
  const version = (name: string): string | null => {
    try {
      return (require(`${name}/package.json`) as { version: string }).version;
    } catch {
      return null;
    }
  };
  let own: string | null = null;
  try {
    own = (require("../../../package.json") as { version: string }).version;
  } catch {
    own = null;
  }
  return { "positional-artefacts": own, "onnxruntime-node": version("onnxruntime-node"), "@huggingface/transformers": version("@huggingface/transformers") };
}
