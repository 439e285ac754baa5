/**
 * The run's per-batch reductions of every token site (model/reductions.ts): per row |a| max, argmax,
 * mean, m2, m4 and per dim max |a| and float64 central moments, which massive and norms read instead of
 * looping over every value themselves. One reducer per pass, started on first use (a run without
 * site analyses starts none), and one reduction per batch however many analyses ask (a memo keyed by
 * the batch object: weak, so it keeps no batch alive).
 */
import { createOrtReducer, jsReducer, type Reducer, type SiteReductions } from "../model/reductions.js";
import type { EncodedBatch } from "../model/types.js";
import { tokenSites } from "./siteViews.js";

/** One batch's reductions: every token site's, in tokenSites(batch) order, and the backend that made them. */
export interface BatchReductions {
  /** Which reducer made them (the results record it as settings.reducer). */
  backend: Reducer["backend"];
  sites: SiteReductions[];
}

/** The reductions of every token site of `enc`, in tokenSites(enc) order, real tokens by the attention mask. */
export async function reduceSites(reducer: Reducer, enc: EncodedBatch): Promise<BatchReductions> {
  return { backend: reducer.backend, sites: await reducer.reduce(tokenSites(enc).map((v) => ({ data: v.data, width: v.width })), enc.attentionMask) };
}

/** A pass' reducer: `backend` "onnxruntime" (a small ORT session, `threads` intra-op threads) or "js" (plain TypeScript). */
export class SiteReducer {
  #reducer: Promise<Reducer> | null = null;
  readonly #memo = new WeakMap<EncodedBatch, Promise<BatchReductions>>();

  constructor(readonly backend: "onnxruntime" | "js", private readonly threads?: number) {}

  /** The batch's reductions, computed on the first call for it. */
  reductions(enc: EncodedBatch): Promise<BatchReductions> {
    let p = this.#memo.get(enc);
    if (!p) {
      this.#reducer ??= this.backend === "js" ? Promise.resolve(jsReducer) : createOrtReducer({ threads: this.threads });
      this.#memo.set(enc, (p = this.#reducer.then((r) => reduceSites(r, enc))));
    }
    return p;
  }

  /** Frees the reducer's sessions (if it was started; a failed start has nothing to free). */
  async release(): Promise<void> {
    const r = this.#reducer;
    this.#reducer = null;
    if (r) await r.then((x) => x.release(), () => {});
  }
}
