/**
 * `artefacts inspect SRC [--json] [--sites]`: prints a model folder's architecture, sizes, dtype, source
 * kind, the hidden-state outputs its graph has (ONNX folder) or will have once exported (Hugging Face
 * folder), and the activation sites the encoder can expose (one line per kind; --sites: every site).
 */
import { parseCommand, type OptionSpec } from "./args.js";
import { readConfig } from "../model/config.js";
import { inspectSource, type SourceInfo } from "../model/export.js";
import { listSites } from "../model/sites.js";
import type { SiteInfo } from "../model/types.js";

const spec: Record<string, OptionSpec> = {
  json: { type: "boolean", help: "print one JSON object instead of text" },
  sites: { type: "boolean", help: "list every activation site (each layer) with where it sits, instead of one line per kind" },
};

const usage = "artefacts inspect SRC [--json] [--sites]";
const description =
  "Reads SRC (a Hugging Face folder or an ONNX folder) without loading weights and prints its architecture,\n" +
  "layers, hidden width, heads, FFN width, vocabulary, position rows, position embedding type, stored dtype,\n" +
  "source kind (hf-folder | onnx-folder), inputs and outputs. A Hugging Face folder lists the outputs\n" +
  "`artefacts export` will give it; an ONNX folder lists the outputs its graph has. A Hugging Face folder also\n" +
  "lists its activation sites (docs/sites.md), the names `encode --site` and the API's EncoderOptions.sites take.";

export const summary = "print a checkpoint's architecture, layers, width, heads, positions, dtype and outputs";

/** The text form of inspect's output. */
export function formatInfo(info: SourceInfo): string {
  const v = (x: unknown) => (x === null || x === undefined ? "unknown (no config.json)" : String(x));
  const hidden = info.outputs.filter((o) => /^hidden_states\.\d+$/.test(o));
  const lines = [
    `source:          ${info.dir} (${info.kind}${info.modelFile ? `, ${info.modelFile}` : ""}${info.exported ? ", artefacts export" : ""})`,
    `architecture:    ${v(info.architecture)}`,
    `layers:          ${v(info.layers)}`,
    `hidden:          ${v(info.hidden)}`,
    `heads:           ${v(info.heads)}`,
    `intermediate:    ${v(info.intermediate)}`,
    `vocab:           ${v(info.vocab)}`,
    `max positions:   ${v(info.maxPositions)}`,
    `position embeds: ${v(info.positionEmbeddingType)}`,
    `position scheme: ${v(info.positionScheme ?? null)}`,
    `dtype:           ${info.dtype}`,
    `inputs:          ${info.inputs.join(", ")}`,
    `outputs:         ${info.outputs.join(", ")}${info.kind === "hf-folder" ? " (after `artefacts export`)" : ""}`,
    `hidden states:   ${hidden.length}${hidden.length === 0 ? " (run `artefacts export` to expose every layer)" : ""}`,
  ];
  return lines.join("\n");
}

/** One summary per site kind: layers, width and where layer `lo` sits (what inspect prints by default). */
export interface SiteKindSummary {
  kind: string;
  layers: [number, number];
  layout: SiteInfo["layout"];
  width: number;
  example: string;
}

export function siteSummary(sites: readonly SiteInfo[]): SiteKindSummary[] {
  const out: SiteKindSummary[] = [];
  for (const s of sites) {
    const row = out.find((r) => r.kind === s.kind);
    if (row) row.layers[1] = Math.max(row.layers[1], s.layer);
    else out.push({ kind: s.kind, layers: [s.layer, s.layer], layout: s.layout, width: s.width, example: `${s.name}: ${s.description}` });
  }
  return out;
}

/** The text lines of the sites: one per kind, or every site with `all`. */
export function formatSites(sites: readonly SiteInfo[], all: boolean): string {
  const width = (s: { layout: string; width: number }) => (s.layout === "heads" ? `${s.width} heads` : `width ${s.width}`);
  const lines = all
    ? sites.map((s) => `  ${s.name.padEnd(18)} ${width(s).padEnd(10)} ${s.description}`)
    : siteSummary(sites).map((r) => `  ${r.kind.padEnd(15)} ${`${r.layers[0]}..${r.layers[1]}`.padEnd(7)} ${width(r).padEnd(10)} e.g. ${r.example}`);
  return [`sites:           ${all ? `${sites.length} (every layer)` : "KIND or KIND.LAYER (a kind means every layer; --sites lists each)"}`, ...lines].join("\n");
}

export async function run(argv: string[]): Promise<number> {
  const args = parseCommand(argv, spec, "inspect", usage, description);
  if (typeof args === "number") return args;
  if (args.positionals.length !== 1) {
    process.stderr.write(`artefacts inspect: expected one SRC folder, got ${args.positionals.length}; usage: ${usage}\n`);
    return 2;
  }
  try {
    const info = inspectSource(args.positionals[0]);
    // sites are built into the graph from the checkpoint, so only a Hugging Face folder has them
    const sites = info.kind === "hf-folder" ? listSites(readConfig(args.positionals[0])) : null;
    const all = args.options.sites === true;
    if (args.options.json) {
      process.stdout.write(JSON.stringify({ ...info, sites: sites && (all ? sites : siteSummary(sites)) }, null, 2) + "\n");
    } else {
      const siteText = sites ? formatSites(sites, all) : "sites:           none here (sites are built from a Hugging Face folder; inspect the checkpoint folder)";
      process.stdout.write(`${formatInfo(info)}\n${siteText}\n`);
    }
    return 0;
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n`);
    return 1;
  }
}
