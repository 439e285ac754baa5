/**
 * One site's tallies for the massive-activation analysis (massive.ts, which documents the design):
 * the |a| histogram, the largest |a| per dim, the top-k and the capped candidates above the absolute
 * threshold. The hot loop compares float32 bit patterns of |a| (monotone for finite values), so a
 * value costs a mask, a shift, an increment and three integer compares.
 */
import type { EncodedBatch, SiteKind } from "../model/types.js";
import { addSparseBins, bitsFloat, HISTOGRAM_BINS, HISTOGRAM_SHIFT, NON_FINITE_BITS, sparseBins } from "../numerics/absHistogram.js";
import { decodeArray, encodeArray, type EncodedArray } from "../numerics/arrays.js";
import type { MassiveSettings } from "./massive.js";
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

  /** Adds the real tokens of one padded site view ([batch x length x width]); `classes` from tokenClasses. */
  add(enc: EncodedBatch, view: TokenSiteView, classes: Uint8Array, absBits: number): void {
    const { width } = this, hist = this.hist, dimMax = this.dimMaxBits, top = this.top, cand = this.candidates, data = view.data;
    // int32 bits: `& 0x7fffffff` keeps them in V8's small-integer range (a uint32 view's negative floats are not)
    const bits = new Int32Array(data.buffer, data.byteOffset, data.length);
    const shift = HISTOGRAM_SHIFT, bad = NON_FINITE_BITS, mask = enc.attentionMask, length = enc.length;
    let topFloor = top.floorBits, above = 0;
    for (let b = 0; b < enc.batch; ++b) {
      for (let i = 0, p = 0; i < length; ++i) {
        const k = b * length + i;
        if (!mask[k]) continue;
        const off = k * width;
        for (let j = 0; j < width; ++j) {
          const a = bits[off + j] & 0x7fffffff;
          hist[a >>> shift]++;
          if (a > dimMax[j]) dimMax[j] = a;
          if (a > absBits) {
            if (a >= bad) throw new RangeError(`site ${this.name}: non-finite activation ${data[off + j]} at sentence ${enc.sentenceIndex[b]}, token ${p}, dim ${j}; the model or its input is broken`);
            above++;
            cand.offer(a, data[off + j], enc.sentenceIndex[b], p, j, classes[k], "");
          }
          if (a >= topFloor) {
            top.offer(a, data[off + j], enc.sentenceIndex[b], p, j, classes[k], enc.tokens[b][p] ?? "");
            topFloor = top.floorBits;
          }
        }
        this.tokens++;
        p++;
      }
    }
    this.aboveAbsolute += above;
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
