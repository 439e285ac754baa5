/**
 * Live block nodes (blockState.ts): a node keeps its accumulators and takes each one's state only when
 * it merges or is written, so the block tree holds no serialized state sets (issue 23: memory). The
 * accumulators here are minimal plain ones (the real analyses' bits are checked by shard.test.ts and
 * golden.test.ts); what is tested is the order, the letting go and the refusal of a second take.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { drain, liveParts, toStates, fromStates, type LiveBlock, type SetSpec } from "../../src/analysis/blockState.js";
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
