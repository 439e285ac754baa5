/**
 * A node of the block tree (blocks.ts) as a value: the sample counts of its blocks and every running
 * analysis' state in its envelope, in registry order. Two nodes combine into fresh accumulators (the
 * registry's own, made as the pass makes them), the left node's states merged first, then the
 * right's; the combined states are taken from them. Nothing here names an analysis: whatever the
 * registry holds with a state and mergeState takes part.
 */
import type { AnalysisDescriptor, Accumulator, RunContext } from "./registry/types.js";
import { SideAccumulators, type SideSettings } from "./side.js";
import { unwrapState, wrapState, type ModelIdentity, type StateEnvelope } from "./state.js";

/** The value of a tree node. */
export interface BlockState {
  /** Sentences, real tokens and truncated sentences of the blocks it covers (exact integer sums). */
  sentences: number;
  tokens: number;
  truncated: number;
  /** Every stateful analysis' envelope, in registry order. */
  states: StateEnvelope[];
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

/** The envelopes of a block's accumulators, in registry order (those here, then the side's by name). */
export function envelopes(spec: SetSpec, local: ReadonlyMap<string, Accumulator>, side: readonly { name: string; state: { settings: unknown; body: unknown } }[]): StateEnvelope[] {
  const fromSide = new Map(side.map((x) => [x.name, x.state]));
  const out: StateEnvelope[] = [];
  for (const d of spec.analyses) {
    const st = local.get(d.name)?.state?.() ?? fromSide.get(d.name);
    if (st) out.push(wrapState(d.name, spec.model, st.settings, st.body));
  }
  return out;
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

  constructor(spec: SetSpec, clipDims: readonly number[], withSide: boolean) {
    this.#spec = spec;
    this.local = localAccumulators(spec);
    for (const [name, a] of this.local) if (a.state) this.#settings.set(name, a.state().settings);
    this.side = withSide && spec.side ? new SideAccumulators(spec.side).fit(clipDims, () => {}) : null;
  }

  /** Merges the envelopes of this thread's analyses (and of the side's, when it has them). */
  merge(states: readonly StateEnvelope[]): this {
    const sideStates: StateEnvelope[] = [];
    for (const e of states) {
      const a = this.local.get(e.analysis);
      if (a?.mergeState && this.#settings.has(e.analysis)) a.mergeState(unwrapState(e, e.analysis, this.#spec.model, this.#settings.get(e.analysis)));
      else if (this.side) sideStates.push(e);
      else if (!isSide(this.#spec, e.analysis)) throw new RangeError(`state of ${JSON.stringify(e.analysis)}: not an analysis of this run (${this.#spec.analyses.map((d) => d.name).join(", ")}); merge states of runs with the same --only`);
    }
    this.side?.mergeStates(this.#spec.model, sideStates);
    return this;
  }

  states(): StateEnvelope[] {
    return envelopes(this.#spec, this.local, this.side?.states() ?? []);
  }
}

/** The envelopes of side analyses among `states`. */
export function sideStates(spec: SetSpec, states: readonly StateEnvelope[]): StateEnvelope[] {
  return states.filter((e) => isSide(spec, e.analysis));
}

function isSide(spec: SetSpec, name: string): boolean {
  return spec.side?.parts.some((p) => p.name === name) ?? false;
}

/**
 * Node (h+1, j) from nodes (h, 2j) and (h, 2j+1): fresh accumulators, the left states merged, then the
 * right. Consumes the children (their `states` are emptied), which are never read again.
 */
export function combineBlocks(spec: SetSpec, clipDims: readonly number[], left: BlockState, right: BlockState): BlockState {
  const names = (b: BlockState) => b.states.map((e) => e.analysis).join(",");
  if (names(left) !== names(right)) throw new RangeError(`block states: analyses ${names(left)} and ${names(right)} differ; merge states of runs with the same --only`);
  const set = new MergedSet(spec, clipDims, true).merge(left.states);
  // the children are consumed: their states (a full state set each) may go before the output is made
  left.states = [];
  set.merge(right.states);
  right.states = [];
  return {
    sentences: left.sentences + right.sentences, tokens: left.tokens + right.tokens, truncated: left.truncated + right.truncated,
    states: set.states(),
  };
}
