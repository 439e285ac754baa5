/**
 * One site's running tallies for the outlier-norm analysis (norms.ts): infinity norms (max |a| of a
 * token), per-token kurtosis over dims, per-dim central moments over tokens (mean, M2, M3, M4, merged
 * by Pébay's pairwise formulas, so a merge is exact to float64 rounding) and how often each dim is
 * a token's argmax |a|. Every figure comes from the batch's reductions (model/reductions.ts): a
 * batch's per-dim moments are float32 (the reducer's sums), merged into float64 running ones.
 */
import type { EncodedBatch, SiteKind } from "../model/types.js";
import { bitsFloat, NON_FINITE_BITS } from "../numerics/absHistogram.js";
import { decodeArray, encodeArray, type EncodedArray } from "../numerics/arrays.js";
import { centredRowPowers, type SiteReductions } from "../model/reductions.js";
import { parseSiteName, type TokenSiteView } from "./siteViews.js";
import { TOKEN_CLASSES } from "./tokenClasses.js";

const NC = TOKEN_CLASSES.length;

/** Where the largest infinity norm was: the token and its argmax dim. */
export interface NormsArgmax {
  bits: number;
  sentence: number;
  position: number;
  dim: number;
  cls: number;
  token: string;
}

export interface SiteNormsState {
  name: string;
  width: number;
  tokens: number;
  infSum: number;
  max: NormsArgmax | null;
  classTokens: EncodedArray;
  classInfSum: EncodedArray;
  classInfMaxBits: EncodedArray;
  kurtSum: number;
  kurtMax: number;
  degenerate: number;
  argmax: EncodedArray;
  mean: EncodedArray;
  m2: EncodedArray;
  m3: EncodedArray;
  m4: EncodedArray;
}

/** Whether location a comes before b: larger norm, then earlier sentence and position (a total order, so merges keep the same token). */
function before(a: NormsArgmax, b: NormsArgmax | null): boolean {
  if (b === null) return true;
  if (a.bits !== b.bits) return a.bits > b.bits;
  return a.sentence !== b.sentence ? a.sentence < b.sentence : a.position < b.position;
}

export class SiteNorms {
  readonly kind: SiteKind;
  readonly layer: number;
  tokens = 0;
  infSum = 0;
  max: NormsArgmax | null = null;
  readonly classTokens = new Float64Array(NC);
  readonly classInfSum = new Float64Array(NC);
  readonly classInfMaxBits = new Uint32Array(NC);
  /** Sum and max of per-token Pearson kurtosis over dims (tokens with non-zero variance). */
  kurtSum = 0;
  kurtMax = 0;
  /** Tokens whose values are all equal (kurtosis undefined; left out of kurtSum). */
  degenerate = 0;
  readonly argmax: Float64Array;
  readonly mean: Float64Array;
  readonly m2: Float64Array;
  readonly m3: Float64Array;
  readonly m4: Float64Array;

  constructor(readonly name: string, readonly width: number) {
    ({ kind: this.kind, layer: this.layer } = parseSiteName(name));
    this.argmax = new Float64Array(width);
    this.mean = new Float64Array(width);
    this.m2 = new Float64Array(width);
    this.m3 = new Float64Array(width);
    this.m4 = new Float64Array(width);
  }

  /**
   * Adds the real tokens of one padded site view with its reductions (model/reductions.ts: per row
   * max |a|, argmax, mean, m2, m4; per dim the batch's central moments); `classes` from tokenClasses.
   * Per token the reductions' figures; per dim one Pébay merge per batch of the reductions' float64
   * central sums (float32 ones made the per-dim kurtosis depend on how sentences were batched: 7th
   * digit, and 3e-4 relative on an outlier dim; results must not depend on the batching,
   * test/model/batching-exact).
   */
  add(enc: EncodedBatch, view: TokenSiteView, red: SiteReductions, classes: Uint8Array): void {
    const { width } = this, n = enc.batch * enc.length, mask = enc.attentionMask;
    if (red.rows !== n || red.width !== width) throw new RangeError(`site ${this.name}: reductions of ${red.rows} x ${red.width} for a batch of ${n} x ${width}; reduce this very batch`);
    const rowMax = new Int32Array(red.absMax.buffer, red.absMax.byteOffset, n);
    for (let b = 0; b < enc.batch; ++b) {
      for (let i = 0, p = 0; i < enc.length; ++i) {
        const k = b * enc.length + i;
        if (!mask[k]) continue;
        const hi = rowMax[k] & 0x7fffffff, at = red.argMax[k];
        // a non-finite value makes the row's max or mean non-finite
        if (hi >= NON_FINITE_BITS || !Number.isFinite(red.mean[k])) throw new RangeError(`site ${this.name}: non-finite activation at sentence ${enc.sentenceIndex[b]}, token ${p}; the model or its input is broken`);
        const [m2, m4] = rowMoments(view.data, k, width, red.mean[k], red.m2[k], red.m4[k]);
        this.#token(hi, at, classes[k], m2, m4);
        // the location object only for a new largest norm (ties: the earlier sentence and position)
        const m = this.max;
        if (m === null || hi > m.bits || (hi === m.bits && before({ bits: hi, sentence: enc.sentenceIndex[b], position: p, dim: at, cls: 0, token: "" }, m))) {
          this.max = { bits: hi, sentence: enc.sentenceIndex[b], position: p, dim: at, cls: classes[k], token: enc.tokens[b][p] ?? "" };
        }
        p++;
      }
    }
    if (red.n === 0) return;
    this.#mergeMoments(this.tokens - red.n, red.n, red.dimMean, red.dimM2, red.dimM3, red.dimM4);
  }

  /** One token: its infinity norm, class tallies, argmax dim and Pearson kurtosis m4 / m2² (its location: the caller). */
  #token(hi: number, at: number, cls: number, m2: number, m4: number): void {
    const inf = bitsFloat(hi);
    this.tokens++;
    this.infSum += inf;
    this.classTokens[cls]++;
    this.classInfSum[cls] += inf;
    if (hi > this.classInfMaxBits[cls]) this.classInfMaxBits[cls] = hi;
    this.argmax[at]++;
    if (m2 > 0) {
      const kurt = m4 / (m2 * m2);
      this.kurtSum += kurt;
      if (kurt > this.kurtMax) this.kurtMax = kurt;
    } else this.degenerate++;
  }

  /**
   * Pébay (2008), "Formulas for robust, one-pass parallel computation of covariances and arbitrary-order
   * statistical moments", eqs. 3.1 and 3.2: the central sums of two disjoint sets of na and nb values combined.
   */
  #mergeMoments(na: number, nb: number, mb: Moments, m2b: Moments, m3b: Moments, m4b: Moments): void {
    const n = na + nb;
    if (nb === 0) return;
    const { mean, m2, m3, m4 } = this;
    for (let j = 0; j < this.width; ++j) {
      const d = mb[j] - mean[j], d2 = d * d, a2 = m2[j], a3 = m3[j];
      m4[j] += m4b[j] + (d2 * d2 * na * nb * (na * na - na * nb + nb * nb)) / (n * n * n) + (6 * d2 * (na * na * m2b[j] + nb * nb * a2)) / (n * n) + (4 * d * (na * m3b[j] - nb * a3)) / n;
      m3[j] += m3b[j] + (d2 * d * na * nb * (na - nb)) / (n * n) + (3 * d * (na * m2b[j] - nb * a2)) / n;
      m2[j] += m2b[j] + (d2 * na * nb) / n;
      mean[j] += (d * nb) / n;
    }
  }

  merge(o: SiteNorms): void {
    const na = this.tokens;
    this.tokens += o.tokens;
    this.infSum += o.infSum;
    if (o.max && before(o.max, this.max)) this.max = o.max;
    for (let c = 0; c < NC; ++c) {
      this.classTokens[c] += o.classTokens[c];
      this.classInfSum[c] += o.classInfSum[c];
      if (o.classInfMaxBits[c] > this.classInfMaxBits[c]) this.classInfMaxBits[c] = o.classInfMaxBits[c];
    }
    this.kurtSum += o.kurtSum;
    this.kurtMax = Math.max(this.kurtMax, o.kurtMax);
    this.degenerate += o.degenerate;
    for (let j = 0; j < this.width; ++j) this.argmax[j] += o.argmax[j];
    this.#mergeMoments(na, o.tokens, o.mean, o.m2, o.m3, o.m4);
  }

  state(): SiteNormsState {
    return {
      name: this.name, width: this.width, tokens: this.tokens, infSum: this.infSum, max: this.max,
      classTokens: encodeArray(this.classTokens), classInfSum: encodeArray(this.classInfSum), classInfMaxBits: encodeArray(this.classInfMaxBits),
      kurtSum: this.kurtSum, kurtMax: this.kurtMax, degenerate: this.degenerate,
      argmax: encodeArray(this.argmax), mean: encodeArray(this.mean), m2: encodeArray(this.m2), m3: encodeArray(this.m3), m4: encodeArray(this.m4),
    };
  }

  static fromState(s: SiteNormsState, where: string): SiteNorms {
    if (!s || typeof s.name !== "string" || !Number.isInteger(s.width) || s.width < 1) throw new TypeError(`state ${where}: expected a site with a name and a width; the state is corrupt`);
    for (const k of ["tokens", "infSum", "kurtSum", "kurtMax", "degenerate"] as const) {
      if (typeof s[k] !== "number" || !Number.isFinite(s[k])) throw new TypeError(`state ${where}.${k}: ${JSON.stringify(s[k])} is not a finite number; the state is corrupt`);
    }
    const out = new SiteNorms(s.name, s.width);
    Object.assign(out, { tokens: s.tokens, infSum: s.infSum, max: s.max, kurtSum: s.kurtSum, kurtMax: s.kurtMax, degenerate: s.degenerate });
    out.classTokens.set(decodeArray(s.classTokens, "float64", `${where}.classTokens`, NC));
    out.classInfSum.set(decodeArray(s.classInfSum, "float64", `${where}.classInfSum`, NC));
    out.classInfMaxBits.set(decodeArray(s.classInfMaxBits, "uint32", `${where}.classInfMaxBits`, NC));
    for (const k of ["argmax", "mean", "m2", "m3", "m4"] as const) out[k].set(decodeArray(s[k], "float64", `${where}.${k}`, s.width));
    return out;
  }
}

/** A batch's per-dim moments (the reductions') or a state's: float64. */
type Moments = Float64Array;

/**
 * A row's m2, m4 about its mean: the reductions' (float32), unless they may have lost the row to
 * rounding (its spread under 2^-10 of its mean, where float32 cancellation dominates, or m4 overflowed):
 * then recomputed from the row in float64, so a constant row is exactly degenerate (m2 = 0).
 */
export function rowMoments(data: Float32Array, k: number, width: number, mean: number, m2: number, m4: number): [number, number] {
  if (m2 > mean * mean * 2 ** -20 && Number.isFinite(m4)) return [m2, m4];
  const off = k * width;
  let s = 0;
  for (let j = 0; j < width; ++j) s += data[off + j];
  return centredRowPowers(data, off, width, s / width);
}
