import type { MassiveResult } from "../massive.js";
import { headSites } from "../siteViews.js";
import { AttentionSinks } from "../sinks.js";
import { defineAnalysis, type Accumulator } from "./types.js";

/** Gu et al. 2025's attention sinks per layer and head; opt-in (the attn_probs outputs are large), and reads massive's result. */
export const sinks = defineAnalysis({
  name: "sinks",
  summary: "sinks (opt-in: attention mass on [CLS], [SEP], punctuation, first token per head; Gu et al.'s sink rate; reads the attn_probs site)",
  needs: ["massive"],
  sites: ["attn_probs"],
  optIn: true,
  create(ctx): Accumulator {
    const tally = new AttentionSinks(ctx.opts.sinks);
    return {
      addEncoded(enc) {
        // fail on the first batch, not after the whole pass
        if (!tally.seen && headSites(enc).length === 0) {
          throw new Error("sinks: the encoded batches carry no attn_probs site; open the Encoder with sites: [\"attn_probs\"] (`artefacts analyze --only sinks` asks for it), from a Hugging Face checkpoint folder");
        }
        tally.add(enc);
        ctx.lap("add.sinks");
      },
      result: ({ results }) => tally.result((results.get("massive") as MassiveResult | undefined) ?? null),
      state: () => ({ settings: tally.settings(), body: tally.state() }),
      mergeState: (body) => tally.mergeState(body as ReturnType<AttentionSinks["state"]>),
    };
  },
});
