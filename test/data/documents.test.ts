import { test } from "node:test";
import assert from "node:assert/strict";
import { loadCorpus, loadDocuments } from "../../src/data/corpus.js";

test("loadDocuments reads named documents as loadCorpus reads them, in the order given", () => {
  const brown = loadCorpus("brown");
  const cb15 = loadDocuments(["brown/cb15"]);
  assert.ok(cb15.length > 10);
  // a Brown file's sentences are a contiguous run of the whole corpus
  const at = brown.indexOf(cb15[0]);
  assert.ok(at >= 0);
  assert.deepEqual(brown.slice(at, at + cb15.length), cb15);
  const moby = loadDocuments(["moby-dick/chapter_89.txt"]);
  const both = loadDocuments(["moby-dick/chapter_89.txt", "brown/cb15"]);
  assert.deepEqual(both, [...moby, ...cb15]);
  assert.ok(loadCorpus("moby-dick").includes(moby[0]));
  assert.ok(loadDocuments(["sotu/1800_john_adams_f.txt"]).length > 5);
});

test("loadDocuments says which ids are valid", () => {
  assert.throws(() => loadDocuments(["wiki/x"]), /invalid document id: "wiki\/x"; expected brown\/<file>, moby-dick\/<file> or sotu\/<file>/);
  assert.throws(() => loadDocuments(["brown/zz99"]), /document brown\/zz99: .* not found/);
});
