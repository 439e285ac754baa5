/**
 * The site analyses (massive, norms, sinks) end to end on real onnxruntime encodings of SYNTHETIC
 * checkpoints (seeded random weights, not trained: exact ground truth, no meaning):
 *  - the bert and modernbert (pre-LN) family fixtures (test/fixtures/families) with their residual and attention sites:
 *    runAnalyses' results equal a naive recomputation from every stored activation of the same batches;
 *  - synthesized checkpoints with a planted massive activation (one dim of [SEP] at ffn_resid.2, far
 *    above 1000x the site's median) and a planted sink head (layer 3 head 1 attends to [CLS]): both are
 *    found exactly, and nothing else is; the same seed without plants shows neither.
 */
import { test, after } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { createEncoder } from "../../src/model/encoder.js";
import { readConfig } from "../../src/model/config.js";
import { synthesize } from "../../src/model/synth.js";
import type { Architecture, EncodedBatch } from "../../src/model/types.js";
import { runAnalyses } from "../../src/analysis/run.js";
import { siteRequest } from "../../src/analysis/registry/index.js";
import { loadCorpus } from "../../src/data/corpus.js";
import { sampleSentences } from "../../src/data/sample.js";
import { checkMassiveNaive, checkNormsNaive, checkSinksNaive } from "./helpers/siteNaive.js";

const root = path.join(__dirname, "..", "..", "..");
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "pa-site-analyses-"));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));
const ONLY = ["massive", "norms", "sinks"];

/** runAnalyses of the site analyses, and the same sentences' batches stored (sentence indices those of `sentences`). */
async function runAndStore(dir: string, sentences: string[], extraSites: string[] = []) {
  const encoder = await createEncoder(dir, { threads: 1, sites: siteRequest(readConfig(dir), ONLY, extraSites) });
  try {
    const results = await runAnalyses(encoder, sentences, { only: ONLY, batchSize: 4, worker: false });
    // massive and norms are side parts: in the worker (the sites' buffers transferred, sinks reading
    // massive's result from it) the same bytes as in this thread
    const inWorker = await runAnalyses(encoder, sentences, { only: ONLY, batchSize: 4, worker: true });
    assert.equal(JSON.stringify({ ...inWorker, provenance: {} }), JSON.stringify({ ...results, provenance: {} }));
    const batches: EncodedBatch[] = [];
    for await (const b of encoder.encode(sentences, { batchSize: 4 })) {
      // the encoder reuses nothing across batches, but copy anyway: the naive check reads them all at the end
      batches.push({ ...b, layers: b.layers.map((l) => l.slice()), sites: Object.fromEntries(Object.entries(b.sites ?? {}).map(([k, v]) => [k, v.slice()])) });
    }
    return { results, batches, sites: encoder.sites.map((s) => s.name) };
  } finally {
    await encoder.dispose();
  }
}

for (const family of ["bert", "modernbert"]) {
  test(`massive, norms and sinks on a real encoding of the ${family} family fixture equal a naive recomputation from every stored activation`, async () => {
    const sentences = sampleSentences(loadCorpus("default"), { n: 14, seed: 2, minWords: 3, maxWords: 12 });
    const { results, batches, sites } = await runAndStore(path.join(root, "test", "fixtures", "families", family), sentences, ["ffn_act"]);
    // post-LN bert: the sums entering the norms; pre-LN modernbert: the same kinds are its norm inputs
    assert.ok(sites.includes("attn_resid.1") && sites.includes("ffn_resid.2") && sites.includes("attn_probs.1") && sites.includes("ffn_act.1"), sites.join(","));
    checkMassiveNaive(results.massive!, batches);
    checkNormsNaive(results.norms!, batches);
    checkSinksNaive(results.sinks!, batches);
    assert.equal(results.sinks!.sentences, sentences.length);
  });
}

const SENTENCES = ["the people said hello", "water", "a few children walked to the man again and again", "hello world, the sun.", "the man said a few words"];

async function planted(arch: Architecture, plants: boolean) {
  const out = path.join(tmp, `${arch}-${plants}`);
  await synthesize({ arch, layers: 3, hidden: 16, heads: 4, seed: 7, positions: 64, out, ...(plants ? { plantMassive: { layer: 2, dim: 5 }, plantSink: { layer: 3, head: 1 } } : {}) });
  return (await runAndStore(out, SENTENCES)).results;
}

for (const arch of ["bert", "roberta"] as const) {
  test(`${arch}: the planted massive activation ([SEP] dim 5 at ffn_resid.2) and sink head (layer 3 head 1 on [CLS]) are found exactly`, async () => {
    const r = await planted(arch, true);
    const hits = r.massive!.sites.filter((s) => s.massive > 0);
    // exactly one site, one dim, one class: every sentence's [SEP]
    assert.deepEqual(hits.map((s) => ({ site: s.site, massive: s.massive, byClass: s.byClass, dims: s.dims, exact: s.exact })), [
      { site: "ffn_resid.2", massive: SENTENCES.length, byClass: { cls: 0, sep: SENTENCES.length, first: 0, punct: 0, other: 0 }, dims: [{ dim: 5, count: SENTENCES.length }], exact: true },
    ]);
    const site = hits[0];
    assert.ok(Math.abs(site.top[0].value) > 1000 * site.median! && Math.abs(site.top[0].value) > 100);
    assert.deepEqual(r.massive!.persistence, [{ kind: "ffn_resid", dim: 5, class: "sep", layers: [2], count: SENTENCES.length }]);
    // the sink: only layer 3 head 1 puts more than epsilon on average on a class, and it is [CLS], in every sentence
    const sinks = r.sinks!;
    assert.deepEqual(sinks.sinkHeads.map((h) => [h.layer, h.head, h.class]), [[3, 1, "cls"]]);
    const l3 = sinks.layers[2];
    assert.ok(l3.heads[1].mass.cls > 0.95, `${l3.heads[1].mass.cls}`);
    assert.equal(l3.heads[1].sinkShare.cls, 1);
    assert.equal(l3.sinkClass, "cls");
    // layer 3 reads block 2, whose massive activation is on [SEP]: the sink is not the massive carrier
    assert.equal(l3.massiveClass, "sep");
    assert.equal(l3.sinkIsMassive, false);
  });
}

test("bert: the same seed without plants has no massive activation and no sink head", async () => {
  const r = await planted("bert", false);
  assert.deepEqual(r.massive!.sites.filter((s) => s.massive > 0).map((s) => s.site), []);
  assert.deepEqual(r.sinks!.sinkHeads.filter((h) => h.mass > 0.95), []);
  assert.ok(r.sinks!.layers.every((l) => l.heads.every((h) => h.mass.cls < 0.95)));
});
