/**
 * Attention sinks (Xiao et al. 2023; Gu et al. 2025, "When Attention Sink Emerges in Language Models"):
 * per layer and head, the attention mass each query puts on [CLS], [SEP], punctuation and the first
 * content token (token classes: tokenClasses.ts), averaged over the real query tokens of the sample
 * (specials included); and Gu et al.'s sink metric: for a token class c and threshold ε (default
 * 0.3), the share of heads whose mass on c, averaged over a sentence's queries, exceeds ε, averaged over
 * sentences (Sink^ε; their α is the mean over queries of the attention to the token). Reads the
 * attn_probs sites ([batch x heads x length x length]); keys are real tokens only (padding gets ~0).
 *
 * Streaming: float64 sums of mass and integer counts of (sentence, head) pairs over ε per layer, head
 * and class; counts merge exactly, sums to float64 rounding. Which class carries the massive
 * activation of each layer is read from the massive analysis' result at the sinks' result time.
 */
import type { EncodedBatch } from "../model/types.js";
import { decodeArray, encodeArray, type EncodedArray } from "../numerics/arrays.js";
import { round6 } from "../numerics/json.js";
import { number } from "../numerics/options.js";
import type { MassiveResult } from "./massive.js";
import { headSites } from "./siteViews.js";
import { TOKEN_CLASSES, tokenClasses, type TokenClass } from "./tokenClasses.js";

/** The classes sink mass is measured on ("other" is the rest of the sentence). */
export const SINK_CLASSES = ["cls", "sep", "first", "punct"] as const satisfies readonly TokenClass[];
export type SinkClass = (typeof SINK_CLASSES)[number];
const NS = SINK_CLASSES.length;

export interface SinkOptions {
  /** Gu et al.'s ε: a head sinks on a class in a sentence when its mean mass there exceeds it; default 0.3. */
  epsilon?: number;
}

export interface SinkSettings {
  epsilon: number;
  /** Queries averaged over: every real token, specials included. */
  queries: "all";
}

/** One head of one layer. */
export interface SinkHead {
  head: number;
  /** Mean attention mass per class, over every real query of the sample. */
  mass: Record<SinkClass, number>;
  /** Share of sentences in which the head's mean mass on the class exceeds ε. */
  sinkShare: Record<SinkClass, number>;
}

export interface SinkLayer {
  /** The block (1..L) whose attention this is; it reads hidden_states.{layer - 1}. */
  layer: number;
  heads: SinkHead[];
  /** Gu et al.'s metric for this layer: mean over heads of sinkShare. */
  sinkRate: Record<SinkClass, number>;
  /** The class most heads sink on (sinkShare > 0.5), ties in SINK_CLASSES order; null when no head does. */
  sinkClass: SinkClass | null;
  /**
   * From the massive analysis at the sites of block layer - 1 (hidden_states.{layer - 1}, the residual
   * stream the attention reads, and the residual sums before its norms): the class with most massive
   * activations (null: none, or massive did not run), and the class of the largest |a|.
   */
  massiveClass: TokenClass | null;
  topClass: TokenClass | null;
  /** Whether sinkClass is massiveClass (null when either is null). */
  sinkIsMassive: boolean | null;
  /** Whether sinkClass is topClass (null when either is null). */
  sinkIsTop: boolean | null;
}

export interface SinkResult {
  analysis: "sinks";
  settings: SinkSettings;
  sentences: number;
  queries: number;
  layers: SinkLayer[];
  /** Gu et al.'s Sink^ε over every layer and head, per class. */
  sinkRate: Record<SinkClass, number>;
  /** Heads (layer, head) whose mean mass on a class exceeds ε over the whole sample, largest mass first. */
  sinkHeads: { layer: number; head: number; class: SinkClass; mass: number }[];
}

/** Per layer: [heads x NS] sums of mass over queries, counts of sentences over ε; sentences and queries seen. */
interface LayerTally {
  heads: number;
  mass: Float64Array;
  over: Float64Array;
  sentences: number;
  queries: number;
}

export interface SinkState {
  layers: { layer: number; heads: number; mass: EncodedArray; over: EncodedArray; sentences: number; queries: number }[];
}

export function sinkSettings({ epsilon = 0.3 }: SinkOptions = {}): SinkSettings {
  return { epsilon: number(epsilon, "sinks.epsilon", 0, 1), queries: "all" };
}

export class AttentionSinks {
  readonly #settings: SinkSettings;
  readonly #layers = new Map<number, LayerTally>();

  constructor(options: SinkOptions = {}) {
    this.#settings = sinkSettings(options);
  }

  settings(): SinkSettings {
    return this.#settings;
  }

  /** Whether any attn_probs site was seen. */
  get seen(): boolean {
    return this.#layers.size > 0;
  }

  add(enc: EncodedBatch): this {
    const classes = tokenClasses(enc);
    for (const site of headSites(enc)) this.#addSite(enc, classes, site.layer, site.heads, site.data);
    return this;
  }

  #addSite(enc: EncodedBatch, classes: Uint8Array, layer: number, heads: number, data: Float32Array): void {
    const t = this.#tally(layer, heads), T = enc.length, eps = this.#settings.epsilon;
    const sent = new Float64Array(NS);
    for (let b = 0; b < enc.batch; ++b) {
      let q = 0;
      for (let h = 0; h < heads; ++h) {
        sent.fill(0);
        q = 0;
        for (let i = 0; i < T; ++i) {
          if (!enc.attentionMask[b * T + i]) continue;
          const row = ((b * heads + h) * T + i) * T;
          for (let k = 0; k < T; ++k) {
            const c = classes[b * T + k];
            if (c < NS) sent[c] += data[row + k]; // SINK_CLASSES are TOKEN_CLASSES' first four codes
          }
          q++;
        }
        for (let c = 0; c < NS; ++c) {
          // NaN fails every comparison: a non-finite probability stops the run (DESIGN.md: every number finite)
          if (!(sent[c] >= 0 && sent[c] < Infinity)) throw new RangeError(`site attn_probs.${layer}: non-finite attention mass ${sent[c]} in sentence ${enc.sentenceIndex[b]}, head ${h}; the model or its input is broken`);
          t.mass[h * NS + c] += sent[c];
          if (q > 0 && sent[c] / q > eps) t.over[h * NS + c]++;
        }
      }
      if (q > 0) t.sentences++;
      t.queries += q;
    }
  }

  state(): SinkState {
    return { layers: [...this.#layers].map(([layer, t]) => ({ layer, heads: t.heads, mass: encodeArray(t.mass), over: encodeArray(t.over), sentences: t.sentences, queries: t.queries })) };
  }

  mergeState(body: SinkState): this {
    if (!body || !Array.isArray(body.layers)) throw new TypeError("state (sinks): expected { layers: [...] }; the state is corrupt");
    for (const l of body.layers) {
      if (!Number.isInteger(l?.layer) || !Number.isInteger(l.heads) || l.heads < 1 || !Number.isInteger(l.sentences) || !Number.isInteger(l.queries)) throw new TypeError(`state (sinks): layer ${JSON.stringify(l?.layer)} lacks integer heads / sentences / queries; the state is corrupt`);
      const t = this.#tally(l.layer, l.heads);
      const mass = decodeArray(l.mass, "float64", `sinks.${l.layer}.mass`, l.heads * NS), over = decodeArray(l.over, "float64", `sinks.${l.layer}.over`, l.heads * NS);
      for (let i = 0; i < mass.length; ++i) (t.mass[i] += mass[i]), (t.over[i] += over[i]);
      t.sentences += l.sentences;
      t.queries += l.queries;
    }
    return this;
  }

  merge(other: AttentionSinks): this {
    return this.mergeState(other.state());
  }

  /** The result; `massive` (the massive analysis' result, when it ran) says which class carries each layer's massive activations. */
  result(massive: MassiveResult | null = null): SinkResult {
    const eps = this.#settings.epsilon;
    const layers = [...this.#layers].sort((a, b) => a[0] - b[0]).map(([layer, t]) => layerResult(layer, t, massive));
    const sinkHeads = layers.flatMap((l) => l.heads.flatMap((h) => SINK_CLASSES.filter((c) => h.mass[c] > eps).map((c) => ({ layer: l.layer, head: h.head, class: c, mass: h.mass[c] }))))
      .sort((a, b) => b.mass - a.mass || a.layer - b.layer || a.head - b.head);
    const first = [...this.#layers.values()][0];
    return {
      analysis: "sinks", settings: this.#settings, sentences: first?.sentences ?? 0, queries: first?.queries ?? 0, layers,
      sinkRate: classRecord((c) => (layers.length ? round6(layers.reduce((a, l) => a + l.sinkRate[c], 0) / layers.length) : 0)), sinkHeads,
    };
  }

  #tally(layer: number, heads: number): LayerTally {
    let t = this.#layers.get(layer);
    if (!t) this.#layers.set(layer, (t = { heads, mass: new Float64Array(heads * NS), over: new Float64Array(heads * NS), sentences: 0, queries: 0 }));
    if (t.heads !== heads) throw new RangeError(`site attn_probs.${layer}: ${heads} heads differ from the first batch (${t.heads}); feed batches of one model only`);
    return t;
  }
}

function classRecord<T>(f: (c: SinkClass) => T): Record<SinkClass, T> {
  return Object.fromEntries(SINK_CLASSES.map((c) => [c, f(c)])) as Record<SinkClass, T>;
}

function layerResult(layer: number, t: LayerTally, massive: MassiveResult | null): SinkLayer {
  const heads: SinkHead[] = Array.from({ length: t.heads }, (_, h) => ({
    head: h,
    mass: classRecord((c) => (t.queries ? round6(t.mass[h * NS + SINK_CLASSES.indexOf(c)] / t.queries) : 0)),
    sinkShare: classRecord((c) => (t.sentences ? round6(t.over[h * NS + SINK_CLASSES.indexOf(c)] / t.sentences) : 0)),
  }));
  const sinkRate = classRecord((c) => round6(heads.reduce((a, h) => a + h.sinkShare[c], 0) / t.heads));
  const sinking = classRecord((c) => heads.filter((h) => h.sinkShare[c] > 0.5).length);
  const best = SINK_CLASSES.reduce<SinkClass | null>((m, c) => (sinking[c] > 0 && (m === null || sinking[c] > sinking[m]) ? c : m), null);
  // the residual stream this attention reads: every site of block layer - 1 (post-LN: the sums before the norms, whose output it is)
  const inputs = massive?.sites.filter((s) => s.layer === layer - 1) ?? [];
  const counts = TOKEN_CLASSES.map((c) => inputs.reduce((a, s) => a + s.byClass[c], 0));
  const most = counts.reduce((m, x, i) => (x > counts[m] ? i : m), 0);
  const massiveClass: TokenClass | null = counts[most] > 0 ? TOKEN_CLASSES[most] : null;
  const top = inputs.flatMap((s) => s.top.slice(0, 1)).sort((a, b) => Math.abs(b.value) - Math.abs(a.value))[0];
  const topClass = top?.class ?? null;
  return {
    layer, heads, sinkRate, sinkClass: best, massiveClass, topClass,
    sinkIsMassive: best && massiveClass ? best === massiveClass : null, sinkIsTop: best && topClass ? best === topClass : null,
  };
}
