import { Anisotropy } from "../anisotropy.js";
import { fittedPostprocessors } from "./postprocess.js";
import { defineAnalysis, type Accumulator } from "./types.js";

/** The anisotropy accumulator: a seeded token sample; self-similarity, contributions and the post-processings read it. */
export type AnisotropyAccumulator = Accumulator & { readonly sample: Anisotropy };

/** Mean cosine of random token pairs, raw, clipped and (with postprocess) z-scored, all-but-the-top and whitened. */
export const anisotropy = defineAnalysis({
  name: "anisotropy",
  summary: "anisotropy (raw and clipped)",
  needs: ["clip"],
  reportedWith: ["postprocess", "selfsim"],
  create(ctx): AnisotropyAccumulator {
    const sample = new Anisotropy({ ...ctx.opts.anisotropy, includeSpecial: ctx.includeSpecial, seed: ctx.seed });
    return {
      sample,
      add(lb) {
        sample.add(lb);
        ctx.lap("add.anisotropy");
      },
      async result({ clipDims }) {
        return sample.resultWith(ctx.linalg(), fittedPostprocessors(ctx, clipDims));
      },
      state: () => ({ settings: sample.settings(), body: sample.state() }),
      mergeState: (body) => sample.mergeState(body as ReturnType<Anisotropy["state"]>),
    };
  },
});
