import { OutlierNorms, normsSettings, type NormsOptions } from "../norms.js";
import { PRE_NORM_SITES } from "./massive.js";
import { defineAnalysis } from "./types.js";
import { siteSidePart } from "./sitePart.js";

/**
 * Bondarenko et al. 2021's outlier norms per layer and site: infinity norms, kurtosis, dominant dims. A
 * side part (side.ts): its per-value work runs in the side worker, beside the encoder.
 */
export const norms = defineAnalysis({
  name: "norms",
  summary: "norms (infinity norms, kurtosis per token and per dim, dominant dims, per layer and site)",
  needs: [],
  sites: PRE_NORM_SITES,
  side: {
    settings: (ctx) => normsSettings(ctx.opts.norms),
    input: () => null,
    part: (settings, _common, env) => siteSidePart("norms", new OutlierNorms(settings as NormsOptions), env),
  },
});
