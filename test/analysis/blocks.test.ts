/**
 * The block tree (blocks.ts): with a combine that writes its operands as a formula, the root says
 * exactly which sums happen in which order. A whole run and every way of cutting the blocks into
 * shards (every count N from 1 to blocks + 2, so some shards own nothing) must give the same formula.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { BlockTree, blockRanges, nodeBlocks, shardBlocks } from "../../src/analysis/blocks.js";

const combine = (l: string, r: string) => `(${l}+${r})`;

async function single(n: number): Promise<string> {
  const t = new BlockTree<string>(n, combine);
  for (let b = 0; b < n; ++b) await t.push(0, b, `b${b}`);
  return t.root();
}

async function sharded(n: number, count: number): Promise<string> {
  const pieces: { level: number; index: number; value: string }[] = [];
  for (let k = 0; k < count; ++k) {
    const { first, end } = shardBlocks(n, k, count);
    const t = new BlockTree<string>(n, combine, first);
    for (let b = first; b < end; ++b) await t.push(0, b, `b${b}`);
    pieces.push(...t.pending);
  }
  const t = new BlockTree<string>(n, combine);
  for (const p of pieces) await t.push(p.level, p.index, p.value);
  return t.root();
}

test("BlockTree: a balanced tree over block indices; a last block without a sibling moves up unchanged", async () => {
  assert.equal(await single(1), "b0");
  assert.equal(await single(4), "((b0+b1)+(b2+b3))");
  // 5 blocks: b4 has no sibling at any level below the root
  assert.equal(await single(5), "(((b0+b1)+(b2+b3))+b4)");
  assert.equal(await single(6), "(((b0+b1)+(b2+b3))+(b4+b5))");
});

test("BlockTree: every shard count, from 1 to blocks + 2, merges to the single run's formula", async () => {
  for (let n = 1; n <= 20; ++n) {
    const want = await single(n);
    for (let count = 1; count <= n + 2; ++count) assert.equal(await sharded(n, count), want, `${n} blocks, ${count} shards`);
  }
});

test("BlockTree refuses a node out of order, a gap and a missing tail", async () => {
  const t = new BlockTree<string>(5, combine);
  await t.push(0, 0, "b0");
  await assert.rejects(t.push(0, 2, "b2"), /node \(0, 2\) covers blocks \[2, 3\); expected one starting at block 1 of 5/);
  await t.push(0, 1, "b1");
  assert.throws(() => t.root(), /blocks \[2, 5\) are missing/);
  await assert.rejects(t.push(4, 0, "x"), /invalid level/);
});

test("blockRanges: the fit sample, then fixed blocks; shardBlocks: contiguous, sizes within one, empty past the blocks", () => {
  assert.deepEqual(blockRanges(40, 10, 9), [{ from: 0, to: 10 }, { from: 10, to: 19 }, { from: 19, to: 28 }, { from: 28, to: 37 }, { from: 37, to: 40 }]);
  assert.deepEqual(blockRanges(8, 200, 1024), [{ from: 0, to: 8 }]);
  assert.deepEqual([0, 1, 2].map((k) => shardBlocks(5, k, 3)), [{ first: 0, end: 1 }, { first: 1, end: 3 }, { first: 3, end: 5 }]);
  assert.deepEqual([0, 1, 2, 3].map((k) => shardBlocks(2, k, 4)), [{ first: 0, end: 0 }, { first: 0, end: 1 }, { first: 1, end: 1 }, { first: 1, end: 2 }]);
  assert.deepEqual(nodeBlocks(2, 1, 5), { first: 4, end: 5 });
  assert.throws(() => shardBlocks(5, 3, 3), /invalid shard index/);
});
