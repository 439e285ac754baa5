/**
 * Reads the site references written by tools/reference/sites_reference.py (test/fixtures/sites/<name>.json
 * + .f32; format in that script's header) and picks the same rows out of our padded site outputs. Not a
 * test file itself.
 */
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import type { SiteInfo } from "../../src/model/types.js";

export const SITE_FIXTURES = path.join(__dirname, "..", "..", "..", "test", "fixtures", "sites");

export interface SiteReference {
  name: string;
  rows: [number, number][];
  token_counts: number[];
  blocks: { name: string; offset: number; values: number; max_abs: number }[];
  data: { bytes: number; sha256: string };
  command: string;
  values: Float32Array;
}

export function loadSiteReference(name: string): SiteReference {
  const meta = JSON.parse(fs.readFileSync(path.join(SITE_FIXTURES, `${name}.json`), "utf8")) as Omit<SiteReference, "values">;
  const bytes = fs.readFileSync(path.join(SITE_FIXTURES, `${name}.f32`));
  const sha = crypto.createHash("sha256").update(bytes).digest("hex");
  if (bytes.length !== meta.data.bytes || sha !== meta.data.sha256) throw new Error(`${SITE_FIXTURES}/${name}.f32: size or sha256 differs from ${name}.json; regenerate with: ${meta.command}`);
  const values = new Float32Array(bytes.length / 4);
  new Uint8Array(values.buffer).set(bytes);
  return { ...meta, values };
}

/**
 * The reference rows of one site from our padded output: token sites [B, T, W] -> [rows x W];
 * attn_probs [B, heads, T, T] -> per row, [heads x real keys]. `place(b, t)` maps a reference row to
 * our batch row and position.
 */
export function gatherRows(site: SiteInfo, data: Float32Array, T: number, ref: SiteReference, place: (b: number, t: number) => [number, number] = (b, t) => [b, t]): Float32Array {
  const out: number[] = [];
  for (const [b0, t0] of ref.rows) {
    const [b, t] = place(b0, t0);
    if (site.layout === "tokens") {
      for (let w = 0; w < site.width; ++w) out.push(data[(b * T + t) * site.width + w]);
    } else {
      for (let h = 0; h < site.width; ++h) for (let k = 0; k < ref.token_counts[b0]; ++k) out.push(data[((b * site.width + h) * T + t) * T + k]);
    }
  }
  return Float32Array.from(out);
}
