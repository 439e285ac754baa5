import { test } from "node:test";
import assert from "node:assert/strict";
import { countWords, splitSentences } from "../../src/data/sentences.js";

test("splitSentences splits at . ! ? before a capital, digit or opening quote", () => {
  assert.deepEqual(splitSentences("It rained. We stayed in! Did you? 42 came."), ["It rained.", "We stayed in!", "Did you?", "42 came."]);
});

test("splitSentences keeps abbreviations and initials inside the sentence", () => {
  assert.deepEqual(
    splitSentences("Mr. Smith met Dr. Jones at St. Paul. J. F. Kennedy spoke in the U.S. Senate. E.g. this stays."),
    ["Mr. Smith met Dr. Jones at St. Paul.", "J. F. Kennedy spoke in the U.S. Senate.", "E.g. this stays."],
  );
});

test("splitSentences does not split decimals or a period before a lower-case word", () => {
  assert.deepEqual(splitSentences("Pi is 3.14 roughly. It grew by 2.5 percent. see e.g. this."), ["Pi is 3.14 roughly.", "It grew by 2.5 percent. see e.g. this."]);
});

test("splitSentences moves closing quotes with their sentence and splits before opening quotes", () => {
  assert.deepEqual(
    splitSentences(`He said "Stop." Then he left. "Who?" she asked. 'Fine.' “Go!” ok`),
    [`He said "Stop."`, "Then he left.", `"Who?" she asked.`, "'Fine.'", "“Go!” ok"],
  );
});

test("splitSentences ends sentences at blank lines and joins wrapped lines", () => {
  assert.deepEqual(splitSentences("A heading\n\nThe first line\nwraps here. Next one\n \n  last"), ["A heading", "The first line wraps here.", "Next one", "last"]);
  assert.deepEqual(splitSentences(""), []);
  assert.deepEqual(splitSentences("Wait... What?! Fine."), ["Wait...", "What?!", "Fine."]);
});

test("countWords counts whitespace-separated words", () => {
  assert.equal(countWords("  a b\tc \n"), 3);
  assert.equal(countWords(" "), 0);
});
