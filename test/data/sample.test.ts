import { test } from "node:test";
import assert from "node:assert/strict";
import { sampleSentences } from "../../src/data/sample.js";
import { createRandom } from "../../src/numerics/random.js";

const corpus = ["one", "two words", "three words here", "two words", "four words are here", "", "five words are here now"];

test("sampleSentences draws by a seeded partial Fisher-Yates over distinct eligible sentences", () => {
  // Eligible with 2..4 words, in first-occurrence order: ["two words", "three words here", "four words are here"].
  const eligible = ["two words", "three words here", "four words are here"];
  const rng = createRandom(7);
  const expected = eligible.slice();
  for (let i = 0; i < 2; ++i) {
    const j = i + rng.int(3 - i);
    [expected[i], expected[j]] = [expected[j], expected[i]];
  }
  const got = sampleSentences(corpus, { n: 2, seed: 7, minWords: 2, maxWords: 4 });
  assert.deepEqual(got, expected.slice(0, 2));
  assert.deepEqual(sampleSentences(corpus, { n: 2, seed: 7, minWords: 2, maxWords: 4 }), got);
});

test("sampleSentences returns every eligible sentence once when n equals their count", () => {
  const got = sampleSentences(corpus, { n: 5, seed: 1 });
  assert.deepEqual(got.slice().sort(), ["five words are here now", "four words are here", "one", "three words here", "two words"]);
});

test("sampleSentences defaults: minWords 1, maxWords Infinity; different seeds differ", () => {
  const many = Array.from({ length: 50 }, (_, i) => `sentence number ${i}`);
  assert.notDeepEqual(sampleSentences(many, { n: 10, seed: 1 }), sampleSentences(many, { n: 10, seed: 2 }));
  assert.equal(new Set(sampleSentences(many, { n: 50, seed: 3 })).size, 50);
});

test("sampleSentences rejects an empty sample and bad bounds", () => {
  assert.throws(() => sampleSentences([], { n: 1, seed: 0 }), /n: 1 exceeds the 0 distinct sentences/);
  assert.throws(() => sampleSentences(corpus, { n: 2, seed: 0, minWords: 5, maxWords: 5 }), /exceeds the 1 distinct sentences with 5..5 words/);
  assert.throws(() => sampleSentences(corpus, { n: 0, seed: 0 }), /invalid n: 0/);
  assert.throws(() => sampleSentences(corpus, { n: 1, seed: 0, minWords: 3, maxWords: 2 }), /invalid maxWords: 2/);
  assert.throws(() => sampleSentences(corpus, { n: 1, seed: 1.5 }), /invalid seed/);
});
