/**
 * `artefacts inspect SRC [--json]`: prints a model folder's architecture, sizes, dtype, source kind and
 * the hidden-state outputs its graph has (ONNX folder) or will have once exported (Hugging Face folder).
 */
import { parseCommand, type OptionSpec } from "./args.js";
import { inspectSource, type SourceInfo } from "../model/export.js";

const spec: Record<string, OptionSpec> = {
  json: { type: "boolean", help: "print one JSON object instead of text" },
};

const usage = "artefacts inspect SRC [--json]";
const description =
  "Reads SRC (a Hugging Face folder or an ONNX folder) without loading weights and prints its architecture,\n" +
  "layers, hidden width, heads, FFN width, vocabulary, position rows, position embedding type, stored dtype,\n" +
  "source kind (hf-folder | onnx-folder), inputs and outputs. A Hugging Face folder lists the outputs\n" +
  "`artefacts export` will give it; an ONNX folder lists the outputs its graph has.";

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

export async function run(argv: string[]): Promise<number> {
  const args = parseCommand(argv, spec, "inspect", usage, description);
  if (typeof args === "number") return args;
  if (args.positionals.length !== 1) {
    process.stderr.write(`artefacts inspect: expected one SRC folder, got ${args.positionals.length}; usage: ${usage}\n`);
    return 2;
  }
  try {
    const info = inspectSource(args.positionals[0]);
    process.stdout.write(args.options.json ? JSON.stringify(info, null, 2) + "\n" : formatInfo(info) + "\n");
    return 0;
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n`);
    return 1;
  }
}
