import { Worker, isMainThread, parentPort, workerData } from "node:worker_threads";
import { performance } from "node:perf_hooks";
import type { EncodedBatch, SiteBatch } from "../model/types.js";
import { createOrtLinalg } from "../model/linalg.js";
import { wordTable, type LayerBatch } from "./batch.js";
import { ArraySlotReader, ArraySlots, SlotPool, SlotReader, type ArraySlotBatch, type SlotArray, type SlotBatch } from "./sideSlots.js";
import { tokenSites } from "./siteViews.js";
import { jsLinalg, type Linalg } from "../numerics/linalg.js";
import { descriptor } from "./registry/index.js";
import type { AccumulatorState, Lap, SideCommon, SideEnv, SidePart } from "./registry/types.js";
import { SiteReducer } from "./siteReductions.js";
import { unwrapState, type ModelIdentity, type StateEnvelope } from "./state.js";

/**
 * The side: the analyses whose descriptor has a `side` property (registry/types.ts), run beside the
 * others. They read nothing but the layer batches (and the batch's words) or the padded batch with its
 * sites (massive, norms: the per-value work of every token site), and their results need only plain
 * JSON from the calling thread (the outlier dims, the anisotropy numbers), so a worker thread can run
 * them while the calling thread runs the rest on the same batches and the encoder runs the next batch.
 * Measured on 2 cores (all-MiniLM-L6-v2, 20,000 sentences, residual sites): the worker's CPU slows the
 * encoder's threads almost second for second, so massive and norms in the worker took 134.9 s against
 * 137.9 s in the calling thread; the worker pays off where a core is idle. The worker reads each batch's layers, and the padded
 * batch's sites when a part reads them, from shared memory the calling thread copied them into
 * (sideSlots.ts). Either way each accumulator sees the same batches in the same order: the same bits
 * (tested); only the wall time differs.
 */
export interface SideSettings extends SideCommon {
  /** The side analyses, by registry name, with their descriptors' settings (plain JSON). */
  parts: { name: string; settings: unknown }[];
  /** The site reductions' backend (siteReductions.ts): onnxruntime, or plain TypeScript when linalg is "js". */
  reducer: "onnxruntime" | "js";
}

/** A SideEnv without reductions: for sets that only merge states (blockState.ts MergedSet, artefacts merge). */
const NO_BATCHES: SideEnv = {
  reductions: () => Promise.reject(new TypeError("side: these accumulators only merge states; feed batches through a side made with a reducer")),
};

/** One batch's words as the side needs them: wordTable's inputs, sentence indices already offset. */
export type BatchWords = Pick<EncodedBatch, "batch" | "length" | "tokens" | "wordIds" | "sentenceIndex">;

/** The side accumulators themselves: what runs in the worker, or in the calling thread. */
export class SideAccumulators {
  readonly #parts = new Map<string, SidePart>();

  /** `env`: the shared per-batch site reductions (one reducer per side, not per block's accumulators). */
  constructor(s: SideSettings, env: SideEnv = NO_BATCHES) {
    const { dim, seed, includeSpecial } = s;
    for (const { name, settings } of s.parts) {
      const side = descriptor(name).side;
      if (!side) throw new TypeError(`side: analysis ${JSON.stringify(name)} has no side part; its descriptor runs in the calling thread`);
      this.#parts.set(name, side.part(settings, { dim, seed, includeSpecial }, env));
    }
  }

  /** True when the fit stage's batches must stay valid until fit() (a part replays them). */
  get keepsFitBatches(): boolean {
    return [...this.#parts.values()].some((p) => p.keepsFitBatches);
  }

  /** Whether any part reads the batch's words (the worker is then sent its tokens). */
  get needsWords(): boolean {
    return [...this.#parts.values()].some((p) => p.needsWords);
  }

  /** Whether any part reads layer batches (toLayerBatches' split is skipped otherwise). */
  get readsLayers(): boolean {
    return [...this.#parts.values()].some((p) => !p.addEncoded);
  }

  /** Whether any part reads the padded batch with its sites (the worker is then sent its site buffers and tokens). */
  get readsSites(): boolean {
    return [...this.#parts.values()].some((p) => p.addEncoded);
  }

  /**
   * Feeds one batch to every part in registry order: its layers (`words`: the batch's tokens, for the
   * parts that need them), or to the parts that read sites (addEncoded) the padded batch itself.
   */
  async add(stage: "fit" | "encode", batches: readonly LayerBatch[], words: BatchWords | null, padded: SiteBatch | null, lap: Lap): Promise<void> {
    let table: Map<number, string[]> | null = null;
    if (this.needsWords) {
      if (!words) throw new TypeError("side.add: a side part needs the batch's words");
      table = wordTable(words);
    }
    for (const p of this.#parts.values()) {
      if (!p.addEncoded) p.add(stage, batches, p.needsWords ? table : null, lap);
      else if (!padded) throw new TypeError("side.add: a side part reads the padded batch with its sites; pass it");
      else await p.addEncoded(padded, lap);
    }
  }

  /** The end of the fit stage: the clipped dims are known (the fit sample's persistent outliers). */
  fit(dims: readonly number[], lap: Lap): this {
    for (const p of this.#parts.values()) p.fit(dims, lap);
    return this;
  }

  /** Every part's state (state.ts), in registry order. */
  states(): { name: string; state: AccumulatorState }[] {
    return [...this.#parts].map(([name, p]) => ({ name, state: p.state() }));
  }

  /** Whether `name` is one of its parts (not yet taken). */
  has(name: string): boolean {
    return this.#parts.has(name);
  }

  /** The state of part `name`, which is let go (a block tree node is consumed once, blockState.ts). */
  take(name: string): AccumulatorState {
    const p = this.#part(name);
    this.#parts.delete(name);
    return p.state();
  }

  /** Merges a state body into part `name` (its settings already checked: unwrapState). */
  mergeState(name: string, body: unknown): this {
    this.#part(name).mergeState(body);
    return this;
  }

  #part(name: string): SidePart {
    const p = this.#parts.get(name);
    if (!p) throw new RangeError(`side: ${JSON.stringify(name)} is not one of this run's side analyses (${[...this.#parts.keys()].join(", ")})`);
    return p;
  }

  /**
   * Merges envelopes of this side's parts (after fit: a fresh part's settings are what they must
   * match; unwrapState checks model, version and settings). Envelopes of other analyses are refused.
   */
  mergeStates(model: ModelIdentity, envelopes: readonly StateEnvelope[]): this {
    const settings = new Map(this.states().map(({ name, state }) => [name, state.settings]));
    for (const e of envelopes) {
      const p = this.#parts.get(e.analysis);
      if (!p) throw new RangeError(`side: state of ${JSON.stringify(e.analysis)} is not one of this run's side analyses (${[...this.#parts.keys()].join(", ")})`);
      p.mergeState(unwrapState(e, e.analysis, model, settings.get(e.analysis)));
    }
    return this;
  }

  result(name: string, linalg: () => Promise<Linalg>, input: unknown, lap: Lap): Promise<unknown> {
    const p = this.#parts.get(name);
    if (!p) return Promise.reject(new TypeError(`side.result: ${JSON.stringify(name)} is not a side part of this run`));
    return p.result(linalg, input, lap);
  }
}

/** The side's interface to runAnalyses: the accumulators in this thread, or a worker running them. */
export interface Side {
  /**
   * True when the caller's fit-stage layer batches must stay valid until fit() (a part replays
   * them); false for the worker, which copies and keeps its own.
   */
  readonly keepsFitBatches: boolean;
  /**
   * Feeds one batch: `encoded` (its words) with `batches`, its layers as toLayerBatches gave them. In
   * this thread the batches are added before this returns. For the worker they are copied before
   * this returns (the caller may reuse them at once; `encoded` is left as it was) and the promise
   * settles when the worker is done with the batch.
   */
  add(stage: "fit" | "encode", encoded: EncodedBatch, batches: readonly LayerBatch[]): Promise<void>;
  fit(dims: readonly number[]): Promise<void>;
  /** The result of the side analysis `name`, from its descriptor's `input`. */
  result(name: string, input: unknown): Promise<unknown>;
  /** Every side part's state (after the pass). */
  states(): Promise<{ name: string; state: AccumulatorState }[]>;
  /**
   * The end of a block (blocks.ts): the parts themselves (in this thread: their states are taken when
   * the block merges) or every part's state (from the worker), then fresh parts in their place, told
   * the clipped dims (fit) before they see the next block's batches.
   */
  cut(dims: readonly number[]): Promise<SideAccumulators | { name: string; state: AccumulatorState }[]>;
  /** Fresh parts, told the clipped dims, with these envelopes merged in (the pass' root, for the results). */
  load(dims: readonly number[], model: ModelIdentity, envelopes: readonly StateEnvelope[]): Promise<void>;
  close(): Promise<void>;
}

/** The side in the calling thread: direct calls, timed into `lap` under the usual keys; `linalg` trains the probe. */
export function localSide(s: SideSettings, linalg: () => Linalg, lap: Lap, threads?: number): Side {
  const reducer = new SiteReducer(s.reducer, threads), env: SideEnv = { reductions: (enc) => reducer.reductions(enc) };
  let acc = new SideAccumulators(s, env);
  const fresh = (dims: readonly number[]) => {
    acc = new SideAccumulators(s, env);
    acc.fit(dims, () => {});
  };
  return {
    get keepsFitBatches() {
      return acc.keepsFitBatches;
    },
    async cut(dims) {
      const done = acc;
      fresh(dims);
      return done;
    },
    async load(dims, model, envelopes) {
      fresh(dims);
      acc.mergeStates(model, envelopes);
    },
    async add(stage, encoded, batches) {
      await acc.add(stage, batches, encoded, encoded, lap);
    },
    async fit(dims) {
      acc.fit(dims, lap);
    },
    result: (name, input) => acc.result(name, async () => linalg(), input, lap),
    states: async () => acc.states(),
    close: () => reducer.release(),
  };
}

/** What the worker is told at start (workerData). */
interface WorkerStart {
  positionalArtefactsSide: { settings: SideSettings; linalg: "onnxruntime" | "js"; threads?: number };
}

/**
 * A padded batch for the side parts that read sites: its small fields by message, its arrays (the
 * layers, every token site, the masks and word ids) in an ArraySlots slot.
 */
interface PaddedBatch {
  batch: number;
  length: number;
  hidden: number;
  sentenceIndex: number[];
  tokens: string[][];
  layers: number;
  sites: string[];
  arrays: ArraySlotBatch;
}

type Request =
  | { id: number; op: "add"; stage: "fit" | "encode"; batch: SlotBatch; words: BatchWords | null; padded: PaddedBatch | null }
  | { id: number; op: "fit"; dims: number[] }
  | { id: number; op: "result"; name: string; input: unknown }
  | { id: number; op: "states" }
  | { id: number; op: "cut"; dims: number[] }
  | { id: number; op: "load"; dims: number[]; model: ModelIdentity; envelopes: StateEnvelope[] }
  | { id: number; op: "close" };

/** A request without its id (what the host's call() takes). */
type Body = { [K in Request["op"]]: Omit<Extract<Request, { op: K }>, "id"> }[Request["op"]];

type Reply = { id: number; value?: unknown; error?: unknown; timings?: Record<string, number> };

/**
 * The side in a worker thread. Each batch's layers go over through shared memory (sideSlots.ts: one
 * copy here, none there; phase "split" is the worker making its views), its words by message.
 * Requests run in order; `timings` (if given) receives the worker's seconds per phase,
 * prefixed "side.", when the side closes.
 */
export function workerSide(s: SideSettings, linalg: "onnxruntime" | "js", threads: number | undefined, timings?: Record<string, number>): Side {
  // the options are checked here, so bad ones throw the calling thread's errors before a worker starts
  const { needsWords, readsSites } = new SideAccumulators(s);
  const start: WorkerStart = { positionalArtefactsSide: { settings: s, linalg, threads } };
  const worker = new Worker(__filename, { workerData: start });
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: unknown) => void }>();
  const slots = new SlotPool(), arraySlots = new ArraySlots();
  let next = 0, failure: unknown = null, closed = false;
  const failAll = (err: unknown) => {
    failure ??= err;
    for (const p of pending.values()) p.reject(failure);
    pending.clear();
  };
  worker.on("message", (m: Reply) => {
    const p = pending.get(m.id);
    if (!p) return;
    pending.delete(m.id);
    if (m.timings && timings) for (const [k, v] of Object.entries(m.timings)) timings[`side.${k}`] = (timings[`side.${k}`] ?? 0) + v;
    if ("error" in m) p.reject(m.error);
    else p.resolve(m.value);
  });
  worker.on("error", failAll);
  worker.on("exit", (code) => {
    if (!closed || pending.size) failAll(new Error(`runAnalyses: the side worker stopped (exit code ${code}) before its work was done`));
  });
  const call = <T>(req: Body): Promise<T> => {
    if (failure) return Promise.reject(failure);
    const id = next++;
    return new Promise<T>((resolve, reject) => {
      pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      worker.postMessage({ ...req, id });
    });
  };
  return {
    keepsFitBatches: false,
    add: (stage, encoded, batches) => {
      let put: ReturnType<SlotPool["put"]>;
      try {
        put = slots.put(batches);
      } catch (err) {
        return Promise.reject(err);
      }
      const { batch, length, wordIds, sentenceIndex, tokens } = encoded;
      const words: BatchWords | null = needsWords ? { batch, length, wordIds, sentenceIndex, tokens } : null;
      let padded: ReturnType<typeof putPadded> | null = null;
      try {
        if (readsSites) padded = putPadded(arraySlots, encoded);
      } catch (err) {
        put.release();
        return Promise.reject(err);
      }
      // the slots are free again once the worker has answered (or failed, or the call was refused)
      return call<void>({ op: "add", stage, batch: put.batch, words, padded: padded?.batch ?? null }).finally(() => {
        put.release();
        padded?.release();
      });
    },
    fit: (dims) => call<void>({ op: "fit", dims: [...dims] }),
    result: (name, input) => call<unknown>({ op: "result", name, input }),
    states: () => call<{ name: string; state: AccumulatorState }[]>({ op: "states" }),
    cut: (dims) => call<{ name: string; state: AccumulatorState }[]>({ op: "cut", dims: [...dims] }),
    load: (dims, model, envelopes) => call<void>({ op: "load", dims: [...dims], model, envelopes: [...envelopes] }),
    async close() {
      if (closed) return;
      try {
        // releases the worker's onnxruntime sessions; after a failure the first error is what counts
        if (!failure) await call<void>({ op: "close" }).catch(() => {});
      } finally {
        closed = true;
        await worker.terminate();
      }
    },
  };
}

/** Copies what the site parts read of `enc` into a shared slot; `release` once the worker has answered. */
function putPadded(slots: ArraySlots, enc: EncodedBatch): { batch: PaddedBatch; release: () => void } {
  // the token sites the site parts read (siteViews.ts), less hidden_states: those come as the layers
  const extra = tokenSites(enc).filter((v) => v.kind !== "hidden_states"), sites = extra.map((v) => v.name);
  const arrays: SlotArray[] = [...enc.layers, ...extra.map((v) => v.data), enc.attentionMask, enc.specialMask, enc.wordIds];
  const put = slots.put(arrays);
  const { batch, length, hidden, sentenceIndex, tokens } = enc;
  return { batch: { batch, length, hidden, sentenceIndex, tokens, layers: enc.layers.length, sites, arrays: put.batch }, release: put.release };
}

/** The padded batch in the worker: views of its slot, valid until the worker answers. */
function readPadded(p: PaddedBatch, slots: ArraySlotReader): SiteBatch {
  const a = slots.read(p.arrays), L = p.layers, S = p.sites.length;
  return {
    batch: p.batch, length: p.length, hidden: p.hidden, sentenceIndex: p.sentenceIndex, tokens: p.tokens,
    layers: a.slice(0, L) as Float32Array[], sites: Object.fromEntries(p.sites.map((n, i) => [n, a[L + i] as Float32Array])),
    attentionMask: a[L + S] as Uint8Array, specialMask: a[L + S + 1] as Uint8Array, wordIds: a[L + S + 2] as Int32Array,
  };
}

/** The worker's loop: one SideAccumulators, requests answered in order. */
function serve({ settings, linalg: kind, threads }: WorkerStart["positionalArtefactsSide"]): void {
  const port = parentPort!;
  const timings: Record<string, number> = {};
  let t = performance.now();
  const lap: Lap = (phase) => {
    const now = performance.now();
    timings[phase] = (timings[phase] ?? 0) + (now - t) / 1000;
    t = now;
  };
  let acc: SideAccumulators | null = null;
  const slots = new SlotReader(), arraySlots = new ArraySlotReader();
  // one thread: the reductions run beside the encoder's own threads
  const reducer = new SiteReducer(settings.reducer, 1), env: SideEnv = { reductions: (enc) => reducer.reductions(enc) };
  let linalg: Promise<Linalg> | null = null;
  const getLinalg = () => (linalg ??= kind === "js" ? Promise.resolve(jsLinalg) : createOrtLinalg({ threads }));
  const handle = async (m: Request): Promise<Reply> => {
    acc ??= new SideAccumulators(settings, env);
    t = performance.now();
    switch (m.op) {
      case "add": {
        // batches the clipped self-similarity replays later get copies of their own; the rest are read in place
        const batches = acc.readsLayers ? slots.read(m.batch, acc.keepsFitBatches && m.stage === "fit") : [];
        lap("split");
        await acc.add(m.stage, batches, m.words, m.padded ? readPadded(m.padded, arraySlots) : null, lap);
        return { id: m.id };
      }
      case "fit":
        acc.fit(m.dims, lap);
        return { id: m.id };
      case "states":
        return { id: m.id, value: acc.states() };
      case "cut": {
        const states = acc.states();
        acc = new SideAccumulators(settings, env);
        acc.fit(m.dims, () => {});
        return { id: m.id, value: states };
      }
      case "load":
        acc = new SideAccumulators(settings, env);
        acc.fit(m.dims, () => {});
        acc.mergeStates(m.model, m.envelopes);
        return { id: m.id };
      case "result":
        return { id: m.id, value: await acc.result(m.name, getLinalg, m.input, lap) };
      case "close":
        if (linalg) await (await linalg).release();
        await reducer.release();
        return { id: m.id, timings };
    }
  };
  let queue = Promise.resolve();
  port.on("message", (m: Request) => {
    queue = queue.then(() => handle(m)).then((r) => port.postMessage(r), (error) => port.postMessage({ id: m.id, error }));
  });
}

if (!isMainThread && (workerData as Partial<WorkerStart> | null)?.positionalArtefactsSide) serve((workerData as WorkerStart).positionalArtefactsSide);
