import { Worker, isMainThread, parentPort, workerData } from "node:worker_threads";
import { performance } from "node:perf_hooks";
import type { EncodedBatch } from "../model/types.js";
import { createOrtLinalg } from "../model/linalg.js";
import { toLayerBatches, wordTable, type LayerBatch } from "./batch.js";
import { VectorSlots } from "./kernels.js";
import { jsLinalg, type Linalg } from "../numerics/linalg.js";
import { PositionProbe, type ProbeOptions, type ProbeResult } from "./probe.js";
import { SelfSimilarity, type SelfSimResult } from "./selfsim.js";

/**
 * The accumulators runAnalyses can run beside the others: the position probe and the raw and clipped
 * self-similarity. They read nothing but the layer batches (and the batch's words), and their results
 * need only the outlier dims and the anisotropy numbers, so a worker thread can run them while the
 * calling thread runs the outlier scan, the position profile and anisotropy on the same batches.
 * The worker gets each encoded batch's layer buffers by transfer (no copy; the calling thread has
 * split the batch into its own copies first) and splits them itself. Either way each accumulator
 * sees the same batches in the same order: the same bits (tested); only the wall time differs.
 */
export interface SideSettings {
  /** The encoder's hidden size (the self-similarity pool's width). */
  dim: number;
  seed: number;
  includeSpecial: boolean;
  /** The probe's options; null: no probe. */
  probe: Omit<ProbeOptions, "includeSpecial" | "seed"> | null;
  /** Self-similarity's settings; null: no self-similarity. */
  selfsim: {
    minOccurrences: number;
    maxWords: number;
    /** The eligible words (runAnalyses' frequentWords); null: every word. */
    words: string[] | null;
    /** The clipped dims when known before the first batch; null: the fit sample's (given to fit()). */
    clipDims: number[] | null;
  } | null;
}

/** One batch's words as the side needs them: wordTable's inputs, sentence indices already offset. */
export type BatchWords = Pick<EncodedBatch, "batch" | "length" | "tokens" | "wordIds" | "sentenceIndex">;

/** Adds the seconds since the last lap to a phase. */
export type Lap = (phase: string) => void;

/** Per-layer anisotropy (raw or clipped), as SelfSimilarity.result takes it. */
export type LayerNumbers = ReadonlyMap<number, number | null>;

/**
 * The side accumulators themselves: what runs in the worker, or in the calling thread. Phases (the
 * `lap` names): add.probe, add.selfsim, fit (the clipped self-similarity's replay of the fit sample),
 * result.probe, result.selfsim.
 */
export class SideAccumulators {
  readonly #s: SideSettings;
  readonly #probe: PositionProbe | null;
  #words = new Map<number, string[]>();
  readonly #selfRaw: SelfSimilarity | null = null;
  #selfClip: SelfSimilarity | null = null;
  /** Raw and clipped sums share one pool, so SelfSimilarity.addPair reads each token vector once for both. */
  readonly #pool: VectorSlots | null = null;
  /** The fit stage's batches (by reference), replayed into the clipped self-similarity once its dims are known. */
  readonly #fitBatches: { batches: readonly LayerBatch[]; words: Map<number, string[]> }[] = [];

  constructor(s: SideSettings) {
    this.#s = s;
    this.#probe = s.probe ? new PositionProbe({ ...s.probe, includeSpecial: s.includeSpecial, seed: s.seed }) : null;
    if (s.selfsim) {
      this.#pool = new VectorSlots(s.dim);
      this.#selfRaw = new SelfSimilarity(this.#selfsimOptions([]));
      this.#selfClip = s.selfsim.clipDims ? new SelfSimilarity(this.#selfsimOptions(s.selfsim.clipDims)) : null;
    }
  }

  /** True when the fit stage's batches must stay valid until fit() (the clipped side replays them). */
  get keepsFitBatches(): boolean {
    return this.#selfRaw !== null && this.#selfClip === null;
  }

  #selfsimOptions(zeroDims: readonly number[]) {
    const o = this.#s.selfsim!;
    return {
      wordKey: (s: number, w: number) => this.#words.get(s)?.[w] ?? null,
      seed: this.#s.seed, minOccurrences: o.minOccurrences, maxWords: o.maxWords,
      words: o.words ? new Set(o.words) : null, zeroDims, slots: this.#pool,
    };
  }

  /** Feeds every layer of one batch (its words: the batch's tokens, for self-similarity). */
  add(stage: "fit" | "encode", batches: readonly LayerBatch[], words: BatchWords | null, lap: Lap): void {
    if (this.#selfRaw) {
      if (!words) throw new TypeError("side.add: self-similarity needs the batch's words");
      this.#words = wordTable(words);
    }
    // the clipped side waits for the fit sample's dims (fit()), then replays these batches
    const defer = stage === "fit" && this.#selfClip === null;
    if (defer && this.#selfRaw) this.#fitBatches.push({ batches, words: this.#words });
    for (const lb of batches) {
      if (this.#probe) {
        this.#probe.add(lb);
        lap("add.probe");
      }
      if (this.#selfRaw) {
        if (defer) this.#selfRaw.add(lb);
        else SelfSimilarity.addPair(this.#selfRaw, this.#selfClip!, lb);
        lap("add.selfsim");
      }
    }
  }

  /** The end of the fit stage: the clipped dims are known (the fit sample's persistent outliers). */
  fit(dims: readonly number[], lap: Lap): void {
    if (this.#selfRaw && this.#selfClip === null) {
      const clip = new SelfSimilarity(this.#selfsimOptions(dims));
      for (const f of this.#fitBatches) {
        this.#words = f.words;
        for (const lb of f.batches) clip.add(lb);
      }
      this.#selfClip = clip;
      lap("fit");
    }
    this.#fitBatches.length = 0;
  }

  async probeResult(linalg: Linalg, dims: readonly number[], lap: Lap): Promise<ProbeResult | null> {
    if (!this.#probe) return null;
    const r = await this.#probe.resultWith(linalg, dims);
    lap("result.probe");
    return r;
  }

  selfsimResult(raw: LayerNumbers, clipped: LayerNumbers, lap: Lap): { raw: SelfSimResult; clipped: SelfSimResult } | null {
    if (!this.#selfRaw) return null;
    const r = { raw: this.#selfRaw.result(raw), clipped: this.#selfClip!.result(clipped) };
    lap("result.selfsim");
    return r;
  }
}

/** The side's interface to runAnalyses: the accumulators in this thread, or a worker running them. */
export interface Side {
  /**
   * True when the caller's fit-stage layer batches must stay valid until fit() (the clipped
   * self-similarity replays them); false for the worker, which splits and keeps its own.
   */
  readonly keepsFitBatches: boolean;
  /**
   * Feeds one batch: `encoded` with `batches`, its layers as toLayerBatches gave them. In this thread
   * the batches are added before this returns. The worker takes `encoded`'s layer buffers (they are
   * transferred: detached here, so `batches` must be copies: toLayerBatches' `copy`) and the promise
   * settles when it is done with the batch.
   */
  add(stage: "fit" | "encode", encoded: EncodedBatch, batches: readonly LayerBatch[]): Promise<void>;
  fit(dims: readonly number[]): Promise<void>;
  probeResult(dims: readonly number[]): Promise<ProbeResult | null>;
  selfsimResult(raw: LayerNumbers, clipped: LayerNumbers): Promise<{ raw: SelfSimResult; clipped: SelfSimResult } | null>;
  close(): Promise<void>;
}

/** The side in the calling thread: direct calls, timed into `lap` under the usual keys; `linalg` trains the probe. */
export function localSide(s: SideSettings, linalg: () => Linalg, lap: Lap): Side {
  const acc = new SideAccumulators(s);
  return {
    keepsFitBatches: acc.keepsFitBatches,
    async add(stage, encoded, batches) {
      acc.add(stage, batches, encoded, lap);
    },
    async fit(dims) {
      acc.fit(dims, lap);
    },
    probeResult: (dims) => acc.probeResult(linalg(), dims, lap),
    async selfsimResult(raw, clipped) {
      return acc.selfsimResult(raw, clipped, lap);
    },
    async close() {},
  };
}

/** What the worker is told at start (workerData). */
interface WorkerStart {
  positionalArtefactsSide: { settings: SideSettings; linalg: "onnxruntime" | "js"; threads?: number };
}

/** What the worker needs of an EncodedBatch (the rest stays here): toLayerBatches' and wordTable's inputs. */
type SideBatch = Pick<EncodedBatch, "batch" | "length" | "hidden" | "layers" | "attentionMask" | "specialMask" | "wordIds" | "sentenceIndex" | "tokens">;

type Request =
  | { id: number; op: "add"; stage: "fit" | "encode"; encoded: SideBatch }
  | { id: number; op: "fit"; dims: number[] }
  | { id: number; op: "probe"; dims: number[] }
  | { id: number; op: "selfsim"; raw: [number, number | null][]; clipped: [number, number | null][] }
  | { id: number; op: "close" };

/** A request without its id (what the host's call() takes). */
type Body = { [K in Request["op"]]: Omit<Extract<Request, { op: K }>, "id"> }[Request["op"]];

type Reply = { id: number; value?: unknown; error?: unknown; timings?: Record<string, number> };

/**
 * The side in a worker thread. Each batch goes over by message, its layer buffers transferred (no
 * copy) and its small per-token arrays copied; the worker splits it into layers itself (phase
 * "split"). Requests run in order; `timings` (if given) receives the worker's seconds per phase,
 * prefixed "side.", when the side closes.
 */
export function workerSide(s: SideSettings, linalg: "onnxruntime" | "js", threads: number | undefined, timings?: Record<string, number>): Side {
  // the options are checked here, so bad ones throw the calling thread's errors before a worker starts
  new SideAccumulators(s);
  const start: WorkerStart = { positionalArtefactsSide: { settings: s, linalg, threads } };
  const worker = new Worker(__filename, { workerData: start });
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: unknown) => void }>();
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
  const call = <T>(req: Body, transfer: ArrayBuffer[] = []): Promise<T> => {
    if (failure) return Promise.reject(failure);
    const id = next++;
    return new Promise<T>((resolve, reject) => {
      pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      worker.postMessage({ ...req, id }, transfer);
    });
  };
  return {
    keepsFitBatches: false,
    add: (stage, encoded, batches) => {
      // the layers this thread analyses must not be views of the buffers about to be transferred
      for (const lb of batches) {
        if (encoded.layers.some((l) => l.buffer === lb.data.buffer)) return Promise.reject(new TypeError(`workerSide.add: layer ${lb.layer}'s data is a view of the encoder's buffer, which goes to the worker; split with toLayerBatches(encoded, scratch, true)`));
      }
      const { batch, length, hidden, layers, attentionMask, specialMask, wordIds, sentenceIndex, tokens } = encoded;
      const side: SideBatch = { batch, length, hidden, layers, attentionMask, specialMask, wordIds, sentenceIndex, tokens: s.selfsim ? tokens : [] };
      return call<void>({ op: "add", stage, encoded: side }, [...new Set(layers.map((l) => l.buffer))].filter((b): b is ArrayBuffer => b instanceof ArrayBuffer));
    },
    fit: (dims) => call<void>({ op: "fit", dims: [...dims] }),
    probeResult: (dims) => call<ProbeResult | null>({ op: "probe", dims: [...dims] }),
    selfsimResult: (raw, clipped) => call({ op: "selfsim", raw: [...raw], clipped: [...clipped] }),
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
  const scratch: Float32Array[] = [];
  let linalg: Promise<Linalg> | null = null;
  const getLinalg = () => (linalg ??= kind === "js" ? Promise.resolve(jsLinalg) : createOrtLinalg({ threads }));
  const handle = async (m: Request): Promise<Reply> => {
    acc ??= new SideAccumulators(settings);
    t = performance.now();
    switch (m.op) {
      case "add": {
        // batches the clipped self-similarity replays later get their own buffers; the rest reuse scratch
        const batches = toLayerBatches(m.encoded as EncodedBatch, acc.keepsFitBatches && m.stage === "fit" ? undefined : scratch);
        lap("split");
        acc.add(m.stage, batches, m.encoded, lap);
        return { id: m.id };
      }
      case "fit":
        acc.fit(m.dims, lap);
        return { id: m.id };
      case "probe":
        return { id: m.id, value: await acc.probeResult(await getLinalg(), m.dims, lap) };
      case "selfsim":
        return { id: m.id, value: acc.selfsimResult(new Map(m.raw), new Map(m.clipped), lap) };
      case "close":
        if (linalg) await (await linalg).release();
        return { id: m.id, timings };
    }
  };
  let queue = Promise.resolve();
  port.on("message", (m: Request) => {
    queue = queue.then(() => handle(m)).then((r) => port.postMessage(r), (error) => port.postMessage({ id: m.id, error }));
  });
}

if (!isMainThread && (workerData as Partial<WorkerStart> | null)?.positionalArtefactsSide) serve((workerData as WorkerStart).positionalArtefactsSide);
