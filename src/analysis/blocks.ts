/**
 * The fixed blocks of a pass and the canonical tree that combines them (run.ts, shard.ts). Merged
 * float sums depend on the order they are added in, so every run, a single one or N shards merged,
 * adds them in one order fixed by the sample alone: the sample is cut into blocks that do not depend
 * on N (the fit sentences, then `blockSentences` at a time), each block is analysed on its own, and
 * block states combine only in a balanced binary tree over block indices. A single run keeps the
 * pending roots like a binary counter (at most log2(blocks) + 1); a shard, which owns a contiguous run
 * of whole blocks, emits the maximal subtrees it holds; the merge pushes those into the same counter.
 * Every node is therefore computed from the same two children in every case: the same bits by
 * construction, not by luck.
 */
import { integer } from "../numerics/options.js";

/** A block: sentences [from, to) of the sample. Block 0 is the fit sample. */
export interface BlockRange {
  from: number;
  to: number;
}

/** The blocks of a sample of `sentences` with `fitSentences` fit sentences (capped), then `blockSentences` at a time. */
export function blockRanges(sentences: number, fitSentences: number, blockSentences: number): BlockRange[] {
  integer(sentences, "sentences", 1);
  integer(blockSentences, "blockSentences", 1);
  const fit = Math.min(integer(fitSentences, "fitSentences", 1), sentences);
  const out: BlockRange[] = [{ from: 0, to: fit }];
  for (let from = fit; from < sentences; from += blockSentences) out.push({ from, to: Math.min(sentences, from + blockSentences) });
  return out;
}

/**
 * The blocks [first, end) of shard `index` of `count`: contiguous, in order, sizes differing by at
 * most one; shards past the number of blocks get none.
 */
export function shardBlocks(blocks: number, index: number, count: number): { first: number; end: number } {
  integer(blocks, "blocks", 1);
  integer(count, "shard count", 1);
  integer(index, "shard index", 0, count - 1);
  return { first: Math.floor((index * blocks) / count), end: Math.floor(((index + 1) * blocks) / count) };
}

/** A node of the tree: level 0 are blocks; node (h, j) covers blocks [j·2^h, min((j+1)·2^h, blocks)). */
export interface TreeNode<T> {
  level: number;
  index: number;
  value: T;
}

/** The blocks a node covers. */
export function nodeBlocks(level: number, index: number, blocks: number): { first: number; end: number } {
  const w = 2 ** level;
  return { first: index * w, end: Math.min(blocks, (index + 1) * w) };
}

/**
 * The canonical tree over `blocks` leaves, fed left to right with nodes (blocks, or whole subtrees
 * computed elsewhere). Node (h, j) = combine(node (h-1, 2j), node (h-1, 2j+1)); a last node without a
 * right sibling moves up unchanged. `pending` are the maximal complete nodes so far (what a shard
 * emits); after the last block, `root()` is node (H, 0), 2^H >= blocks.
 */
export class BlockTree<T> {
  readonly #blocks: number;
  readonly #top: number;
  readonly #combine: (left: T, right: T) => Promise<T> | T;
  readonly #stack: TreeNode<T>[] = [];
  #next = 0;

  /** `start`: the first block this tree is fed (a shard's first; 0 for a whole run). */
  constructor(blocks: number, combine: (left: T, right: T) => Promise<T> | T, start = 0) {
    this.#blocks = integer(blocks, "blocks", 1);
    this.#next = integer(start, "start", 0, blocks);
    let top = 0;
    while (2 ** top < blocks) ++top;
    this.#top = top;
    this.#combine = combine;
  }

  /** The first block the next pushed node must start at. */
  get next(): number {
    return this.#next;
  }

  get pending(): readonly TreeNode<T>[] {
    return this.#stack;
  }

  /** Adds the node (level, index), which must start where the nodes so far end. */
  async push(level: number, index: number, value: T): Promise<void> {
    const { first, end } = nodeBlocks(integer(level, "level", 0, this.#top), integer(index, "index", 0), this.#blocks);
    if (first !== this.#next || first >= end) throw new RangeError(`tree: node (${level}, ${index}) covers blocks [${first}, ${end}); expected one starting at block ${this.#next} of ${this.#blocks}`);
    if (first % 2 ** level !== 0) throw new RangeError(`tree: node (${level}, ${index}) is not aligned`);
    this.#next = end;
    let node: TreeNode<T> = { level, index, value };
    while (node.level < this.#top) {
      const top = this.#stack.at(-1);
      if (node.index % 2 === 1) {
        // a right child: its left sibling is on the stack (everything left of it was pushed first)
        if (!top || top.level !== node.level || top.index !== node.index - 1) break;
        this.#stack.pop();
        node = { level: node.level + 1, index: (node.index - 1) / 2, value: await this.#combine(top.value, node.value) };
      } else if ((node.index + 1) * 2 ** node.level >= this.#blocks) {
        // the last node of its level with no right sibling moves up as it is
        node = { level: node.level + 1, index: node.index / 2, value: node.value };
      } else break;
    }
    this.#stack.push(node);
  }

  /**
   * Replaces every pending node's value but the newest `keep` by `park(value)` (e.g. moves it to disk
   * while the next block runs: the pending nodes are what grows with the sample, log2(blocks) of them;
   * the newest are the next to combine). `park` must give a value that combines to the same result,
   * and return an already parked value as it is.
   */
  async park(park: (value: T) => Promise<T> | T, keep = 0): Promise<void> {
    integer(keep, "keep", 0);
    for (const node of this.#stack.slice(0, Math.max(0, this.#stack.length - keep))) node.value = await park(node.value);
  }

  /** The root, once every block is in. */
  root(): T {
    if (this.#next !== this.#blocks || this.#stack.length !== 1) throw new RangeError(`tree: blocks [${this.#next}, ${this.#blocks}) are missing`);
    return this.#stack[0].value;
  }
}
