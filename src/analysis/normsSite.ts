/**
 * One site's running tallies for the outlier-norm analysis (norms.ts): infinity norms (max |a| of a
 * token), per-token kurtosis over dims, per-dim central moments over tokens (mean, M2, M3, M4, merged
 * by Pébay's pairwise formulas, so a merge is exact to float64 rounding) and how often each dim is
 * a token's argmax |a|.
 */
import type { EncodedBatch, SiteKind } from "../model/types.js";
import { bitsFloat, NON_FINITE_BITS } from "../numerics/absHistogram.js";
import { decodeArray, encodeArray, type EncodedArray } from "../numerics/arrays.js";
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
   * Adds the real tokens of one padded site view; `classes` from tokenClasses. One read of the batch
   * from memory: rows four (or two) at a time (quartering the read-modify-writes of the per-dim sums), each row's
   * infinity norm, argmax and the per-dim power sums about a shift (the running mean, or the batch's
   * first row); then each row again from cache for its own kurtosis.
   */
  add(enc: EncodedBatch, view: TokenSiteView, classes: Uint8Array): void {
    const { width } = this, data = view.data;
    // int32 bits: `& 0x7fffffff` keeps them in V8's small-integer range (a uint32 view's negative floats are not)
    const bits = new Int32Array(data.buffer, data.byteOffset, data.length);
    const rows: number[] = [], where: number[] = [];
    for (let b = 0; b < enc.batch; ++b) {
      for (let i = 0, p = 0; i < enc.length; ++i) if (enc.attentionMask[b * enc.length + i]) (rows.push(b * enc.length + i), where.push(b, p++));
    }
    const nb = rows.length;
    if (nb === 0) return;
    // the first row ever shifts the sums: deviations from a typical value keep the powers small
    const c = this.tokens === 0 ? Float64Array.from(data.subarray(rows[0] * width, rows[0] * width + width)) : Float64Array.from(this.mean);
    const sums = [new Float64Array(width), new Float64Array(width), new Float64Array(width), new Float64Array(width)] as const;
    const stats = new Float64Array(12), powers = new Float64Array(8);
    for (let r = 0, g = 0; r < nb; r += g) {
      // four rows at a time where there are four (the sums' additions in the order pairs would make them)
      g = nb - r >= 4 ? 4 : nb - r >= 2 ? 2 : 1;
      if (g === 4) powerSums4(data, bits, rows[r] * width, rows[r + 1] * width, rows[r + 2] * width, rows[r + 3] * width, width, c, sums, stats);
      else powerSums(data, bits, rows[r] * width, g === 2 ? rows[r + 1] * width : -1, width, c, sums, stats);
      for (let t = 0; t < g; ++t) {
        const hi = stats[3 * t];
        if (hi >= NON_FINITE_BITS) throw new RangeError(`site ${this.name}: non-finite activation at sentence ${enc.sentenceIndex[where[2 * (r + t)]]}, token ${where[2 * (r + t) + 1]}; the model or its input is broken`);
      }
      rowPowers(data, rows, r, g, width, stats, powers);
      for (let t = 0; t < g; ++t) {
        const k = rows[r + t], b = where[2 * (r + t)], p = where[2 * (r + t) + 1], hi = stats[3 * t], at = stats[3 * t + 1];
        this.#token(hi, at, classes[k], powers[2 * t], powers[2 * t + 1]);
        // the location object only for a new largest norm (ties: the earlier sentence and position)
        const m = this.max;
        if (m === null || hi > m.bits || (hi === m.bits && before({ bits: hi, sentence: enc.sentenceIndex[b], position: p, dim: at, cls: 0, token: "" }, m))) {
          this.max = { bits: hi, sentence: enc.sentenceIndex[b], position: p, dim: at, cls: classes[k], token: enc.tokens[b][p] ?? "" };
        }
      }
    }
    this.#dimMoments(nb, c, ...sums);
  }

  /** One token: its infinity norm, class tallies, argmax dim and kurtosis from s2, s4 (rowPowers; its location: the caller). */
  #token(hi: number, at: number, cls: number, s2: number, s4: number): void {
    const inf = bitsFloat(hi);
    this.tokens++;
    this.infSum += inf;
    this.classTokens[cls]++;
    this.classInfSum[cls] += inf;
    if (hi > this.classInfMaxBits[cls]) this.classInfMaxBits[cls] = hi;
    this.argmax[at]++;
    if (s2 > 0) {
      const kurt = (this.width * s4) / (s2 * s2);
      this.kurtSum += kurt;
      if (kurt > this.kurtMax) this.kurtMax = kurt;
    } else this.degenerate++;
  }

  /**
   * The batch's per-dim central moments from its power sums about the shift c (binomial expansion
   * about the batch mean c + e), merged into the running ones.
   */
  #dimMoments(nb: number, c: Float64Array, p1: Float64Array, p2: Float64Array, p3: Float64Array, p4: Float64Array): void {
    const w = this.width, bm = new Float64Array(w), b2 = new Float64Array(w), b3 = new Float64Array(w), b4 = new Float64Array(w);
    for (let j = 0; j < w; ++j) {
      const e = p1[j] / nb, e2 = e * e;
      bm[j] = c[j] + e;
      b2[j] = Math.max(0, p2[j] - nb * e2);
      b3[j] = p3[j] - 3 * e * p2[j] + 2 * nb * e2 * e;
      b4[j] = Math.max(0, p4[j] - 4 * e * p3[j] + 6 * e2 * p2[j] - 3 * nb * e2 * e2);
    }
    this.#mergeMoments(this.tokens - nb, nb, bm, b2, b3, b4);
  }

  /**
   * Pébay (2008), "Formulas for robust, one-pass parallel computation of covariances and arbitrary-order
   * statistical moments", eqs. 3.1 and 3.2: the central sums of two disjoint sets of na and nb values combined.
   */
  #mergeMoments(na: number, nb: number, mb: Float64Array, m2b: Float64Array, m3b: Float64Array, m4b: Float64Array): void {
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

/**
 * Adds rows a and b (b = -1: row a alone) of `data` to the per-dim power sums of (x - c) and writes
 * each row's |a| max bits, its argmax dim and its sum into stats[0..2] (row a) and stats[3..5] (row b).
 */
export function powerSums(data: Float32Array, bits: Int32Array, a: number, b: number, width: number, c: Float64Array, sums: readonly [Float64Array, Float64Array, Float64Array, Float64Array], stats: Float64Array): void {
  const [p1, p2, p3, p4] = sums;
  let hiA = 0, atA = 0, sA = 0, hiB = 0, atB = 0, sB = 0;
  if (b < 0) {
    for (let j = 0; j < width; ++j) {
      const x = data[a + j], m = bits[a + j] & 0x7fffffff, d = x - c[j], d2 = d * d;
      sA += x;
      p1[j] += d;
      p2[j] += d2;
      p3[j] += d2 * d;
      p4[j] += d2 * d2;
      if (m > hiA) (hiA = m), (atA = j);
    }
  } else {
    for (let j = 0; j < width; ++j) {
      const x = data[a + j], y = data[b + j], ma = bits[a + j] & 0x7fffffff, mb = bits[b + j] & 0x7fffffff;
      const d = x - c[j], e = y - c[j], d2 = d * d, e2 = e * e;
      sA += x;
      sB += y;
      p1[j] += d + e;
      p2[j] += d2 + e2;
      p3[j] += d2 * d + e2 * e;
      p4[j] += d2 * d2 + e2 * e2;
      if (ma > hiA) (hiA = ma), (atA = j);
      if (mb > hiB) (hiB = mb), (atB = j);
    }
  }
  stats[0] = hiA;
  stats[1] = atA;
  stats[2] = sA;
  stats[3] = hiB;
  stats[4] = atB;
  stats[5] = sB;
}

/**
 * powerSums for four rows at once (offsets a, b, e, f): each sum gains (row a + row b) + (row e + row f),
 * the very additions two pairs make, so the sums are the same to the bit; stats[0..11] as powerSums', row by row.
 */
export function powerSums4(data: Float32Array, bits: Int32Array, a: number, b: number, e: number, f: number, width: number, c: Float64Array, sums: readonly [Float64Array, Float64Array, Float64Array, Float64Array], stats: Float64Array): void {
  const [p1, p2, p3, p4] = sums;
  let hiA = 0, atA = 0, sA = 0, hiB = 0, atB = 0, sB = 0, hiE = 0, atE = 0, sE = 0, hiF = 0, atF = 0, sF = 0;
  for (let j = 0; j < width; ++j) {
    const cj = c[j], xa = data[a + j], xb = data[b + j], xe = data[e + j], xf = data[f + j];
    const da = xa - cj, db = xb - cj, de = xe - cj, df = xf - cj, qa = da * da, qb = db * db, qe = de * de, qf = df * df;
    sA += xa;
    sB += xb;
    sE += xe;
    sF += xf;
    p1[j] = p1[j] + (da + db) + (de + df);
    p2[j] = p2[j] + (qa + qb) + (qe + qf);
    p3[j] = p3[j] + (qa * da + qb * db) + (qe * de + qf * df);
    p4[j] = p4[j] + (qa * qa + qb * qb) + (qe * qe + qf * qf);
    const ma = bits[a + j] & 0x7fffffff, mb = bits[b + j] & 0x7fffffff, me = bits[e + j] & 0x7fffffff, mf = bits[f + j] & 0x7fffffff;
    if (ma > hiA) (hiA = ma), (atA = j);
    if (mb > hiB) (hiB = mb), (atB = j);
    if (me > hiE) (hiE = me), (atE = j);
    if (mf > hiF) (hiF = mf), (atF = j);
  }
  stats[0] = hiA;
  stats[1] = atA;
  stats[2] = sA;
  stats[3] = hiB;
  stats[4] = atB;
  stats[5] = sB;
  stats[6] = hiE;
  stats[7] = atE;
  stats[8] = sE;
  stats[9] = hiF;
  stats[10] = atF;
  stats[11] = sF;
}

/**
 * Each of rows r..r+g-1's sums of d^2 and d^4, d = x - (row mean; stats[3t+2] / width), into
 * powers[2t], powers[2t+1]: four rows in one loop where there are four (independent sums, each in
 * dim order as one row alone adds them, so the bits are the same).
 */
export function rowPowers(data: Float32Array, rows: readonly number[], r: number, g: number, width: number, stats: Float64Array, powers: Float64Array): void {
  if (g === 4) {
    const a = rows[r] * width, b = rows[r + 1] * width, e = rows[r + 2] * width, f = rows[r + 3] * width;
    const ma = stats[2] / width, mb = stats[5] / width, me = stats[8] / width, mf = stats[11] / width;
    let a2 = 0, a4 = 0, b2 = 0, b4 = 0, e2 = 0, e4 = 0, f2 = 0, f4 = 0;
    for (let j = 0; j < width; ++j) {
      const da = data[a + j] - ma, db = data[b + j] - mb, de = data[e + j] - me, df = data[f + j] - mf;
      const qa = da * da, qb = db * db, qe = de * de, qf = df * df;
      a2 += qa;
      a4 += qa * qa;
      b2 += qb;
      b4 += qb * qb;
      e2 += qe;
      e4 += qe * qe;
      f2 += qf;
      f4 += qf * qf;
    }
    (powers[0] = a2), (powers[1] = a4), (powers[2] = b2), (powers[3] = b4);
    (powers[4] = e2), (powers[5] = e4), (powers[6] = f2), (powers[7] = f4);
    return;
  }
  for (let t = 0; t < g; ++t) {
    const off = rows[r + t] * width, mu = stats[3 * t + 2] / width;
    let s2 = 0, s4 = 0;
    for (let j = 0; j < width; ++j) {
      const d = data[off + j] - mu, d2 = d * d;
      s2 += d2;
      s4 += d2 * d2;
    }
    powers[2 * t] = s2;
    powers[2 * t + 1] = s4;
  }
}
