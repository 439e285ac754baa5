/**
 * Accumulator state on disk or over the wire: a versioned JSON envelope naming the analysis, the
 * model (its identity and file hashes) and the settings the accumulator was made with; typed arrays
 * inside are held as they are in memory and travel as base64 (`{ dtype, base64 }`) in JSON
 * (numerics/arrays.ts). Reading checks all four and refuses a mismatch
 * with the field, both values and the fix: a state only merges into an accumulator of the same
 * analysis, model, settings and format version.
 */
export { encodeArray, decodeArray, type EncodedArray } from "../numerics/arrays.js";

/** Bumped whenever any accumulator's state body changes shape. */
export const STATE_VERSION = 1;
export const STATE_FORMAT = "positional-artefacts/analysis-state";

/** Who produced the hidden states: the model's identity and its files' hashes. */
export interface ModelIdentity {
  model: string;
  files: { name: string; sha256: string }[];
}

export interface StateEnvelope {
  format: typeof STATE_FORMAT;
  version: number;
  analysis: string;
  model: ModelIdentity;
  /** The accumulator's settings (what must match for a merge). */
  settings: unknown;
  body: unknown;
}

/** The identity of the model that encoded the hidden states (from Encoder.provenance()). */
export function stateIdentity(provenance: Record<string, unknown>): ModelIdentity {
  const files = (provenance.files as { name: string; sha256: string }[] | undefined) ?? [];
  return { model: String(provenance.model), files: files.map(({ name, sha256 }) => ({ name, sha256 })) };
}

export function wrapState(analysis: string, model: ModelIdentity, settings: unknown, body: unknown): StateEnvelope {
  return { format: STATE_FORMAT, version: STATE_VERSION, analysis, model, settings, body };
}

/**
 * The body of an envelope (an object or its JSON text), after checking it is a state of this format
 * version, of `analysis`, of `model` and made with `settings`.
 */
export function unwrapState(state: StateEnvelope | string, analysis: string, model: ModelIdentity, settings: unknown): unknown {
  const e = (typeof state === "string" ? JSON.parse(state) : state) as Partial<StateEnvelope>;
  if (!e || e.format !== STATE_FORMAT) throw new TypeError(`state: format ${JSON.stringify(e?.format)} is not ${STATE_FORMAT}; pass a state written by onStates / writeState`);
  if (e.version !== STATE_VERSION) {
    throw new RangeError(`state: version ${JSON.stringify(e.version)}, this toolkit reads version ${STATE_VERSION}; rerun the analysis with this version (states do not convert)`);
  }
  if (e.analysis !== analysis) throw new RangeError(`state: analysis ${JSON.stringify(e.analysis)}, expected ${JSON.stringify(analysis)}; merge states of the same analysis`);
  const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
  if (!same(e.model, model)) {
    throw new RangeError(`state (${analysis}): model ${JSON.stringify(e.model?.model)} with files ${JSON.stringify(e.model?.files)} is not this run's ${JSON.stringify(model.model)} with ${JSON.stringify(model.files)}; merge states of the same checkpoint`);
  }
  if (!same(e.settings, settings)) {
    throw new RangeError(`state (${analysis}): settings ${JSON.stringify(e.settings)} differ from this accumulator's ${JSON.stringify(settings)}; merge states made with the same options and seed`);
  }
  return e.body;
}
