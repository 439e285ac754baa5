import { test } from "node:test";
import assert from "node:assert/strict";
import { meanOfAllStyle, modelFamily, modelStyle, neuronStyle, okabeIto } from "../../src/figures/palette.js";

test("modelFamily tells BERT-family from RoBERTa-family names", () => {
  assert.equal(modelFamily("bert-base-cased"), "bert");
  assert.equal(modelFamily("distilbert-base"), "bert");
  assert.equal(modelFamily("RoBERTa-large"), "roberta");
  assert.equal(modelFamily("distilroberta-base"), "roberta");
  assert.equal(modelFamily("mlm-pos"), "other");
});

test("modelStyle follows the paper: BERT blue squares, RoBERTa circles, clipped dashed", () => {
  assert.deepEqual(modelStyle("bert").marker, { color: okabeIto.blue, symbol: "square", size: 7 });
  assert.equal(modelStyle("roberta").marker.symbol, "circle");
  assert.equal(modelStyle("roberta").line.color, okabeIto.vermillion);
  assert.equal(modelStyle("bert", { clipped: true }).line.dash, "dash");
  assert.equal(modelStyle("bert", { clipped: true }).marker.symbol, "triangle-up");
  assert.equal(modelStyle("roberta", { clipped: true }).marker.symbol, "x");
  assert.notEqual(modelStyle("other", { index: 0 }).line.color, modelStyle("other", { index: 1 }).line.color);
});

test("the mean-of-all style is distinct from every neuron style (down-triangles, orange)", () => {
  assert.equal(meanOfAllStyle().marker.symbol, "triangle-down");
  for (let k = 0; k < 8; ++k) assert.notEqual(neuronStyle(k).line.color, meanOfAllStyle().line.color);
});
