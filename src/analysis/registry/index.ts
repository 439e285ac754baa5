/**
 * The analyses runAnalyses can run, in the order their results appear. Adding an analysis: one file
 * in this folder exporting a descriptor (types.ts), and one line here.
 */
import { outliers } from "./outliers.js";
import { origins } from "./origins.js";
import { positions } from "./positions.js";
import { probe } from "./probe.js";
import { anisotropy } from "./anisotropy.js";
import { selfsim } from "./selfsim.js";
import { contributions } from "./contributions.js";
import { postprocess } from "./postprocess.js";
import { isotropy } from "./isotropy.js";
import { massive } from "./massive.js";
import { norms } from "./norms.js";
import { sinks } from "./sinks.js";
import { siteKinds } from "../../model/sites.js";
import type { ModelConfig, SiteKind } from "../../model/types.js";
import type { AnalysisDescriptor, Need } from "./types.js";

export const REGISTRY = [outliers, origins, positions, probe, anisotropy, selfsim, contributions, postprocess, massive, norms, sinks, isotropy] as const;

/** The analysis every run has: the outlier scan, whose dims are the clip and every result's `dims`. */
export const BASE = outliers.name;

export type AnalysisName = (typeof REGISTRY)[number]["name"];

/** The analyses' names, in registry order; "postprocess" adds the z-score, all-but-the-top and whitening anisotropy variants. */
export const ANALYSIS_NAMES: readonly AnalysisName[] = REGISTRY.map((d) => d.name);

const NEEDS: readonly Need[] = ["clip", "fitBatches"];

/** The descriptor of `name`; throws naming the choices when there is none. */
export function descriptor(name: string): AnalysisDescriptor {
  const d = REGISTRY.find((x) => x.name === name);
  if (!d) throw new RangeError(`invalid analysis: ${JSON.stringify(name)}; expected one of ${ANALYSIS_NAMES.join(", ")}`);
  return d;
}

/** The default set: every analysis but the opt-in ones (whose sites cost extra graph outputs). */
export const DEFAULT_ANALYSES: readonly AnalysisName[] = REGISTRY.filter((d) => !(d as AnalysisDescriptor).optIn).map((d) => d.name);

/**
 * Validates `only`; default the default set (DEFAULT_ANALYSES). The first (outliers) is always
 * included: every other reads its dims. `sites` (site names or kinds asked of the encoder) add the
 * opt-in analyses that read one of them (attn_probs adds sinks).
 */
export function resolveOnly(only?: readonly string[], sites: readonly string[] = []): AnalysisName[] {
  const asked = new Set<string>(!only || only.length === 0 ? DEFAULT_ANALYSES : only);
  for (const n of asked) descriptor(n);
  const kinds = new Set(sites.map((s) => s.split(".")[0]));
  for (const d of REGISTRY as readonly AnalysisDescriptor[]) if (d.optIn && (d.sites ?? []).some((k) => kinds.has(k))) asked.add(d.name);
  return ANALYSIS_NAMES.filter((n) => n === ANALYSIS_NAMES[0] || asked.has(n));
}

/** The site kinds the analyses of `only` (and those they need) ask the encoder for, in SiteKind order of first mention. */
export function analysisSites(only: readonly string[]): SiteKind[] {
  const out = new Set<SiteKind>();
  for (const d of closure(only).analyses) for (const k of d.sites ?? []) out.add(k);
  return [...out];
}

/** What runs for `only`: the asked-for analyses, those they need (transitively), and the run-level needs. */
export function closure(only: readonly string[]): { analyses: AnalysisDescriptor[]; needs: Set<Need> } {
  const names = new Set<string>(), needs = new Set<Need>();
  const visit = (n: string): void => {
    if ((NEEDS as readonly string[]).includes(n)) {
      needs.add(n as Need);
      return;
    }
    if (names.has(n)) return;
    names.add(n);
    for (const m of descriptor(n).needs) visit(m);
  };
  for (const n of only) visit(n);
  return { analyses: REGISTRY.filter((d) => names.has(d.name)), needs };
}

/** Whether `d`'s result goes into the results JSON when `only` was asked for. */
export function reported(d: AnalysisDescriptor, only: readonly string[]): boolean {
  return only.includes(d.name) || (d.reportedWith ?? []).some((n) => only.includes(n));
}

/** `artefacts analyze --help`'s list of analyses. */
export function summaries(): string {
  return REGISTRY.map((d) => d.summary).join(", ");
}

/**
 * EncoderOptions.sites for a run of `only`: the caller's `extra` sites (names or kinds, resolved and
 * checked by the encoder, which names a bad one), then the kinds the analyses ask for (analysisSites)
 * that the model's family has. `config` null (an ONNX folder, which cannot add outputs): the analyses'
 * kinds are dropped and they read hidden_states only (sinks then refuses to run).
 */
export function siteRequest(config: ModelConfig | null, only: readonly string[], extra: readonly string[] = []): string[] {
  const have = new Set(config ? siteKinds(config) : []);
  const out = [...extra];
  for (const k of analysisSites(only)) if (have.has(k) && !out.includes(k)) out.push(k);
  return out;
}
