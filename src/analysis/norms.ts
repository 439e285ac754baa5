/**
 * Outlier norms (Bondarenko et al. 2021, "Understanding and Overcoming the Challenges of Efficient
 * Transformer Quantization"): per layer and activation site, the infinity norm of tokens (max |a| over
 * dims: its maximum and mean over tokens, and per token class), the kurtosis of each token over its
 * dims (averaged over tokens) and of each dim over tokens, and the dims that dominate (how often each
 * is a token's argmax |a|). Post-LN encoders keep their largest values in the residual sums before
 * each LayerNorm (sites attn_resid, ffn_resid), which is where Bondarenko et al. measured.
 *
 * Every real token counts, special tokens included (the per-class figures separate them); kurtosis is
 * Pearson's m4 / m2² (3 for a normal distribution) with population moments. Streaming: fixed-size
 * float64 tallies per site (normsSite.ts), merged exactly for counts and maxima, to float64 rounding
 * for sums and moments. Per-token figures and each batch's per-dim moments come from the batch's
 * reductions (model/reductions.ts, float32), shared with massive: kurtosis is good to float32 level.
 */
import type { SiteBatch, SiteKind } from "../model/types.js";
import type { Reducer } from "../model/reductions.js";
import { bitsFloat } from "../numerics/absHistogram.js";
import { integer } from "../numerics/options.js";
import { round6 } from "../numerics/json.js";
import { compareSites, tokenSites } from "./siteViews.js";
import { TOKEN_CLASSES, tokenClasses, type TokenClass } from "./tokenClasses.js";
import { SiteNorms, type SiteNormsState } from "./normsSite.js";
import { reduceSites, type BatchReductions } from "./siteReductions.js";

/** Options of {@link OutlierNorms}. */
export interface NormsOptions {
  /** Dims listed per layer and site, by how often they are a token's argmax |a|, and by kurtosis; default 5. */
  topDims?: number;
}

export interface NormsSettings {
  topDims: number;
  tokens: "all";
  kurtosis: "pearson";
}

/** One layer and site. */
export interface NormsSite {
  site: string;
  kind: SiteKind;
  layer: number;
  width: number;
  tokens: number;
  /** Infinity norm max_j |a_j| of the tokens: the largest (and where), and the mean; null without tokens. */
  infNorm: {
    max: number;
    mean: number;
    at: { sentence: number; token: string; position: number; dim: number; class: TokenClass };
  } | null;
  /** Per token class: tokens, largest and mean infinity norm (null without tokens). */
  byClass: Record<TokenClass, { tokens: number; max: number | null; mean: number | null }>;
  /** Kurtosis of each token over its dims, mean and max over tokens (null when every token is constant); `degenerate` tokens are constant. */
  tokenKurtosis: { mean: number | null; max: number | null; degenerate: number };
  /** Kurtosis of each dim over the tokens ([width], null for a constant dim), its maximum and that dim, and the topDims highest. */
  dimKurtosis: { values: (number | null)[]; max: number | null; maxDim: number | null; top: { dim: number; kurtosis: number }[] };
  /** Dims by how often they are a token's argmax |a| (share of tokens), most first, at most topDims. */
  dims: { dim: number; count: number; share: number }[];
}

export interface NormsResult {
  analysis: "norms";
  settings: NormsSettings;
  /** Every layer and site seen, by layer, then site kind. */
  sites: NormsSite[];
}

export interface NormsState {
  sites: SiteNormsState[];
}

/** Resolves and checks the options. */
export function normsSettings({ topDims = 5 }: NormsOptions = {}): NormsSettings {
  return { topDims: integer(topDims, "norms.topDims", 0), tokens: "all", kurtosis: "pearson" };
}

/** Streams every token site of each EncodedBatch into per-site norm and kurtosis tallies. */
export class OutlierNorms {
  readonly #settings: NormsSettings;
  readonly #sites = new Map<string, SiteNorms>();

  constructor(options: NormsOptions = {}) {
    this.#settings = normsSettings(options);
  }

  settings(): NormsSettings {
    return this.#settings;
  }

  /** Adds one padded batch, every token site, real tokens only, with its reductions (reduceSites: tokenSites(enc) order). */
  add(enc: SiteBatch, reductions: BatchReductions): this {
    const classes = tokenClasses(enc), views = tokenSites(enc), red = reductions.sites;
    if (red.length !== views.length) throw new RangeError(`norms: ${red.length} site reductions for ${views.length} token sites; pass reduceSites(reducer, batch) of this very batch`);
    for (const [i, view] of views.entries()) this.#site(view.name, view.width).add(enc, view, red[i], classes);
    return this;
  }

  /** Reduces one padded batch with `reducer` (model/reductions.ts) and adds it. */
  async addWith(reducer: Reducer, enc: SiteBatch): Promise<this> {
    return this.add(enc, await reduceSites(reducer, enc));
  }

  merge(other: OutlierNorms): this {
    return this.mergeState(other.state());
  }

  state(): NormsState {
    return { sites: [...this.#sites.values()].map((s) => s.state()) };
  }

  mergeState(body: NormsState): this {
    if (!body || !Array.isArray(body.sites)) throw new TypeError("state (norms): expected { sites: [...] }; the state is corrupt");
    for (const s of body.sites) {
      const incoming = SiteNorms.fromState(s, `norms.${String(s?.name)}`);
      this.#site(incoming.name, incoming.width).merge(incoming);
    }
    return this;
  }

  result(): NormsResult {
    const sites = [...this.#sites.values()].sort(compareSites).map((s) => siteResult(s, this.#settings));
    return { analysis: "norms", settings: this.#settings, sites };
  }

  #site(name: string, width: number): SiteNorms {
    let s = this.#sites.get(name);
    if (!s) this.#sites.set(name, (s = new SiteNorms(name, width)));
    if (s.width !== width) throw new RangeError(`site ${name}: width ${width} differs from the first batch (${s.width}); feed batches of one model only`);
    return s;
  }
}

/** Pearson kurtosis of dim j from its central sums: n M4 / M2²; null when the dim is constant or has under two tokens. */
export function dimKurtosis(n: number, m2: number, m4: number): number | null {
  return n > 1 && m2 > 0 ? (n * m4) / (m2 * m2) : null;
}

function siteResult(s: SiteNorms, st: NormsSettings): NormsSite {
  const byClass = Object.fromEntries(TOKEN_CLASSES.map((c, i) => {
    const n = s.classTokens[i];
    return [c, { tokens: n, max: n ? round6(bitsFloat(s.classInfMaxBits[i])) : null, mean: n ? round6(s.classInfSum[i] / n) : null }];
  })) as NormsSite["byClass"];
  const kurt = Array.from(s.m2, (m2, j) => dimKurtosis(s.tokens, m2, s.m4[j]));
  let maxDim: number | null = null;
  for (let j = 0; j < kurt.length; ++j) if (kurt[j] !== null && (maxDim === null || kurt[j]! > kurt[maxDim]!)) maxDim = j;
  const top = kurt.flatMap((k, dim) => (k === null ? [] : [{ dim, kurtosis: k }])).sort((a, b) => b.kurtosis - a.kurtosis || a.dim - b.dim).slice(0, st.topDims);
  const counted = s.tokens - s.degenerate;
  const m = s.max;
  return {
    site: s.name, kind: s.kind, layer: s.layer, width: s.width, tokens: s.tokens,
    infNorm: m && {
      max: round6(bitsFloat(m.bits)), mean: round6(s.infSum / s.tokens),
      at: { sentence: m.sentence, token: m.token, position: m.position, dim: m.dim, class: TOKEN_CLASSES[m.cls] },
    },
    byClass,
    tokenKurtosis: { mean: counted ? round6(s.kurtSum / counted) : null, max: counted ? round6(s.kurtMax) : null, degenerate: s.degenerate },
    dimKurtosis: {
      values: kurt.map((k) => (k === null ? null : round6(k))), max: maxDim === null ? null : round6(kurt[maxDim]!), maxDim,
      top: top.map(({ dim, kurtosis }) => ({ dim, kurtosis: round6(kurtosis) })),
    },
    dims: [...s.argmax.keys()].filter((j) => s.argmax[j] > 0).sort((a, b) => s.argmax[b] - s.argmax[a] || a - b).slice(0, st.topDims)
      .map((dim) => ({ dim, count: s.argmax[dim], share: round6(s.argmax[dim] / s.tokens) })),
  };
}
