import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { covarianceFromSums, effectiveRank, isoScoreFromEigenvalues, isotropyScores, topVarianceShare } from "../../src/numerics/isotropy.js";

interface Case { name: string; points: number[][]; isoScore: number; isoScoreStar: number; zeta: number; effectiveRank: number; top1: number; top5: number }
const fixture = JSON.parse(fs.readFileSync(path.join(__dirname, "..", "..", "..", "test", "fixtures", "reference", "isoscore.json"), "utf8")) as { meta: Record<string, string>; cases: Case[] };

function covariance(points: number[][]): { cov: Float64Array; d: number } {
  const d = points[0].length;
  const sum = new Float64Array(d), sp = new Float64Array(d * d);
  for (const p of points) {
    for (let i = 0; i < d; ++i) {
      sum[i] += p[i];
      for (let j = i; j < d; ++j) sp[i * d + j] += p[i] * p[j];
    }
  }
  return { cov: covarianceFromSums(points.length, sum, sp, d), d };
}

for (const c of fixture.cases) {
  test(`isotropy scores equal the IsoScore package ${fixture.meta.IsoScore} and numpy on "${c.name}" within 1e-6`, () => {
    const { cov, d } = covariance(c.points);
    const s = isotropyScores(cov, d, { zeta: c.zeta });
    assert.ok(Math.abs(s.isoScore - c.isoScore) < 1e-6, `IsoScore ${s.isoScore} vs ${c.isoScore}`);
    assert.ok(Math.abs(s.isoScoreStar! - c.isoScoreStar) < 1e-6, `IsoScore* ${s.isoScoreStar} vs ${c.isoScoreStar}`);
    assert.ok(Math.abs(s.effectiveRank - c.effectiveRank) < 1e-6, `effective rank ${s.effectiveRank} vs ${c.effectiveRank}`);
    assert.ok(Math.abs(s.top1 - c.top1) < 1e-6 && Math.abs(s.top5 - c.top5) < 1e-6, `top shares ${s.top1} ${s.top5} vs ${c.top1} ${c.top5}`);
  });
}

test("the scores' limits: isotropic eigenvalues give IsoScore 1 and full effective rank; one direction gives 0 and rank 1", () => {
  assert.ok(Math.abs(isoScoreFromEigenvalues([2, 2, 2, 2]) - 1) < 1e-12);
  assert.ok(Math.abs(isoScoreFromEigenvalues([5, 0, 0, 0])) < 1e-12);
  assert.ok(Math.abs(effectiveRank([3, 3, 3]) - 3) < 1e-12);
  assert.equal(effectiveRank([3, 0, 0]), 1);
  assert.equal(topVarianceShare([1, 3, 0], 1), 0.75);
  assert.equal(topVarianceShare([1, 3], 5), 1);
});

test("bad input is refused with what was expected", () => {
  assert.throws(() => isoScoreFromEigenvalues([1]), /dimension 1; need at least 2/);
  assert.throws(() => isoScoreFromEigenvalues([0, 0]), /covariance is zero/);
  assert.throws(() => isotropyScores(new Float64Array(5), 2), /5 entries; expected 2 x 2/);
  assert.throws(() => isotropyScores(new Float64Array([1, 0, 0, 1]), 2, { zeta: 2 }), /zeta 2; expected a number in \[0, 1\]/);
  assert.throws(() => covarianceFromSums(1, [0], [0], 1), /need at least 2/);
});
