import { allButTheTop, clipper, LayerMoments, whitener, zscorer, type Postprocessor } from "../postprocess.js";
import { defineAnalysis, type Accumulator, type RunContext } from "./types.js";

/** Fitted post-processings per run (the whitening and all-but-the-top fits are costly): anisotropy and isotropy share them. */
const fittedByRun = new WeakMap<RunContext, { key: string; post: Postprocessor[] }>();

/**
 * The run's post-processings: clipping `clipDims`, then, when postprocess runs, z-scoring,
 * all-but-the-top and whitening fitted on the fit sample's moments; fitted once per run.
 */
export function fittedPostprocessors(ctx: RunContext, clipDims: readonly number[]): Postprocessor[] {
  const key = JSON.stringify(clipDims), known = fittedByRun.get(ctx);
  if (known && known.key === key) return known.post;
  const post: Postprocessor[] = [clipper(clipDims)];
  const moments = ctx.peer<Accumulator & { moments: LayerMoments }>("postprocess")?.moments;
  if (moments) {
    post.push(zscorer(moments), allButTheTop(moments, ctx.opts.allButTheTop), whitener(moments, ctx.opts.whitening));
    ctx.lap("result.postprocessFit");
  }
  fittedByRun.set(ctx, { key, post });
  return post;
}

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
