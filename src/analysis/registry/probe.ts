import { PositionProbe } from "../probe.js";
import { defineAnalysis, type SidePart } from "./types.js";
import type { ProbeOptions } from "../probe.js";

/** The position probe (and neuron contributions): a side part, trained at result time on the outlier dims. */
export const probe = defineAnalysis({
  name: "probe",
  summary: "probe (position probe and neuron contributions)",
  needs: ["outliers"],
  side: {
    settings: (ctx) => ({ ...ctx.opts.probe }),
    input: ({ dims }) => ({ dims: [...dims] }),
    part(settings, { seed, includeSpecial }): SidePart {
      const p = new PositionProbe({ ...(settings as Omit<ProbeOptions, "includeSpecial" | "seed">), includeSpecial, seed });
      return {
        needsWords: false,
        keepsFitBatches: false,
        add(_stage, batches, _words, lap) {
          for (const lb of batches) p.add(lb);
          lap("add.probe");
        },
        fit() {},
        async result(linalg, input, lap) {
          const r = await p.resultWith(await linalg(), (input as { dims: number[] }).dims);
          lap("result.probe");
          return r;
        },
        state: () => ({ settings: p.settings(), body: p.state() }),
        mergeState: (body) => p.mergeState(body as ReturnType<PositionProbe["state"]>),
      };
    },
  },
});
