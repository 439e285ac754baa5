/**
 * AttentionSinks (sinks.ts): exact values on a hand-made batch, merge equal to one pass, and every
 * statistic against a naive recomputation from all stored attention probabilities (SYNTHETIC seeded
 * softmax rows with padding and a planted [CLS] sink head).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { AttentionSinks, SINK_CLASSES, type SinkResult } from "../../src/analysis/sinks.js";
import { MassiveActivations } from "../../src/analysis/massive.js";
import { jsReducer } from "../../src/model/reductions.js";
import { createRandom } from "../../src/numerics/random.js";
import type { EncodedBatch } from "../../src/model/types.js";
import { encodedBatch, randomSentences } from "./helpers/encodedBatch.js";
import { checkSinksNaive } from "./helpers/siteNaive.js";

const r6 = (x: number) => Number(x.toPrecision(7));

test("AttentionSinks: mass per class, Gu et al.'s share over epsilon, the sink class and the massive carrier on a hand-made batch", async () => {
  // one sentence [CLS] cat , [SEP] (4 tokens), a padded row of 2; 2 heads at attn_probs.1.
  // head 0: every query 0.7 on [CLS], 0.1 on each other key; head 1: uniform 0.25
  const tokens = [["[CLS]", "cat", ",", "[SEP]"], ["[CLS]", "[SEP]"]];
  const enc = encodedBatch({
    tokens, sentenceIndex: [0, 1], hidden: 2, layers: 2, heads: { "attn_probs.1": 2 },
    value: (site, b, hq, k) => {
      if (!site.startsWith("attn_probs")) return b === 0 && hq === 3 && k === 1 ? 500 : 0.1 * (k + 1); // hidden_states.0: 500 on [SEP] dim 1
      const n = tokens[b].length, h = Math.floor(hq / 4);
      if (k >= n) return 0;
      return h === 0 ? (k === 0 ? 1 - 0.1 * (n - 1) : 0.1) : 1 / n;
    },
  });
  const massive = (await new MassiveActivations().addWith(jsReducer, enc)).result();
  const r = new AttentionSinks().add(enc).result(massive);
  // 6 queries: head 0 puts 0.7 (sentence 0) and 0.9 (sentence 1) on [CLS]: (4 x 0.7 + 2 x 0.9) / 6
  const h0 = r.layers[0].heads[0], h1 = r.layers[0].heads[1];
  assert.deepEqual(h0.mass, { cls: r6((4 * 0.7 + 2 * 0.9) / 6), sep: r6((4 * 0.1 + 2 * 0.1) / 6), first: r6((4 * 0.1) / 6), punct: r6((4 * 0.1) / 6) });
  assert.deepEqual(h1.mass, { cls: r6((4 * 0.25 + 2 * 0.5) / 6), sep: r6((4 * 0.25 + 2 * 0.5) / 6), first: r6(1 / 6), punct: r6(1 / 6) });
  // over 0.3: head 0 on [CLS] in both sentences; head 1 on [CLS] and [SEP] only in sentence 1 (0.5 each)
  assert.deepEqual(h0.sinkShare, { cls: 1, sep: 0, first: 0, punct: 0 });
  assert.deepEqual(h1.sinkShare, { cls: 0.5, sep: 0.5, first: 0, punct: 0 });
  assert.deepEqual(r.layers[0].sinkRate, { cls: 0.75, sep: 0.25, first: 0, punct: 0 });
  assert.equal(r.layers[0].sinkClass, "cls");
  // hidden_states.0 (layer 1's input): 500 on [SEP] > 100 and > 1000 x median (0.1..0.2): carried by [SEP], not the sink
  assert.equal(r.layers[0].massiveClass, "sep");
  assert.equal(r.layers[0].topClass, "sep");
  assert.equal(r.layers[0].sinkIsMassive, false);
  assert.deepEqual(r.sinkHeads, [{ layer: 1, head: 0, class: "cls", mass: r6((4 * 0.7 + 2 * 0.9) / 6) }, { layer: 1, head: 1, class: "cls", mass: r6(2 / 6) }, { layer: 1, head: 1, class: "sep", mass: r6(2 / 6) }]);
  assert.equal(r.sentences, 2);
  assert.equal(r.queries, 6);
});

test("AttentionSinks pins its defaults and checks epsilon", () => {
  const r = new AttentionSinks().result();
  assert.deepEqual(r.settings, { epsilon: 0.3, queries: "all" });
  assert.deepEqual(r.layers, []);
  assert.throws(() => new AttentionSinks({ epsilon: 2 }), /invalid sinks\.epsilon: 2/);
});

/** Seeded softmax rows over the real keys; head 1 of every layer is a planted [CLS] sink (about 0.9). */
function seeded(seed: number, batches: number): EncodedBatch[] {
  const g = createRandom(seed);
  return Array.from({ length: batches }, (_, k) => {
    const tokens = randomSentences(g, 1 + g.int(4));
    const length = Math.max(...tokens.map((t) => t.length));
    const rows = new Map<string, number[]>();
    return encodedBatch({
      tokens, sentenceIndex: tokens.map((_, b) => k * 10 + b), hidden: 3, layers: 3, heads: { "attn_probs.1": 3, "attn_probs.2": 3 },
      value: (site, b, hq, key) => {
        if (!site.startsWith("attn_probs")) return g.normal();
        const n = tokens[b].length, h = Math.floor(hq / length), id = `${site},${b},${hq}`;
        if (!rows.has(id)) {
          const w = Array.from({ length: n }, (_, j) => Math.exp(2 * g.normal()) * (h === 1 && j === 0 ? 200 : 1));
          const z = w.reduce((a, x) => a + x, 0);
          rows.set(id, w.map((x) => x / z));
        }
        return key < n ? rows.get(id)![key] : 0;
      },
    });
  });
}

test("AttentionSinks agrees with a naive recomputation from every stored attention probability, and finds the planted sink head", () => {
  const batches = seeded(17, 8);
  const r = batches.reduce((s, b) => s.add(b), new AttentionSinks()).result();
  checkSinksNaive(r, batches);
  for (const l of r.layers) {
    assert.ok(l.heads[1].mass.cls > 0.6, `layer ${l.layer}: planted head 1 has ${l.heads[1].mass.cls} on [CLS]`);
    assert.equal(l.sinkClass, "cls");
  }
  assert.deepEqual(r.sinkHeads.filter((h) => h.class === "cls").map((h) => [h.layer, h.head]).sort(), [[1, 1], [2, 1]]);
});

test("AttentionSinks: merged shards (through JSON state) equal the single pass (counts exactly, mass to 1e-6)", () => {
  const batches = seeded(2, 7);
  const single = batches.reduce((s, b) => s.add(b), new AttentionSinks()).result();
  const a = batches.slice(0, 3).reduce((s, b) => s.add(b), new AttentionSinks());
  const b = batches.slice(3).reduce((s, x) => s.add(x), new AttentionSinks());
  const merged = new AttentionSinks().mergeState(JSON.parse(JSON.stringify(b.state()))).merge(a).result();
  const strip = (r: SinkResult) => JSON.stringify(r, (k, v) => (k === "mass" && typeof v === "object" ? null : k === "mass" ? Number(v.toPrecision(5)) : v));
  assert.equal(strip(merged), strip(single));
  merged.layers.forEach((l, i) => l.heads.forEach((h, j) => SINK_CLASSES.forEach((c) => assert.ok(Math.abs(h.mass[c] - single.layers[i].heads[j].mass[c]) <= 1e-6))));
});

test("AttentionSinks refuses a non-finite attention probability, naming the site, sentence and head", () => {
  const enc = encodedBatch({ tokens: [["[CLS]", "a", "[SEP]"]], sentenceIndex: [6], hidden: 1, layers: 1, heads: { "attn_probs.2": 2 }, value: (site, _b, hq, k) => (site.startsWith("attn") && hq >= 3 && k === 0 ? NaN : 0.3) });
  assert.throws(() => new AttentionSinks().add(enc), /site attn_probs\.2: non-finite attention mass NaN in sentence 6, head 1/);
});
