import { outlierOrigins } from "../origins.js";
import { defineAnalysis } from "./types.js";

/** Where the outlier dims come from: a function of the checkpoint's static tensors and the outlier result. */
export const origins = defineAnalysis({
  name: "origins",
  summary: "origins (position rows, LayerNorm ranks)",
  needs: [],
  create: (ctx) => ({
    result: ({ outliers }) => outlierOrigins(ctx.encoder.staticTensors(), outliers.dimensions.map(({ dim, kind }) => ({ dim, kind })), ctx.opts.origins),
  }),
});
