/**
 * Shard and merge: `runShard` analyses shard K of N of a sample (a contiguous run of whole blocks,
 * blocks.ts) and returns the maximal subtrees of the block tree it holds, with every analysis' state;
 * `mergeShards` checks a set of N shards and pushes their subtrees into the same tree, then computes
 * the results as runAnalyses does from its root. The block tree fixes the order of every float sum,
 * so the merged results are the single run's bytes (provenance aside), for any N.
 *
 * The fit: a shard that does not own block 0 (the fit sample) but needs its clipped dims analyses
 * block 0 as the single run does, takes the dims and drops the block's states (its owner sends
 * them), so every shard fits the same bits. A shard owning no block encodes nothing.
 */
import * as crypto from "node:crypto";
import type { Encoder } from "../model/encoder.js";
import { shardBlocks } from "./blocks.js";
import { fromStates, toStates, type BlockState } from "./blockState.js";
import type { RunOptions } from "./options.js";
import type { AnalysisResults } from "./registry/results.js";
import { blockTree, finish, parkPending, runBlock, withPass, type Plan } from "./run.js";
import { stateIdentity, type ModelIdentity } from "./state.js";

export const SHARD_FORMAT = "positional-artefacts/analysis-shard";
/** Bumped whenever the shard layout changes (the states inside carry their own version). */
export const SHARD_VERSION = 1;

/** Which shard: index in [0, count). */
export interface ShardSpec {
  index: number;
  count: number;
}

/** What one shard writes: plain JSON. */
export interface ShardState {
  format: typeof SHARD_FORMAT;
  version: number;
  shard: ShardSpec;
  /** The sample's blocks, and the ones this shard owns: [first, end). */
  blocks: { count: number; first: number; end: number };
  /** The sample: its size and the sha256 of its sentences (JSON). */
  sample: { sentences: number; sha256: string };
  model: ModelIdentity;
  /** Everything in the options that changes a result (runSettings). */
  settings: Record<string, unknown>;
  /** The clip as the fit gave it; null when this shard ran no fit (it owns no block). */
  clip: AnalysisResults["clip"] | null;
  /** The maximal subtrees of the block tree this shard holds, left to right. */
  nodes: { level: number; index: number; value: BlockState }[];
  provenance: Record<string, unknown>;
  /** The caller's own record (the CLI keeps the command's settings here, to reopen the model and sample). */
  meta?: unknown;
}

/** A node as a shard file's header lists it: where it sits, its counts, and how many envelopes follow. */
export interface ShardNodeInfo {
  level: number;
  index: number;
  sentences: number;
  tokens: number;
  truncated: number;
  states: number;
}

/** A shard without its states: what the set is checked on before any state is read. */
export type ShardHeader = Omit<ShardState, "nodes"> & { nodes: ShardNodeInfo[] };

/** A shard to merge: its header, and its nodes read on demand (a file streams them; see cli/shardFile.ts). */
export interface ShardSource {
  name: string;
  header: ShardHeader;
  nodes(): AsyncIterable<ShardState["nodes"][number]>;
}

/** The header of an in-memory shard (a malformed one is left for checkShards to refuse). */
export function shardHeader(s: ShardState): ShardHeader {
  const { nodes, ...rest } = s;
  const info = Array.isArray(nodes)
    ? nodes.map((n) => ({ level: n?.level, index: n?.index, sentences: n?.value?.sentences, tokens: n?.value?.tokens, truncated: n?.value?.truncated, states: n?.value?.states?.length }))
    : nodes;
  return { ...rest, nodes: info as ShardNodeInfo[] };
}

/** Runs shard `shard.index` of `shard.count` of the analyses on `sentences` (see the header). */
export async function runShard(encoder: Encoder, sentences: string[], opts: RunOptions, shard: ShardSpec, meta?: unknown): Promise<ShardState> {
  return withPass(encoder, sentences, opts, async (plan, pass) => {
    const { first, end } = shardBlocks(plan.blocks.length, shard.index, shard.count);
    const fits = plan.clip.source !== "option" && plan.needs.has("clip");
    if (first > 0 && first < end && fits) await runBlock(plan, pass, 0);
    const tree = blockTree(plan, pass, first);
    for (let b = first; b < end; ++b) {
      await parkPending(plan, pass, tree);
      await tree.push(0, b, await runBlock(plan, pass, b));
    }
    return {
      format: SHARD_FORMAT, version: SHARD_VERSION, shard: { index: shard.index, count: shard.count },
      blocks: { count: plan.blocks.length, first, end }, sample: sampleId(sentences), model: pass.spec.model, settings: runSettings(plan),
      clip: first < end || !fits ? { ...plan.clip, dims: [...plan.clip.dims] } : null,
      // the shard file's nodes: the only place a shard's states become JSON
      nodes: tree.pending.map(({ level, index, value }) => ({ level, index, value: toStates(value) })),
      provenance: { ...encoder.provenance(), sampleSizes: { sentences: tree.pending.reduce((n, x) => n + x.value.sentences, 0) } },
      ...(meta === undefined ? {} : { meta }),
    };
  });
}

/**
 * The results of the whole run from its N shards (any order; in memory, or ShardSources that stream
 * their nodes): the set is checked first (checkShards), then the shards' subtrees go into the block
 * tree left to right, each read when its turn comes. `encoder`, `sentences` and `opts` are the shards'
 * (the model is opened, not run: origins reads its tensors).
 */
export async function mergeShards(encoder: Encoder, sentences: string[], opts: RunOptions, shards: readonly (ShardState | ShardSource)[]): Promise<AnalysisResults> {
  const sources = shards.map((x, i): ShardSource => ("header" in x ? x : shardSource(x, `shard ${x?.shard?.index ?? i}`)));
  const ordered = checkShards(sources.map((x) => ({ name: x.name, shard: x.header })));
  const byName = new Map(sources.map((x) => [x.name, x]));
  return withPass(encoder, sentences, opts, async (plan, pass) => {
    const expect = { model: stateIdentity(encoder.provenance()), sample: sampleId(sentences), settings: runSettings(plan), blocks: plan.blocks.length };
    checkAgainst(ordered[0], expect);
    const clip = ordered.find((x) => x.shard.clip)!.shard.clip!;
    plan.clip = { ...clip, dims: [...clip.dims] };
    const tree = blockTree(plan, pass);
    for (const { name, shard } of ordered) {
      let i = 0;
      for await (const n of byName.get(name)!.nodes()) {
        const info = shard.nodes[i++];
        if (!info || n.level !== info.level || n.index !== info.index || n.value.states.length !== info.states) throw new RangeError(`${name}: node ${i - 1} is not the one its header lists; the file is damaged: rerun that shard`);
        await parkPending(plan, pass, tree);
        await tree.push(n.level, n.index, fromStates(n.value));
      }
      if (i !== shard.nodes.length) throw new RangeError(`${name}: ${i} of ${shard.nodes.length} nodes; the file is truncated: rerun that shard`);
    }
    const results = await finish(plan, pass, tree.root());
    results.provenance = { ...results.provenance, shards: ordered.map(({ name, shard }) => ({ name, index: shard.shard.index, count: shard.shard.count, blocks: [shard.blocks.first, shard.blocks.end], provenance: shard.provenance })) };
    return results;
  });
}

/** An in-memory shard as a source named `name` (a file name, in messages). */
export function shardSource(s: ShardState, name: string): ShardSource {
  return {
    name, header: shardHeader(s),
    async *nodes() {
      // copies of the lists: the tree empties the nodes it consumes, the caller's shard stays whole
      for (const n of s.nodes) yield { ...n, value: { ...n.value, states: [...n.value.states] } };
    },
  };
}

/**
 * Checks a shard set and returns it in index order: every one a shard of this format and version, of
 * one model, sample, seed and options, with the same count N, each index 0..N-1 exactly once, the
 * blocks they own following on, and the same fit. Errors name the shard (file) and the fix.
 */
export function checkShards(shards: readonly { name: string; shard: ShardHeader }[]): { name: string; shard: ShardHeader }[] {
  if (shards.length === 0) throw new RangeError("merge: no shards given; pass the N files that artefacts analyze --shard K/N wrote");
  for (const { name, shard } of shards) checkShape(name, shard);
  const ref = shards[0];
  for (const x of shards.slice(1)) {
    checkAgainst(x, { model: ref.shard.model, sample: ref.shard.sample, settings: ref.shard.settings, blocks: ref.shard.blocks.count }, ref.name);
    if (x.shard.shard.count !== ref.shard.shard.count) throw new RangeError(`${x.name}: shard ${x.shard.shard.index} of ${x.shard.shard.count}, but ${ref.name} is of ${ref.shard.shard.count}; merge the shards of one run`);
  }
  const count = ref.shard.shard.count;
  const byIndex = new Map<number, { name: string; shard: ShardHeader }>();
  for (const x of shards) {
    const seen = byIndex.get(x.shard.shard.index);
    if (seen) throw new RangeError(`${x.name}: duplicate shard ${x.shard.shard.index}/${count} (also ${seen.name}); pass each shard once`);
    byIndex.set(x.shard.shard.index, x);
  }
  const missing = Array.from({ length: count }, (_, i) => i).filter((i) => !byIndex.has(i));
  if (missing.length) throw new RangeError(`merge: shard${missing.length > 1 ? "s" : ""} ${missing.join(", ")} of ${count} missing (got ${[...byIndex.keys()].sort((a, b) => a - b).join(", ")}); rerun ${missing.length > 1 ? "them" : "it"} with --shard K/${count}`);
  const ordered = missing.length ? [] : Array.from({ length: count }, (_, i) => byIndex.get(i)!);
  let next = 0;
  for (const { name, shard } of ordered) {
    const want = shardBlocks(shard.blocks.count, shard.shard.index, count);
    if (shard.blocks.first !== want.first || shard.blocks.end !== want.end || shard.blocks.first !== next) throw new RangeError(`${name}: blocks [${shard.blocks.first}, ${shard.blocks.end}) are not shard ${shard.shard.index}/${count}'s [${want.first}, ${want.end}); the file was edited or written by another version`);
    next = shard.blocks.end;
  }
  const fits = ordered.filter((x) => x.shard.clip);
  if (fits.length === 0) throw new RangeError(`merge: no shard holds the fit (every shard owns no block); the shard files are damaged`);
  for (const x of fits.slice(1)) {
    if (JSON.stringify(x.shard.clip) !== JSON.stringify(fits[0].shard.clip)) throw new RangeError(`${x.name}: clip ${JSON.stringify(x.shard.clip)} differs from ${fits[0].name}'s ${JSON.stringify(fits[0].shard.clip)}; the shards fitted different bits (another toolkit or onnxruntime version?): rerun them on one installation`);
  }
  return ordered;
}

/** The fields a shard must have, with their types; a truncated or foreign file fails here. */
function checkShape(name: string, s: ShardHeader): void {
  if (!s || typeof s !== "object" || s.format !== SHARD_FORMAT) throw new TypeError(`${name}: not a shard (format ${JSON.stringify((s as { format?: unknown } | null)?.format)}, expected ${SHARD_FORMAT}); pass files written by artefacts analyze --shard`);
  if (s.version !== SHARD_VERSION) throw new RangeError(`${name}: shard version ${JSON.stringify(s.version)}, this toolkit reads version ${SHARD_VERSION}; rerun the shards with this version`);
  const int = (v: unknown) => Number.isInteger(v) && (v as number) >= 0;
  const ok = s.shard && int(s.shard.index) && int(s.shard.count) && s.shard.index < s.shard.count && s.blocks && int(s.blocks.count) && int(s.blocks.first) && int(s.blocks.end)
    && s.sample && typeof s.sample.sha256 === "string" && s.model && s.settings && Array.isArray(s.nodes)
    && s.nodes.every((n) => n && int(n.level) && int(n.index) && int(n.states) && int(n.tokens) && int(n.sentences) && int(n.truncated));
  if (!ok) throw new TypeError(`${name}: a shard with missing or malformed fields (shard, blocks, sample, model, settings, nodes); the file is damaged: rerun that shard`);
}

/** Refuses a shard of another model, sample, seed or options than `want` (whose source `from` names). */
function checkAgainst(x: { name: string; shard: ShardHeader }, want: { model: ModelIdentity; sample: ShardState["sample"]; settings: Record<string, unknown>; blocks: number }, from = "this run"): void {
  const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
  const s = x.shard;
  if (!same(s.model, want.model)) throw new RangeError(`${x.name}: model ${JSON.stringify(s.model.model)} (files ${s.model.files?.map((f) => f.sha256.slice(0, 12)).join(", ")}) is not ${from}'s ${JSON.stringify(want.model.model)} (files ${want.model.files.map((f) => f.sha256.slice(0, 12)).join(", ")}); merge shards of one checkpoint`);
  if (s.settings.seed !== want.settings.seed) throw new RangeError(`${x.name}: seed ${JSON.stringify(s.settings.seed)} is not ${from}'s ${JSON.stringify(want.settings.seed)}; merge shards run with one seed`);
  if (!same(s.sample, want.sample)) throw new RangeError(`${x.name}: sample of ${s.sample.sentences} sentences (sha256 ${s.sample.sha256.slice(0, 12)}) is not ${from}'s ${want.sample.sentences} (sha256 ${want.sample.sha256.slice(0, 12)}); merge shards of one sample (corpus, size, words and seed)`);
  if (!same(s.settings, want.settings)) {
    const keys = [...new Set([...Object.keys(s.settings), ...Object.keys(want.settings)])].filter((k) => !same(s.settings[k], want.settings[k]));
    throw new RangeError(`${x.name}: options differ from ${from}'s in ${keys.map((k) => `${k} (${JSON.stringify(s.settings[k])} vs ${JSON.stringify(want.settings[k])})`).join(", ")}; merge shards run with the same options`);
  }
  if (s.blocks.count !== want.blocks) throw new RangeError(`${x.name}: ${s.blocks.count} blocks, ${from} has ${want.blocks}; the file was edited or written by another version`);
}

/** The sample's identity: its size and the sha256 of its sentences as JSON. */
export function sampleId(sentences: readonly string[]): ShardState["sample"] {
  return { sentences: sentences.length, sha256: crypto.createHash("sha256").update(JSON.stringify(sentences)).digest("hex") };
}

/** The run's options that change a result, resolved (what shards must share); not threads, worker, progress or timings. */
export function runSettings(plan: Plan): Record<string, unknown> {
  const { opts } = plan;
  const rest: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(opts)) if (!["onProgress", "onStates", "timings", "worker", "linalg", "only", "seed", "includeSpecial", "fitSentences", "batchSize", "tokenBudget", "blockSentences", "clipDims"].includes(k) && v !== undefined) rest[k] = v;
  const linalg = typeof opts.linalg === "object" ? opts.linalg.backend : opts.linalg ?? "onnxruntime";
  return JSON.parse(JSON.stringify({
    seed: plan.seed, only: plan.only, includeSpecial: plan.includeSpecial, fitSentences: plan.fitSentences, batchSize: plan.batchSize ?? null, tokenBudget: plan.tokenBudget,
    blockSentences: plan.blockSentences, clipDims: opts.clipDims ? [...opts.clipDims].sort((a, b) => a - b) : null, linalg, ...rest,
  })) as Record<string, unknown>;
}
