/**
 * `artefacts encode`: sentence vectors from one layer, mean- or first-token-pooled, optionally
 * L2-normalised. With `--layer last --pooling mean --normalize` on a sentence-transformers BERT folder
 * this is the sentence-transformers embedding.
 */
import { readUtf8 } from "../data/formats/text.js";
import { deviceOption, parseCommand, intOption, type OptionSpec } from "./args.js";
import { clsPool, l2normalize, meanPool } from "../model/pooling.js";
import type { Encoder } from "../model/encoder.js";
import type { SiteInfo } from "../model/types.js";
import { DEFAULT_TOKEN_BUDGET } from "../model/batching.js";

const spec: Record<string, OptionSpec> = {
  model: { type: "string", help: "model: a Hugging Face folder, an ONNX folder, or a hub id org/name[@revision] (required)" },
  layer: { type: "string", help: "layer to pool: 0 (embeddings) .. L, or last", default: "last" },
  site: { type: "string", help: "pool this activation site instead of --layer, e.g. attn_resid.3 (a Hugging Face folder; `artefacts inspect SRC --sites` lists them)" },
  pooling: { type: "string", help: "mean (over non-padding tokens) or cls (first token)", default: "mean" },
  normalize: { type: "boolean", help: "scale each vector to unit L2 norm" },
  "include-special": { type: "boolean", help: "mean pooling includes [CLS]/[SEP] (<s>/</s>), as sentence-transformers does (default)" },
  "exclude-special": { type: "boolean", help: "mean pooling leaves special tokens out" },
  json: { type: "boolean", help: "write one JSON object (model, layer, pooling, normalize, dim, vectors, truncated)" },
  "token-budget": { type: "string", help: "padded tokens (sentences x longest length) per batch; sentences are sorted by length; never changes a vector", default: String(DEFAULT_TOKEN_BUDGET) },
  "batch-size": { type: "string", help: "most sentences per batch, on top of --token-budget (default: no cap)" },
  file: { type: "string", help: "read sentences from this file, one per line (blank lines skipped)" },
  threads: { type: "string", help: "onnxruntime threads (default: PA_THREADS or all cores)" },
  device: { type: "string", help: "onnxruntime execution provider: cpu, or cuda (needs onnxruntime-node's CUDA binaries; fails at once without them)", default: "cpu" },
  "allow-nonfinite": { type: "boolean", help: "accept NaN/Inf weights (refused by default, naming tensor and index); for studying broken checkpoints only" },
};

const usage =
  "artefacts encode --model SRC [--layer K|last | --site NAME] [--pooling mean|cls] [--normalize] [--include-special|--exclude-special] " +
  "[--json] [--token-budget N] [--batch-size N] [--file FILE] [SENTENCE...]";

const description =
  "Encodes sentences to vectors. Sentences come from the arguments, else --file (one per line), else stdin\n" +
  "(one per line). Default output: one line per sentence, the vector's values separated by spaces, in input order.\n" +
  "Sentences longer than the model's maximum are truncated (a warning on stderr; --json reports which).";

export const summary = "encode sentences to vectors (layer, pooling, normalisation)";

export async function run(argv: string[]): Promise<number> {
  const args = parseCommand(argv, spec, "encode", usage, description);
  if (typeof args === "number") return args;
  const o = args.options;
  let settings: EncodeSettings;
  try {
    settings = readSettings(o);
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n`);
    return 2;
  }
  let sentences: string[];
  try {
    sentences = args.positionals.length ? args.positionals : readLines(o.file as string | undefined);
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n`);
    return 1;
  }
  if (sentences.length === 0) {
    process.stderr.write(`artefacts encode: no sentences${o.file ? ` in ${o.file}` : " on stdin"}; pass sentences as arguments, with --file, or on stdin\n`);
    return 2;
  }

  let encoder;
  try {
    // loaded here so that --help and option errors do not load onnxruntime and transformers.js
    const { createEncoder } = require("../model/encoder.js") as typeof import("../model/encoder.js");
    encoder = await createEncoder(settings.model, {
      threads: settings.threads,
      device: settings.device,
      allowNonFinite: o["allow-nonfinite"] === true,
      ...(settings.site ? { sites: [settings.site] } : {}),
      onProgress: (m) => process.stderr.write(`artefacts encode: ${m}\n`),
    });
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n`);
    return 1;
  }
  try {
    const site = settings.site ? poolableSite(encoder.sites, settings.site) : null;
    const layer: number = site ? site.layer : settings.layer === "last" ? encoder.layers : settings.layer;
    if (layer > encoder.layers) throw new RangeError(`invalid --layer: ${layer}; ${encoder.id} has layers 0..${encoder.layers}`);
    const dim = site ? site.width : encoder.hidden;
    const { vectors, truncated } = await poolAll(encoder, sentences, layer, settings, site);
    truncated.sort((a, b) => a - b);
    const rows = Array.from({ length: sentences.length }, (_, s) => Array.from(vectors.subarray(s * dim, (s + 1) * dim)));
    if (o.json) {
      const out = {
        model: encoder.id,
        layer,
        ...(site ? { site: site.name } : {}),
        pooling: settings.pooling,
        normalize: settings.normalize,
        includeSpecial: settings.pooling === "mean" ? settings.includeSpecial : null,
        dim,
        vectors: rows,
        truncated,
        provenance: encoder.provenance(),
      };
      await write(JSON.stringify(out) + "\n");
    } else {
      await write(rows.map((r) => r.join(" ")).join("\n") + "\n");
    }
    return 0;
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n`);
    return err instanceof RangeError || err instanceof TypeError ? 2 : 1;
  } finally {
    await encoder.dispose();
  }
}

type EncodeSettings = ReturnType<typeof readSettings>;

/** Checks the options and resolves their defaults; throws RangeError naming the option. */
function readSettings(o: Record<string, unknown>) {
  if (o.model === undefined) throw new RangeError("artefacts encode: --model is required (see --help)");
  if (o["include-special"] && o["exclude-special"]) throw new RangeError("artefacts encode: --include-special and --exclude-special contradict each other; pass one");
  const pooling = o.pooling as string;
  if (pooling !== "mean" && pooling !== "cls") throw new RangeError(`invalid --pooling: ${JSON.stringify(pooling)}; expected one of mean, cls`);
  if (pooling === "cls" && (o["include-special"] || o["exclude-special"])) throw new RangeError("artefacts encode: --include-special/--exclude-special apply to --pooling mean only");
  const layer: number | "last" = o.layer === "last" ? "last" : intOption(o.layer, "layer", 0);
  return {
    model: o.model as string,
    layer,
    site: o.site === undefined ? undefined : String(o.site),
    pooling,
    normalize: o.normalize === true,
    includeSpecial: o["exclude-special"] !== true,
    tokenBudget: intOption(o["token-budget"], "token-budget", 1),
    batchSize: o["batch-size"] === undefined ? undefined : intOption(o["batch-size"], "batch-size", 1),
    threads: o.threads === undefined ? undefined : intOption(o.threads, "threads", 1),
    device: deviceOption(o.device),
  };
}

/** Every sentence's pooled (and, if asked, normalised) vector in input order, and the truncated sentences. */
async function poolAll(encoder: Encoder, sentences: string[], layer: number, settings: EncodeSettings, site: SiteInfo | null): Promise<{ vectors: Float32Array; truncated: number[] }> {
  const dim = site ? site.width : encoder.hidden;
  const vectors = new Float32Array(sentences.length * dim);
  const truncated: number[] = [];
  const progress = sentences.length >= 256;
  let lastReport = 0;
  for await (const batch of encoder.encode(sentences, {
    batchSize: settings.batchSize,
    tokenBudget: settings.tokenBudget,
    onProgress: (done, total) => {
      if (progress && (done === total || Date.now() - lastReport > 1000)) {
        lastReport = Date.now();
        process.stderr.write(`artefacts encode: ${done}/${total} sentences\n`);
      }
    },
  })) {
    // a token site pools like a layer: the same batch with that site as its only layer
    const [view, at] = site ? [{ ...batch, hidden: site.width, layers: [batch.sites![site.name]] }, 0] : [batch, layer];
    const pooled = settings.pooling === "mean" ? meanPool(view, at, { includeSpecial: settings.includeSpecial }) : clsPool(view, at);
    if (settings.normalize) l2normalize(pooled, dim);
    batch.sentenceIndex.forEach((s, b) => {
      vectors.set(pooled.subarray(b * dim, (b + 1) * dim), s * dim);
      if (batch.truncated[b]) truncated.push(s);
    });
  }
  return { vectors, truncated };
}

/** The one token site --site names (resolved by the encoder); a kind or attention probabilities are refused. */
function poolableSite(sites: readonly SiteInfo[], name: string): SiteInfo {
  if (sites.length !== 1) throw new RangeError(`invalid --site: ${JSON.stringify(name)} is a whole kind (${sites.length} sites); name one layer, e.g. ${sites[0].name}`);
  if (sites[0].layout !== "tokens") throw new RangeError(`invalid --site: ${sites[0].name} holds attention probabilities per head, not a vector per token; pool a token site (attn_resid, ffn_resid, ffn_act ...)`);
  return sites[0];
}

/** Lines of --file or stdin under the one text policy (readUtf8: strict UTF-8, bounded). */
function readLines(file: string | undefined): string[] {
  return readUtf8(file ?? 0).split(/\r?\n/).filter((line) => line.trim() !== "");
}

function write(text: string): Promise<void> {
  return new Promise((resolve, reject) => process.stdout.write(text, (err) => (err ? reject(err) : resolve())));
}
