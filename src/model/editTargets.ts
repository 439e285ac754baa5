/**
 * Where an intervention can act, by site name, resolved to graph values (onnx/edits.ts targets):
 *  - hidden_states: the activation hidden_states.K (layers 0..L), width hidden.
 *  - ln_weight / ln_bias: the gain or bias vector of every LayerNorm in the chosen layers (layer 0: the
 *    embedding norm; layer l: block l's norms; pre-LN families: the final norm belongs to layer L), as
 *    Kovaleva et al. 2021 ("BERT Busters") disabled them.
 *  - position_table: the columns of the absolute position table (no layer: give "all" or 0).
 *  - the other token sites of src/model/sites.ts (attn_out, attn_resid, ffn_act, ffn_out, ffn_resid and
 *    the pre-LN norm sites): the activation `${kind}.${layer}` in the layers that have it (ffn_act's
 *    width is the FFN width). attn_probs is not a site for dims.
 */
import { expectedTensors } from "./checkpoint.js";
import { listSites, siteKinds } from "./sites.js";
import type { ModelConfig, SiteKind } from "./types.js";

const ACTIVATION_SITES = ["attn_out", "attn_resid", "ffn_act", "ffn_out", "ffn_resid", "attn_norm_in", "attn_norm_out", "mlp_norm_in", "mlp_norm_out", "final_norm_in", "final_norm_out"] as const satisfies readonly SiteKind[];
export const INTERVENTION_SITES = ["hidden_states", "ln_weight", "ln_bias", "position_table", ...ACTIVATION_SITES] as const;
export type InterventionSite = (typeof INTERVENTION_SITES)[number];

export interface EditTarget {
  /** The graph value edited (an activation or a weight's canonical name). */
  target: string;
  layer: number;
  width: number;
}

const NORM = /(?:^|\.)(?:LayerNorm|layer_norm|norm|attn_norm|mlp_norm|final_norm)\.(weight|bias)$/;

/** Checks a site name; throws listing the valid ones. */
export function interventionSite(site: unknown): InterventionSite {
  if (INTERVENTION_SITES.includes(site as InterventionSite)) return site as InterventionSite;
  throw new RangeError(`invalid site: ${JSON.stringify(site)}; expected one of ${INTERVENTION_SITES.join(", ")}`);
}

/** Checks layers against 0..L; "all" is every layer. Returns them sorted and distinct. */
export function interventionLayers(layers: readonly number[] | "all", config: ModelConfig): number[] {
  const L = config.layers;
  if (layers === "all") return Array.from({ length: L + 1 }, (_, l) => l);
  if (!Array.isArray(layers) || layers.length === 0) throw new RangeError(`invalid layers: ${JSON.stringify(layers)}; expected "all" or a non-empty list of layers in 0..${L}`);
  for (const l of layers) if (!Number.isInteger(l) || l < 0 || l > L) throw new RangeError(`invalid layer: ${JSON.stringify(l)}; the model has layers 0..${L} (0: embeddings, ${L}: last block)`);
  return [...new Set(layers)].sort((a, b) => a - b);
}

/** The graph values a site covers in the chosen layers (see the file comment). */
export function editTargets(config: ModelConfig, site: InterventionSite, layers: readonly number[] | "all"): EditTarget[] {
  const chosen = interventionLayers(layers, config);
  const H = config.hidden;
  if (site === "hidden_states") return chosen.map((l) => ({ target: `hidden_states.${l}`, layer: l, width: H }));
  if ((ACTIVATION_SITES as readonly string[]).includes(site)) return activationTargets(config, site as SiteKind, chosen);
  const tensors = expectedTensors(config);
  if (site === "position_table") {
    if (layers !== "all" && !(chosen.length === 1 && chosen[0] === 0)) throw new RangeError(`invalid layers for site position_table: ${JSON.stringify(layers)}; the position table has no layer, give "all" or 0`);
    const t = tensors.find((x) => x.name.endsWith("position_embeddings.weight") && x.shape.length === 2 && x.shape[1] === H);
    if (!t) throw new RangeError(`site position_table: this ${config.architecture} model has no absolute position table in hidden space; choose hidden_states, ln_weight or ln_bias`);
    return [{ target: t.name, layer: 0, width: H }];
  }
  const kind = site === "ln_weight" ? "weight" : "bias";
  const out: EditTarget[] = [];
  for (const t of tensors) {
    const m = NORM.exec(t.name);
    if (!m || m[1] !== kind || t.shape.length !== 1 || t.shape[0] !== H) continue;
    const layer = normLayer(t.name, config.layers);
    if (layer !== null && chosen.includes(layer)) out.push({ target: t.name, layer, width: H });
  }
  if (out.length === 0) throw new RangeError(`site ${site}: no LayerNorm ${kind} of width ${H} in layers ${chosen.join(", ")} of this ${config.architecture} model${kind === "bias" ? " (its norms may have no bias)" : ""}`);
  return out;
}

/** The layer a norm belongs to: embeddings 0, block N (0-based) N + 1, the final norm L; null otherwise. */
function normLayer(name: string, L: number): number | null {
  if (name.startsWith("embeddings.")) return 0;
  if (name.startsWith("final_norm.")) return L;
  const m = /(?:^|\.)(?:layer|layers)\.(\d+)\./.exec(name);
  return m ? Number(m[1]) + 1 : null;
}

/** The activation sites of a kind in the chosen layers; errors say which layers have it, or that the family lacks it. */
function activationTargets(config: ModelConfig, kind: SiteKind, layers: number[]): EditTarget[] {
  const all = listSites(config).filter((s) => s.kind === kind);
  if (all.length === 0) throw new RangeError(`site ${kind}: this ${config.architecture} model has no such site; its sites are ${siteKinds(config).filter((k) => k !== "attn_probs").join(", ")}, ln_weight, ln_bias${config.positionEmbeddingType === "absolute" ? ", position_table" : ""}`);
  const out = all.filter((s) => layers.includes(s.layer)).map((s) => ({ target: s.name, layer: s.layer, width: s.width }));
  if (out.length === 0) throw new RangeError(`site ${kind}: none in layers ${layers.join(", ")}; it exists in layers ${all.map((s) => s.layer).join(", ")}`);
  return out;
}
