import { test } from "node:test";
import assert from "node:assert/strict";
import * as path from "node:path";
import { loadImdb, loadSst2, loadSst5, parseCsv } from "../../src/data/formats/sentiment.js";
import { loadQqp } from "../../src/data/formats/qqp.js";
import { loadSentEvalSts, loadSick, loadStsB } from "../../src/data/formats/sts.js";
import { loadWic } from "../../src/data/formats/wic.js";
import { readUtf8, splitLines } from "../../src/data/formats/text.js";

const fx = (...p: string[]) => path.join(__dirname, "..", "..", "..", "test", "fixtures", "data", ...p);

test("splitLines numbers lines from 1, accepts CRLF and ignores the final newline", () => {
  assert.deepEqual(splitLines("a\r\nb\n\nc\n"), [{ text: "a", line: 1 }, { text: "b", line: 2 }, { text: "", line: 3 }, { text: "c", line: 4 }]);
});

test("readUtf8 rejects invalid UTF-8, naming file and line", () => {
  assert.throws(() => readUtf8(fx("sst2", "latin1.tsv")), /sst2\/latin1\.tsv:2: invalid UTF-8; re-save the file as UTF-8/);
  assert.throws(() => readUtf8(fx("sst2", "missing.tsv")), /missing\.tsv: no such file; check the path/);
});

test("loadSst2 reads GLUE SST-2 train/dev", () => {
  const d = loadSst2(fx("sst2", "train.tsv"));
  assert.deepEqual(d.texts, ["it is a charming film", "a dull , lifeless mess", "worth seeing"]);
  assert.deepEqual(Array.from(d.labels), [1, 0, 1]);
  assert.equal(d.classes, 2);
  assert.equal(d.format, "sst-2");
});

test("loadSst2 errors name the file, line and fix", () => {
  assert.throws(() => loadSst2(fx("sst2", "bad-label.tsv")), /bad-label\.tsv:3: label "2" is not one of 0, 1; fix the label column/);
  assert.throws(() => loadSst2(fx("sst2", "bad-columns.tsv")), /bad-columns\.tsv:3: expected 2 tab-separated columns, found 1; each line must be `sentence<TAB>label`/);
  assert.throws(() => loadSst2(fx("sst2", "test.tsv")), /test\.tsv:1: .*unlabelled GLUE test split; use train\.tsv or dev\.tsv/);
  assert.throws(() => loadSst2(fx("sst2", "header-only.tsv")), /header-only\.tsv: no labelled examples/);
  assert.throws(() => loadSst2(fx("sst2", "empty.tsv")), /empty\.tsv: the file is empty/);
  assert.throws(() => loadSst2(fx("sst2", "bad-header.tsv")), /bad-header\.tsv:1: header is "text\\tlabel"; the first line must be the header/);
  assert.throws(() => loadSst2(fx("sst2", "latin1.tsv")), /latin1\.tsv:2: invalid UTF-8/);
});

test("loadQqp reads pairs, labels and distinct questions by qid", () => {
  const d = loadQqp(fx("qqp", "train.tsv"));
  assert.deepEqual(d.question1, ["How do I learn Go?", "Why is the sky blue?"]);
  assert.deepEqual(Array.from(d.labels), [1, 0]);
  // qid 1 appears twice; kept once.
  assert.deepEqual(d.questions, ["How do I learn Go?", "What is the best way to learn Go?", "Why is the sky blue?"]);
  assert.throws(() => loadQqp(fx("qqp", "bad-label.tsv")), /bad-label\.tsv:2: is_duplicate "yes" is not one of 0, 1/);
  assert.throws(() => loadQqp(fx("qqp", "test.tsv")), /test\.tsv:1: header has 3 columns .*unlabelled GLUE test split/);
});

test("loadStsB reads the GLUE layout and SentEval's sts-*.csv", () => {
  const g = loadStsB(fx("stsb", "dev.tsv"));
  assert.equal(g.format, "sts-b-glue");
  assert.deepEqual(g.subsets[0].a, ["A plane is taking off.", "A man is playing a flute."]);
  assert.deepEqual(Array.from(g.subsets[0].scores), [5, 0.5]);
  const s = loadStsB(fx("stsb", "sts-test.csv"));
  assert.equal(s.format, "sts-b-senteval");
  assert.deepEqual(s.subsets[0].b, ["An air plane is taking off.", "Markets drop sharply."]);
  assert.deepEqual(Array.from(s.subsets[0].scores), [5, 2.4]);
  assert.throws(() => loadStsB(fx("stsb", "bad-score.tsv")), /bad-score\.tsv:2: score "5\.5" is not a number in \[0, 5\]; fix the score column/);
  assert.throws(() => loadStsB(fx("stsb", "test.tsv")), /test\.tsv:1: header has no score column/);
});

test("loadSick reads relatedness by header name, optionally one SemEval set", () => {
  const all = loadSick(fx("sick", "SICK.txt"));
  assert.deepEqual(Array.from(all.subsets[0].scores), [4.5, 1.2, 4]);
  assert.deepEqual(all.scale, [1, 5]);
  const t = loadSick(fx("sick", "SICK.txt"), { set: "TEST" });
  assert.deepEqual(t.subsets[0].a, ["A dog barks", "Two men talk"]);
  assert.equal(t.name, "SICK-R (TEST)");
  assert.throws(() => loadSick(fx("sick", "bad-score.txt")), /bad-score\.txt:2: relatedness_score "0\.5" is not a number in \[1, 5\]/);
  assert.throws(() => loadSick(fx("sick", "no-sentence-b.txt")), /no-sentence-b\.txt:1: header has no sentence_B column/);
});

test("loadSentEvalSts reads every subset and skips (and counts) empty gold lines as SentEval does", () => {
  const d = loadSentEvalSts(fx("senteval", "STS12"));
  assert.equal(d.name, "STS12");
  assert.deepEqual(d.subsets.map((s) => s.name), ["A", "B"]);
  assert.deepEqual(Array.from(d.subsets[0].scores), [4.2, 0]);
  assert.deepEqual(d.subsets[1].a, ["One", "Five"]);
  assert.deepEqual(Array.from(d.subsets[1].scores), [1.5, 3]);
  assert.equal(d.subsets[1].skipped, 1);
  assert.throws(() => loadSentEvalSts(fx("senteval", "bad-count")), /STS\.gs\.A\.txt: 1 gold lines for 2 sentence pairs in STS\.input\.A\.txt/);
  assert.throws(() => loadSentEvalSts(fx("senteval", "missing-gs")), /STS\.gs\.A\.txt: gold file missing/);
  assert.throws(() => loadSentEvalSts(fx("senteval", "nope")), /nope: no such folder/);
});

test("loadWic reads data.txt with gold.txt; indices are whitespace word positions", () => {
  const d = loadWic(fx("wic", "data.txt"), fx("wic", "gold.txt"));
  assert.deepEqual(d.pairs[0], { target: "bank", pos: "N", sentence1: "He sat on the bank of the river .", sentence2: "The bank closed early .", index1: 4, index2: 1, label: false });
  assert.deepEqual(d.pairs.map((p) => p.label), [false, false, true]);
  assert.throws(() => loadWic(fx("wic", "data.txt")), /gold\.txt: gold file missing; pass the gold\.txt/);
  assert.throws(() => loadWic(fx("wic", "data.txt"), fx("wic", "gold-short.txt")), /gold-short\.txt: 2 gold labels for 3 pairs/);
  assert.throws(() => loadWic(fx("wic", "data.txt"), fx("wic", "gold-bad.txt")), /gold-bad\.txt:2: gold label "X" is not T or F/);
  assert.throws(() => loadWic(fx("wic", "data.txt"), fx("wic", "gold-missing.txt")), /gold-missing\.txt:2: gold label missing/);
  assert.throws(() => loadWic(fx("wic", "bad-index.txt"), fx("wic", "gold-one.txt")), /bad-index\.txt:1: index 9 is outside sentence2 \(5 words\)/);
  assert.throws(() => loadWic(fx("wic", "bad-pos.txt"), fx("wic", "gold-one.txt")), /bad-pos\.txt:1: PoS "ADJ" is not N or V/);
});

test("loadSst5 reads PTB trees, a labelled TSV and SentEval lines", () => {
  const t = loadSst5(fx("sst5", "train.txt"));
  assert.equal(t.format, "sst-5-ptb");
  assert.deepEqual(t.texts, ["It is great .", "( bad )"]);
  assert.deepEqual(Array.from(t.labels), [3, 1]);
  const v = loadSst5(fx("sst5", "train.tsv"));
  assert.deepEqual([v.format, v.texts, Array.from(v.labels)], ["sst-5-tsv", ["A triumph .", "Awful ."], [4, 0]]);
  const s = loadSst5(fx("sst5", "senteval.txt"));
  assert.deepEqual([s.format, s.texts, Array.from(s.labels), s.classes], ["sst-5-senteval", ["It is fine .", "Pretty good ."], [2, 3], 5]);
  assert.throws(() => loadSst5(fx("sst5", "bad-tree.txt")), /bad-tree\.txt:1: tree node label "5" is not one of 0, 1, 2, 3, 4/);
  assert.throws(() => loadSst5(fx("sst5", "unbalanced-tree.txt")), /unbalanced-tree\.txt:1: unbalanced or empty tree/);
  assert.throws(() => loadSst5(fx("sst5", "bad-label.tsv")), /bad-label\.tsv:2: label "7" is not one of 0, 1, 2, 3, 4/);
});

test("loadImdb reads an aclImdb split folder (neg then pos, numeric order) and the review,sentiment CSV", () => {
  const f = loadImdb(fx("imdb", "train"));
  assert.deepEqual(f.texts, ["Boring, long.", "Great cast.", "Loved it. Would watch again."]);
  assert.deepEqual(Array.from(f.labels), [0, 1, 1]);
  const c = loadImdb(fx("imdb", "reviews.csv"));
  assert.deepEqual(c.texts, [`One of the best, truly. A "must" see.`, "Terrible plot"]);
  assert.deepEqual(Array.from(c.labels), [1, 0]);
  assert.throws(() => loadImdb(fx("imdb", "bad-sentiment.csv")), /bad-sentiment\.csv:2: sentiment "neutral" is not one of positive, negative/);
  assert.throws(() => loadImdb(fx("imdb", "unclosed.csv")), /unclosed\.csv:2: a quoted field is never closed/);
  assert.throws(() => loadImdb(fx("imdb", "no-neg")), /no-neg\/neg: folder missing/);
});

test("parseCsv keeps each record's first line number", () => {
  assert.deepEqual(parseCsv("x", `a,b\n"1\n2",3\r\n\n4,""\n`), [
    { fields: ["a", "b"], line: 1 }, { fields: ["1\n2", "3"], line: 2 }, { fields: ["4", ""], line: 5 },
  ]);
});
