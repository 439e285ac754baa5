/**
 * One site's tallies for the massive-activation analysis (massive.ts, which documents the design):
 * the |a| histogram, the largest |a| per dim, the top-k and the capped candidates above the absolute
 * threshold. The per-row and per-dim maxima come from the batch's reductions (model/reductions.ts); the
 * one per-value loop is the histogram's, on float32 bit patterns of |a| (monotone for finite values).
 */
import type { SiteBatch, SiteKind } from "../model/types.js";
import { addSparseBins, bitsFloat, HISTOGRAM_BINS, HISTOGRAM_SHIFT, NON_FINITE_BITS, sparseBins } from "../numerics/absHistogram.js";
import { decodeArray, encodeArray, type EncodedArray } from "../numerics/arrays.js";
import type { MassiveSettings } from "./massive.js";
import { realRuns, type SiteReductions } from "../model/reductions.js";
import { parseSiteName, type TokenSiteView } from "./siteViews.js";
import { TopList, type TopListState } from "./topList.js";

export interface SiteMassiveState {
  name: string;
  width: number;
  tokens: number;
  aboveAbsolute: number;
  bins: EncodedArray;
  counts: EncodedArray;
  dimMaxBits: EncodedArray;
  top: TopListState;
  candidates: TopListState;
}

export class SiteMassive {
  readonly kind: SiteKind;
  readonly layer: number;
  tokens = 0;
  aboveAbsolute = 0;
  readonly hist = new Float64Array(HISTOGRAM_BINS);
  readonly dimMaxBits: Uint32Array;
  top: TopList;
  candidates: TopList;

  constructor(readonly name: string, readonly width: number, settings: MassiveSettings) {
    ({ kind: this.kind, layer: this.layer } = parseSiteName(name));
    this.dimMaxBits = new Uint32Array(width);
    this.top = new TopList(settings.topK, true);
    this.candidates = new TopList(settings.maxCandidates, false);
  }

  /**
   * Adds the real tokens of one padded site view ([batch x length x width]) with its reductions
   * (model/reductions.ts: per row max |a|, per dim max |a|); `classes` from tokenClasses. The only
   * per-value work is the histogram; a row is scanned again (#offers, in dim order: the very offers
   * a per-value check makes) only when its max |a| passes the absolute threshold or the top-k's floor.
   */
  add(enc: SiteBatch, view: TokenSiteView, red: SiteReductions, classes: Uint8Array, absBits: number): void {
    const { width } = this, data = view.data, mask = enc.attentionMask, n = enc.batch * enc.length;
    if (red.rows !== n || red.width !== width) throw new RangeError(`site ${this.name}: reductions of ${red.rows} x ${red.width} for a batch of ${n} x ${width}; reduce this very batch`);
    // int32 bits: `& 0x7fffffff` keeps them in V8's small-integer range (a uint32 view's negative floats are not)
    const bits = new Int32Array(data.buffer, data.byteOffset, data.length);
    histogramRows(this.hist, bits, mask, width);
    const rowMax = new Int32Array(red.absMax.buffer, red.absMax.byteOffset, n);
    for (let k = 0; k < n; ++k) {
      if (!mask[k]) continue;
      // above this is rare: the absolute threshold, or at least the top-k's smallest |a| (-1 while not full);
      // a non-finite value makes the row's max NaN or infinite, above both: #offers names it
      const floor = this.top.floorBits, lim = absBits < floor - 1 ? absBits : floor - 1;
      if ((rowMax[k] & 0x7fffffff) > lim) this.#offers(enc, data, bits, k, classes, absBits);
      this.tokens++;
    }
    if (red.n === 0) return;
    const dimMax = this.dimMaxBits, colMax = new Int32Array(red.dimAbsMax.buffer, red.dimAbsMax.byteOffset, width);
    for (let j = 0; j < width; ++j) {
      const a = colMax[j] & 0x7fffffff;
      if (a > dimMax[j]) dimMax[j] = a;
    }
  }

  /** Row k's values above the absolute threshold (candidates) and at least the top-k's floor (top), in dim order. */
  #offers(enc: SiteBatch, data: Float32Array, bits: Int32Array, k: number, classes: Uint8Array, absBits: number): void {
    const { width, top, candidates: cand } = this, b = Math.floor(k / enc.length), off = k * width, sentence = enc.sentenceIndex[b];
    let p = 0; // the token's position among the sentence's real tokens
    for (let i = b * enc.length; i < k; ++i) if (enc.attentionMask[i]) p++;
    let topFloor = top.floorBits;
    for (let j = 0; j < width; ++j) {
      const a = bits[off + j] & 0x7fffffff;
      if (a > absBits) {
        if (a >= NON_FINITE_BITS) throw new RangeError(`site ${this.name}: non-finite activation ${data[off + j]} at sentence ${sentence}, token ${p}, dim ${j}; the model or its input is broken`);
        this.aboveAbsolute++;
        cand.offer(a, data[off + j], sentence, p, j, classes[k], "");
      }
      if (a >= topFloor) {
        top.offer(a, data[off + j], sentence, p, j, classes[k], enc.tokens[b][p] ?? "");
        topFloor = top.floorBits;
      }
    }
  }

  /** The largest |a| per dim. */
  dimMaxAbs(): Float64Array {
    return Float64Array.from(this.dimMaxBits, bitsFloat);
  }

  merge(other: SiteMassive): void {
    this.tokens += other.tokens;
    this.aboveAbsolute += other.aboveAbsolute;
    for (let b = 0; b < HISTOGRAM_BINS; ++b) this.hist[b] += other.hist[b];
    for (let j = 0; j < this.width; ++j) if (other.dimMaxBits[j] > this.dimMaxBits[j]) this.dimMaxBits[j] = other.dimMaxBits[j];
    this.top.merge(other.top);
    this.candidates.merge(other.candidates);
  }

  state(): SiteMassiveState {
    const { bins, counts } = sparseBins(this.hist);
    return {
      name: this.name, width: this.width, tokens: this.tokens, aboveAbsolute: this.aboveAbsolute, bins: encodeArray(bins), counts: encodeArray(counts),
      dimMaxBits: encodeArray(this.dimMaxBits), top: this.top.state(), candidates: this.candidates.state(),
    };
  }

  static fromState(s: SiteMassiveState, settings: MassiveSettings, where: string): SiteMassive {
    if (!s || typeof s.name !== "string" || !Number.isInteger(s.width) || s.width < 1) throw new TypeError(`state ${where}: expected a site with a name and a width; the state is corrupt`);
    if (!Number.isInteger(s.tokens) || !Number.isInteger(s.aboveAbsolute)) throw new TypeError(`state ${where}: tokens / aboveAbsolute are not integers; the state is corrupt`);
    const out = new SiteMassive(s.name, s.width, settings);
    out.tokens = s.tokens;
    out.aboveAbsolute = s.aboveAbsolute;
    addSparseBins(out.hist, decodeArray(s.bins, "uint32", `${where}.bins`), decodeArray(s.counts, "float64", `${where}.counts`), `state ${where}`);
    out.dimMaxBits.set(decodeArray(s.dimMaxBits, "uint32", `${where}.dimMaxBits`, s.width));
    out.top = TopList.fromState(s.top, settings.topK, true, `${where}.top`);
    out.candidates = TopList.fromState(s.candidates, settings.maxCandidates, false, `${where}.candidates`);
    return out;
  }
}

/**
 * Counts |a| of the real rows into the log-spaced bins: the one per-value loop left (a mask, a shift and
 * an increment per value; real rows are runs of the mask, each run one tight loop, four values a step:
 * measured 0.76 against 1.13 ns per value one at a time).
 */
function histogramRows(hist: Float64Array, bits: Int32Array, mask: Uint8Array, width: number): void {
  const shift = HISTOGRAM_SHIFT, { runs } = realRuns(mask);
  for (let q = 0; q < runs.length; q += 2) {
    let i = runs[q] * width;
    const end = runs[q + 1] * width;
    for (; i + 4 <= end; i += 4) {
      hist[(bits[i] & 0x7fffffff) >>> shift]++;
      hist[(bits[i + 1] & 0x7fffffff) >>> shift]++;
      hist[(bits[i + 2] & 0x7fffffff) >>> shift]++;
      hist[(bits[i + 3] & 0x7fffffff) >>> shift]++;
    }
    for (; i < end; ++i) hist[(bits[i] & 0x7fffffff) >>> shift]++;
  }
}
