import { test } from "node:test";
import assert from "node:assert/strict";
import {
  anisotropyNarrative, missingDataNote, outlierNarrative, percent, pretrainingNarrative, probeNarrative, span, supervisedNarrative, wicNarrative,
} from "../../src/figures/narrative.js";
import { OutlierCounter } from "../../src/analysis/outliers.js";
import { layerBatch, syntheticAnisotropy, syntheticOutliers, syntheticProbe, syntheticSupervised, syntheticWic } from "./fixtures.js";

test("percent and span format numbers for the narratives", () => {
  assert.equal(percent(0.14321), "14.3%");
  assert.equal(span([1, 1]), "1.000");
  assert.equal(span([3, 1, 2], 0), "1–3");
});

test("outlierNarrative reports each persistent outlier's pooled share from the result (synthetic)", () => {
  const text = outlierNarrative(syntheticOutliers(), { model: "synthetic" });
  assert.match(text, /dimension \*\*2\*\* is the smallest value \(argmin\) of \*\*100\.0%\*\* of token vectors pooled over layers 1–2; 100\.0% in every layer/);
  assert.doesNotMatch(text, /paper/);
  // a BERT-named model gets the paper's BERT-base numbers, attributed
  assert.match(outlierNarrative(syntheticOutliers(), { model: "bert-synthetic" }), /the paper \(Luo et al\. 2021, §2\) reports dimension 557 as the minimum of 96\.6%/);
});

test("outlierNarrative says when no dimension passes, with the largest share and chance", () => {
  // 2 tokens x 2 dims in layer 1: argmin dims 0 and 1, argmax 1 and 0 -> 50% each, below minShare 0.6
  const r = new OutlierCounter({ minShare: 0.6 }).add(layerBatch(1, 2, [0, 1, 1, 0])).result();
  assert.match(outlierNarrative(r), /no dimension is the argmin or argmax of at least 60\.0% .* largest single share is dimension 0 as the argmin of 50\.0% of tokens in layer 1 \(chance is 50\.0%\)/);
});

test("probe, anisotropy, WiC and supervised narratives quote this run's numbers (synthetic)", () => {
  assert.match(probeNarrative(syntheticProbe()), /accuracy 0\.900 at layer 1 and 0\.500 at layer 2 \(best 0\.900 at layer 1/);
  assert.match(anisotropyNarrative(syntheticAnisotropy(), { clipped: [3] }), /ranges 0\.800–0\.800 over layers 1–1 \(layer 0: 0\.500\)\.\nWith dimension 3 set to 0 it ranges 0\.200–0\.200/);
  assert.match(wicNarrative(syntheticWic()), /best accuracy is 60\.0% \(layer 1, threshold 0\.5\) raw and 70\.0% \(layer 1, threshold 0\.3\) clipped, against 50\.0%/);
  assert.match(wicNarrative(syntheticWic()), /raw accuracy is 40\.0%; the drop from the best cell/);
  assert.match(supervisedNarrative([{ model: "m", result: syntheticSupervised() }]), /SST-2, m: 80\.0% \(layer 1\); clipped 75\.0% \(layer 1\); majority class 50\.0%/);
});

test("pretrainingNarrative concludes from the results which model has an outlier (synthetic)", () => {
  const none = new OutlierCounter({ minShare: 0.6 }).add(layerBatch(1, 2, [0, 1, 1, 0])).result();
  const text = pretrainingNarrative([
    { model: "pos", outliers: syntheticOutliers(), hasPositions: true, perplexity: 12.34 },
    { model: "nopos", outliers: none, hasPositions: false, perplexity: null },
  ]);
  assert.match(text, /pos \(with position embeddings; validation perplexity 12\.3\): persistent outlier 2 \(min, 100\.0%\)/);
  assert.match(text, /nopos \(without position embeddings; validation perplexity not logged\): no persistent outlier/);
  assert.match(text, /appears \*\*only in the model with position embeddings\*\*/);
  const both = pretrainingNarrative([{ model: "a", outliers: syntheticOutliers(), hasPositions: true, perplexity: null }, { model: "b", outliers: syntheticOutliers(), hasPositions: false, perplexity: null }]);
  assert.match(both, /\*\*this run does not reproduce\*\*/);
});

test("missingDataNote names the file, where to get it and how to pass it; unknown keys throw", () => {
  const text = missingDataNote(["wic"], { notebook: "04" });
  assert.match(text, /`data\.wic`: WiC .* https:\/\/pilehvar\.github\.io\/wic/);
  assert.match(text, /set `data = \{"wic": "\/path\/to\/train\.data\.txt", "wicGold": "\/path\/to\/train\.gold\.txt"\};` in the parameters cell and rerun notebook 04/);
  assert.throws(() => missingDataNote(["glue" as "wic"]), /invalid data key: "glue"/);
});
