import { MassiveActivations, massiveSettings, type MassiveOptions } from "../massive.js";
import { defineAnalysis } from "./types.js";
import { siteSidePart } from "./sitePart.js";

/**
 * The residual sums entering each norm, where post-LN encoders keep their largest values. In pre-LN
 * families (ModernBERT) the same kinds are the norm inputs: attn_resid.K = mlp_norm_in.K and
 * ffn_resid.L = final_norm_in.L (attn_norm_in.K = hidden_states.K-1 is read anyway), so the norm-input
 * kinds would only repeat them (model/sites.ts).
 */
export const PRE_NORM_SITES = ["attn_resid", "ffn_resid"] as const;

/**
 * Sun et al. 2024's massive activations per layer and site: |a| > absolute and > ratio x median. A side
 * part (side.ts): its per-value work runs in the side worker, beside the encoder.
 */
export const massive = defineAnalysis({
  name: "massive",
  summary: "massive (massive activations per layer and site: top |a|, Sun et al.'s count, token classes, dims)",
  needs: [],
  sites: PRE_NORM_SITES,
  side: {
    settings: (ctx) => massiveSettings(ctx.opts.massive),
    input: () => null,
    part: (settings, _common, env) => siteSidePart("massive", new MassiveActivations(settings as MassiveOptions), env),
  },
});
