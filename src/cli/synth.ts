/**
 * `artefacts synth`: writes a SYNTHETIC Hugging Face checkpoint (seeded random weights, not trained),
 * optionally with a planted positional outlier, for tests and reference fixtures.
 */
import { parseCommand, intOption, type OptionSpec } from "./args.js";
import { checkOutDir } from "./output.js";
import { synthesize, type PlantedOutlier } from "../model/synth.js";
import type { Architecture } from "../model/types.js";
import type { StoredDtype } from "../model/safetensors.js";

const spec: Record<string, OptionSpec> = {
  arch: { type: "string", help: "model family: bert, roberta or distilbert (required)" },
  layers: { type: "string", help: "number of Transformer blocks L (required)" },
  hidden: { type: "string", help: "hidden width D (required)" },
  heads: { type: "string", help: "attention heads; must divide D (required)" },
  intermediate: { type: "string", help: "FFN width (default: 4 x hidden)" },
  vocab: { type: "string", help: "vocabulary size; tokenizer and config agree (default: all synthetic words)" },
  positions: { type: "string", help: "position-table rows, max_position_embeddings (default: 128; roberta 130)" },
  "position-embeddings": { type: "string", help: "absolute or none (none: bert and roberta only)", default: "absolute" },
  seed: { type: "string", help: "seed of the weight generator, 0..4294967295 (required)" },
  "plant-outlier": { type: "string", help: "plant an outlier in dimension DIM, DIM[:min|max] (default sign: min)" },
  "plant-rows": { type: "list", help: "position-table rows carrying the planted value (default: the row of token position 0)" },
  "plant-massive": { type: "string", help: "plant a massive activation LAYER:DIM: dim DIM of [SEP] at ffn_resid.LAYER, far above 1000x its median (hidden >= 16)" },
  "plant-sink": { type: "string", help: "plant a sink head LAYER:HEAD: head HEAD (0-based) of block LAYER puts ~all its attention on [CLS] (hidden >= 16)" },
  dtype: { type: "string", help: "stored dtype of model.safetensors: F32, F16 or BF16", default: "F32" },
  "mlm-head": { type: "boolean", help: "add BertForMaskedLM's head (bert only); with --plant-outlier the head predicts a Zipf prior through DIM (src/model/synthHead.ts)" },
  out: { type: "string", help: "output folder, must not exist or be empty (required)" },
  force: { type: "boolean", help: "replace a non-empty output folder" },
};

const usage =
  "artefacts synth --arch bert|roberta|distilbert --layers N --hidden D --heads H [--intermediate F] [--vocab V] " +
  "[--positions P] [--position-embeddings absolute|none] --seed S [--plant-outlier DIM[:min|max]] [--plant-rows LIST] " +
  "[--plant-massive LAYER:DIM] [--plant-sink LAYER:HEAD] " +
  "[--dtype F32|F16|BF16] [--mlm-head] --out DIR";

const description =
  "Writes a SYNTHETIC checkpoint: a Hugging Face folder (config.json, model.safetensors, tokenizer files) with\n" +
  "SEEDED RANDOM weights, NOT a trained model. Use it for tests and exact ground truth, never for findings about\n" +
  "real models. The same options give byte-identical files. With --plant-outlier, dimension DIM gets a large value\n" +
  "in the chosen position rows and a large LayerNorm gain and bias in every layer (paper §3.2), so it is the\n" +
  "argmin (min) or argmax (max) of every token vector; config.json records the ground truth under\n" +
  "\"positional_artefacts_synthetic\". --plant-massive and --plant-sink set ground truth for the sites' measures\n" +
  "(massive activations, attention sinks) through weights: token markers in the embeddings, one FFN neuron that\n" +
  "fires on [SEP], one head whose keys single out [CLS] (src/model/synthPlant.ts); config.json records both.";

export const summary = "write a seeded SYNTHETIC checkpoint (Hugging Face folder), optionally with a planted outlier";

export async function run(argv: string[]): Promise<number> {
  const args = parseCommand(argv, spec, "synth", usage, description);
  if (typeof args === "number") return args;
  const o = args.options;
  try {
    if (args.positionals.length) throw new RangeError(`artefacts synth: unexpected argument ${JSON.stringify(args.positionals[0])}; every setting is an option (see --help)`);
    for (const name of ["arch", "layers", "hidden", "heads", "seed", "out"]) {
      if (o[name] === undefined) throw new RangeError(`artefacts synth: --${name} is required (see --help)`);
    }
    checkOutDir(o.out as string, { createParents: true });
    const dir = await synthesize({
      arch: o.arch as Architecture,
      layers: intOption(o.layers, "layers", 1),
      hidden: intOption(o.hidden, "hidden", 2),
      heads: intOption(o.heads, "heads", 1),
      intermediate: o.intermediate === undefined ? undefined : intOption(o.intermediate, "intermediate", 1),
      vocab: o.vocab === undefined ? undefined : intOption(o.vocab, "vocab", 1),
      positions: o.positions === undefined ? undefined : intOption(o.positions, "positions", 1),
      positionEmbeddings: o["position-embeddings"] as "absolute" | "none",
      seed: intOption(o.seed, "seed", 0, 0xffffffff),
      plantOutlier: o["plant-outlier"] === undefined ? undefined : parsePlant(o["plant-outlier"] as string),
      plantRows: (o["plant-rows"] as string[] | undefined)?.map((r) => intOption(r, "plant-rows", 0)),
      plantMassive: o["plant-massive"] === undefined ? undefined : pair(o["plant-massive"] as string, "plant-massive", "dim"),
      plantSink: o["plant-sink"] === undefined ? undefined : pair(o["plant-sink"] as string, "plant-sink", "head"),
      mlmHead: o["mlm-head"] === true,
      dtype: (o.dtype as string).toUpperCase() as StoredDtype,
      out: o.out as string,
      overwrite: o.force === true,
    });
    process.stdout.write(`${dir}\n`);
    process.stderr.write(`artefacts synth: wrote a SYNTHETIC ${o.arch} checkpoint (seeded random weights, not trained) to ${dir}\n`);
    return 0;
  } catch (err) {
    process.stderr.write(`${(err as Error).message.replace(/^invalid (?!--)(\S+):/, "invalid --$1:")}\n`);
    return err instanceof RangeError ? 2 : 1;
  }
}

/** "7", "7:min" or "7:max" to a planted outlier. */
export function parsePlant(value: string): PlantedOutlier {
  const m = /^(\d+)(?::(min|max))?$/.exec(value.trim());
  if (!m) throw new RangeError(`invalid --plant-outlier: ${JSON.stringify(value)}; expected DIM, DIM:min or DIM:max`);
  return { dim: Number(m[1]), sign: (m[2] ?? "min") as "min" | "max" };
}

/** "LAYER:N" to { layer, dim } or { layer, head }. */
export function pair<K extends "dim" | "head">(value: string, option: string, second: K): { layer: number } & Record<K, number> {
  const m = /^(\d+):(\d+)$/.exec(value.trim());
  if (!m) throw new RangeError(`invalid --${option}: ${JSON.stringify(value)}; expected LAYER:${second.toUpperCase()}, e.g. 2:5`);
  return { layer: Number(m[1]), [second]: Number(m[2]) } as { layer: number } & Record<K, number>;
}
