import { stageLayer, unstageLayer } from "../kernels/index.js";
import { OutlierCounter } from "../outliers.js";
import type { PositionProfile } from "../positions.js";
import { defineAnalysis, type Accumulator } from "./types.js";

/** The outlier scan: always runs (the clip, the probe and the position profile read its dims). */
export const outliers = defineAnalysis({
  name: "outliers",
  summary: "outliers (argmin/argmax shares, mean vectors)",
  needs: [],
  create(ctx) {
    const counter = new OutlierCounter({ ...ctx.opts.outliers, includeSpecial: ctx.includeSpecial });
    const acc: Accumulator & { counter: OutlierCounter } = {
      counter,
      add(lb) {
        // the scan (and the position profile, fused with it in one read of each row) reads the layer from the kernels' memory
        const positions = ctx.peer<Accumulator & { profile: PositionProfile }>("positions");
        stageLayer(lb.data, lb.dim);
        try {
          if (positions) counter.addWith(positions.profile, lb);
          else counter.add(lb);
        } finally {
          unstageLayer();
        }
        ctx.lap("add.outliers");
      },
      result: () => counter.result(),
      state: () => ({ settings: counter.settings(), body: counter.state() }),
      mergeState: (body) => counter.mergeState(body as ReturnType<OutlierCounter["state"]>),
    };
    return acc;
  },
});
