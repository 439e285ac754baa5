import { LayerMoments } from "../postprocess.js";
import { defineAnalysis, type Accumulator } from "./types.js";

/**
 * The z-score, all-but-the-top and whitening anisotropy variants: per-layer moments fitted on the fit
 * sample's tokens (all at once, in an order that does not depend on batching); anisotropy's result
 * applies them. No result key of its own.
 */
export const postprocess = defineAnalysis({
  name: "postprocess",
  summary: "postprocess (z-score, all-but-the-top, whitening anisotropy)",
  needs: ["anisotropy", "clip", "fitBatches"],
  create(ctx) {
    const moments = new LayerMoments({ includeSpecial: ctx.includeSpecial });
    const acc: Accumulator & { moments: LayerMoments } = {
      moments,
      async fit(batches) {
        await moments.addWith(ctx.linalg(), batches);
        ctx.lap("add.moments");
      },
      result: () => undefined,
      state: () => ({ settings: moments.settings(), body: moments.state() }),
      mergeState: (body) => moments.mergeState(body as ReturnType<LayerMoments["state"]>),
    };
    return acc;
  },
});
