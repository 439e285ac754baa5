/**
 * Isotropy panel (issue 15 item 5): per layer, IsoScore (Rudman et al. 2022), IsoScore* (Rudman &
 * Eickhoff 2024), effective rank (Roy & Vetterli 2007) and the variance share of the top 1 and top 5
 * principal components, of the raw vectors and of each post-processing (clipping, z-scoring,
 * all-but-the-top, whitening), beside anisotropy's average cosine of the same variant.
 *
 * Streaming: one float64 mean and covariance per layer over every (non-special) token of the sentences
 * it reads (LayerCovariance), memory flat in the sample size, merged exactly (Chan et al.). On a large
 * sample it reads a deterministic subset (isotropyStride): every k-th sentence by sample index, so a
 * shard or a block picks the same sentences as the single run (the covariance of every token would
 * cost about a tenth of the encoder's FLOPs, the analyses' whole budget, however large the sample). The post-processings
 * are affine maps fitted on the fit sentences, x' = A (x - mean), so each variant's covariance is
 * A Σ Aᵀ of the raw one (Postprocessor.covariance): one pass gives every variant. The scores come
 * from the covariance's eigenvalues exactly as src/numerics/isotropy.ts computes them (IsoScore as
 * the PyPI package IsoScore 2.0.1). IsoScore* is the package's IsoScore_star with C0 = (tr Σ / d) I,
 * the isotropic covariance of the same total variance (the identity itself would make the score depend
 * on the activations' scale: a layer of small variances would look isotropic); its shrunk eigenvalues
 * are (1 - zeta) lambda + zeta tr Σ / d.
 */
import { sameDim, type LayerBatch } from "./batch.js";
import { LayerMoments, type PostprocessName, type Postprocessor } from "./postprocess.js";
import type { AnisotropyResult } from "./anisotropy.js";
import type { Linalg } from "../numerics/linalg.js";
import { effectiveRank, isoScoreFromEigenvalues, topVarianceShare } from "../numerics/isotropy.js";
import { symmetricEigenvalues } from "../numerics/eigen/values.js";
import { eigenvaluesOfMany } from "./eigenPool.js";
import { round6 } from "../numerics/json.js";
import { integer, number } from "../numerics/options.js";

/** Options of the isotropy analysis. */
export interface IsotropyOptions {
  /** IsoScore*'s shrinkage weight toward C0 = (tr Σ / d) I, in [0, 1]; default 0.2 (0: IsoScore* is null). */
  zeta?: number;
  /**
   * Tokens per layer whose Gram matrix goes to the linear algebra backend at once (the covariance
   * streams in blocks of this many rows, in the encoder's order, so the result does not depend on the
   * batch size); default 1024.
   */
  block?: number;
  /**
   * Sentences the covariance is estimated on, at most (about): S > 0 reads every k-th sentence by
   * sample index, k = max(1, ceil(sample sentences / S)); 0 reads every sentence. Default 2048.
   */
  sentences?: number;
}

/** The default of IsotropyOptions.sentences. */
export const ISOTROPY_SENTENCES = 2048;

/**
 * The subset rule: the stride k of the sentences the covariance reads (sentence index % k === 0), from
 * the whole sample's size and the option S alone, so shards and blocks pick the single run's sentences.
 */
export function isotropyStride(sampleSentences: number, sentences: number = ISOTROPY_SENTENCES): number {
  integer(sampleSentences, "sample sentences", 0);
  integer(sentences, "isotropy.sentences", 0);
  return sentences === 0 ? 1 : Math.max(1, Math.ceil(sampleSentences / sentences));
}

/** Raw vectors or one post-processing. */
export type IsotropyVariant = "raw" | PostprocessName;

/** One variant's scores in one layer (null where undefined: fewer than 2 tokens, or zero variance). */
export interface IsotropyScoresJson {
  isoScore: number | null;
  isoScoreStar: number | null;
  effectiveRank: number | null;
  top1: number | null;
  top5: number | null;
  /** Anisotropy's mean cosine of random token pairs for the same variant (null without it). */
  averageCosine: number | null;
}

export interface IsotropyLayer {
  layer: number;
  /** Tokens whose covariance was measured, and the dimension. */
  tokens: number;
  dim: number;
  variants: Partial<Record<IsotropyVariant, IsotropyScoresJson>>;
}

export interface IsotropyResult {
  analysis: "isotropy";
  settings: {
    zeta: number;
    c0: "trace / d x identity";
    covariance: "unbiased (N - 1), every token of the sentences read";
    /** IsotropyOptions.sentences (0: every sentence), and the stride k it gave on this sample. */
    sentences: number;
    stride: number;
    subset: "sentence index % stride == 0, stride = max(1, ceil(sample sentences / sentences)); 1 when sentences is 0";
    block: number;
    tokens: "all" | "non-special";
    variants: IsotropyVariant[];
    postprocessing: Record<string, unknown>;
  };
  layerIndices: number[];
  layers: IsotropyLayer[];
}

/** One layer's rows waiting for their block: data [capacity x dim], and each row's sentence and position. */
interface Pending {
  dim: number;
  rows: number;
  data: Float32Array;
  sentence: Int32Array;
  position: Int32Array;
}

/**
 * Streaming per-layer mean and covariance of every token (float64, exact merge): rows are gathered in
 * the order they come, and each full block of `block` rows of a layer goes to `linalg.gram` (centred on
 * its float64 mean, LayerMoments.addWith) in the background, merged in block order; `settle()` sends
 * the partial blocks and waits. The backend is called through `linalg()` when a block is full.
 * state() and mergeState() are synchronous and need a settled accumulator (nothing pending or in flight).
 */
export class LayerCovariance {
  readonly includeSpecial: boolean;
  readonly block: number;
  /** Reads the rows of sentences whose index is a multiple of it (isotropyStride). */
  readonly stride: number;
  readonly #moments: LayerMoments;
  readonly #pending = new Map<number, Pending>();
  readonly #linalg: () => Linalg;
  /** The blocks sent so far, merged one after the other; how many are not merged yet. */
  #chain: Promise<unknown> = Promise.resolve();
  #inflight = 0;

  constructor(linalg: () => Linalg, { includeSpecial = false, block = 1024, stride = 1 }: { includeSpecial?: boolean; block?: number; stride?: number } = {}) {
    this.includeSpecial = includeSpecial;
    this.block = integer(block, "isotropy.block", 2);
    this.stride = integer(stride, "isotropy stride", 1);
    this.#moments = new LayerMoments({ includeSpecial: true });
    this.#linalg = linalg;
  }

  /** Copies the batch's eligible rows (the batch is not kept; rows of sentences off the stride are skipped); full blocks start their Gram matrix. */
  add({ layer, dim, data, special, sentence, position }: LayerBatch): this {
    integer(layer, "layer", 0);
    let p = this.#pending.get(layer);
    const first = this.#pending.values().next().value as Pending | undefined;
    sameDim(layer, dim, first?.dim ?? -1);
    if (!p) this.#pending.set(layer, (p = { dim, rows: 0, data: new Float32Array(this.block * dim), sentence: new Int32Array(this.block), position: new Int32Array(this.block) }));
    for (let r = 0; r < special.length; ++r) {
      if ((special[r] && !this.includeSpecial) || sentence[r] % this.stride !== 0) continue;
      p.data.set(data.subarray(r * dim, (r + 1) * dim), p.rows * dim);
      p.sentence[p.rows] = sentence[r];
      p.position[p.rows] = position[r];
      if (++p.rows === this.block) this.#send(layer, p);
    }
    return this;
  }

  /** Sends the partial blocks and waits for every block: the moments of every token added. */
  async settle(): Promise<LayerMoments> {
    for (const [layer, p] of [...this.#pending].sort((a, b) => a[0] - b[0])) if (p.rows > 0) this.#send(layer, p);
    await this.#chain;
    return this.#moments;
  }

  /**
   * Waits for the blocks in flight without sending the partial ones (results unchanged): the run calls
   * it after each batch's adds, so a Gram block never runs beside the encoder (the two thread pools
   * contended on 2 cores: the encode time rose by three times the Gram's own).
   */
  async drain(): Promise<void> {
    await this.#chain;
  }

  /** Merges another accumulator's moments (both settled first). */
  async merge(other: LayerCovariance): Promise<this> {
    const theirs = await other.settle();
    await this.settle();
    this.#moments.merge(theirs);
    return this;
  }

  /** The options a state must share to merge (state.ts). */
  settings(): { includeSpecial: boolean; stride: number } {
    return { includeSpecial: this.includeSpecial, stride: this.stride };
  }

  /** The moments' state (count, float64 mean and scatter per layer); settle() first. */
  state(): ReturnType<LayerMoments["state"]> {
    return this.#settled("state").state();
  }

  /** Merges a state() into a settled accumulator. */
  mergeState(state: ReturnType<LayerMoments["state"]>): this {
    const other = new LayerMoments({ includeSpecial: true }).mergeState(state);
    const first = (this.#pending.values().next().value as Pending | undefined)?.dim ?? this.#moments.layers().map((l) => this.#moments.get(l).dim)[0] ?? -1;
    for (const l of other.layers()) sameDim(l, other.get(l).dim, first);
    this.#settled("mergeState").merge(other);
    return this;
  }

  /** The moments, when nothing is pending or in flight; otherwise an error naming the call. */
  #settled(call: string): LayerMoments {
    let rows = 0;
    for (const p of this.#pending.values()) rows += p.rows;
    if (rows > 0 || this.#inflight > 0) throw new Error(`isotropy ${call}: ${rows} row(s) pending and ${this.#inflight} block(s) in flight; await settle() first`);
    return this.#moments;
  }

  #send(layer: number, p: Pending): void {
    // the pending arrays go with the block (no copy) and the layer gets fresh ones
    const n = p.rows, full = n === this.block, batch: LayerBatch = {
      layer, dim: p.dim, data: full ? p.data : p.data.subarray(0, n * p.dim), special: new Uint8Array(n),
      sentence: full ? p.sentence : p.sentence.subarray(0, n), position: full ? p.position : p.position.subarray(0, n), word: new Int32Array(n).fill(-1),
    };
    p.rows = 0;
    p.data = new Float32Array(this.block * p.dim);
    p.sentence = new Int32Array(this.block);
    p.position = new Int32Array(this.block);
    this.#inflight++;
    this.#chain = this.#chain.then(async () => {
      await this.#moments.addWith(this.#linalg(), [batch]);
      this.#inflight--;
    });
    // marked handled: a failure surfaces at settle(), not as an unhandled rejection in between
    this.#chain.catch(() => {});
  }
}

/** The scores of one covariance ([dim x dim], unbiased), from its eigenvalues; null where undefined (zero variance, dim < 2). */
export function covarianceScores(cov: ArrayLike<number>, dim: number, zeta: number): Omit<IsotropyScoresJson, "averageCosine"> {
  return scoresOf(symmetricEigenvalues(cov, dim), cov, dim, zeta);
}

/** covarianceScores from the covariance's eigenvalues (symmetricEigenvalues of `cov`). */
function scoresOf(values: Float64Array, cov: ArrayLike<number>, dim: number, zeta: number): Omit<IsotropyScoresJson, "averageCosine"> {
  let total = 0, trace = 0;
  for (const v of values) total += Math.max(0, v);
  for (let i = 0; i < dim; ++i) trace += cov[i * dim + i];
  if (!(total > 0) || dim < 2) return { isoScore: null, isoScoreStar: null, effectiveRank: null, top1: null, top5: null };
  const c0 = trace / dim;
  return {
    isoScore: round6(isoScoreFromEigenvalues(values)),
    // eigenvalues of (1 - zeta) Σ + zeta C0 with C0 = (tr Σ / d) I
    isoScoreStar: zeta > 0 ? round6(isoScoreFromEigenvalues(values.map((v) => (1 - zeta) * v + zeta * c0))) : null,
    effectiveRank: round6(effectiveRank(values)),
    top1: round6(topVarianceShare(values, 1)),
    top5: round6(topVarianceShare(values, 5)),
  };
}

/**
 * The isotropy result from settled moments (every token of the sentences read), the fitted post-processings
 * and, when given, anisotropy's result for the average cosines.
 */
export function isotropyResult(moments: LayerMoments, postprocessors: readonly Postprocessor[], options: IsotropyResultOptions = {}): IsotropyResult {
  const plan = planResult(moments, postprocessors, options, (p, layer, cov, dim) => p.covariance!(layer, cov, dim));
  return buildResult(plan, plan.matrices.map((m) => symmetricEigenvalues(m, plan.dim)), postprocessors, options);
}

/** Options of {@link isotropyResult}: the analysis' options, the stride they gave, the token scope and anisotropy's result (average cosines). */
export type IsotropyResultOptions = IsotropyOptions & {
  stride?: number;
  includeSpecial?: boolean;
  anisotropy?: AnisotropyResult | null;
  /** isotropyResultWith: the eigenvalues in a worker thread too (eigenPool.ts; same bits); default "auto". */
  eigenWorker?: boolean | "auto";
};

/**
 * isotropyResult with each dense post-processing's covariance (whitening: R Σ Rᵀ, O(d³) and the
 * costliest step in plain JS) as two `linalg.matmul` calls; on the "js" backend it equals isotropyResult.
 * onnxruntime sums in float32, so the whitened scores agree with the float64 reference to about 1e-5.
 */
export async function isotropyResultWith(linalg: Linalg, moments: LayerMoments, postprocessors: readonly Postprocessor[], options: IsotropyResultOptions = {}): Promise<IsotropyResult> {
  const done = new Map<string, Float64Array>();
  if (linalg.backend !== "js") {
    for (const layer of moments.layers()) {
      const m = moments.get(layer);
      if (m.count < 2) continue;
      for (const p of postprocessors) if (p.linear && fitsLayer(p, layer)) done.set(`${p.name}\u0000${layer}`, await denseCovariance(linalg, p, layer, unbiased(m.scatter, m.count, m.dim), m.dim));
    }
  }
  const plan = planResult(moments, postprocessors, options, (p, layer, cov, dim) => done.get(`${p.name}\u0000${layer}`) ?? p.covariance!(layer, cov, dim));
  return buildResult(plan, await eigenvaluesOfMany(plan.matrices, plan.dim, { worker: options.eigenWorker }), postprocessors, options);
}

/** A Σ Aᵀ for x' = (x - mean)·matrix (Postprocessor.linear): Aᵀ = matrix, so matrixᵀ (Σ matrix). */
async function denseCovariance(linalg: Linalg, p: Postprocessor, layer: number, cov: Float64Array, dim: number): Promise<Float64Array> {
  const { matrix } = p.linear!(layer, dim);
  const transposed = new Float32Array(dim * dim);
  for (let i = 0; i < dim; ++i) for (let c = 0; c < dim; ++c) transposed[c * dim + i] = matrix[i * dim + c];
  const right = await linalg.matmul(Float32Array.from(cov), matrix, dim, dim, dim);
  const out = Float64Array.from(await linalg.matmul(transposed, right, dim, dim, dim));
  // symmetric up to float32 rounding: the mean of the two triangles
  for (let i = 0; i < dim; ++i) for (let j = i + 1; j < dim; ++j) out[i * dim + j] = out[j * dim + i] = (out[i * dim + j] + out[j * dim + i]) / 2;
  return out;
}

function fitsLayer(p: Postprocessor, layer: number): boolean {
  return p.layers === "all" || p.layers.includes(layer) || p.name === "clipped";
}

/** The unbiased covariance (N - 1) from a scatter matrix's upper triangle. */
function unbiased(scatter: Float64Array, count: number, dim: number): Float64Array {
  const cov = new Float64Array(dim * dim);
  for (let i = 0; i < dim; ++i) for (let j = i; j < dim; ++j) cov[i * dim + j] = cov[j * dim + i] = scatter[i * dim + j] / (count - 1);
  return cov;
}

type CovarianceOf = (p: Postprocessor, layer: number, cov: Float64Array, dim: number) => Float64Array;

/** What a result needs solved: each layer's raw covariance and each variant's that differs from it, in `matrices`' order. */
interface ResultPlan {
  dim: number;
  matrices: Float64Array[];
  /** Per layer: its moments, and the index in `matrices` of raw and of each fitting variant (raw's index when Σ is unchanged); null below 2 tokens. */
  layers: { layer: number; count: number; dim: number; raw: number; variants: [PostprocessName, number][] | null }[];
}

/** Checks the options and computes every covariance to solve (ResultPlan). */
function planResult(moments: LayerMoments, postprocessors: readonly Postprocessor[], { zeta = 0.2 }: IsotropyResultOptions, covarianceOf: CovarianceOf): ResultPlan {
  number(zeta, "isotropy.zeta", 0, 1);
  for (const p of postprocessors) if (!p.covariance) throw new RangeError(`isotropy: post-processing ${JSON.stringify(p.name)} has no covariance map; only affine post-processings can be scored from the streamed covariance`);
  const matrices: Float64Array[] = [];
  let dim = 0;
  const layers = moments.layers().map((layer) => {
    const m = moments.get(layer);
    dim = m.dim;
    if (m.count < 2) return { layer, count: m.count, dim: m.dim, raw: -1, variants: null };
    const cov = unbiased(m.scatter, m.count, m.dim), raw = matrices.push(cov) - 1;
    const variants: [PostprocessName, number][] = [];
    for (const p of postprocessors) {
      if (!fitsLayer(p, layer)) continue;
      const c = covarianceOf(p, layer, cov, m.dim);
      // clipping dims that are already 0 (or none) leaves Σ as it is: the same eigenvalues
      const same = c.length === cov.length && c.every((v, i) => v === cov[i]);
      variants.push([p.name, same ? raw : matrices.push(c) - 1]);
    }
    return { layer, count: m.count, dim: m.dim, raw, variants };
  });
  return { dim, matrices, layers };
}

/** The result from a plan and the eigenvalues of its matrices. */
function buildResult(plan: ResultPlan, eigenvalues: readonly Float64Array[], postprocessors: readonly Postprocessor[], options: IsotropyResultOptions): IsotropyResult {
  const { zeta = 0.2, block = 1024, sentences = ISOTROPY_SENTENCES, stride = 1, includeSpecial = false, anisotropy = null } = options;
  const variants: IsotropyVariant[] = ["raw", ...postprocessors.map((p) => p.name)];
  const cosines = new Map(anisotropy?.layers.map((l) => [l.layer, l]) ?? []);
  const scores = eigenvalues.map((v, i) => scoresOf(v, plan.matrices[i], plan.dim, zeta));
  const layers = plan.layers.map(({ layer, count, dim, raw, variants: solved }): IsotropyLayer => {
    const out: IsotropyLayer = { layer, tokens: count, dim, variants: {} };
    const a = cosines.get(layer);
    const cosine = (v: IsotropyVariant): number | null => (a ? (a[v] ?? null) : null);
    if (!solved) {
      for (const v of variants) out.variants[v] = { isoScore: null, isoScoreStar: null, effectiveRank: null, top1: null, top5: null, averageCosine: cosine(v) };
      return out;
    }
    out.variants.raw = { ...scores[raw], averageCosine: cosine("raw") };
    for (const [name, k] of solved) out.variants[name] = { ...scores[k], averageCosine: cosine(name) };
    return out;
  });
  return {
    analysis: "isotropy",
    settings: {
      zeta, c0: "trace / d x identity", covariance: "unbiased (N - 1), every token of the sentences read",
      sentences, stride, subset: "sentence index % stride == 0, stride = max(1, ceil(sample sentences / sentences)); 1 when sentences is 0",
      block, tokens: includeSpecial ? "all" : "non-special", variants,
      postprocessing: Object.fromEntries(postprocessors.map((p) => [p.name, p.settings])),
    },
    layerIndices: layers.map((l) => l.layer),
    layers,
  };
}
