/**
 * The one module that imports onnxruntime-node (transformers.js keeps ORT behind one door too).
 * It opens an encoder graph, checks that it exposes every layer, runs padded batches and returns the
 * hidden states as plain Float32Arrays. Tokenising, batching and slicing layers never touch ORT.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as ort from "onnxruntime-node";

/** Where the encoder graph runs: onnxruntime's CPU provider (default) or its CUDA provider. */
export type Device = "cpu" | "cuda";
export const DEVICES: readonly Device[] = ["cpu", "cuda"];

export interface SessionOptions {
  /** Intra-op threads; defaults to PA_THREADS, else os.availableParallelism(). */
  threads?: number;
  /** Execution provider; default "cpu". */
  device?: Device;
}

/** The onnxruntime-node version, for provenance. */
export const onnxruntimeVersion: string = (ort.env as { versions?: { common?: string } }).versions?.common ?? "unknown";

/**
 * Resolves the thread count: option, then PA_THREADS, then the machine's parallelism. More threads
 * than cores only contend (measured: encode --threads 999 took 30 s instead of 0.5 s), so a larger
 * request is capped at the core count with one warning on stderr.
 */
export function resolveThreads(threads?: number): number {
  const cores = os.availableParallelism();
  if (threads !== undefined) {
    if (!Number.isInteger(threads) || threads < 1) throw new RangeError(`invalid threads: ${JSON.stringify(threads)}; expected an integer >= 1`);
    return capThreads(threads, cores, "threads");
  }
  const env = process.env.PA_THREADS;
  if (env !== undefined && env !== "") {
    const n = Number(env);
    if (!Number.isInteger(n) || n < 1) throw new RangeError(`PA_THREADS: ${JSON.stringify(env)} is not an integer >= 1; unset it or set a thread count`);
    return capThreads(n, cores, "PA_THREADS");
  }
  return cores;
}

let warnedThreads = false;
function capThreads(n: number, cores: number, what: string): number {
  if (n <= cores) return n;
  if (!warnedThreads) process.stderr.write(`warning: ${what} ${n} exceeds the ${cores} cores of this machine; using ${cores}\n`);
  warnedThreads = true;
  return cores;
}

/**
 * Checks a device name and, for "cuda", that the installed onnxruntime-node carries the CUDA provider
 * library (npm's onnxruntime-node ships CPU binaries only; its install script fetches the CUDA ones on
 * request). Fails at once, before any graph is built, with the way to get it.
 */
export function resolveDevice(device: unknown = "cpu"): Device {
  if (!DEVICES.includes(device as Device)) throw new RangeError(`invalid device: ${JSON.stringify(device)}; expected ${DEVICES.join(" or ")}`);
  if (device === "cuda") {
    const dir = path.dirname(require.resolve("onnxruntime-node/package.json"));
    const candidates = listBinDirs(path.join(dir, "bin")).filter((d) => d.endsWith(path.join(process.platform, process.arch)));
    const lib = process.platform === "win32" ? "onnxruntime_providers_cuda.dll" : "libonnxruntime_providers_cuda.so";
    if (!candidates.some((d) => fs.existsSync(path.join(d, lib)))) {
      throw new Error(
        `device cuda: the installed onnxruntime-node (${onnxruntimeVersion}, ${dir}) has no CUDA provider (${lib} is missing); ` +
        "on a machine with an NVIDIA GPU, CUDA 12 and cuDNN 9, reinstall it with the CUDA binaries: " +
        "`npm rebuild onnxruntime-node --onnxruntime-node-install=cuda12` (remove onnxruntime-node-install=skip from .npmrc first), or use --device cpu",
      );
    }
  }
  return device as Device;
}

function listBinDirs(root: string): string[] {
  const out: string[] = [];
  const walk = (d: string, depth: number) => {
    if (depth > 3 || !fs.existsSync(d)) return;
    for (const e of fs.readdirSync(d, { withFileTypes: true })) if (e.isDirectory()) { out.push(path.join(d, e.name)); walk(path.join(d, e.name), depth + 1); }
  };
  walk(root, 0);
  return out;
}

/**
 * Whether onnxruntime's intra-op threads spin while waiting for work or sleep. They sleep unless
 * PA_ORT_SPIN=1 (session.intra_op.allow_spinning 0; onnxruntime's own default is to spin). Same numbers
 * either way. Sleeping is the default because it was as fast or faster everywhere it was measured on
 * the 2-core machine: the encoder alone, 256 all-MiniLM-L6-v2 sentences (`npm run bench -- engine
 * --models minilm --no-python`, two runs each), 6,542 / 6,629 tok/s sleeping vs 6,310 / 6,458
 * spinning, the bare session likewise; and an analysis run with the side worker, where spinning threads
 * take the cores the worker needs (`artefacts analyze --model all-MiniLM-L6-v2 --sample 5000 --seed 1`:
 * 36.6 / 35.0 s sleeping vs 39.0 / 38.3 s spinning). Not everywhere: on the SYNTHETIC 12 x 768 model's
 * equal-length batches (`npm run bench -- gemm --gemm-sentences 64`, alternated) ours ran 907 / 887
 * tok/s sleeping vs 943 / 903 spinning, 2-4% slower; PA_ORT_SPIN=1 is there for such encoding-only
 * runs. With the analyses beside it the same model's paper-scale analyze took 719.9 s sleeping vs 735.1 s.
 */
export function ortSpinning(): boolean {
  const v = process.env.PA_ORT_SPIN;
  if (v === undefined || v === "" || v === "0") return false;
  if (v === "1") return true;
  throw new RangeError(`PA_ORT_SPIN: ${JSON.stringify(v)} is not 0 or 1; unset it or set 0 (threads sleep, the default) or set 1 (they spin, onnxruntime's own default)`);
}

/**
 * The session options every session here uses; the bench's bare session copies them (bench/bare.ts).
 * `spin` overrides PA_ORT_SPIN (the site reducer's threads always sleep: src/model/reductions.ts).
 */
export function sessionOptions(threads: number, device: Device, spin = ortSpinning()): ort.InferenceSession.SessionOptions {
  return {
    intraOpNumThreads: threads, interOpNumThreads: 1, graphOptimizationLevel: "all",
    executionProviders: device === "cuda" ? ["cuda", "cpu"] : ["cpu"],
    ...(spin ? {} : { extra: { session: { intra_op: { allow_spinning: "0" } } } }),
  };
}

/** An ORT session over a graph with outputs hidden_states.0 .. hidden_states.L (float32). */
export class EncoderSession {
  private constructor(
    /** The file path, or "<in-memory model>" when opened from bytes. */
    readonly file: string,
    /** Transformer blocks L; run() returns L + 1 arrays. */
    readonly layers: number,
    readonly threads: number,
    private readonly session: ort.InferenceSession,
    readonly device: Device = "cpu",
  ) {}

  /** Opens a graph from a file or its bytes and checks its inputs and hidden_states outputs. */
  static async open(model: string | Uint8Array, { threads, device: wanted }: SessionOptions = {}): Promise<EncoderSession> {
    const file = typeof model === "string" ? model : "<in-memory model>";
    const n = resolveThreads(threads);
    const device = resolveDevice(wanted);
    const options = sessionOptions(n, device);
    let session: ort.InferenceSession;
    try {
      session = typeof model === "string"
        ? await ort.InferenceSession.create(model, options)
        : await ort.InferenceSession.create(model, options);
    } catch (err) {
      const first = (err as Error).message.split("\n")[0];
      if (device === "cuda") throw new Error(`${file}: onnxruntime cannot open a CUDA session (${first}); check the NVIDIA driver, CUDA 12 and cuDNN 9, or use --device cpu`, { cause: err });
      throw new Error(`${file}: onnxruntime cannot load the graph (${first}); re-export it with \`artefacts export\``, { cause: err });
    }
    const names = session.outputNames;
    const indices = names.map((name) => /^hidden_states\.(\d+)$/.exec(name)).filter((m) => m).map((m) => Number(m![1])).sort((a, b) => a - b);
    const layers = indices.length - 1;
    const problems: string[] = [];
    if (layers < 1) problems.push(`no hidden_states.N outputs (found ${names.join(", ")})`);
    else if (indices.some((v, i) => v !== i)) problems.push(`hidden_states outputs are not numbered 0..${layers} (found ${indices.join(", ")})`);
    for (const input of ["input_ids", "attention_mask"]) {
      if (!session.inputNames.includes(input)) problems.push(`input ${input} is missing (inputs: ${session.inputNames.join(", ")})`);
    }
    const unknown = session.inputNames.filter((name) => !["input_ids", "attention_mask", "token_type_ids"].includes(name));
    if (unknown.length) problems.push(`unexpected inputs ${unknown.join(", ")}`);
    if (problems.length) {
      await session.release();
      throw new Error(`${file}: ${problems.join("; ")}; export the checkpoint with \`artefacts export\``);
    }
    return new EncoderSession(file, layers, n, session, device);
  }

  get inputNames(): readonly string[] {
    return this.session.inputNames;
  }

  get outputNames(): readonly string[] {
    return this.session.outputNames;
  }

  /**
   * Runs one padded batch: ids and mask are row-major [batch x length]. Returns L + 1 row-major
   * [batch x length x hidden] arrays (ORT's own output buffers, not copies).
   */
  async run(ids: BigInt64Array, mask: BigInt64Array, batch: number, length: number): Promise<Float32Array[]> {
    return (await this.runWith(ids, mask, batch, length, [])).layers;
  }

  /**
   * run() plus the named extra outputs (sites), each checked against its dims with -1 for batch, -2
   * for length (e.g. [-1, -2, 64], or [-1, 4, -2, -2] for attention probabilities).
   */
  async runWith(ids: BigInt64Array, mask: BigInt64Array, batch: number, length: number, extra: readonly { name: string; dims: readonly number[] }[]): Promise<{ layers: Float32Array[]; extra: Float32Array[] }> {
    if (ids.length !== batch * length || mask.length !== batch * length) {
      throw new RangeError(`${this.file}: input_ids has ${ids.length} and attention_mask ${mask.length} values; expected batch ${batch} x length ${length} = ${batch * length}`);
    }
    const feeds: Record<string, ort.Tensor> = {};
    for (const [name, f] of Object.entries(encoderFeeds(ids, mask, batch, length, this.session.inputNames.includes("token_type_ids")))) feeds[name] = new ort.Tensor(f.type, f.data, f.dims);
    let out: ort.InferenceSession.ReturnType;
    try {
      out = await this.session.run(feeds, [...hiddenStateNames(this.layers), ...extra.map((e) => e.name)]);
    } catch (err) {
      const inputs = Object.entries(feeds).map(([name, t]) => `${name} ${t.type} [${t.dims.join(", ")}]`).join(", ");
      throw new Error(`${this.file}: onnxruntime run failed with inputs ${inputs} (${(err as Error).message.split("\n")[0]}); check the graph with \`artefacts inspect\``, { cause: err });
    }
    return encoderOutputs(this.file, out, { batch, length, layers: this.layers }, extra);
  }

  dispose(): Promise<void> {
    return this.session.release();
  }
}

/** hidden_states.0 .. hidden_states.L: the outputs every encoder graph has (exposeHiddenStates). */
export function hiddenStateNames(layers: number): string[] {
  return Array.from({ length: layers + 1 }, (_, l) => `hidden_states.${l}`);
}

/**
 * The feeds of one padded encoder batch, ids and mask row-major [batch x length]: input_ids,
 * attention_mask, and token_type_ids (zeros) where the graph takes them (BERT graphs do; RoBERTa and
 * DistilBERT graphs do not). EncoderSession and the editable encoder's session (editableEncoder.ts) feed these.
 */
export function encoderFeeds(ids: BigInt64Array, mask: BigInt64Array, batch: number, length: number, tokenTypes: boolean): Record<string, KernelFeed> {
  const dims = [batch, length];
  const feeds: Record<string, KernelFeed> = { input_ids: { type: "int64", data: ids, dims }, attention_mask: { type: "int64", data: mask, dims } };
  if (tokenTypes) feeds.token_type_ids = { type: "int64", data: new BigInt64Array(ids.length), dims };
  return feeds;
}

/**
 * One encoder run's outputs, checked: hidden_states.0..layers, each float32 [batch, length, hidden]
 * (hidden: given, else the first one's), and each extra output float32 of its dims (-1: batch, -2:
 * length; e.g. [-1, -2, 64], or [-1, 4, -2, -2] for attention probabilities). The arrays are the
 * outputs' own buffers, not copies. A wrong one is an error naming `where` and the output.
 */
export function encoderOutputs(where: string, out: Record<string, { type?: string; dims: readonly number[]; data: unknown }>, { batch, length, layers, hidden = -1 }: { batch: number; length: number; layers: number; hidden?: number }, extra: readonly { name: string; dims: readonly number[] }[]): { layers: Float32Array[]; extra: Float32Array[] } {
  const float32 = (name: string) => {
    const t = out[name];
    if (t.type !== undefined && t.type !== "float32") throw new Error(`${where}: ${name} is ${t.type}; expected float32, re-export with \`artefacts export\` (fp16 and quantized graphs are not analysable)`);
    return t;
  };
  const hiddenStates = hiddenStateNames(layers).map((name) => {
    const t = float32(name), d = t.dims;
    if (d.length !== 3 || d[0] !== batch || d[1] !== length || (hidden >= 0 && d[2] !== hidden)) {
      throw new Error(`${where}: ${name} has dims [${d.join(", ")}]; expected [${batch}, ${length}, ${hidden >= 0 ? hidden : "hidden"}]`);
    }
    hidden = d[2];
    return t.data as Float32Array;
  });
  return {
    layers: hiddenStates,
    extra: extra.map(({ name, dims }) => {
      const t = float32(name), want = dims.map((v) => (v === -1 ? batch : v === -2 ? length : v));
      if (t.dims.length !== want.length || t.dims.some((v, i) => v !== want[i])) throw new Error(`${where}: output ${name} is float32 [${t.dims.join(", ")}]; expected float32 [${want.join(", ")}]`);
      return t.data as Float32Array;
    }),
  };
}

/** One input of {@link KernelSession.run}: a typed array and its dims (row-major). */
export type KernelFeed =
  | { type: "float32"; data: Float32Array; dims: readonly number[] }
  | { type: "int64"; data: BigInt64Array; dims: readonly number[] }
  | { type: "int32"; data: Int32Array; dims: readonly number[] };

/** One float32 output of {@link KernelSession.run}. */
export interface KernelOutput {
  data: Float32Array;
  dims: number[];
}

/**
 * An ORT session over a small compute graph (the dense kernels of src/model/linalg.ts) opened from its
 * bytes: float32, int64 and int32 feeds in, float32 outputs back. `name` prefixes errors.
 */
export class KernelSession {
  private constructor(
    readonly name: string,
    readonly threads: number,
    private readonly session: ort.InferenceSession,
  ) {}

  /** `spin`: whether idle intra-op threads spin (default: PA_ORT_SPIN, see ortSpinning). */
  static async open(model: Uint8Array, { threads, name = "<kernel graph>", spin }: SessionOptions & { name?: string; spin?: boolean } = {}): Promise<KernelSession> {
    const n = resolveThreads(threads);
    const options = sessionOptions(n, "cpu", spin);
    try {
      return new KernelSession(name, n, await ort.InferenceSession.create(model, options));
    } catch (err) {
      throw new Error(`${name}: onnxruntime cannot load the graph (${(err as Error).message.split("\n")[0]}); the graph builder in src/model/linalg.ts is wrong`, { cause: err });
    }
  }

  /** Runs the graph; returns the requested outputs (ORT's own buffers, not copies). */
  async run(feeds: Record<string, KernelFeed>, outputs: readonly string[]): Promise<Record<string, KernelOutput>> {
    const tensors: Record<string, ort.Tensor> = {};
    for (const [key, f] of Object.entries(feeds)) {
      const size = f.dims.reduce((a, b) => a * b, 1);
      if (f.data.length !== size) throw new RangeError(`${this.name}: input ${key} has ${f.data.length} values; expected [${f.dims.join(", ")}] = ${size}`);
      // onnxruntime-node answers such a feed with a bare "Invalid argument"
      if (f.data.buffer instanceof SharedArrayBuffer) throw new TypeError(`${this.name}: input ${key} lies in a SharedArrayBuffer, which onnxruntime-node refuses as a feed; copy it into an ordinary typed array first`);
      tensors[key] = new ort.Tensor(f.type, f.data, f.dims);
    }
    let out: ort.InferenceSession.ReturnType;
    try {
      out = await this.session.run(tensors, outputs as string[]);
    } catch (err) {
      const inputs = Object.entries(tensors).map(([key, t]) => `${key} ${t.type} [${t.dims.join(", ")}]`).join(", ");
      throw new Error(`${this.name}: onnxruntime run failed with inputs ${inputs} (${(err as Error).message.split("\n")[0]})`, { cause: err });
    }
    const result: Record<string, KernelOutput> = {};
    for (const key of outputs) {
      const t = out[key];
      if (t.type !== "float32") throw new Error(`${this.name}: output ${key} is ${t.type}; expected float32`);
      result[key] = { data: t.data as Float32Array, dims: [...t.dims] };
    }
    return result;
  }

  dispose(): Promise<void> {
    return this.session.release();
  }
}
