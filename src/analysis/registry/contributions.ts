import type { AnisotropyResult } from "../anisotropy.js";
import { cosineContributions } from "../contributions.js";
import { clipper } from "../postprocess.js";
import type { AnisotropyAccumulator } from "./anisotropy.js";
import { defineAnalysis } from "./types.js";

/** Each dimension's share of the cosine of the anisotropy sample's pairs, raw and clipped. */
export const contributions = defineAnalysis({
  name: "contributions",
  summary: "contributions (per-dimension share of the cosine)",
  needs: ["anisotropy", "clip"],
  create: (ctx) => ({
    result: ({ clipDims, results }) =>
      cosineContributions(ctx.peer<AnisotropyAccumulator>("anisotropy")!.sample, [clipper(clipDims)], { pairs: (results.get("anisotropy") as AnisotropyResult).settings.pairs }),
  }),
});
