import { LayerCovariance, isotropyResultWith, isotropyStride, ISOTROPY_SENTENCES } from "../isotropy.js";
import type { AnisotropyResult } from "../anisotropy.js";
import type { LayerMoments } from "../postprocess.js";
import { fittedPostprocessors } from "./postprocess.js";
import { defineAnalysis, type Accumulator } from "./types.js";

/**
 * IsoScore, IsoScore*, effective rank and top-1 / top-5 variance shares per layer, raw and for every
 * post-processing (from one streamed covariance per layer), beside anisotropy's average cosine.
 */
export const isotropy = defineAnalysis({
  name: "isotropy",
  summary: "isotropy (IsoScore, IsoScore*, effective rank, top-1/top-5 variance shares; raw, clipped, post-processed)",
  needs: ["anisotropy", "postprocess", "clip", "fitBatches"],
  create(ctx) {
    const { zeta = 0.2, block = 1024, sentences = ISOTROPY_SENTENCES } = ctx.opts.isotropy ?? {};
    // from the whole sample's size (ctx.sentences is the whole sample in a shard too): every run picks the same sentences
    const stride = isotropyStride(ctx.sentences.length, sentences);
    const cov = new LayerCovariance(() => ctx.linalg(), { includeSpecial: ctx.includeSpecial, block, stride });
    const acc: Accumulator = {
      add(lb) {
        cov.add(lb);
        ctx.lap("add.isotropy");
      },
      async idle() {
        await cov.drain();
        ctx.lap("add.isotropy");
      },
      async result({ clipDims, results }) {
        const moments: LayerMoments = await cov.settle();
        const post = fittedPostprocessors(ctx, clipDims);
        return isotropyResultWith(ctx.linalg(), moments, post, { zeta, block, sentences, stride, includeSpecial: ctx.includeSpecial, anisotropy: (results.get("anisotropy") as AnisotropyResult | undefined) ?? null });
      },
      async settle() {
        await cov.settle();
      },
      state: () => ({ settings: cov.settings(), body: cov.state() }),
      mergeState: (body) => cov.mergeState(body as ReturnType<LayerCovariance["state"]>),
    };
    return acc;
  },
});
