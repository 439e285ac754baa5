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

  /**
   * Adds the real tokens of one padded site view ([batch x length x width]); `classes` from tokenClasses.
   * The loop over a row's values bins them, keeps the per-dim max and only notes whether the row has a
   * value for the candidates or the top-k; such a row is then scanned again by #offers, in dim order,
   * so the lists see the very offers an inline check makes. Why: the rare branch's calls, first taken
   * after V8 optimised the loop, deoptimised it mid-batch (no type feedback yet), and the loop ran
   * unoptimised until recompiled, slowest on a loaded machine.
   */
  add(enc: EncodedBatch, view: TokenSiteView, classes: Uint8Array, absBits: number): void {
    const { width } = this, hist = this.hist, dimMax = this.dimMaxBits, data = view.data;
    // int32 bits: `& 0x7fffffff` keeps them in V8's small-integer range (a uint32 view's negative floats are not)
    const bits = new Int32Array(data.buffer, data.byteOffset, data.length);
    const shift = HISTOGRAM_SHIFT, mask = enc.attentionMask, n = enc.batch * enc.length;
    for (let k = 0; k < n; ++k) {
      if (!mask[k]) continue;
      // above this is rare: the absolute threshold, or at least the top-k's smallest |a| (-1 while not full)
      const floor = this.top.floorBits, lim = absBits < floor - 1 ? absBits : floor - 1;
      let hit = false;
      for (let j = 0, off = k * width; j < width; ++j) {
        const a = bits[off + j] & 0x7fffffff;
        hist[a >>> shift]++;
        if (a > dimMax[j]) dimMax[j] = a;
        if (a > lim) hit = true;
      }
      if (hit) this.#offers(enc, data, bits, k, classes, absBits);
      this.tokens++;
    }
  }

  /** Row k's values above the absolute threshold (candidates) and at least the top-k's floor (top), in dim order. */
  #offers(enc: EncodedBatch, data: Float32Array, bits: Int32Array, k: number, classes: Uint8Array, absBits: number): void {
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
