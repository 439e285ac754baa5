/**
 * Isotropy scores of a point cloud, from its covariance matrix (row-major d x d, float64 sums):
 *
 * - IsoScore (Rudman et al. 2022) and IsoScore* (Rudman & Eickhoff 2024, covariance shrinkage toward C0
 *   with weight zeta), computed exactly as the PyPI package `IsoScore` 2.0.1 does: the eigenvalues of
 *   the (shrunk) covariance, scaled to norm sqrt(d), their distance from (1, ..., 1) normalised by
 *   sqrt(2 (d - sqrt(d))) (the isotropy defect delta), and the score
 *   ((d - delta^2 (d - sqrt(d)))^2 - d) / (d (d - 1)), which is 1 for an isotropic cloud and 0 when one
 *   direction holds all the variance.
 * - Effective rank (Roy & Vetterli 2007): exp of the Shannon entropy of the normalised singular values
 *   of the centred data matrix. Those singular values are sqrt((N - 1) lambda_k) for the covariance's
 *   eigenvalues lambda_k, so p_k = sqrt(lambda_k) / sum sqrt(lambda); the (N - 1) factor cancels.
 * - Variance share of the top k principal components: the k largest eigenvalues over their sum.
 *
 * The covariance is the unbiased one (N - 1), as torch.cov in the reference; a caller that has running
 * sums builds it with `covarianceFromSums`.
 */
import { symmetricEigen } from "./eigen/symmetric.js";

export interface IsotropyScores {
  /** IsoScore in [0, 1]. */
  isoScore: number;
  /** IsoScore* with the given shrinkage (toward the identity unless C0 is given); null when zeta is 0. */
  isoScoreStar: number | null;
  /** Effective rank in [1, d]. */
  effectiveRank: number;
  /** Share of the total variance on the largest principal component. */
  top1: number;
  /** Share of the total variance on the five largest principal components (all when d < 5). */
  top5: number;
  /** Dimension d. */
  dims: number;
}

/** Unbiased covariance (N - 1) from N points' sums and sums of products (row-major d x d, upper triangle enough). */
export function covarianceFromSums(n: number, sum: ArrayLike<number>, sumProducts: ArrayLike<number>, d: number): Float64Array {
  if (n < 2) throw new RangeError(`covariance: ${n} point(s); need at least 2`);
  const cov = new Float64Array(d * d);
  for (let i = 0; i < d; ++i) {
    for (let j = i; j < d; ++j) {
      const v = (sumProducts[i * d + j] - (sum[i] * sum[j]) / n) / (n - 1);
      cov[i * d + j] = v;
      cov[j * d + i] = v;
    }
  }
  return cov;
}

/** IsoScore of a covariance's eigenvalues (any order; tiny negative round-off is clamped to 0). */
export function isoScoreFromEigenvalues(eigenvalues: ArrayLike<number>): number {
  const d = eigenvalues.length;
  if (d < 2) throw new RangeError(`IsoScore: dimension ${d}; need at least 2`);
  // singular values of a symmetric PSD matrix are its eigenvalues' absolute values
  const pcs = Array.from(eigenvalues, (v) => Math.abs(v));
  const norm = Math.hypot(...pcs);
  if (!(norm > 0)) throw new RangeError("IsoScore: the covariance is zero (every point is the same); the score is undefined");
  const sqrtD = Math.sqrt(d);
  let defect2 = 0;
  for (const p of pcs) defect2 += (p * sqrtD / norm - 1) ** 2;
  const delta2 = defect2 / (2 * (d - sqrtD));
  return ((d - delta2 * (d - sqrtD)) ** 2 - d) / (d * (d - 1));
}

/** Effective rank of the centred data whose covariance has these eigenvalues. */
export function effectiveRank(eigenvalues: ArrayLike<number>): number {
  const s = Array.from(eigenvalues, (v) => Math.sqrt(Math.max(0, v)));
  const total = s.reduce((a, b) => a + b, 0);
  if (!(total > 0)) throw new RangeError("effective rank: the covariance is zero; the rank is undefined");
  let h = 0;
  for (const v of s) if (v > 0) h -= (v / total) * Math.log(v / total);
  return Math.exp(h);
}

/** Share of the variance on the k largest principal components. */
export function topVarianceShare(eigenvalues: ArrayLike<number>, k: number): number {
  const v = Array.from(eigenvalues, (x) => Math.max(0, x)).sort((a, b) => b - a);
  const total = v.reduce((a, b) => a + b, 0);
  if (!(total > 0)) throw new RangeError("variance share: the covariance is zero");
  let top = 0;
  for (let i = 0; i < Math.min(k, v.length); ++i) top += v[i];
  return top / total;
}

/**
 * Every score of a covariance matrix (row-major d x d). `zeta` (default 0: no IsoScore*) shrinks the
 * covariance toward `c0` (default the identity) for IsoScore*, as `IsoScore.IsoScore_star` does.
 */
export function isotropyScores(cov: ArrayLike<number>, d: number, { zeta = 0, c0 }: { zeta?: number; c0?: ArrayLike<number> } = {}): IsotropyScores {
  if (cov.length !== d * d) throw new RangeError(`isotropy: covariance has ${cov.length} entries; expected ${d} x ${d}`);
  if (!(zeta >= 0 && zeta <= 1)) throw new RangeError(`isotropy: zeta ${zeta}; expected a number in [0, 1]`);
  if (c0 && c0.length !== d * d) throw new RangeError(`isotropy: C0 has ${c0.length} entries; expected ${d} x ${d}`);
  const { values } = symmetricEigen(cov, d);
  let star: number | null = null;
  if (zeta > 0) {
    const shrunk = new Float64Array(d * d);
    for (let i = 0; i < d * d; ++i) shrunk[i] = (1 - zeta) * cov[i] + zeta * (c0 ? c0[i] : i % (d + 1) === 0 ? 1 : 0);
    star = isoScoreFromEigenvalues(symmetricEigen(shrunk, d).values);
  }
  return {
    isoScore: isoScoreFromEigenvalues(values),
    isoScoreStar: star,
    effectiveRank: effectiveRank(values),
    top1: topVarianceShare(values, 1),
    top5: topVarianceShare(values, 5),
    dims: d,
  };
}
