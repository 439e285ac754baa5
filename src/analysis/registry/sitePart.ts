import type { SiteBatch } from "../../model/types.js";
import type { BatchReductions } from "../siteReductions.js";
import type { SideEnv, SidePart } from "./types.js";

/** A site tally (massive.ts, norms.ts): fed padded batches with their site reductions, merged by state. */
export interface SiteTally<S, R> {
  add(enc: SiteBatch, reductions: BatchReductions): unknown;
  settings(): unknown;
  state(): S;
  mergeState(body: S): unknown;
  result(): R;
}

/**
 * A side part (side.ts) around a site tally: it reads only padded batches (addEncoded) with the side's
 * shared per-batch reductions, no layer batches, no fit (the clipped dims do not change it).
 */
export function siteSidePart<S, R>(name: string, tally: SiteTally<S, R>, env: SideEnv): SidePart {
  return {
    needsWords: false,
    keepsFitBatches: false,
    add() {},
    async addEncoded(enc, lap) {
      const reductions = await env.reductions(enc);
      lap("add.reduce");
      tally.add(enc, reductions);
      lap(`add.${name}`);
    },
    fit() {},
    async result(_linalg, _input, lap) {
      const value = tally.result();
      lap(`result.${name}`);
      return value;
    },
    state: () => ({ settings: tally.settings(), body: tally.state() }),
    mergeState: (body) => tally.mergeState(body as S),
  };
}
