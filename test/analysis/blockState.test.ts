/**
 * Live block nodes (blockState.ts): a node keeps its accumulators and takes each one's state only when
 * it merges or is written, so the block tree holds no serialized state sets (issue 23: memory). The
 * accumulators here are minimal plain ones (the real analyses' bits are checked by shard.test.ts and
 * golden.test.ts); what is tested is the order, the letting go and the refusal of a second take.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { combineBlocks, drain, liveParts, toStates, fromStates, type LiveBlock, type SetSpec } from "../../src/analysis/blockState.js";
import { decodeArray, encodeArray, type HeldArray } from "../../src/numerics/arrays.js";
import type { Accumulator, AnalysisDescriptor } from "../../src/analysis/registry/types.js";

const model = { model: "m", files: [] };
const analysis = (name: string): AnalysisDescriptor => ({ name, summary: name, needs: [] });
const spec = { base: {}, analyses: ["x", "s", "stateless", "y"].map(analysis), side: null, model } as unknown as SetSpec;
const acc = (body: number): Accumulator => ({ result: () => undefined, state: () => ({ settings: { k: 1 }, body }) });

test("a live node's parts come in registry order, each accumulator let go when its state is taken, once", () => {
  const local = new Map<string, Accumulator>([["y", acc(2)], ["stateless", { result: () => undefined }], ["x", acc(1)]]);
  const node: LiveBlock = { sentences: 3, tokens: 9, truncated: 0, parts: liveParts(spec, local, null, [{ name: "s", state: { settings: null, body: "side" } }]) };
  assert.deepEqual(node.parts.map((p) => p?.analysis), ["x", "s", "y"]);
  const seen: string[] = [];
  drain({ ...node, parts: node.parts.slice(0, 1) }, (e) => seen.push(`${e.analysis}=${JSON.stringify(e.body)}`));
  // x was taken through a copy of the list: its accumulator is gone from the map, y's is still held
  assert.deepEqual([...local.keys()].sort(), ["stateless", "y"]);
  node.parts[0] = null;
  assert.throws(() => toStates(node), /part 0 was already taken/);
  const rest = { ...node, parts: node.parts.slice(1) };
  const json = toStates(rest);
  assert.deepEqual(seen, ["x=1"]);
  assert.deepEqual(json.states.map((e) => [e.analysis, e.body, e.model]), [["s", "side", model], ["y", 2, model]]);
  assert.deepEqual([...local.keys()], ["stateless"]);
  assert.deepEqual(rest.parts, [null, null]);
  // back from JSON: the same envelopes, taken once
  const again = fromStates(json);
  assert.deepEqual(toStates(again).states, json.states);
  assert.throws(() => toStates(again), /already taken/);
});

/** A minimal accumulator that keeps the array it decodes from a state and changes it (as an accumulator may). */
class Keeper implements Accumulator {
  kept: Float64Array | null = null;
  result() {
    return undefined;
  }
  state() {
    return { settings: null, body: { a: encodeArray(this.kept ?? Float64Array.from([0, 0])) } };
  }
  mergeState(body: unknown) {
    const a = decodeArray((body as { a: unknown }).a, "float64", "keeper");
    if (this.kept) for (let i = 0; i < a.length; ++i) this.kept[i] += a[i];
    else this.kept = a;
    this.kept[0] += 100;
  }
}

test("a combine hands a live node's arrays over to the merge (no copy) but copies those of a node it does not own (read from JSON or handed in)", () => {
  const keeperSpec = { base: {}, analyses: [{ ...analysis("k"), create: () => new Keeper() }], side: null, model } as unknown as SetSpec;
  const live = (v: number): LiveBlock => {
    const k = new Keeper();
    k.kept = Float64Array.from([v, v]);
    return { sentences: 1, tokens: 1, truncated: 0, parts: liveParts(keeperSpec, new Map([["k", k]]), null, []) };
  };
  const bodies: { a: HeldArray }[] = [];
  const watch = (node: LiveBlock) => ({ ...node, parts: node.parts.map((p) => p && { ...p, take: () => {
    const e = p.take();
    bodies.push(e.body as { a: HeldArray });
    return e;
  } }) });
  const sum = (b: LiveBlock) => [...(toStates(b).states[0].body as { a: HeldArray }).a.data];
  assert.deepEqual(live(1).parts.map((p) => p?.own), [true]);
  // a node handed in (as mergeShards' in-memory shards are), merged first (its array kept and changed): its envelope stays as it was
  const env = toStates(live(5)), text = JSON.stringify(env);
  const foreign = fromStates(env);
  assert.deepEqual(foreign.parts.map((p) => p?.own === true), [false]);
  assert.deepEqual(sum(combineBlocks(keeperSpec, [], foreign, live(1))), [206, 6]);
  assert.equal(JSON.stringify(env), text, "the merge changed a state it does not own");
  // a live node merged first: its array is the one the merge keeps (+100 twice), not a copy
  assert.deepEqual(sum(combineBlocks(keeperSpec, [], watch(live(1)), fromStates(JSON.parse(text)))), [206, 6]);
  assert.equal(bodies[0].a.data[0], 206, "the live node's array was copied, not handed over");
});
