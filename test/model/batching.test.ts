/**
 * The batch planner (src/model/batching.ts): token-budget cuts of sorted lengths, computed by hand.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { DEFAULT_TOKEN_BUDGET, lengthOrder, planBatches, planTokens } from "../../src/model/batching.js";

test("lengthOrder sorts ascending and keeps input order among equal lengths", () => {
  assert.deepEqual(lengthOrder([5, 3, 5, 1, 3]), [3, 1, 4, 0, 2]);
  assert.deepEqual(lengthOrder([]), []);
});

test("planBatches grows a batch while (sentences + 1) x next length fits the token budget", () => {
  // budget 12: [3,3] (3 x 5 = 15 > 12 cuts before the first 5), [5,5] (3 x 5 = 15), [5] (2 x 9 = 18), [9]
  assert.deepEqual(planBatches([3, 3, 5, 5, 5, 9], { tokenBudget: 12 }), [2, 4, 5, 6]);
  // budget 15: [3,3,5] is 3 x 5 = 15, [5,5] then 3 x 9 = 27 cuts, [9]
  assert.deepEqual(planBatches([3, 3, 5, 5, 5, 9], { tokenBudget: 15 }), [3, 5, 6]);
  assert.deepEqual(planBatches([3, 3, 5, 5, 5, 9], { tokenBudget: 1000 }), [6]);
});

test("planBatches caps sentences with maxSentences and gives a sentence longer than the budget a batch of its own", () => {
  assert.deepEqual(planBatches([2, 2, 2, 2, 2], { tokenBudget: 100, maxSentences: 2 }), [2, 4, 5]);
  assert.deepEqual(planBatches([4, 50, 60], { tokenBudget: 10 }), [1, 2, 3]);
  assert.deepEqual(planBatches([]), []);
});

test("planBatches defaults to DEFAULT_TOKEN_BUDGET (1024) and no sentence cap", () => {
  assert.equal(DEFAULT_TOKEN_BUDGET, 1024);
  // 64 sentences of 16 tokens fill the budget exactly; the 65th starts a new batch
  assert.deepEqual(planBatches(new Array(65).fill(16)), [64, 65]);
});

test("planBatches refuses unsorted lengths and a bad budget or cap, naming them", () => {
  assert.throws(() => planBatches([3, 2]), /planBatches: lengths\[1\] = 2 is shorter than lengths\[0\] = 3; sort them first/);
  assert.throws(() => planBatches([1], { tokenBudget: 0 }), /invalid tokenBudget: 0; expected an integer >= 1/);
  assert.throws(() => planBatches([1], { tokenBudget: 1.5 }), /invalid tokenBudget: 1.5/);
  assert.throws(() => planBatches([1], { maxSentences: 0 }), /invalid maxSentences: 0/);
});

test("planTokens counts padded (sentences x the batch's last length) and real tokens", () => {
  // [3,3] -> 6 padded, 6 real; [5,9] -> 18 padded, 14 real
  assert.deepEqual(planTokens([3, 3, 5, 9], [2, 4]), { padded: 24, real: 20 });
});
