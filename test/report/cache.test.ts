/**
 * The shared results cache on a SYNTHETIC checkpoint (seeded random weights with a planted min
 * outlier at dim 7: exact ground truth for the summary, no meaning beyond that).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { readEntry, sharedAnalyses, toolkitVersion } from "../../src/report/cache.js";
import { findingsMarkdown, findingsTable, layerRanges, originText, outlierSectionId } from "../../src/report/summary.js";
import { synthesize } from "../../src/model/synth.js";
import { modelIdentity } from "../../src/model/identity.js";

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "pa-cache-test-"));
process.on("exit", () => fs.rmSync(tmp, { recursive: true, force: true }));
const model = path.join(tmp, "planted");
const dir = path.join(tmp, "results");

test("sharedAnalyses computes once, then reads the same results; seed, sample and weights change the key", async () => {
  await synthesize({ arch: "bert", layers: 2, hidden: 32, heads: 4, seed: 1, plantOutlier: { dim: 7, sign: "min" }, out: model });
  const messages: string[] = [];
  const opts = { sample: 40, seed: 3, dir, onProgress: (m: string) => messages.push(m) };
  const first = await sharedAnalyses(model, opts);
  assert.equal(first.cached, false);
  assert.equal(first.model, modelIdentity(model));
  assert.match(first.model, /^planted \([0-9a-f]{8}\)$/);
  assert.equal(first.results.provenance.model, first.model);
  assert.equal(first.results.sample.sentences, 40);
  assert.deepEqual([first.results.outliers.dimensions[0].dim, first.results.outliers.dimensions[0].kind, first.results.outliers.dimensions[0].share], [7, "min", 1]);
  assert.ok(first.results.origins && first.results.probe && first.results.anisotropy && first.results.selfsim && first.results.contributions && first.results.positions, "every analysis in one pass");
  assert.deepEqual(fs.readdirSync(dir), [`${first.key}.json`, "samples"]);
  assert.equal(fs.readdirSync(path.join(dir, "samples")).length, 1, "the draw is kept beside the results");
  const second = await sharedAnalyses(model, opts);
  assert.equal(second.cached, true);
  assert.equal(second.key, first.key);
  assert.deepEqual(second.results, first.results);
  assert.deepEqual(second.warnings, first.warnings);
  assert.notEqual((await sharedAnalyses(model, { ...opts, seed: 4 })).key, first.key);
  assert.notEqual((await sharedAnalyses(model, { ...opts, sample: 41 })).key, first.key);
  const other = path.join(tmp, "other");
  await synthesize({ arch: "bert", layers: 2, hidden: 32, heads: 4, seed: 2, plantOutlier: { dim: 7, sign: "min" }, out: other });
  assert.notEqual((await sharedAnalyses(other, opts)).key, first.key);
  assert.deepEqual(messages, []);
});

test("a corrupt, partial or foreign cache entry is detected and recomputed, never trusted; cache: false neither reads nor writes", async () => {
  const opts = { sample: 40, seed: 3, dir };
  const { key, results } = await sharedAnalyses(model, opts);
  const file = path.join(dir, `${key}.json`);
  const good = fs.readFileSync(file, "utf8");
  const damage: [string, string, RegExp][] = [
    ["corrupt", good.replace(/"dim":32/, '"dim":33'), /does not match its sha256 \(corrupt\)/],
    ["partial", good.slice(0, good.length - 100), /holds \d+ of \d+ payload bytes \(partial\)/],
    ["foreign", "{}\n{}", /of another format or key/],
    ["not json", "\u0000\u0001", /header is not JSON/],
  ];
  for (const [what, text, problem] of damage) {
    fs.writeFileSync(file, text);
    assert.match(readEntry(file, key).problem ?? "", problem, what);
    const messages: string[] = [];
    const again = await sharedAnalyses(model, { ...opts, onProgress: (m) => messages.push(m) });
    assert.equal(again.cached, false, what);
    assert.deepEqual(again.results, results, what);
    assert.match(messages.join("\n"), problem, what);
    assert.equal(fs.readFileSync(file, "utf8"), good, `${what}: the entry is rewritten`);
  }
  fs.rmSync(file);
  const fresh = await sharedAnalyses(model, { ...opts, cache: false });
  assert.equal(fresh.cached, false);
  assert.ok(!fs.existsSync(file));
  assert.match(toolkitVersion().code, /^[0-9a-f]{64}$/);
});

test("findingsMarkdown: skipped models first, one row per persistent outlier, linked to the model's section", async () => {
  const run = await sharedAnalyses(model, { sample: 40, seed: 3, dir });
  const text = findingsMarkdown([run], [{ model: "org/gone", reason: "offline and not in the cache" }]);
  const lines = text.split("\n");
  assert.equal(lines[0], "**Not analysed** (1 model; `artefacts report --strict` fails instead):");
  assert.equal(lines[2], "- org/gone: offline and not in the cache");
  const row = lines.find((l) => l.startsWith(`| [${run.model}](#${outlierSectionId(run.model)})`));
  assert.ok(row, text);
  const d = run.results.outliers.dimensions[0];
  assert.ok(row!.includes(`| **7** | argmin | ${layerRanges(d.layers)} | ${(100 * d.share).toFixed(1)}% |`), row);
  assert.match(row!, /argmin of \d+\/128 position rows; \d+ rows? at \\\|z\\\| ≥ 4; LayerNorm gain rank 1\/32 \(layer 0, embeddings\)/);
  assert.equal(outlierSectionId("sentence-transformers/all-MiniLM-L6-v2"), "outliers-of-sentence-transformers-all-minilm-l6-v2");
  assert.equal(layerRanges([0, 1, 2, 4, 6, 7]), "0-2, 4, 6-7");
  assert.equal(findingsMarkdown([], []), "No model could be analysed.");
});

test("findingsTable: the summary's rows as data, one per persistent outlier, a dim-less row for a model without one", async () => {
  const run = await sharedAnalyses(model, { sample: 40, seed: 3, dir });
  const d = run.results.outliers.dimensions[0];
  const none = { ...run, model: "no-outliers", results: { ...run.results, outliers: { ...run.results.outliers, dimensions: [] } } };
  const t = findingsTable([run, none]);
  assert.deepEqual(t.columns, ["model", "sentences", "tokens", "outlier dim", "kind", "layers", "pooled share %", "origin"]);
  assert.equal(t.rows.length, run.results.outliers.dimensions.length + 1);
  assert.deepEqual(t.rows[0], [run.model, 40, run.results.sample.tokens, 7, "argmin", layerRanges(d.layers), Math.round(d.share * 1e4) / 100, originText(run.results.origins, 7)]);
  assert.deepEqual(t.rows[t.rows.length - 1], ["no-outliers", 40, run.results.sample.tokens, null, null, null, null, "no persistent outlier"]);
});

test("sharedAnalyses with only a site analysis asks the encoder for its sites: the same result as an encoder built with them (SYNTHETIC bert fixture)", async () => {
  const { createEncoder } = await import("../../src/model/encoder.js");
  const { readConfig } = await import("../../src/model/config.js");
  const { runAnalyses } = await import("../../src/analysis/run.js");
  const { siteRequest } = await import("../../src/analysis/registry/index.js");
  const { loadCorpus } = await import("../../src/data/corpus.js");
  const { sampleSentences } = await import("../../src/data/sample.js");
  const fixture = path.resolve(__dirname, "..", "..", "..", "test", "fixtures", "families", "bert");
  const shared = await sharedAnalyses(fixture, { sample: 20, seed: 2, only: ["massive"], dir, warnings: "ignore" });
  const encoder = await createEncoder(fixture, { sites: siteRequest(readConfig(fixture), ["massive"]), warn: () => undefined });
  const direct = await runAnalyses(encoder, sampleSentences(loadCorpus("default"), { n: 20, seed: 2, minWords: 4, maxWords: 30 }), { seed: 2, only: ["massive"] });
  await encoder.dispose();
  assert.ok(shared.results.massive!.sites.some((s) => s.kind !== "hidden_states"), "sites beyond the hidden states were read");
  assert.deepEqual(shared.results.massive, direct.massive);
});

test("sharedSample: a draw of n is the first n of a larger draw with the seed; the longest is kept on disk for other processes, a bad entry is drawn again", async () => {
  const { execFileSync } = await import("node:child_process");
  const { sampleSentences } = await import("../../src/data/sample.js");
  const { loadCorpus } = await import("../../src/data/corpus.js");
  const { sharedSample } = await import("../../src/report/cache.js");
  const { readSealed, writeSealed } = await import("../../src/report/sealed.js");
  const corpus = loadCorpus("default");
  const draw = (n: number) => sampleSentences(corpus, { n, seed: 11, minWords: 4, maxWords: 30 });
  // what the kept draws rely on: sampleSentences' partial shuffle is the same for any n
  assert.deepEqual(draw(50).slice(0, 20), draw(20));
  const dir = path.join(tmp, "sample-draws");
  const k = (sample: number) => ({ corpus: "default", sample, seed: 11, fields: {} });
  assert.deepEqual(sharedSample(k(50), dir), draw(50));
  const files = fs.readdirSync(path.join(dir, "samples"));
  assert.equal(files.length, 1);
  const file = path.join(dir, "samples", files[0]);
  const key = files[0].replace(/\.json$/, "");
  // another process (a notebook's kernel) reads the kept draw: a doctored but sealed entry shows it is read, not drawn again
  const header = JSON.parse(fs.readFileSync(file, "utf8").split("\n")[0]);
  writeSealed(file, header.magic, key, header.fields, draw(50).map((x) => `kept ${x}`), "test");
  const other = (sample: number) => JSON.parse(execFileSync(process.execPath, ["-e", `process.stdout.write(JSON.stringify(require(${JSON.stringify(require.resolve("../../src/report/cache.js"))}).sharedSample(${JSON.stringify(k(sample))}, ${JSON.stringify(dir)})))`], { encoding: "utf8" })) as string[];
  assert.deepEqual(other(20), draw(20).map((x) => `kept ${x}`));
  // a corrupt entry is drawn again and rewritten; a longer draw replaces a shorter one
  fs.writeFileSync(file, fs.readFileSync(file, "utf8").slice(0, -40));
  assert.deepEqual(other(20), draw(20));
  assert.equal(readSealed<string[]>(file, header.magic, key).payload!.length, 20);
  assert.deepEqual(other(70), draw(70));
  assert.deepEqual(readSealed<string[]>(file, header.magic, key).payload, draw(70));
  assert.deepEqual(other(30), draw(30));
  assert.equal(readSealed<string[]>(file, header.magic, key).payload!.length, 70);
});

test("sharedSample: the draw of sampleSentences, kept per corpus (a file by its bytes), size and seed, handed out as a copy", async () => {
  const { sampleSentences } = await import("../../src/data/sample.js");
  const { loadCorpus } = await import("../../src/data/corpus.js");
  const { sharedKey, sharedSample } = await import("../../src/report/cache.js");
  const synth = path.join(tmp, "sample-model");
  await synthesize({ arch: "bert", layers: 1, hidden: 16, heads: 2, seed: 5, out: synth });
  const k = await sharedKey(synth, { sample: 30, seed: 7 });
  const direct = sampleSentences(loadCorpus("default"), { n: 30, seed: 7, minWords: 4, maxWords: 30 });
  const first = sharedSample(k);
  assert.deepEqual(first, direct);
  first.length = 0; // a caller's copy: the kept draw is untouched
  assert.deepEqual(sharedSample(k), direct);
  assert.notDeepEqual(sharedSample(await sharedKey(synth, { sample: 30, seed: 8 })), direct);
  assert.equal(sharedSample(await sharedKey(synth, { sample: 31, seed: 7 })).length, 31);
  // a corpus file rewritten under the same path is another sample (its sha256 is in the key)
  const file = path.join(tmp, "corpus.txt");
  const lines = (n: number) => Array.from({ length: 40 }, (_, i) => `sentence number ${i + n} has five words`).join("\n") + "\n";
  fs.writeFileSync(file, lines(0));
  const a = sharedSample(await sharedKey(synth, { sample: 5, seed: 1, corpus: file }));
  fs.writeFileSync(file, lines(100));
  const b = sharedSample(await sharedKey(synth, { sample: 5, seed: 1, corpus: file }));
  assert.deepEqual(b, sampleSentences(loadCorpus(file), { n: 5, seed: 1, minWords: 4, maxWords: 30 }));
  assert.notDeepEqual(a, b);
});
