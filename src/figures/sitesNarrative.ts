/**
 * The words and table of notebook 09 (issue 15): what the isotropy panel, the massive-activation scan
 * and the attention-sink measure found for one model, as markdown sentences and an isotropy table.
 * Plain functions of the results; every number quoted comes from them.
 */
import type { IsotropyResult, IsotropyScoresJson, IsotropyVariant } from "../analysis/isotropy.js";
import type { MassiveResult } from "../analysis/massive.js";
import type { SinkResult } from "../analysis/sinks.js";
import { slug } from "./lines.js";
import type { Cell, TableSpec } from "./spec.js";

const fmt = (v: number | null | undefined, digits = 3): string => (v === null || v === undefined ? "n/a" : Number(v.toPrecision(digits)).toString());

/** Per layer, raw beside clipped: IsoScore, IsoScore*, effective rank, top-1 share, average cosine. */
export function isotropyTable(result: IsotropyResult, { model = "model", id, title }: { model?: string; id?: string; title?: string } = {}): TableSpec {
  const measures: [keyof IsotropyScoresJson, string][] = [["isoScore", "IsoScore"], ["isoScoreStar", "IsoScore*"], ["effectiveRank", "effective rank"], ["top1", "top-1 share"], ["averageCosine", "average cosine"]];
  const variants: IsotropyVariant[] = ["raw", "clipped"];
  const columns = ["layer", "tokens", ...measures.flatMap(([, name]) => variants.map((v) => `${name} ${v}`))];
  const rows: Cell[][] = result.layers.map((l) => [l.layer, l.tokens, ...measures.flatMap(([m]) => variants.map((v) => l.variants[v]?.[m] ?? null))]);
  const clip = result.settings.postprocessing.clipped as { dims?: unknown } | undefined;
  return {
    id: id ?? `isotropy-table-${slug(model)}`,
    title: title ?? `${model}: isotropy per layer, raw and clipped`,
    columns, rows,
    note: `clipped dims: ${JSON.stringify(clip?.dims ?? [])}; IsoScore and IsoScore* in [0, 1] (1 = isotropic); effective rank out of d = ${result.layers[0]?.dim ?? 0}`,
  };
}

/** One paragraph: IsoScore raw vs clipped over the layers, the post-processings, and the average cosine beside them. */
export function isotropyNarrative(result: IsotropyResult, { model = "model" }: { model?: string } = {}): string {
  const layers = result.layers.filter((l) => l.layer > 0 && l.variants.raw?.isoScore != null);
  if (layers.length === 0) return `**${model}**: no layer has enough tokens for an isotropy score.`;
  const span = (v: IsotropyVariant, m: keyof IsotropyScoresJson): string => {
    const xs = layers.map((l) => l.variants[v]?.[m]).filter((x): x is number => typeof x === "number");
    return xs.length ? `${fmt(Math.min(...xs))}-${fmt(Math.max(...xs))}` : "n/a";
  };
  const biggest = layers.reduce((best, l) => {
    const d = (l.variants.clipped?.isoScore ?? 0) - (l.variants.raw?.isoScore ?? 0);
    return d > best.d ? { d, layer: l.layer } : best;
  }, { d: -Infinity, layer: -1 });
  const post = (["zscore", "allButTheTop", "whitening"] as const).filter((v) => result.settings.variants.includes(v)).map((v) => `${v === "zscore" ? "z-scored" : v === "allButTheTop" ? "all-but-the-top" : "whitened"} ${span(v, "isoScore")}`);
  return [
    `**${model}** (layers ${layers[0].layer}-${layers[layers.length - 1].layer}): IsoScore ${span("raw", "isoScore")} raw, ${span("clipped", "isoScore")} clipped`,
    biggest.layer >= 0 ? ` (clipping changes it most at layer ${biggest.layer}: ${biggest.d >= 0 ? "+" : ""}${fmt(biggest.d, 2)})` : "",
    post.length ? `; ${post.join(", ")}` : "",
    `. The average cosine of random pairs is ${span("raw", "averageCosine")} raw and ${span("clipped", "averageCosine")} clipped; the top principal component holds ${span("raw", "top1")} of the variance raw.`,
  ].join("");
}

/** A few sentences on the massive-activation scan: counts per site kind and the largest value with its token and dim. */
export function massiveNarrative(result: MassiveResult, { model = "model" }: { model?: string } = {}): string {
  const { absolute, ratio } = result.settings;
  const kinds = [...new Set(result.sites.map((s) => s.kind))];
  const perKind = kinds.map((k) => {
    const sites = result.sites.filter((s) => s.kind === k);
    const count = sites.reduce((n, s) => n + s.massive, 0), layers = sites.filter((s) => s.massive > 0).map((s) => s.layer);
    return `${k}: ${count}${layers.length ? ` (layers ${layers.join(", ")})` : ""}`;
  });
  const top = result.sites.filter((s) => s.top.length > 0).sort((a, b) => (b.maxAbs ?? 0) - (a.maxAbs ?? 0))[0];
  const t = top?.top[0];
  const largest = t ? ` The largest |a| is ${fmt(Math.abs(t.value), 4)} at ${top.site}, dim ${t.dim}, on ${JSON.stringify(t.token)} (${t.class}, position ${t.position}), ${fmt((Math.abs(t.value)) / (top.median || 1), 3)} times the site's median |a|.` : "";
  const p = result.persistence[0];
  const persists = p ? ` The most persistent pair is dim ${p.dim} on ${p.class} tokens at ${p.kind}, massive in ${p.layers.length} layer(s).` : "";
  const overflow = result.overflow.length ? ` Counts at ${result.overflow.join(", ")} are lower bounds (candidate cap).` : "";
  return `**${model}**: massive activations (|a| > ${absolute} and > ${ratio} x the site's median |a|) per site kind: ${perKind.join("; ")}.${largest}${persists}${overflow}`;
}

/** A few sentences on the sinks: the sink rate per token class, the strongest sink heads, and whether sinks sit on the massive-activation token. */
export function sinkNarrative(result: SinkResult, { model = "model" }: { model?: string } = {}): string {
  const rate = Object.entries(result.sinkRate).map(([c, r]) => `${c} ${fmt(r, 2)}`).join(", ");
  const heads = result.sinkHeads.slice(0, 5).map((h) => `layer ${h.layer} head ${h.head} on ${h.class} (${fmt(h.mass, 2)})`);
  const judged = result.layers.filter((l) => l.sinkIsMassive !== null);
  const same = judged.filter((l) => l.sinkIsMassive).length;
  return [
    `**${model}** (${result.sentences} sentences, ε = ${result.settings.epsilon}): Gu et al.'s sink rate per token class ${rate}.`,
    heads.length ? ` ${result.sinkHeads.length} head(s) put more than ε on one class over the whole sample; the strongest: ${heads.join(", ")}.` : " No head puts more than ε on one class over the whole sample.",
    judged.length ? ` In ${same} of ${judged.length} layer(s) with both a sink class and massive activations, the sink is the token class that carries them.` : "",
  ].join("");
}
