import { OutlierNorms } from "../norms.js";
import { PRE_NORM_SITES } from "./massive.js";
import { defineAnalysis, type Accumulator } from "./types.js";

/** Bondarenko et al. 2021's outlier norms per layer and site: infinity norms, kurtosis, dominant dims. */
export const norms = defineAnalysis({
  name: "norms",
  summary: "norms (infinity norms, kurtosis per token and per dim, dominant dims, per layer and site)",
  needs: [],
  sites: PRE_NORM_SITES,
  create(ctx): Accumulator {
    const tally = new OutlierNorms(ctx.opts.norms);
    return {
      async addEncoded(enc) {
        const reductions = await ctx.reductions(enc);
        ctx.lap("add.reduce");
        tally.add(enc, reductions);
        ctx.lap("add.norms");
      },
      result: () => tally.result(),
      state: () => ({ settings: tally.settings(), body: tally.state() }),
      mergeState: (body) => tally.mergeState(body as ReturnType<OutlierNorms["state"]>),
    };
  },
});
