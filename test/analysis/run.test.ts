import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { synthesize } from "../../src/model/synth.js";
import { COMMON_WORDS } from "../../src/model/synthTokenizer.js";
import { createEncoder, type Encoder } from "../../src/model/encoder.js";
import { runAnalyses, resolveOnly, batchWords, frequentWords, ANALYSIS_NAMES, DEFAULT_ANALYSES, type RunOptions } from "../../src/analysis/run.js";
import { createRandom } from "../../src/numerics/random.js";
import { localSide, workerSide } from "../../src/analysis/side.js";
import { toLayerBatches } from "../../src/analysis/batch.js";
import { jsLinalg } from "../../src/numerics/linalg.js";
import { held } from "../../src/numerics/arrays.js";
import type { EncodedBatch } from "../../src/model/types.js";
import { STATE_VERSION, type StateEnvelope } from "../../src/analysis/state.js";

// SYNTHETIC 2-layer, 16-wide BERT with a planted max outlier in dim 3; sentences of common words (seeded).
let dir: string, encoder: Encoder;
const g = createRandom(8), words = COMMON_WORDS.slice(0, 60);
const sentences = Array.from({ length: 30 }, () => Array.from({ length: 3 + g.int(6) }, () => words[g.int(words.length)]).join(" "));
const opts: RunOptions = {
  seed: 2, fitSentences: 10, anisotropy: { pairs: 100, sampleSize: 200 }, probe: { maxTrainTokens: 200, maxTestTokens: 50, epochs: 2 },
  selfsim: { minOccurrences: 3 },
};

before(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "run-"));
  await synthesize({ arch: "bert", layers: 2, hidden: 16, heads: 2, seed: 4, plantOutlier: { dim: 3, sign: "max" }, out: path.join(dir, "m") });
  encoder = await createEncoder(path.join(dir, "m"), { threads: 1 });
});

after(async () => {
  await encoder?.dispose();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** The results less settings and provenance (which record the batching). */
function results(r: Awaited<ReturnType<typeof runAnalyses>>): unknown {
  return { ...r, settings: null, provenance: null };
}

test("runAnalyses runs every analysis and gives byte-identical JSON for any batch size", async () => {
  const a = await runAnalyses(encoder, sentences, { ...opts, batchSize: 7 });
  const b = await runAnalyses(encoder, sentences, { ...opts, batchSize: 32 });
  assert.equal(JSON.stringify(results(a)), JSON.stringify(results(b)));
  assert.deepEqual(a.settings.only, [...DEFAULT_ANALYSES]);
  for (const k of ["origins", "positions", "probe", "anisotropy", "selfsim", "contributions"] as const) assert.ok(a[k], k);
  assert.deepEqual(a.outliers.dimensions.map((d) => [d.dim, d.kind]).filter(([d]) => d === 3), [[3, "max"]]);
  const l1 = a.anisotropy!.layers[1];
  for (const v of ["raw", "clipped", "zscore", "allButTheTop", "whitening"] as const) assert.equal(typeof l1[v], "number", v);
  assert.ok(a.selfsim!.raw.layers.length === 3 && a.selfsim!.raw.layers[0].words > 0);
  assert.equal(a.selfsim!.clipped.layers[1].anisotropy, l1.clipped);
  assert.equal(a.selfsim!.raw.layers[1].anisotropy, l1.raw);
  assert.equal(a.sample.sentences, 30);
  assert.equal(a.provenance.seed, 2);
  // the probe and positions report the detected outlier dims
  assert.deepEqual(a.probe!.settings.dims, a.outliers.dimensions.map((d) => d.dim).filter((d, i, all) => all.indexOf(d) === i).sort((x, y) => x - y));
});

test("runAnalyses with --only runs the subset (outliers always) and honours clipDims", async () => {
  const r = await runAnalyses(encoder, sentences, { ...opts, only: ["anisotropy"], clipDims: [5] });
  assert.deepEqual(r.settings.only, ["outliers", "anisotropy"]);
  assert.equal(r.probe, undefined);
  assert.deepEqual(r.clip, { dims: [5], source: "option", fitSentences: 10, matchesOutliers: null });
  assert.deepEqual(r.anisotropy!.settings.postprocessing, { clipped: { dims: [5], layers: "all" } });
});

test("runAnalyses rejects an empty sample, unknown analyses and out-of-range clip dims", async () => {
  await assert.rejects(runAnalyses(encoder, []), /^RangeError: sentences: the sample is empty/);
  await assert.rejects(runAnalyses(encoder, sentences, { only: ["nope"] }), /invalid analysis: "nope"; expected one of outliers, origins/);
  await assert.rejects(runAnalyses(encoder, sentences, { clipDims: [16] }), /invalid clip dimension: 16; expected an integer in \[0, 15\]/);
});

test("runAnalyses with timings adds seconds per phase and leaves the results unchanged", async () => {
  const timings: Record<string, number> = {};
  const a = await runAnalyses(encoder, sentences, { ...opts, timings });
  const b = await runAnalyses(encoder, sentences, opts);
  assert.equal(JSON.stringify({ ...a, provenance: {} }), JSON.stringify({ ...b, provenance: {} }));
  const phases = ["fit", "encode", "split", "blocks", "add.outliers", "add.probe", "add.anisotropy", "add.moments", "add.selfsim", "add.reduce", "add.massive", "add.norms", "add.isotropy",
    "result.origins", "result.positions", "result.probe", "result.postprocessFit", "result.anisotropy", "result.selfsim", "result.contributions", "result.massive", "result.norms", "result.isotropy"];
  assert.deepEqual(Object.keys(timings).sort(), [...phases].sort());
  for (const p of phases) assert.ok(timings[p] >= 0 && Number.isFinite(timings[p]), `${p}: ${timings[p]}`);
});

test("resolveOnly keeps the canonical order and always includes outliers", () => {
  assert.deepEqual(resolveOnly(["probe", "origins"]), ["outliers", "origins", "probe"]);
  assert.deepEqual(resolveOnly(), [...DEFAULT_ANALYSES]);
  // sinks is opt-in: not in the default set; named, or asked for through its site (a name or a kind), it runs
  assert.deepEqual(DEFAULT_ANALYSES, ANALYSIS_NAMES.filter((n) => n !== "sinks"));
  assert.deepEqual(resolveOnly(["sinks"]), ["outliers", "sinks"]);
  assert.ok(resolveOnly(undefined, ["attn_probs.2"]).includes("sinks"));
  assert.deepEqual(resolveOnly(["massive"], ["attn_probs"]), ["outliers", "massive", "sinks"]);
  assert.deepEqual(resolveOnly(["massive"], ["attn_resid"]), ["outliers", "massive"]);
});

test("batchWords joins a word's subwords without WordPiece/BPE markers; frequentWords counts sentences", () => {
  const enc = {
    batch: 1, length: 5, sentenceIndex: [4], tokens: [["[CLS]", "play", "##ing", "Ġcat", "[SEP]"]], wordIds: Int32Array.from([-1, 0, 0, 1, -1]),
  } as unknown as EncodedBatch;
  assert.deepEqual([...batchWords(enc)], [["4:0", "playing"], ["4:1", "cat"]]);
  // "the" is in 2 sentences (twice in the first, counted once), "cat" in 1
  assert.deepEqual([...frequentWords(["The cat, the dog.", "the end"], 2)], ["the"]);
});

test("runAnalyses: the onnxruntime linear algebra (default) agrees with the float64 JS reference", async () => {
  const ort = await runAnalyses(encoder, sentences, opts);
  const js = await runAnalyses(encoder, sentences, { ...opts, linalg: "js" });
  assert.equal(ort.settings.linalg, "onnxruntime");
  assert.equal(js.settings.linalg, "js");
  // everything that uses no dense linear algebra is identical
  for (const k of ["sample", "clip", "outliers", "origins", "positions", "selfsim", "contributions"] as const) assert.deepEqual(ort[k], js[k], k);
  // the post-processed anisotropy and the probe agree to float32 rounding of their sums
  ort.anisotropy!.layers.forEach((l, i) => {
    const r = js.anisotropy!.layers[i];
    assert.equal(l.raw, r.raw);
    assert.equal(l.clipped, r.clipped);
    for (const v of ["zscore", "allButTheTop", "whitening"] as const) assert.ok(Math.abs(l[v]! - r[v]!) < 1e-4, `layer ${l.layer} ${v}: ${l[v]} vs ${r[v]}`);
  });
  ort.probe!.layers.forEach((l, i) => {
    const r = js.probe!.layers[i];
    assert.equal(l.classes, r.classes);
    assert.equal(l.testTokens, r.testTokens);
    assert.ok(Math.abs(l.accuracy! - r.accuracy!) <= 2 / l.testTokens, `layer ${l.layer} accuracy ${l.accuracy} vs ${r.accuracy}`);
    assert.ok(Math.abs(l.loss! - r.loss!) < 1e-4, `layer ${l.layer} loss ${l.loss} vs ${r.loss}`);
  });
  // and the onnxruntime run is reproducible byte for byte
  const again = await runAnalyses(encoder, sentences, opts);
  assert.equal(JSON.stringify({ ...again, provenance: {} }), JSON.stringify({ ...ort, provenance: {} }));
});

test("runAnalyses with a fit sample as large as the sample runs one stage and matches a capped fitSentences", async () => {
  const few = sentences.slice(0, 8), progress: string[] = [];
  const a = await runAnalyses(encoder, few, { ...opts, fitSentences: 500, onProgress: (p) => progress.push(`${p.stage} ${p.done}/${p.total}`) });
  const b = await runAnalyses(encoder, few, { ...opts, fitSentences: 8 });
  assert.equal(a.settings.fitSentences, 8);
  assert.equal(JSON.stringify({ ...a, provenance: {} }), JSON.stringify({ ...b, provenance: {} }));
  assert.ok(progress.includes("fit 8/8") && !progress.some((p) => p.startsWith("encode")), progress.join(", "));
  assert.equal(a.clip.source, "fit-sample");
  assert.ok(a.selfsim!.clipped.layers.length === 3);
});

test("runAnalyses: the clipped self-similarity replayed after the fit stage equals one fed the same dims from the start", async () => {
  const fitted = await runAnalyses(encoder, sentences, { ...opts, only: ["selfsim"] });
  assert.equal(fitted.clip.source, "fit-sample");
  const given = await runAnalyses(encoder, sentences, { ...opts, only: ["selfsim"], clipDims: fitted.clip.dims });
  assert.deepEqual(given.selfsim!.clipped, fitted.selfsim!.clipped);
  assert.ok(fitted.selfsim!.clipped.layers.every((l) => l.occurrences === fitted.selfsim!.raw.layers[0].occurrences));
});

test("runAnalyses: the probe and self-similarity in the side worker give the same bytes as in the calling thread", async () => {
  const cases: RunOptions[] = [{}, { clipDims: [3] }, { only: ["probe"] }, { only: ["selfsim"] }, { linalg: "js", only: ["probe", "selfsim"] }, { batchSize: 32 }];
  for (const extra of cases) {
    const here = await runAnalyses(encoder, sentences, { ...opts, batchSize: 7, ...extra, worker: false });
    const there = await runAnalyses(encoder, sentences, { ...opts, batchSize: 7, ...extra, worker: true });
    assert.equal(JSON.stringify({ ...there, provenance: {} }), JSON.stringify({ ...here, provenance: {} }), JSON.stringify(extra));
  }
  // sentences of one length: batches without padding, whose layers the split would otherwise pass as
  // views of the encoder's buffers (which go to the worker)
  const even = sentences.map((s) => s.split(" ").slice(0, 3).join(" "));
  const here = await runAnalyses(encoder, even, { ...opts, worker: false });
  const there = await runAnalyses(encoder, even, { ...opts, worker: true });
  assert.equal(JSON.stringify({ ...there, provenance: {} }), JSON.stringify({ ...here, provenance: {} }));
  // the worker's phases come back prefixed "side.", this thread's waits for it as "wait" and "result.wait"
  const timings: Record<string, number> = {};
  await runAnalyses(encoder, sentences, { ...opts, worker: true, timings });
  const phases = ["fit", "encode", "split", "blocks", "add.outliers", "add.anisotropy", "add.moments", "add.reduce", "add.massive", "add.norms", "add.isotropy", "wait",
    "result.origins", "result.positions", "result.postprocessFit", "result.anisotropy", "result.contributions", "result.massive", "result.norms", "result.isotropy", "result.wait",
    "side.split", "side.add.probe", "side.add.selfsim", "side.fit", "side.result.probe", "side.result.selfsim"];
  assert.deepEqual(Object.keys(timings).sort(), [...phases].sort());
  for (const p of phases) assert.ok(timings[p] >= 0 && Number.isFinite(timings[p]), `${p}: ${timings[p]}`);
});

test("runAnalyses: the worker option is checked, and bad side options throw before a worker starts", async () => {
  await assert.rejects(runAnalyses(encoder, sentences, { ...opts, worker: "yes" as unknown as boolean }), /^RangeError: invalid worker: "yes"; expected true, false or "auto"/);
  await assert.rejects(runAnalyses(encoder, sentences, { ...opts, worker: true, linalg: jsLinalg }), /worker: true needs linalg "onnxruntime" or "js" \(a Linalg instance cannot move to a worker thread\)/);
  await assert.rejects(runAnalyses(encoder, sentences, { ...opts, worker: true, probe: { testFraction: 2 } }), /testFraction/);
});

test("workerSide: each batch is copied before add returns, so the caller may reuse its buffers at once; an error in the worker rejects the call with its message", async () => {
  const settings = { dim: 16, seed: 2, includeSpecial: false, parts: [
    { name: "probe", settings: { maxTrainTokens: 200, maxTestTokens: 50, epochs: 2 } },
    { name: "selfsim", settings: { minOccurrences: 2, maxWords: 10, words: null, clipDims: null } },
  ] };
  const here = localSide(settings, () => jsLinalg, () => {}), there = workerSide(settings, "js", 1);
  try {
    const encoded: EncodedBatch[] = [];
    for await (const enc of encoder.encode(sentences, { batchSize: 3 })) encoded.push(enc);
    assert.ok(encoded.length > 6, `${encoded.length} batches`);
    // every batch split into ONE scratch, overwritten right after add. The fit stage one batch at a
    // time (one shared-memory slot, reused: the worker must keep copies of the fit batches, which the
    // clipped self-similarity replays at fit); the encode stage all in flight at once (the worker must
    // see each batch as it was when add was called: many slots)
    const feed = async (side: typeof here, stage: "fit" | "encode", batches: EncodedBatch[], reuse: boolean) => {
      const scratch: Float32Array[] = [], inflight: Promise<void>[] = [];
      for (const enc of batches) {
        const lbs = toLayerBatches(enc, reuse ? scratch : undefined);
        inflight.push(side.add(stage, enc, lbs));
        if (reuse) for (const lb of lbs) lb.data.fill(NaN);
        if (stage === "fit") await inflight.pop();
      }
      await Promise.all(inflight);
    };
    for (const [side, reuse] of [[here, false], [there, true]] as const) {
      await feed(side, "fit", encoded.slice(0, 4), reuse);
      await side.fit([3]);
      await feed(side, "encode", encoded.slice(4), reuse);
    }
    // the worker's states crossed a structured clone: held() makes their arrays give base64 JSON again
    assert.equal(JSON.stringify(held(await there.states())), JSON.stringify(await here.states()));
    // one sentence of two words, 16 wide, no padding: the split's data are views of the encoder's buffer, which stays here
    const enc = {
      sentenceIndex: [0], batch: 1, length: 2, hidden: 16, layers: [new Float32Array(32).fill(1)], inputIds: Int32Array.from([5, 6]),
      attentionMask: Uint8Array.from([1, 1]), positionIds: Int32Array.from([0, 1]), specialMask: new Uint8Array(2), wordIds: Int32Array.from([0, 1]),
      tokenCounts: [2], tokens: [["a", "b"]], truncated: [false],
    } as EncodedBatch;
    await there.add("encode", enc, toLayerBatches(enc));
    assert.equal(enc.layers[0].length, 32, "nothing was transferred");
    // an 8-wide batch against the 16-wide pool: SelfSimilarity's own error, thrown in the worker
    const narrow = { ...enc, hidden: 8, length: 4, attentionMask: Uint8Array.from([1, 1, 1, 1]), specialMask: new Uint8Array(4), wordIds: Int32Array.from([0, 1, 2, 3]), tokens: [["a", "b", "c", "d"]] };
    await assert.rejects(there.add("encode", narrow, toLayerBatches(narrow)), /dim 8 differs from the first batch \(16\)|dim 8 differs from the slots option's width \(16\)/);
  } finally {
    await there.close();
  }
});

test("runAnalyses: onStates gives every stateful accumulator's envelope, the same from the side worker as from this thread", async () => {
  const texts: string[] = [];
  for (const worker of [false, true]) {
    let got: StateEnvelope[] = [];
    await runAnalyses(encoder, sentences, { ...opts, worker, onStates: (s) => { got = s; } });
    assert.deepEqual(got.map((e) => e.analysis), ["outliers", "positions", "probe", "anisotropy", "selfsim", "postprocess", "massive", "norms", "isotropy"]);
    for (const e of got) assert.equal(e.version, STATE_VERSION);
    texts.push(JSON.stringify(got));
  }
  assert.equal(texts[1], texts[0]);
});
