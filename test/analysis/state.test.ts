/**
 * Accumulator state (state.ts): for every analysis of the registry, a seeded sample is split
 * at random into 1 to 7 parts; each part is fed to its own accumulators, whose states go through JSON
 * text and are merged in random order into fresh ones; the results are compared with one run over
 * the whole sample. SYNTHETIC model (test/fixtures/models/synth-bert-outlier, planted outlier in dim 7):
 * the point is the merge, not the numbers. Each sentence is encoded alone, so every part sees exactly
 * the vectors the single run sees and only the merge differs.
 *
 * Exactness: token samples (anisotropy's pairs, the probe's train and test sets, contributions) are a
 * bottom-k selection on seeded hash keys, order-free: byte-identical; so is massive (histogram counts, maxima and
 * capped lists under a total order). Float64 sums (outlier means,
 * position profiles, self-similarity's sums of unit vectors, the post-processings' moments, norms' Pébay moments) are added
 * in another order when merged, so they agree to float64 rounding (about 1e-16 relative), which the
 * results' 7 significant digits (round6) can still show as one unit in the last place: compared
 * within 2e-6 relative (positions: see TOLERANCE). postprocess has no result key of its own: its merged
 * moments show in anisotropy's z-score, all-but-the-top and whitening variants. The test records which analyses came out byte-identical and requires it of
 * those whose maths allows it.
 */
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import * as path from "node:path";
import { createEncoder, type Encoder } from "../../src/model/encoder.js";
import type { EncodedBatch } from "../../src/model/types.js";
import { COMMON_WORDS } from "../../src/model/synthTokenizer.js";
import { createRandom } from "../../src/numerics/random.js";
import { jsLinalg } from "../../src/numerics/linalg.js";
import { SiteReducer } from "../../src/analysis/siteReductions.js";
import { toLayerBatches, wordTable, type LayerBatch } from "../../src/analysis/batch.js";
import { outlierDims, type OutlierResult } from "../../src/analysis/outliers.js";
import { REGISTRY, BASE, siteRequest } from "../../src/analysis/registry/index.js";
import { readConfig } from "../../src/model/config.js";
import type { Accumulator, AccumulatorState, RunContext, SidePart, ResultInputs } from "../../src/analysis/registry/types.js";
import { stateIdentity, unwrapState, wrapState, STATE_VERSION, type ModelIdentity } from "../../src/analysis/state.js";
import type { RunOptions } from "../../src/analysis/options.js";

const modelDir = path.join(__dirname, "..", "..", "..", "test", "fixtures", "models", "synth-bert-outlier");
const g0 = createRandom(21), words = COMMON_WORDS.slice(0, 40);
const sentences = Array.from({ length: 36 }, () => Array.from({ length: 3 + g0.int(7) }, () => words[g0.int(words.length)]).join(" "));
const opts: RunOptions = {
  seed: 4, clipDims: [7], anisotropy: { pairs: 200, sampleSize: 120 }, probe: { maxTrainTokens: 150, maxTestTokens: 40, epochs: 2 },
  selfsim: { minOccurrences: 2, maxWords: 25 },
};
/**
 * Relative tolerance where the merge is not byte-identical (default 2e-6: one unit in the 7th digit).
 * positions: its correlations come from one-pass sums (Σx², Σx, Σxp): for a dim of nearly constant
 * value (the planted outlier) Σx² - (Σx)²/n cancels most digits, so float64 reordering shows (2.5e-4
 * measured, relative to max(|r|, 1e-3)).
 */
const TOLERANCE: Record<string, number> = { positions: 1e-3 };
/** Analyses whose merge is exact by construction (see the header). */
const EXACT = ["origins", "probe", "contributions", "massive"];

let encoder: Encoder, model: ModelIdentity;
/** The site reductions as a js-linalg run makes them (plain TypeScript), once per batch. */
const reducer = new SiteReducer("js");
/** One encoded batch per sentence, sentence indices those of `sentences`. */
let encoded: EncodedBatch[] = [];

before(async () => {
  // with every site the analyses ask for (the residual sums for massive and norms, attn_probs for sinks)
  encoder = await createEncoder(modelDir, { threads: 1, sites: siteRequest(readConfig(modelDir), REGISTRY.map((d) => d.name)) });
  model = stateIdentity(encoder.provenance());
  for (const [i, s] of sentences.entries()) {
    for await (const b of encoder.encode([s], { batchSize: 1 })) encoded.push({ ...b, sentenceIndex: [i] });
  }
});

after(async () => {
  await encoder?.dispose();
  encoded = [];
});

interface Group {
  local: Map<string, Accumulator>;
  side: Map<string, SidePart>;
}

/** Every analysis' accumulator, made as runAnalyses makes them. */
function group(): Group {
  const local = new Map<string, Accumulator>(), side = new Map<string, SidePart>();
  const ctx: RunContext = {
    encoder, sentences, opts, seed: opts.seed!, includeSpecial: false, wants: () => true, runs: () => true,
    peer: <T extends Accumulator>(n: string) => (local.get(n) as T | undefined) ?? null, linalg: () => jsLinalg, lap: () => {},
  };
  const env = { reductions: (enc: EncodedBatch) => reducer.reductions(enc) };
  for (const d of REGISTRY) {
    if (d.create) local.set(d.name, d.create(ctx));
    if (d.side) side.set(d.name, d.side.part(d.side.settings(ctx), { dim: encoder.hidden, seed: opts.seed!, includeSpecial: false }, env));
  }
  return { local, side };
}

async function feed(g: Group, batches: readonly EncodedBatch[]): Promise<void> {
  const all: LayerBatch[] = [];
  for (const enc of batches) {
    for (const a of g.local.values()) await a.addEncoded?.(enc);
    const lbs = toLayerBatches(enc);
    all.push(...lbs);
    for (const lb of lbs) for (const a of g.local.values()) a.add?.(lb);
    for (const p of g.side.values()) {
      if (p.addEncoded) await p.addEncoded(enc, () => {});
      else p.add("encode", lbs, p.needsWords ? wordTable(enc) : null, () => {});
    }
  }
  for (const a of g.local.values()) await a.fit?.(all);
  // as the run does at the end of every block: work in flight (isotropy's Gram blocks) finishes
  for (const a of g.local.values()) await a.settle?.();
}

function stateOf(g: Group, name: string): AccumulatorState | null {
  return g.local.get(name)?.state?.() ?? g.side.get(name)?.state() ?? null;
}

function mergeInto(g: Group, name: string, body: unknown): void {
  const a = g.local.get(name);
  if (a?.mergeState) a.mergeState(body);
  else g.side.get(name)!.mergeState(body);
}

async function results(g: Group): Promise<Map<string, unknown>> {
  const values = new Map<string, unknown>();
  const outliers = (await g.local.get(BASE)!.result(null!)) as OutlierResult;
  values.set(BASE, outliers);
  const inputs: ResultInputs = { outliers, dims: outlierDims(outliers), clipDims: opts.clipDims!, results: values };
  for (const d of REGISTRY.slice(1)) {
    const part = g.side.get(d.name);
    values.set(d.name, part ? await part.result(async () => jsLinalg, d.side!.input(inputs), () => {}) : await g.local.get(d.name)!.result(inputs));
  }
  return values;
}

/** Largest relative difference between two JSON values of the same shape; throws where the shapes or non-numbers differ. */
function maxDiff(a: unknown, b: unknown, where = ""): number {
  if (typeof a === "number" && typeof b === "number") return a === b ? 0 : Math.abs(a - b) / Math.max(Math.abs(a), Math.abs(b), 1e-3);
  if (a && b && typeof a === "object" && typeof b === "object") {
    const ka = Object.keys(a), kb = Object.keys(b);
    assert.deepEqual(ka, kb, `${where}: keys differ`);
    let m = 0;
    for (const k of ka) m = Math.max(m, maxDiff((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], `${where}.${k}`));
    return m;
  }
  assert.deepEqual(a, b, where);
  return 0;
}

test("every analysis' state merges: 1..7 random parts, random merge order, through JSON, equals the single run", async () => {
  const single = group();
  await feed(single, encoded);
  const want = await results(single);
  const g = createRandom(77);
  const identical = new Map<string, number>(REGISTRY.map((d) => [d.name, 0])), worst = new Map<string, number>();
  for (let k = 1; k <= 7; ++k) {
    // a random partition of the sentences into k non-empty parts
    const order = g.shuffle([...encoded.keys()]);
    const cuts = new Set<number>();
    while (cuts.size < k - 1) cuts.add(1 + g.int(encoded.length - 1));
    const edges = [0, ...[...cuts].sort((a, b) => a - b), encoded.length];
    const parts: Group[] = [];
    for (let p = 0; p < k; ++p) {
      const part = group();
      await feed(part, order.slice(edges[p], edges[p + 1]).sort((a, b) => a - b).map((i) => encoded[i]));
      parts.push(part);
    }
    const merged = group();
    for (const d of REGISTRY) {
      const texts = parts.map((p) => stateOf(p, d.name)).map((st) => (st ? JSON.stringify(wrapState(d.name, model, st.settings, st.body)) : null));
      const mine = stateOf(merged, d.name);
      for (const i of g.shuffle([...texts.keys()])) {
        if (texts[i] === null) continue;
        mergeInto(merged, d.name, unwrapState(texts[i]!, d.name, model, mine!.settings));
      }
    }
    const got = await results(merged);
    for (const d of REGISTRY) {
      const same = JSON.stringify(got.get(d.name)) === JSON.stringify(want.get(d.name));
      if (same) identical.set(d.name, identical.get(d.name)! + 1);
      else {
        assert.ok(!EXACT.includes(d.name), `${d.name} with ${k} parts: not byte-identical`);
        const diff = maxDiff(got.get(d.name), want.get(d.name), d.name);
        worst.set(d.name, Math.max(worst.get(d.name) ?? 0, diff));
        assert.ok(diff <= (TOLERANCE[d.name] ?? 2e-6), `${d.name} with ${k} parts: relative difference ${diff}`);
      }
    }
  }
  process.stdout.write(`# byte-identical merges out of 7 per analysis: ${JSON.stringify(Object.fromEntries(identical))}; largest relative difference otherwise: ${JSON.stringify(Object.fromEntries(worst))}\n`);
  for (const name of EXACT) assert.equal(identical.get(name), 7, name);
});

test("a state of another model, version, analysis or settings is refused with a clear error", () => {
  const g = group(), st = stateOf(g, "outliers")!;
  const text = JSON.stringify(wrapState("outliers", model, st.settings, st.body));
  assert.deepEqual(unwrapState(text, "outliers", model, st.settings), st.body);
  const other: ModelIdentity = { ...model, files: model.files.map((f) => ({ ...f, sha256: "0".repeat(64) })) };
  assert.throws(() => unwrapState(text, "outliers", other, st.settings), /model .* is not this run's .*; merge states of the same checkpoint/);
  const old = JSON.stringify({ ...JSON.parse(text), version: STATE_VERSION + 1 });
  assert.throws(() => unwrapState(old, "outliers", model, st.settings), new RegExp(`version ${STATE_VERSION + 1}, this toolkit reads version ${STATE_VERSION}`));
  assert.throws(() => unwrapState(text, "positions", model, st.settings), /analysis "outliers", expected "positions"/);
  assert.throws(() => unwrapState(text, "outliers", model, { ...(st.settings as object), minShare: 0.5 }), /settings .* differ from this accumulator's/);
  assert.throws(() => unwrapState("{}", "outliers", model, st.settings), /format undefined is not positional-artefacts\/analysis-state/);
});
