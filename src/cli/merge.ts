/**
 * `artefacts merge SHARD... --out results.json`: the results of N shard files written by
 * `artefacts analyze --shard K/N`, the same bytes as one `artefacts analyze` (provenance aside). The
 * set is checked before any work (one model, sample, seed and options; each shard once; none
 * truncated or corrupt); the model is reopened (its tensors feed origins, nothing is encoded) from the
 * path the shards recorded, or --model.
 */
import { parseCommand, intOption, type OptionSpec } from "./args.js";
import { checkOutFile } from "./output.js";
import { checkShards, mergeShards, type ShardSource } from "../analysis/shard.js";
import { openShardFile } from "./shardFile.js";
import { corpusRecord, openEncoder, progress, runOptionsOf, sampleOf, writeAtomic, type RunRecord } from "./analyze.js";

const spec: Record<string, OptionSpec> = {
  out: { type: "string", help: "results JSON file (required)" },
  model: { type: "string", help: "the model, if it is no longer where the shards read it (its files must hash the same)" },
  threads: { type: "string", help: "onnxruntime threads of the result-time linear algebra (default: PA_THREADS or all cores)" },
  worker: { type: "string", help: "compute the probe and self-similarity results in a worker thread: auto, on or off; same results either way", default: "auto" },
};

const usage = "artefacts merge SHARD... --out results.json";
const description =
  "Merges the shard files of one `artefacts analyze --shard K/N` run (all N of them, any order) into its\n" +
  "results JSON, the bytes one unsharded run writes (provenance aside). Refuses mixed models, samples,\n" +
  "seeds or options, a duplicate or missing shard, and a truncated or corrupt file, naming the file.";

export const summary = "merge the shard files of `analyze --shard K/N` into one results JSON";

export async function run(argv: string[]): Promise<number> {
  const args = parseCommand(argv, spec, "merge", usage, description);
  if (typeof args === "number") return args;
  const o = args.options;
  let out: string, threads: number | undefined, worker: boolean | "auto";
  try {
    if (o.out === undefined) throw new RangeError("artefacts merge: --out is required (see --help)");
    if (args.positionals.length === 0) throw new RangeError("artefacts merge: no shard files given; pass the N files of analyze --shard K/N");
    out = checkOutFile(o.out as string);
    threads = o.threads === undefined ? undefined : intOption(o.threads, "threads", 1);
    if (!Object.hasOwn({ auto: 1, on: 1, off: 1 }, o.worker as string)) throw new RangeError(`invalid --worker: ${JSON.stringify(o.worker)}; expected auto, on or off`);
    worker = ({ auto: "auto", on: true, off: false } as const)[o.worker as "auto" | "on" | "off"];
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n`);
    return 2;
  }
  const t0 = Date.now();
  let sources: ShardSource[], record: RunRecord;
  try {
    sources = [];
    for (const file of args.positionals) sources.push(await openShardFile(file));
    checkShards(sources.map((x) => ({ name: x.name, shard: x.header })));
    record = sameRecord(sources);
  } catch (err) {
    process.stderr.write(`artefacts merge: ${(err as Error).message}\n`);
    return 1;
  }
  const settings = { ...record, model: (o.model as string | undefined) ?? record.model, threads, worker };
  const sample = sampleOf(settings);
  if (typeof sample === "string") {
    process.stderr.write(`${sample}\n`);
    return 1;
  }
  const encoder = await openEncoder(settings);
  if (!encoder) return 1;
  try {
    const results = await mergeShards(encoder, sample.sentences, { ...runOptionsOf(settings), onProgress: progress("merge", t0) }, sources);
    results.provenance = { ...results.provenance, corpus: corpusRecord(settings, sample.corpus) };
    writeAtomic(out, JSON.stringify(results) + "\n");
    process.stderr.write(`merge: ${sources.length} shards, wrote ${out} (${((Date.now() - t0) / 1000).toFixed(1)} s)\n`);
    return 0;
  } catch (err) {
    process.stderr.write(`artefacts merge: ${(err as Error).message}\n`);
    return 1;
  } finally {
    await encoder.dispose();
  }
}

/** The run record every shard carries (analyze's settings); they must agree but for the model's path. */
function sameRecord(sources: readonly ShardSource[]): RunRecord {
  const first = sources[0].header.meta as RunRecord | undefined;
  if (!first || typeof first !== "object") throw new RangeError(`${sources[0].name}: the shard has no command record (written through the API, not artefacts analyze --shard); merge it with mergeShards()`);
  for (const x of sources.slice(1)) {
    const m = (x.header.meta ?? {}) as Record<string, unknown>;
    const keys = Object.keys(first).filter((k) => k !== "model" && JSON.stringify(m[k]) !== JSON.stringify((first as Record<string, unknown>)[k]));
    if (keys.length) throw new RangeError(`${x.name}: options differ from ${sources[0].name}'s in ${keys.map((k) => `--${k} (${JSON.stringify(m[k])} vs ${JSON.stringify((first as Record<string, unknown>)[k])})`).join(", ")}; merge shards run with the same options`);
  }
  return first;
}
