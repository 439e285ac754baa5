/**
 * The bench's sentence draw (bench/sentences.ts) past the corpus's end: memory mode's 200,000
 * sentences cycle the corpus, each cycle reshuffled with the next seed; cycle 0 is the plain draw.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { drawSentences } from "../../bench/sentences.js";

// 30 distinct sentences of 4..13 words, a duplicate and two outside 4..60 words
const corpus = [...Array.from({ length: 30 }, (_, i) => `w${i} ${"x ".repeat(3 + (i % 10))}end`), "w0 x x x end", "too short", `${"y ".repeat(70)}z`];
const odd = (s: string) => Number(/^w(\d+)/.exec(s)![1]) % 2 === 1;

test("drawSentences cycles the eligible sentences with seed, seed + 1, ... and begins with the plain draw", () => {
  const plain = drawSentences(corpus, { n: 10, seed: 7, draw: 30, cycle: false }, odd);
  const cycled = drawSentences(corpus, { n: 40, seed: 7, draw: 30, cycle: true }, odd);
  assert.equal(plain.out.length, 10);
  assert.deepEqual(cycled.out.slice(0, 10), plain.out);
  assert.equal(cycled.out.length, 40);
  // 15 accepted per cycle: cycles 0, 1 and 2 each hold every odd sentence once, in a new order
  const cycles = [cycled.out.slice(0, 15), cycled.out.slice(15, 30), cycled.out.slice(30)];
  for (const c of cycles.slice(0, 2)) assert.equal(new Set(c).size, 15);
  assert.deepEqual([...cycles[0]].sort(), [...cycles[1]].sort());
  assert.notDeepEqual(cycles[0], cycles[1]);
  assert.ok(cycled.out.every(odd));
  assert.equal(cycled.drawn, 30);
  // without cycling the draw stops at the corpus's end
  assert.equal(drawSentences(corpus, { n: 40, seed: 7, draw: 30, cycle: false }, odd).out.length, 15);
  // nothing accepted: no endless cycling
  assert.equal(drawSentences(corpus, { n: 5, seed: 7, draw: 30, cycle: true }, () => false).out.length, 0);
});
