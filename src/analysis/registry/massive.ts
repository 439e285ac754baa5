import { MassiveActivations } from "../massive.js";
import { defineAnalysis, type Accumulator } from "./types.js";

/** The massive-activation accumulator: sinks reads its result (which token class carries them). */
export type MassiveAccumulator = Accumulator & { readonly tally: MassiveActivations };

/** The pre-LN sites where post-LN encoders keep their largest values (residual sums), and pre-LN families' norm inputs. */
export const PRE_NORM_SITES = ["attn_resid", "ffn_resid", "attn_norm_in", "mlp_norm_in", "final_norm_in"] as const;

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
      addEncoded(enc) {
        tally.add(enc);
        ctx.lap("add.massive");
      },
      result: () => tally.result(),
      state: () => ({ settings: tally.settings(), body: tally.state() }),
      mergeState: (body) => tally.mergeState(body as ReturnType<MassiveActivations["state"]>),
    };
  },
});
