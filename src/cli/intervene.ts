/**
 * `artefacts intervene`: ablate dims at a site in some layers and score the damage against random dims
 * (src/analysis/intervene.ts): the masked-LM loss (--score mlm, pppl) for models with a head, STS or the
 * word-in-context measure (--score sts, wic) for any encoder. Writes one JSON (stdout or --out, atomic);
 * the one-line statement and progress go to stderr.
 */
import * as fs from "node:fs";
import { parseCommand, intOption, type OptionSpec } from "./args.js";
import { checkOutFile, tempName } from "./output.js";
import { ABLATIONS, type Ablation } from "../analysis/intervene.js";
import { INTERVENTION_SITES, type InterventionSite } from "../model/editTargets.js";

const SCORES = ["mlm", "pppl", "sts", "wic", "probe"] as const;

const spec: Record<string, OptionSpec> = {
  model: { type: "string", help: "a Hugging Face folder (with its masked-LM head for mlm/pppl) or a hub id (required)" },
  dims: { type: "list", help: "dims to ablate, comma-separated (required)" },
  layers: { type: "string", help: "layers 0..L, comma-separated, or all", default: "all" },
  site: { type: "string", help: `where: ${INTERVENTION_SITES.join(", ")}`, default: "hidden_states" },
  ablation: { type: "string", help: "zero, mean (the clean model's mean over a fit sample) or value (--value)", default: "zero" },
  value: { type: "string", help: "the value of --ablation value" },
  score: { type: "string", help: "mlm (masked-token loss), pppl (pseudo-log-likelihood loss), sts (--sts FILE), wic (WordNet stand-in) or probe (position probe)", default: "mlm" },
  sts: { type: "string", help: "STS-B file (sts-test.csv / .tsv) for --score sts" },
  layer: { type: "string", help: "the layer scored by sts and wic (default: the last)" },
  sample: { type: "string", help: "sentences scored by mlm/pppl (and the probe's sample)", default: "200" },
  "fit-sample": { type: "string", help: "sentences for the mean-ablation fit", default: "100" },
  repeats: { type: "string", help: "random-dims draws", default: "10" },
  seed: { type: "string", help: "seeds sentences, masks and random dims", default: "0" },
  corpus: { type: "string", help: "corpus for the sentence sample when the model lists no held-out documents", default: "default" },
  threads: { type: "string", help: "onnxruntime threads (default: PA_THREADS or all cores)" },
  out: { type: "string", help: "write the JSON here (atomically) instead of stdout" },
};
const usage = "artefacts intervene --model SRC --dims LIST [--layers LIST|all] [--site NAME] [--ablation zero|mean|value] [--value V] " +
  "[--score mlm|pppl|sts|wic|probe] [--sts FILE] [--sample N] [--repeats R] [--seed S] [--out FILE]";
const description =
  "Ablates dims D at a site in layers L (zero, mean or a value) and scores the model with and without them,\n" +
  "and with R draws of as many random dims: \"ablating dims D ... raises the MLM loss from a to b; random dims:\n" +
  "c ± e\". mlm/pppl need the model's masked-LM head; a model without one (a sentence encoder) takes sts or wic.\n" +
  "Held-out documents are used when the model folder's corpus.json lists them (the project's trained pair).";

export const summary = "ablate dims at a site and layers; score the MLM loss or STS against random dims";

export async function run(argv: string[]): Promise<number> {
  const args = parseCommand(argv, spec, "intervene", usage, description);
  if (typeof args === "number") return args;
  let s: ReturnType<typeof readSettings>;
  try {
    s = readSettings(args.options);
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n`);
    return 2;
  }
  const onProgress = (m: string) => process.stderr.write(`artefacts intervene: ${m}\n`);
  try {
    const api = require("../analysis/interveneMlm.js") as typeof import("../analysis/interveneMlm.js");
    const down = require("../analysis/interveneDownstream.js") as typeof import("../analysis/interveneDownstream.js");
    const common = { dims: s.dims, layers: s.layers, site: s.site, ablation: s.ablation, value: s.value, repeats: s.repeats, seed: s.seed, threads: s.threads, onProgress };
    let result: { statement: string };
    if (s.score === "mlm" || s.score === "pppl") {
      result = await api.interveneMlm(s.model, { ...common, score: s.score, sample: s.sample, fitSample: s.fitSample, corpus: s.corpus });
    } else {
      const { loadStsB } = require("../data/formats/sts.js") as typeof import("../data/formats/sts.js");
      result = await down.interveneDownstream(s.model, { ...common, score: s.score, sts: s.sts ? loadStsB(s.sts) : undefined, layer: s.layer, fitSample: s.fitSample, corpus: s.corpus, sample: s.score === "probe" ? s.sample : undefined });
    }
    const text = JSON.stringify({ ...result, provenance: { command: ["artefacts", "intervene", ...argv].join(" "), version: require("../../../package.json").version } }, null, 1) + "\n";
    process.stderr.write(`artefacts intervene: ${result.statement}\n`);
    if (s.out) {
      const tmp = tempName(s.out);
      try {
        fs.writeFileSync(tmp, text);
        fs.renameSync(tmp, s.out);
      } catch (err) {
        fs.rmSync(tmp, { force: true });
        throw err;
      }
    } else process.stdout.write(text);
    return 0;
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n`);
    return err instanceof RangeError || err instanceof TypeError ? 2 : 1;
  }
}

/** Checks the options; throws RangeError naming the option and what is valid. */
function readSettings(o: Record<string, unknown>) {
  if (o.model === undefined) throw new RangeError("artefacts intervene: --model is required (see --help)");
  const dimList = o.dims as string[] | undefined;
  if (!dimList?.length) throw new RangeError("artefacts intervene: --dims is required, e.g. --dims 308,381");
  const dims = dimList.map((d) => intOption(d, "dims", 0));
  const layers = o.layers === "all" ? "all" as const : String(o.layers).split(",").map((l) => intOption(l, "layers", 0));
  const site = o.site as InterventionSite;
  if (!INTERVENTION_SITES.includes(site)) throw new RangeError(`invalid --site: ${JSON.stringify(site)}; expected one of ${INTERVENTION_SITES.join(", ")}`);
  const ablation = o.ablation as Ablation;
  if (!ABLATIONS.includes(ablation)) throw new RangeError(`invalid --ablation: ${JSON.stringify(ablation)}; expected one of ${ABLATIONS.join(", ")}`);
  const value = o.value === undefined ? undefined : Number(o.value);
  if (ablation === "value" && !Number.isFinite(value)) throw new RangeError(`invalid --value: ${JSON.stringify(o.value)}; --ablation value needs a finite --value`);
  if (ablation !== "value" && o.value !== undefined) throw new RangeError("artefacts intervene: --value goes with --ablation value");
  const score = o.score as (typeof SCORES)[number];
  if (!SCORES.includes(score)) throw new RangeError(`invalid --score: ${JSON.stringify(score)}; expected one of mlm, pppl, sts, wic, probe`);
  if (score === "sts" && o.sts === undefined) throw new RangeError("artefacts intervene: --score sts needs --sts FILE (an STS-B file; the data cannot be bundled)");
  return {
    model: o.model as string, dims, layers, site, ablation, value, score,
    sts: o.sts as string | undefined,
    layer: o.layer === undefined ? undefined : intOption(o.layer, "layer", 0),
    sample: intOption(o.sample, "sample", 1),
    fitSample: intOption(o["fit-sample"], "fit-sample", 1),
    repeats: intOption(o.repeats, "repeats", 1),
    seed: intOption(o.seed, "seed", 0),
    corpus: o.corpus as string,
    threads: o.threads === undefined ? undefined : intOption(o.threads, "threads", 1),
    out: o.out === undefined ? undefined : checkOutFile(o.out as string, "--out", "intervention.json"),
  };
}
