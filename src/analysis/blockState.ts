/**
 * A node of the block tree (blocks.ts) as a value: the sample counts of its blocks and every running
 * analysis' state, in registry order. In memory (LiveBlock) a node keeps its accumulators live and
 * takes each one's state only when it merges (or when a shard file or onStates needs it), one
 * analysis at a time, so the tree holds no serialized state sets (issue 23: memory). Two nodes combine
 * into fresh accumulators (the registry's own, made as the pass makes them), the left node's states
 * merged first, then the right's: the same state() bodies through the same mergeState in the same
 * order as when nodes were envelopes, so the same bits. The arrays in those states stay typed arrays
 * (HeldArray, numerics/arrays.ts): base64 is made only where a state is written as JSON. Nothing here
 * names an analysis: whatever the registry holds with a state and mergeState takes part.
 */
import type { AnalysisDescriptor, Accumulator, AccumulatorState, RunContext } from "./registry/types.js";
import { SideAccumulators, type SideSettings } from "./side.js";
import { unwrapState, wrapState, type ModelIdentity, type StateEnvelope } from "./state.js";
import { handOver, held } from "../numerics/arrays.js";

/** A node as plain JSON (a shard file's nodes, onStates). */
export interface BlockState {
  /** Sentences, real tokens and truncated sentences of the blocks it covers (exact integer sums). */
  sentences: number;
  tokens: number;
  truncated: number;
  /** Every stateful analysis' envelope, in registry order. */
  states: StateEnvelope[];
}

/** One analysis' state in a live node: taken once (the accumulator is let go), then the slot is emptied. */
export interface NodePart {
  readonly analysis: string;
  take(): StateEnvelope;
  /** Whether the envelope take() gives is held by nobody else (its arrays may be handed over to a merge). */
  readonly own?: boolean;
}

/** A node in memory: the counts, and every stateful analysis' part in registry order (null once taken). */
export interface LiveBlock {
  sentences: number;
  tokens: number;
  truncated: number;
  parts: (NodePart | null)[];
}

/** What making the accumulators of a run needs: the context (less `peer`, which is per set), the analyses, the side. */
export interface SetSpec {
  base: Omit<RunContext, "peer">;
  analyses: readonly AnalysisDescriptor[];
  /** The side parts' settings; null when no analysis has a side part. */
  side: SideSettings | null;
  model: ModelIdentity;
}

/** Fresh accumulators of every analysis that runs in the calling thread; `peer` finds the others of the same set. */
export function localAccumulators(spec: SetSpec): Map<string, Accumulator> {
  const local = new Map<string, Accumulator>();
  const ctx: RunContext = { ...spec.base, peer: <T extends Accumulator>(n: string) => (local.get(n) as T | undefined) ?? null };
  for (const d of spec.analyses) if (d.create) local.set(d.name, d.create(ctx));
  return local;
}

/**
 * The parts of a block's accumulators, in registry order: this thread's (`local`, each removed from
 * the map when taken), then the side's, live (`side`) or as states already taken (`sideStates`).
 */
export function liveParts(spec: SetSpec, local: Map<string, Accumulator>, side: SideAccumulators | null, sideStates: readonly { name: string; state: AccumulatorState }[]): NodePart[] {
  const taken = new Map(sideStates.map((x) => [x.name, x.state]));
  const out: NodePart[] = [];
  const part = (analysis: string, state: () => AccumulatorState): NodePart => ({
    analysis, own: true,
    take: () => {
      const st = state();
      return wrapState(analysis, spec.model, st.settings, st.body);
    },
  });
  for (const d of spec.analyses) {
    const name = d.name, a = local.get(name);
    if (a?.state) {
      out.push(part(name, () => {
        local.delete(name);
        return a.state!();
      }));
    } else if (side?.has(name)) out.push(part(name, () => side.take(name)));
    else if (taken.has(name)) {
      out.push(part(name, () => {
        const st = taken.get(name)!;
        taken.delete(name);
        // states from the worker crossed a structured clone: their arrays are held again (JSON gives base64)
        return { settings: st.settings, body: held(st.body) };
      }));
    }
  }
  return out;
}

/** Takes every part of `block` in order, emptying its slot before `each` sees the envelope (and whether it is held by nobody else). */
export function drain(block: LiveBlock, each: (e: StateEnvelope, own: boolean) => void): void {
  for (let i = 0; i < block.parts.length; ++i) {
    const p = block.parts[i];
    if (!p) throw new RangeError(`block state: part ${i} was already taken; a tree node is consumed once`);
    block.parts[i] = null;
    each(p.take(), p.own === true);
  }
}

/** Merges a node's envelope into `set`, its arrays handed over (not copied) when nobody else holds it. */
export function mergeInto(set: MergedSet, e: StateEnvelope, own: boolean): void {
  set.merge([own ? handOver(e) : e]);
}

/** A live node as plain JSON (its parts taken). */
export function toStates(block: LiveBlock): BlockState {
  const states: StateEnvelope[] = [];
  drain(block, (e) => states.push(e));
  return { sentences: block.sentences, tokens: block.tokens, truncated: block.truncated, states };
}

/** A node read from JSON as a live one (its envelopes taken as they are). */
export function fromStates(block: BlockState): LiveBlock {
  return {
    sentences: block.sentences, tokens: block.tokens, truncated: block.truncated,
    parts: block.states.map((e) => ({ analysis: e.analysis, take: () => e })),
  };
}

/**
 * Fresh accumulators (those of this thread, and the side parts when `withSide`) told the clipped dims,
 * into which states merge; each envelope is checked against the fresh accumulator's settings.
 */
export class MergedSet {
  readonly local: Map<string, Accumulator>;
  readonly side: SideAccumulators | null;
  readonly #spec: SetSpec;
  readonly #settings = new Map<string, unknown>();
  /** The fresh side parts' settings (taken once: a filled part's state is large). */
  readonly #sideSettings = new Map<string, unknown>();

  constructor(spec: SetSpec, clipDims: readonly number[], withSide: boolean) {
    this.#spec = spec;
    this.local = localAccumulators(spec);
    for (const [name, a] of this.local) if (a.state) this.#settings.set(name, a.state().settings);
    this.side = withSide && spec.side ? new SideAccumulators(spec.side).fit(clipDims, () => {}) : null;
    for (const { name, state } of this.side?.states() ?? []) this.#sideSettings.set(name, state.settings);
  }

  /** Merges the envelopes of this thread's analyses (and of the side's, when it has them). */
  merge(states: readonly StateEnvelope[]): this {
    for (const e of states) {
      const a = this.local.get(e.analysis);
      if (a?.mergeState && this.#settings.has(e.analysis)) a.mergeState(unwrapState(e, e.analysis, this.#spec.model, this.#settings.get(e.analysis)));
      else if (this.side && this.#sideSettings.has(e.analysis)) this.side.mergeState(e.analysis, unwrapState(e, e.analysis, this.#spec.model, this.#sideSettings.get(e.analysis)));
      else if (this.side || !isSide(this.#spec, e.analysis)) throw new RangeError(`state of ${JSON.stringify(e.analysis)}: not an analysis of this run (${this.#spec.analyses.map((d) => d.name).join(", ")}); merge states of runs with the same --only`);
    }
    return this;
  }

  /** The set as a live node with these counts (its accumulators are taken from it as the node is). */
  node(counts: Omit<LiveBlock, "parts">): LiveBlock {
    return { ...counts, parts: liveParts(this.#spec, this.local, this.side, []) };
  }
}

/** Whether `name` is a side analysis of the run. */
export function isSide(spec: SetSpec, name: string): boolean {
  return spec.side?.parts.some((p) => p.name === name) ?? false;
}

/**
 * Node (h+1, j) from nodes (h, 2j) and (h, 2j+1): fresh accumulators, the left states merged, then the
 * right, one analysis at a time. Consumes the children (each part is let go once merged).
 */
export function combineBlocks(spec: SetSpec, clipDims: readonly number[], left: LiveBlock, right: LiveBlock): LiveBlock {
  const names = (b: LiveBlock) => b.parts.map((p) => p?.analysis).join(",");
  if (names(left) !== names(right)) throw new RangeError(`block states: analyses ${names(left)} and ${names(right)} differ; merge states of runs with the same --only`);
  const set = new MergedSet(spec, clipDims, true);
  drain(left, (e, own) => mergeInto(set, e, own));
  drain(right, (e, own) => mergeInto(set, e, own));
  return set.node({ sentences: left.sentences + right.sentences, tokens: left.tokens + right.tokens, truncated: left.truncated + right.truncated });
}
