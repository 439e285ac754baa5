/**
 * `artefacts export SRC --out DIR`: writes an ONNX folder whose graph outputs every layer's hidden state
 * (hidden_states.0..L and last_hidden_state), from a Hugging Face folder or an existing ONNX export.
 */
import { parseCommand, type OptionSpec } from "./args.js";
import { exportOnnx } from "../model/export.js";
import { checkOutDir } from "./output.js";

const spec: Record<string, OptionSpec> = {
  out: { type: "string", help: "output folder: absent, empty, or a previous export (required)" },
  quiet: { type: "boolean", help: "no progress lines on stderr" },
  "allow-nonfinite": { type: "boolean", help: "accept NaN/Inf weights (refused by default, naming tensor and index); for studying broken checkpoints only" },
};

const usage = "artefacts export SRC --out DIR [--quiet]";
const description =
  "Exports SRC to DIR/onnx/model.onnx (float32, opset 17 when built from weights) with outputs hidden_states.0 ..\n" +
  "hidden_states.L and last_hidden_state, beside config.json, the tokenizer files and positional-artefacts.json\n" +
  "(source hashes, outputs, opset). SRC is a Hugging Face folder (config.json + model.safetensors; BERT, RoBERTa,\n" +
  "DistilBERT) or a transformers.js/optimum ONNX folder (onnx/model.onnx). Quantized and float16 exports are\n" +
  "refused: they change the embedding values the analyses study. Prints DIR on stdout.";

export const summary = "export a checkpoint to an ONNX folder that outputs every layer's hidden states";

export async function run(argv: string[]): Promise<number> {
  const args = parseCommand(argv, spec, "export", usage, description);
  if (typeof args === "number") return args;
  if (args.positionals.length !== 1) {
    process.stderr.write(`artefacts export: expected one SRC folder, got ${args.positionals.length} (${args.positionals.map((p) => JSON.stringify(p)).join(", ") || "none"}); usage: ${usage}\n`);
    return 2;
  }
  if (typeof args.options.out !== "string" || !args.options.out) {
    process.stderr.write(`artefacts export: --out is required; usage: ${usage}\n`);
    return 2;
  }
  const quiet = args.options.quiet === true;
  try {
    checkOutDir(args.options.out, { createParents: true });
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n`);
    return 2;
  }
  try {
    const r = await exportOnnx(args.positionals[0], args.options.out, {
      onProgress: (m) => { if (!quiet) process.stderr.write(`artefacts export: ${m}\n`); },
      allowNonFinite: args.options["allow-nonfinite"] === true,
    });
    process.stdout.write(`${r.dir}\n`);
    return 0;
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n`);
    return 1;
  }
}
