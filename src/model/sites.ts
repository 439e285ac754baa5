/**
 * Activation sites (DESIGN.md §2, "Sites"; the kinds are documented on SiteKind in types.ts and in
 * docs/sites.md): every site a model's family has, with where it sits in words, and the resolution of
 * requested names ("attn_resid.3", or a whole kind "attn_resid" = every layer) with errors that list
 * the valid ones or say why a family lacks a kind. The graph builders expose what resolveSites returns.
 */
import { familyOf } from "./families/index.js";
import type { Family, SiteModules } from "./families/family.js";
import type { ModelConfig, SiteInfo, SiteKind } from "./types.js";

/** Every kind, in the order listSites gives them within a layer. */
export const SITE_KINDS: readonly SiteKind[] = [
  "hidden_states", "attn_norm_in", "attn_norm_out", "attn_probs", "attn_out", "attn_resid", "mlp_norm_in", "mlp_norm_out",
  "ffn_act", "ffn_out", "ffn_resid", "final_norm_in", "final_norm_out",
];

/** The norm kinds only pre-LN families have (their norms precede each sublayer, so inputs and outputs differ in role). */
const NORM_KINDS: readonly SiteKind[] = ["attn_norm_in", "attn_norm_out", "mlp_norm_in", "mlp_norm_out", "final_norm_in", "final_norm_out"];

type Describe = (layer: number) => string;

/** The sites of one block (1-based layer) of a post-LN family. */
function postLnBlock(m: SiteModules, config: ModelConfig, layer: number): [SiteKind, number, string][] {
  const at = `${m.label} block ${layer} (${m.block(layer - 1)})`;
  const note = m.attention(config, layer);
  const act = m.ffnAct.replace("{act}", config.hiddenAct);
  return [
    ["attn_probs", config.heads, `${at}: attention probabilities per head, softmax over keys${note ? `; ${note}` : ""}`],
    ["attn_out", config.hidden, `${at}: attention output after ${m.attnOut}, before the residual add`],
    ["attn_resid", config.hidden, `${at}: x + attention output, entering the post-attention LayerNorm ${m.attnNorm}`],
    ["ffn_act", config.intermediate, `${at}: FFN intermediate activation ${act}, entering ${m.ffnDown}`],
    ["ffn_out", config.hidden, `${at}: FFN output after ${m.ffnDown}, before the residual add`],
    ["ffn_resid", config.hidden, `${at}: h + FFN output, entering the block's last LayerNorm ${m.outNorm}`],
  ];
}

/** The sites of one block (1-based layer) of a pre-LN family (ModernBERT): the norms precede each sublayer. */
function preLnBlock(m: SiteModules, config: ModelConfig, layer: number): [SiteKind, number, string][] {
  const at = `${m.label} block ${layer} (${m.block(layer - 1)})`;
  const H = config.hidden;
  const L = config.layers;
  const act = m.ffnAct.replace("{act}", config.hiddenAct);
  const out: [SiteKind, number, string][] = [];
  if (layer > 1) {
    out.push(["attn_norm_in", H, `${at}: the residual stream entering ${m.outNorm} (= hidden_states.${layer - 1})`]);
    out.push(["attn_norm_out", H, `${at}: ${m.outNorm} output, entering the attention projections`]);
  }
  out.push(
    ["attn_probs", config.heads, `${at}: attention probabilities per head, softmax over keys; ${m.attention(config, layer)}`],
    ["attn_out", H, `${at}: attention output after ${m.attnOut}, before the residual add`],
    ["attn_resid", H, `${at}: x + attention output, the residual stream entering ${m.attnNorm} (= mlp_norm_in.${layer})`],
    ["mlp_norm_in", H, `${at}: the residual stream entering ${m.attnNorm} (= attn_resid.${layer})`],
    ["mlp_norm_out", H, `${at}: ${m.attnNorm} output, entering the MLP`],
    ["ffn_act", config.intermediate, `${at}: MLP intermediate activation ${act}, entering ${m.ffnDown}`],
    ["ffn_out", H, `${at}: MLP output after ${m.ffnDown}, before the residual add`],
    ["ffn_resid", H, `${at}: h + MLP output, the residual stream leaving the block (${layer < L ? `= hidden_states.${layer}` : `= final_norm_in.${L}; hidden_states.${L} is the final norm's output`})`],
  );
  if (layer === L) {
    out.push(["final_norm_in", H, `${m.label} final_norm: the residual stream after the last block, entering final_norm (= ffn_resid.${L})`]);
    out.push(["final_norm_out", H, `${m.label} final_norm output (= hidden_states.${L} = last_hidden_state)`]);
  }
  return out;
}

function hiddenDescription(family: Family, config: ModelConfig): Describe {
  const L = config.layers;
  return (k) => {
    if (k === 0) return `${family.siteModules.label}: Hugging Face hidden_states[0], the embeddings output (the first block's input)`;
    if (family.lnPlacement === "pre-LN" && k === L) return `${family.siteModules.label}: Hugging Face hidden_states[${L}], the final norm's output (= last_hidden_state)`;
    return `${family.siteModules.label}: Hugging Face hidden_states[${k}], the output of block ${k}`;
  };
}

/** Every site of the model's family, layer by layer (hidden_states.0 first, then each block's in SITE_KINDS order). */
export function listSites(config: ModelConfig): SiteInfo[] {
  const family = familyOf(config.architecture);
  const m = family.siteModules;
  const hidden = hiddenDescription(family, config);
  const site = (kind: SiteKind, layer: number, width: number, description: string): SiteInfo => ({
    name: `${kind}.${layer}`, kind, layer, layout: kind === "attn_probs" ? "heads" : "tokens", width, description,
  });
  const out: SiteInfo[] = [site("hidden_states", 0, config.hidden, hidden(0))];
  for (let l = 1; l <= config.layers; ++l) {
    const block = family.lnPlacement === "pre-LN" ? preLnBlock(m, config, l) : postLnBlock(m, config, l);
    const rows = [site("hidden_states", l, config.hidden, hidden(l)), ...block.map(([kind, width, d]) => site(kind, l, width, d))];
    rows.sort((a, b) => SITE_KINDS.indexOf(a.kind) - SITE_KINDS.indexOf(b.kind));
    out.push(...rows);
  }
  return out;
}

/** The kinds the model's family has, in SITE_KINDS order. */
export function siteKinds(config: ModelConfig): SiteKind[] {
  const have = new Set(listSites(config).map((s) => s.kind));
  return SITE_KINDS.filter((k) => have.has(k));
}

/**
 * The sites named by `requested`: exact names ("attn_resid.3") and whole kinds ("attn_resid" = every
 * layer that has it), deduplicated, in listSites order. Throws a RangeError naming the first bad entry
 * with the valid kinds and layers, or why the family lacks the kind.
 */
export function resolveSites(config: ModelConfig, requested: readonly string[]): SiteInfo[] {
  if (!Array.isArray(requested)) throw new TypeError(`sites: expected an array of site names, got ${requested === null ? "null" : typeof requested}`);
  const all = listSites(config);
  const chosen = new Set<string>();
  for (const entry of requested) {
    for (const s of resolveOne(config, all, entry)) chosen.add(s.name);
  }
  return all.filter((s) => chosen.has(s.name));
}

function resolveOne(config: ModelConfig, all: readonly SiteInfo[], entry: unknown): SiteInfo[] {
  const kinds = siteKinds(config);
  const valid = () => kinds.map((k) => `${k} (${layerRange(all, k)})`).join(", ");
  const m = typeof entry === "string" ? /^([a-z_]+)(?:\.(0|[1-9]\d{0,5}))?$/.exec(entry.trim()) : null;
  if (!m) {
    throw new RangeError(`invalid site ${JSON.stringify(entry)}: expected KIND or KIND.LAYER, e.g. attn_resid or attn_resid.3; ${config.architecture} has ${valid()}`);
  }
  const kind = m[1] as SiteKind;
  if (!SITE_KINDS.includes(kind)) {
    throw new RangeError(`unknown site ${JSON.stringify(entry)}: no kind ${JSON.stringify(kind)}; ${config.architecture} has ${valid()} (docs/sites.md)`);
  }
  if (!kinds.includes(kind)) throw new RangeError(`site ${JSON.stringify(entry)}: ${lacks(config, kind)}`);
  const ofKind = all.filter((s) => s.kind === kind);
  if (m[2] === undefined) return ofKind;
  const layer = Number(m[2]);
  const hit = ofKind.find((s) => s.layer === layer);
  if (hit) return [hit];
  const family = familyOf(config.architecture);
  if (family.lnPlacement === "pre-LN" && (kind === "attn_norm_in" || kind === "attn_norm_out") && layer === 1) {
    throw new RangeError(`site ${JSON.stringify(entry)}: ${family.siteModules.label}'s first block has no attention norm (transformers uses Identity there; its input is hidden_states.0); ${kind} has layers ${layerRange(all, kind)}`);
  }
  throw new RangeError(`site ${JSON.stringify(entry)}: layer ${layer} is out of range; ${kind} has layers ${layerRange(all, kind)} in this ${config.layers}-layer model`);
}

/** Why the family has no sites of `kind`. */
function lacks(config: ModelConfig, kind: SiteKind): string {
  const family = familyOf(config.architecture);
  const m = family.siteModules;
  if (NORM_KINDS.includes(kind) && family.lnPlacement === "post-LN") {
    return `${m.label} is post-LN: its LayerNorms follow the residual sums, so there are no ${kind} sites; use attn_resid (what enters ${m.attnNorm}) or ffn_resid (what enters ${m.outNorm}), and hidden_states for their outputs. Pre-LN families (modernbert) have the norm kinds`;
  }
  return `${m.label} has no ${kind} sites; it has ${siteKinds(config).join(", ")}`;
}

/** "1..6", "0..6", "2..4" or "3" for the layers a kind has. */
function layerRange(all: readonly SiteInfo[], kind: SiteKind): string {
  const layers = all.filter((s) => s.kind === kind).map((s) => s.layer);
  const lo = Math.min(...layers), hi = Math.max(...layers);
  return lo === hi ? `${lo}` : `${lo}..${hi}`;
}
