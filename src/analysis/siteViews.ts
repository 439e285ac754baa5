/**
 * The activation sites of an EncodedBatch as the site analyses (massive, norms, sinks) read them:
 * hidden_states.K from `layers`, every other site from `sites` (named `${kind}.${layer}`,
 * src/model/types.ts). Views of the padded buffers, no copy: the analyses skip padding themselves.
 */
import { SITE_KINDS } from "../model/sites.js";
import type { EncodedBatch, SiteKind } from "../model/types.js";

/** The order sites are reported in within a layer: listSites' (model/sites.ts), the order of a block. */
export const SITE_KIND_ORDER: readonly SiteKind[] = SITE_KINDS;

/** One token site of one batch: [batch x length x width], padded. */
export interface TokenSiteView {
  name: string;
  kind: SiteKind;
  layer: number;
  width: number;
  data: Float32Array;
}

/** One attention-probability site of one batch: [batch x heads x length x length], padded. */
export interface HeadSiteView {
  name: string;
  layer: number;
  heads: number;
  data: Float32Array;
}

/** `kind.layer` split; throws naming the site when the name is not of that form or the kind is unknown. */
export function parseSiteName(name: string): { kind: SiteKind; layer: number } {
  const m = /^([a-z_]+)\.(\d+)$/.exec(name);
  if (!m || !(SITE_KIND_ORDER as readonly string[]).includes(m[1])) {
    throw new RangeError(`site ${JSON.stringify(name)}: expected KIND.LAYER with KIND one of ${SITE_KIND_ORDER.join(", ")}`);
  }
  return { kind: m[1] as SiteKind, layer: Number(m[2]) };
}

/** Orders sites by layer, then kind (SITE_KIND_ORDER). */
export function compareSites(a: { kind: SiteKind; layer: number }, b: { kind: SiteKind; layer: number }): number {
  return a.layer - b.layer || SITE_KIND_ORDER.indexOf(a.kind) - SITE_KIND_ORDER.indexOf(b.kind);
}

/** Every token site of the batch: hidden_states.0..L, then the extra sites with a [batch x length x width] layout. */
export function tokenSites(enc: Pick<EncodedBatch, "batch" | "length" | "hidden" | "layers" | "sites">): TokenSiteView[] {
  const out: TokenSiteView[] = enc.layers.map((data, layer) => ({ name: `hidden_states.${layer}`, kind: "hidden_states", layer, width: enc.hidden, data }));
  const rows = enc.batch * enc.length;
  for (const [name, data] of Object.entries(enc.sites ?? {})) {
    const { kind, layer } = parseSiteName(name);
    // hidden_states.K asked for as a site is a view of layers[K], already listed
    if (kind === "attn_probs" || kind === "hidden_states") continue;
    if (rows === 0 || data.length % rows !== 0) throw new RangeError(`site ${name}: ${data.length} values is not batch x length (${enc.batch} x ${enc.length}) x width; the encoder's site output has another layout`);
    out.push({ name, kind, layer, width: data.length / rows, data });
  }
  return out;
}

/** Every attention-probability site of the batch (attn_probs.1..L). */
export function headSites(enc: Pick<EncodedBatch, "batch" | "length" | "sites">): HeadSiteView[] {
  const out: HeadSiteView[] = [];
  const cells = enc.batch * enc.length * enc.length;
  for (const [name, data] of Object.entries(enc.sites ?? {})) {
    const { kind, layer } = parseSiteName(name);
    if (kind !== "attn_probs") continue;
    if (cells === 0 || data.length % cells !== 0) throw new RangeError(`site ${name}: ${data.length} values is not batch x heads x length x length (batch ${enc.batch}, length ${enc.length}); the encoder's site output has another layout`);
    out.push({ name, layer, heads: data.length / cells, data });
  }
  return out.sort((a, b) => a.layer - b.layer);
}
