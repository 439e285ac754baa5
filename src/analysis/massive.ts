/**
 * Massive activations (Sun et al. 2024, "Massive Activations in Large Language Models"): per layer and
 * activation site, the few values that are both large in absolute terms (|a| > absolute, default 100)
 * and huge against the site's typical value (|a| > ratio x median |a|, default 1000), which tokens
 * ([CLS], [SEP], punctuation, the first word) and which dims carry them, and across how many layers
 * each (dim, token class) pair persists. Every real token counts, special ones included: they are
 * what carries massive activations, and the token classes say which (the result records tokens "all").
 *
 * Streaming design (memory flat in the sample size, merge exact):
 *  - the median |a| comes from a log-spaced histogram of |a| binned on float32 bits (numerics/
 *    absHistogram.ts: 128 bins per octave, relative resolution 2^-7); counts add exactly, so a merged
 *    histogram is the single pass's. The result gives the median's bin as bounds.
 *  - every |a| > absolute is a candidate, kept in a capped list (topList.ts) under a total order, so
 *    the kept set does not depend on batch order or sharding. The ratio test runs at result time on
 *    the kept candidates, exactly, against the median; its count is also given for both ends of the
 *    median's bin (`massiveBounds`). Past the cap the smallest candidates are dropped and the largest
 *    dropped |a| is kept: while it is at or below the threshold the count is still exact; otherwise
 *    the site is flagged (`exact` false, listed in `overflow`) and its count is a lower bound.
 *  - the top-k |a| (with token strings), the largest |a| per dim and the counts are exact too.
 *  - per-row and per-dim max |a| come from the batch's reductions (model/reductions.ts, shared with
 *    norms): only the histogram reads every value, and only rows whose max |a| reaches the absolute
 *    threshold or the top-k's floor are scanned for candidates.
 */
import type { SiteBatch, SiteKind } from "../model/types.js";
import type { Reducer } from "../model/reductions.js";
import { binnedMedian, floorBits, HISTOGRAM_MANTISSA_BITS, HISTOGRAM_RESOLUTION } from "../numerics/absHistogram.js";
import { integer, number } from "../numerics/options.js";
import { round6 } from "../numerics/json.js";
import { compareSites, SITE_KIND_ORDER, tokenSites } from "./siteViews.js";
import { TOKEN_CLASSES, tokenClasses, type TokenClass } from "./tokenClasses.js";
import { SiteMassive, type SiteMassiveState } from "./massiveSite.js";
import { reduceSites, type BatchReductions } from "./siteReductions.js";

/** Options of {@link MassiveActivations}. */
export interface MassiveOptions {
  /** Sun et al.'s absolute threshold: a massive activation has |a| > absolute; default 100. */
  absolute?: number;
  /** Sun et al.'s relative threshold: and |a| > ratio x the site's median |a|; default 1000. */
  ratio?: number;
  /** Largest |a| listed per layer and site, with sentence, token, position and dim; default 10. */
  topK?: number;
  /** Candidates (|a| > absolute) kept per layer and site for the exact ratio test; default 10000. */
  maxCandidates?: number;
  /** Dims listed per layer and site, most massive activations first; default 10. */
  topDims?: number;
}

/** The settings a result and a state record. */
export interface MassiveSettings {
  absolute: number;
  ratio: number;
  topK: number;
  maxCandidates: number;
  topDims: number;
  /** Every real token counts, special tokens included (their class is reported). */
  tokens: "all";
  /** The median's histogram: bins per octave and relative resolution (largest (hi - lo) / lo of a bin). */
  histogram: { binsPerOctave: number; relativeResolution: number };
}

/** One listed activation. */
export interface MassiveEntry {
  value: number;
  /** Index of the sentence in the analysed sample. */
  sentence: number;
  token: string;
  /** 0-based token position within the sentence. */
  position: number;
  dim: number;
  class: TokenClass;
}

/** One layer and site. */
export interface MassiveSite {
  /** `${kind}.${layer}`, e.g. "attn_resid.3". */
  site: string;
  kind: SiteKind;
  layer: number;
  width: number;
  tokens: number;
  /** Activations counted: tokens x width. */
  values: number;
  /** Median |a| (its histogram bin's midpoint); null when the site saw no tokens. */
  median: number | null;
  /** The median's bin: the exact median is in [lo, hi). */
  medianBounds: [number, number] | null;
  /** Largest |a|; null when no tokens. */
  maxAbs: number | null;
  /** Largest |a| per dim ([width]): the layer x dim map. */
  dimMaxAbs: number[];
  /** The topK largest |a|, largest first (ties: sentence, position, dim). */
  top: MassiveEntry[];
  /** Values with |a| > absolute. */
  aboveAbsolute: number;
  /** max(absolute, ratio x median): a massive activation exceeds it; null when no tokens. */
  threshold: number | null;
  /** Values meeting both thresholds. */
  massive: number;
  /** The count for a median at the upper and lower end of its bin: [fewest, most]. */
  massiveBounds: [number, number];
  /** Whether every value above the threshold was kept (false: the candidate cap overflowed; `massive` is a lower bound). */
  exact: boolean;
  /** Massive activations per token class. */
  byClass: Record<TokenClass, number>;
  /** Dims carrying massive activations, most first (then by dim), at most topDims. */
  dims: { dim: number; count: number }[];
}

/** A (dim, token class) pair with massive activations at one kind of site, and the layers where it has them. */
export interface MassivePersistence {
  kind: SiteKind;
  dim: number;
  class: TokenClass;
  layers: number[];
  /** Massive activations summed over those layers. */
  count: number;
}

export interface MassiveResult {
  analysis: "massive";
  settings: MassiveSettings;
  /** Every layer and site seen, by layer, then site kind. */
  sites: MassiveSite[];
  /** Persisting pairs, most layers first (then kind, dim, class). */
  persistence: MassivePersistence[];
  /** Sites whose candidate cap overflowed below the threshold (their count is a lower bound); raise maxCandidates. */
  overflow: string[];
}

export interface MassiveState {
  sites: SiteMassiveState[];
}

/** Resolves and checks the options (defaults filled). */
export function massiveSettings({ absolute = 100, ratio = 1000, topK = 10, maxCandidates = 10000, topDims = 10 }: MassiveOptions = {}): MassiveSettings {
  return {
    absolute: number(absolute, "massive.absolute", 0), ratio: number(ratio, "massive.ratio", 0),
    topK: integer(topK, "massive.topK", 0, 10000), maxCandidates: integer(maxCandidates, "massive.maxCandidates", 0, 10_000_000),
    topDims: integer(topDims, "massive.topDims", 0), tokens: "all",
    histogram: { binsPerOctave: 2 ** HISTOGRAM_MANTISSA_BITS, relativeResolution: HISTOGRAM_RESOLUTION },
  };
}

/** Streams every token site of each EncodedBatch (hidden_states and the extra sites) into per-site tallies. */
export class MassiveActivations {
  readonly #settings: MassiveSettings;
  readonly #absBits: number;
  readonly #sites = new Map<string, SiteMassive>();

  constructor(options: MassiveOptions = {}) {
    this.#settings = massiveSettings(options);
    this.#absBits = floorBits(this.#settings.absolute);
  }

  settings(): MassiveSettings {
    return this.#settings;
  }

  /** Adds one padded batch, every token site, real tokens only, with its reductions (reduceSites: tokenSites(enc) order). */
  add(enc: SiteBatch, reductions: BatchReductions): this {
    const classes = tokenClasses(enc), views = tokenSites(enc), red = reductions.sites;
    if (red.length !== views.length) throw new RangeError(`massive: ${red.length} site reductions for ${views.length} token sites; pass reduceSites(reducer, batch) of this very batch`);
    for (const [i, view] of views.entries()) this.#site(view.name, view.width).add(enc, view, red[i], classes, this.#absBits);
    return this;
  }

  /** Reduces one padded batch with `reducer` (model/reductions.ts) and adds it. */
  async addWith(reducer: Reducer, enc: SiteBatch): Promise<this> {
    return this.add(enc, await reduceSites(reducer, enc));
  }

  merge(other: MassiveActivations): this {
    return this.mergeState(other.state());
  }

  state(): MassiveState {
    return { sites: [...this.#sites.values()].map((s) => s.state()) };
  }

  mergeState(body: MassiveState): this {
    if (!body || !Array.isArray(body.sites)) throw new TypeError("state (massive): expected { sites: [...] }; the state is corrupt");
    for (const s of body.sites) {
      const incoming = SiteMassive.fromState(s, this.#settings, `massive.${String(s?.name)}`);
      this.#site(incoming.name, incoming.width).merge(incoming);
    }
    return this;
  }

  result(): MassiveResult {
    const st = this.#settings;
    const done = [...this.#sites.values()].sort(compareSites).map((s) => siteResult(s, st));
    const sites = done.map((d) => d.site);
    return { analysis: "massive", settings: st, sites, persistence: persistence(done), overflow: sites.filter((s) => !s.exact).map((s) => s.site) };
  }

  #site(name: string, width: number): SiteMassive {
    let s = this.#sites.get(name);
    if (!s) this.#sites.set(name, (s = new SiteMassive(name, width, this.#settings)));
    if (s.width !== width) throw new RangeError(`site ${name}: width ${width} differs from the first batch (${s.width}); feed batches of one model only`);
    return s;
  }
}

/** The massive activations of one site per (dim, class code), as "dim,class" -> count. */
type Cells = Map<string, number>;

/** One site's result from its tallies, and its massive activations per (dim, class) for persistence. */
function siteResult(s: SiteMassive, st: MassiveSettings): { site: MassiveSite; cells: Cells } {
  const med = binnedMedian(s.hist);
  const threshold = med === null ? null : Math.max(st.absolute, st.ratio * med.value);
  const cands = s.candidates.entries();
  const above = (t: number) => cands.filter((c) => Math.abs(c.value) > t);
  const massive = threshold === null ? [] : above(threshold);
  const bounds: [number, number] = med === null ? [0, 0]
    : [above(Math.max(st.absolute, st.ratio * med.hi)).length, above(Math.max(st.absolute, st.ratio * med.lo)).length];
  const dropped = s.candidates.maxDropped();
  const lowest = med === null ? Infinity : Math.max(st.absolute, st.ratio * med.lo);
  const byClass = Object.fromEntries(TOKEN_CLASSES.map((c) => [c, 0])) as Record<TokenClass, number>;
  const perDim = new Map<number, number>(), cells: Cells = new Map();
  for (const m of massive) {
    byClass[TOKEN_CLASSES[m.cls]]++;
    perDim.set(m.dim, (perDim.get(m.dim) ?? 0) + 1);
    const key = `${m.dim},${m.cls}`;
    cells.set(key, (cells.get(key) ?? 0) + 1);
  }
  const dimMaxAbs = Array.from(s.dimMaxAbs(), round6);
  const site: MassiveSite = {
    site: s.name, kind: s.kind, layer: s.layer, width: s.width, tokens: s.tokens, values: s.tokens * s.width,
    median: med && round6(med.value), medianBounds: med && [round6(med.lo), round6(med.hi)],
    maxAbs: s.tokens === 0 ? null : dimMaxAbs.reduce((a, b) => Math.max(a, b), 0), dimMaxAbs,
    top: s.top.entries().map((e) => ({ value: round6(e.value), sentence: e.sentence, token: e.token, position: e.position, dim: e.dim, class: TOKEN_CLASSES[e.cls] })),
    aboveAbsolute: s.aboveAbsolute, threshold: threshold === null ? null : round6(threshold), massive: massive.length, massiveBounds: bounds,
    exact: dropped === null || dropped <= lowest, byClass,
    dims: [...perDim].sort((a, b) => b[1] - a[1] || a[0] - b[0]).slice(0, st.topDims).map(([dim, count]) => ({ dim, count })),
  };
  return { site, cells };
}

/** (kind, dim, class) pairs with massive activations, the layers where they have them, most layers first. */
function persistence(done: { site: MassiveSite; cells: Cells }[]): MassivePersistence[] {
  const pairs = new Map<string, MassivePersistence>();
  for (const { site, cells } of done) {
    for (const [key, count] of cells) {
      const [dim, cls] = key.split(",").map(Number);
      const id = `${site.kind},${key}`;
      let p = pairs.get(id);
      if (!p) pairs.set(id, (p = { kind: site.kind, dim, class: TOKEN_CLASSES[cls], layers: [], count: 0 }));
      p.layers.push(site.layer);
      p.count += count;
    }
  }
  const kindOrder = (k: SiteKind) => SITE_KIND_ORDER.indexOf(k);
  return [...pairs.values()].sort((a, b) => b.layers.length - a.layers.length || kindOrder(a.kind) - kindOrder(b.kind) || a.dim - b.dim || TOKEN_CLASSES.indexOf(a.class) - TOKEN_CLASSES.indexOf(b.class));
}
