import { PositionProfile } from "../positions.js";
import { defineAnalysis, type Accumulator } from "./types.js";

/** Mean value by position of every dim; fed by the outlier scan's fused pass (registry/outliers.ts). */
export const positions = defineAnalysis({
  name: "positions",
  summary: "positions (value by position)",
  needs: ["outliers"],
  create(ctx) {
    const profile = new PositionProfile({ includeSpecial: ctx.includeSpecial, maxPositions: Number.isFinite(ctx.encoder.maxLength) ? ctx.encoder.maxLength : undefined });
    const acc: Accumulator & { profile: PositionProfile } = {
      profile,
      result: ({ dims }) => profile.result(dims),
      state: () => ({ settings: profile.settings(), body: profile.state() }),
      mergeState: (body) => profile.mergeState(body as ReturnType<PositionProfile["state"]>),
    };
    return acc;
  },
});
