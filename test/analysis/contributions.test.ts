import { test } from "node:test";
import assert from "node:assert/strict";
import { cosineContributions } from "../../src/analysis/contributions.js";
import { Anisotropy } from "../../src/analysis/anisotropy.js";
import { clipper } from "../../src/analysis/postprocess.js";
import { lb, close } from "./fixtures.js";

test("cosineContributions splits the cosine of a pair into per-dimension terms", () => {
  // u = (3, 4, 0), v = (3, 0, 4): |u| = |v| = 5; terms (9/25, 0, 0); cos = 0.36, all carried by dim 0
  const b = lb({ layer: 1, dim: 3, data: [3, 4, 0, 3, 0, 4], sentence: [0, 1], position: [0, 0] });
  const r = cosineContributions(new Anisotropy().add(b), [clipper([0])], { pairs: 5, top: 2 });
  const [raw, clipped] = r.layers;
  assert.deepEqual(raw.contributions, [0.36, 0, 0]);
  assert.equal(raw.total, 0.36);
  assert.deepEqual(raw.top, [{ dim: 0, value: 0.36, share: 1 }, { dim: 1, value: 0, share: 0 }]);
  // clipped: (0, 4, 0) and (0, 0, 4) are orthogonal, so everything is 0
  assert.deepEqual([clipped.variant, clipped.total, clipped.contributions], ["clipped", 0, [0, 0, 0]]);
  assert.deepEqual(r.settings, { pairs: 5, seed: 0, top: 2, sampleSize: 2000, tokens: "non-special", variants: ["raw", "clipped"] });
});

test("cosineContributions sums to the anisotropy on the same pairs", () => {
  const data = [1, 2, 0, 0, 1, 1, 3, -1, 2, 1, 1, 1, -2, 0, 1, 0, 0, 5];
  const b = lb({ layer: 0, dim: 3, data, sentence: [0, 0, 1, 1, 2, 2], position: [0, 1, 0, 1, 0, 1] });
  const a = new Anisotropy({ pairs: 40, seed: 2 }).add(b);
  const c = cosineContributions(a, [], { pairs: 40 });
  close(c.layers[0].total, a.result().layers[0].raw!, 2e-6);
  close(c.layers[0].contributions.reduce((x, y) => x + y, 0), c.layers[0].total!, 2e-6);
  assert.throws(() => cosineContributions(a, [], { pairs: 0 }), /invalid pairs: 0/);
});
