import { MassiveActivations } from "../massive.js";
import { defineAnalysis, type Accumulator } from "./types.js";

/** The massive-activation accumulator: sinks reads its result (which token class carries them). */
export type MassiveAccumulator = Accumulator & { readonly tally: MassiveActivations };

/**
 * The residual sums entering each norm, where post-LN encoders keep their largest values. In pre-LN
 * families (ModernBERT) the same kinds are the norm inputs: attn_resid.K = mlp_norm_in.K and
 * ffn_resid.L = final_norm_in.L (attn_norm_in.K = hidden_states.K-1 is read anyway), so the norm-input
 * kinds would only repeat them (model/sites.ts).
 */
export const PRE_NORM_SITES = ["attn_resid", "ffn_resid"] as const;

/** Sun et al. 2024's massive activations per layer and site: |a| > absolute and > ratio x median. */
export const massive = defineAnalysis({
  name: "massive",
  summary: "massive (massive activations per layer and site: top |a|, Sun et al.'s count, token classes, dims)",
  needs: [],
  sites: PRE_NORM_SITES,
  create(ctx): MassiveAccumulator {
    const tally = new MassiveActivations(ctx.opts.massive);
    return {
      tally,
      async addEncoded(enc) {
        const reductions = await ctx.reductions(enc);
        ctx.lap("add.reduce");
        tally.add(enc, reductions);
        ctx.lap("add.massive");
      },
      result: () => tally.result(),
      state: () => ({ settings: tally.settings(), body: tally.state() }),
      mergeState: (body) => tally.mergeState(body as ReturnType<MassiveActivations["state"]>),
    };
  },
});
