/**
 * Exports a checkpoint to an ONNX folder that outputs every layer (hidden_states.0..L + last_hidden_state),
 * in the transformers.js layout: DIR/onnx/model.onnx beside config.json and the tokenizer files, plus a
 * manifest (positional-artefacts.json) with the source files' hashes, the outputs and the opset.
 *
 * From a Hugging Face folder the graph is built from the weights (build.ts); from an existing ONNX
 * folder the graph is edited (surgery.ts). The folder is written under a temporary sibling name and
 * renamed at the end, so a failure never leaves a partial export.
 */
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { canonicalName, loadCheckpoint } from "./checkpoint.js";
import { checkConfigAgainstWeights } from "./crosscheck.js";
import { readConfig } from "./config.js";
import { familyOf } from "./families/index.js";
import { fileEntry } from "./files.js";
import { buildOnnx, IR_VERSION, OPSET } from "./onnx/build.js";
import { DataType, decodeModel } from "./onnx/proto.js";
import { exposeHiddenStates, refuseIfNotAnalysable } from "./onnx/surgery.js";
import { readSafetensorsHeader } from "./safetensors.js";
import type { ModelConfig } from "./types.js";

export const MANIFEST = "positional-artefacts.json";
export const MANIFEST_FORMAT = "positional-artefacts export 1";
/** Files copied beside the graph when present. */
export const COPIED_FILES = ["config.json", "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "vocab.txt", "vocab.json", "merges.txt"];

export type SourceKind = "hf-folder" | "onnx-folder";

export interface ExportOptions {
  /** Called with one line per step (reading, building, writing); the CLI prints them on stderr. */
  onProgress?: (message: string) => void;
  /** Accept NaN/±Infinity in the weights (default false: refused, naming tensor and index). */
  allowNonFinite?: boolean;
}

export interface ExportResult {
  dir: string;
  outputs: string[];
  layers: number;
}

/** What `artefacts inspect` prints. Sizes are null for an ONNX folder without config.json. */
export interface SourceInfo {
  dir: string;
  kind: SourceKind;
  /** The graph file of an ONNX folder, relative to dir. */
  modelFile: string | null;
  architecture: string | null;
  layers: number | null;
  hidden: number | null;
  heads: number | null;
  intermediate: number | null;
  vocab: number | null;
  maxPositions: number | null;
  positionEmbeddingType: string | null;
  /** The family's position scheme in words (src/model/families/). */
  positionScheme?: string | null;
  /** Stored dtype: F32 / F16 / BF16 for safetensors; float32 / float16 / quantized for ONNX. */
  dtype: string;
  /** Graph inputs (an HF folder: the inputs the export will have). */
  inputs: string[];
  /** Graph outputs (an HF folder: the outputs the export will have). */
  outputs: string[];
  /** Hidden-state outputs hidden_states.N present (or to be present). */
  hiddenStates: number;
  /** True when dir is an `artefacts export` result (has positional-artefacts.json). */
  exported: boolean;
}

/** Decides what a folder holds: a Hugging Face checkpoint or an ONNX export. */
export function detectSource(dir: string): { kind: SourceKind; modelFile: string | null } {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(dir);
  } catch (err) {
    throw new Error(`${dir}: cannot read (${(err as NodeJS.ErrnoException).code ?? err}); pass a model folder`, { cause: err });
  }
  if (!stat.isDirectory()) throw new Error(`${dir}: not a folder; pass a Hugging Face folder (config.json, model.safetensors) or an ONNX folder (onnx/model.onnx)`);
  const has = (f: string) => fs.existsSync(path.join(dir, f));
  if (has("config.json") && (has("model.safetensors") || has("model.safetensors.index.json"))) return { kind: "hf-folder", modelFile: null };
  for (const f of ["onnx/model.onnx", "model.onnx"]) if (has(f)) return { kind: "onnx-folder", modelFile: f };
  const others = has("onnx") ? fs.readdirSync(path.join(dir, "onnx")).filter((f) => f.endsWith(".onnx")).sort() : [];
  // only quantized / fp16 variants: refuse with the reason
  for (const f of others) refuseIfNotAnalysable(path.join(dir, "onnx", f));
  if (others.length) return { kind: "onnx-folder", modelFile: `onnx/${others[0]}` };
  throw new Error(`${dir}: neither a Hugging Face folder (config.json + model.safetensors) nor an ONNX folder (onnx/model.onnx); pass one of those${has("pytorch_model.bin") ? " (pytorch_model.bin is not read: re-save with safetensors)" : ""}`);
}

const hiddenNames = (layers: number) => [...Array.from({ length: layers + 1 }, (_, k) => `hidden_states.${k}`), "last_hidden_state"];

function builtInputs(config: ModelConfig): string[] {
  return ["input_ids", "attention_mask", ...familyOf(config.architecture).extraInputs(config)];
}

/** Reads a folder's kind, sizes, dtype and graph outputs without loading weights. */
export function inspectSource(dir: string): SourceInfo {
  const { kind, modelFile } = detectSource(dir);
  const exported = fs.existsSync(path.join(dir, MANIFEST));
  const config = kind === "hf-folder" || fs.existsSync(path.join(dir, "config.json")) ? readConfig(dir) : null;
  const sizes = {
    architecture: config?.architecture ?? null, layers: config?.layers ?? null, hidden: config?.hidden ?? null,
    heads: config?.heads ?? null, intermediate: config?.intermediate ?? null, vocab: config?.vocab ?? null,
    maxPositions: config?.maxPositions ?? null, positionEmbeddingType: config?.positionEmbeddingType ?? null,
    positionScheme: config ? familyOf(config.architecture).positionScheme : null,
  };
  if (kind === "hf-folder") {
    const files = fs.existsSync(path.join(dir, "model.safetensors"))
      ? ["model.safetensors"]
      : [...new Set(Object.values(JSON.parse(fs.readFileSync(path.join(dir, "model.safetensors.index.json"), "utf8")).weight_map as Record<string, string>))];
    const count: Record<string, number> = {};
    const shapes = new Map<string, number[]>();
    for (const f of files) {
      for (const e of readSafetensorsHeader(path.join(dir, f)).entries) {
        count[e.dtype] = (count[e.dtype] ?? 0) + e.shape.reduce((a, b) => a * b, 1);
        const canon = canonicalName(e.name, config!);
        if (canon) shapes.set(canon, e.shape);
      }
    }
    // before anything is printed: a config that disagrees with the weights is refused, in one bounded line
    checkConfigAgainstWeights(config!, shapes, path.join(dir, "config.json"), files.length === 1 ? path.join(dir, files[0]) : path.join(dir, "model.safetensors.index.json"));
    const dtype = Object.keys(count).reduce((a, b) => (count[b] > (count[a] ?? -1) ? b : a), "F32");
    const outputs = hiddenNames(config!.layers);
    return { dir, kind, modelFile, ...sizes, dtype, inputs: builtInputs(config!), outputs, hiddenStates: config!.layers + 1, exported };
  }
  const model = decodeModel(fs.readFileSync(path.join(dir, modelFile!)), modelFile!);
  const graph = model.graph;
  const types = new Set(graph?.initializer.map((t) => t.dataType) ?? []);
  const dtype = types.has(DataType.INT8) || types.has(DataType.UINT8) || graph?.node.some((n) => /Quantize|Integer|NBits/.test(n.opType ?? ""))
    ? "quantized"
    : types.has(DataType.FLOAT16) ? "float16" : types.has(DataType.BFLOAT16) ? "bfloat16" : "float32";
  const outputs = graph?.output.map((o) => o.name ?? "") ?? [];
  const initializers = new Set(graph?.initializer.map((t) => t.name));
  const inputs = (graph?.input.map((i) => i.name ?? "") ?? []).filter((n) => !initializers.has(n));
  const hiddenStates = outputs.filter((o) => /^hidden_states\.\d+$/.test(o)).length;
  if (config && hiddenStates > 0 && hiddenStates !== config.layers + 1) {
    throw new RangeError(`${path.join(dir, "config.json")}: ${familyOf(config.architecture).fields.layers} ${config.layers} disagrees with ${path.join(dir, modelFile!)}, whose graph outputs ${hiddenStates} hidden states (${hiddenStates - 1} layers); use the config.json saved with this export`);
  }
  return { dir, kind, modelFile, ...sizes, dtype, inputs, outputs, hiddenStates, exported };
}

function sha256(bytes: Uint8Array): string {
  return crypto.createHash("sha256").update(bytes).digest("hex");
}

/** Checks outDir before any work: it must be absent, empty, or a previous export. */
function checkOutDir(src: string, outDir: string): void {
  if (path.resolve(src) === path.resolve(outDir)) {
    throw new Error(`${outDir}: the output folder is the source folder; choose another --out`);
  }
  let stat: fs.Stats | undefined;
  try {
    stat = fs.statSync(outDir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") {
      throw new Error(`${outDir}: cannot create the output folder (${(err as NodeJS.ErrnoException).code}); choose a writable --out`, { cause: err });
    }
  }
  if (!stat) return;
  if (!stat.isDirectory()) throw new Error(`${outDir}: exists and is not a folder; choose another --out`);
  const entries = fs.readdirSync(outDir);
  if (entries.length && !entries.includes(MANIFEST)) {
    throw new Error(`${outDir}: exists, is not empty and is not a previous export (no ${MANIFEST}); choose another --out or empty it`);
  }
}

/** Creates the temporary sibling folder the export is written into. */
function makeTemp(outDir: string): string {
  const parent = path.dirname(path.resolve(outDir));
  const tmp = path.join(parent, `.${path.basename(outDir)}.tmp-${process.pid}-${crypto.randomBytes(4).toString("hex")}`);
  try {
    fs.mkdirSync(parent, { recursive: true });
    fs.mkdirSync(tmp);
  } catch (err) {
    throw new Error(`${outDir}: cannot create the output folder (${(err as NodeJS.ErrnoException).code ?? (err as Error).message} in ${parent}); choose a writable --out`, { cause: err });
  }
  return tmp;
}

/** Moves the finished temporary folder to outDir, replacing a previous export. */
function commit(tmp: string, outDir: string): void {
  const old = fs.existsSync(outDir) ? `${tmp}.old` : null;
  if (old) fs.renameSync(outDir, old);
  try {
    fs.renameSync(tmp, outDir);
  } catch (err) {
    if (old) fs.renameSync(old, outDir);
    throw err;
  }
  if (old) fs.rmSync(old, { recursive: true, force: true });
}

/**
 * Exports `src` (a Hugging Face folder, or an ONNX folder whose graph outputs only last_hidden_state)
 * to `outDir`, an ONNX folder whose graph outputs hidden_states.0..L and last_hidden_state.
 */
export async function exportOnnx(src: string, outDir: string, { onProgress = () => {}, allowNonFinite = false }: ExportOptions = {}): Promise<ExportResult> {
  const { kind, modelFile } = detectSource(src);
  checkOutDir(src, outDir);
  let bytes: Uint8Array;
  let layers: number;
  let outputs: string[];
  let opset: number, irVersion: number;
  let sourceFiles: { name: string; bytes: number; sha256: string }[];
  let architecture: string | null;
  let hidden: number | null;
  const extraFiles: string[] = [];
  if (kind === "hf-folder") {
    onProgress(`reading ${src}`);
    const ckpt = loadCheckpoint(src, { allowNonFinite });
    const c = ckpt.config;
    onProgress(`building the ${c.architecture} graph: ${c.layers} layers x ${c.hidden}, ${c.heads} heads (weights stored as ${ckpt.dtype}, written as float32)`);
    bytes = buildOnnx(ckpt);
    ({ layers, architecture, hidden } = { layers: c.layers, architecture: c.architecture, hidden: c.hidden });
    outputs = hiddenNames(layers);
    opset = OPSET;
    irVersion = IR_VERSION;
    sourceFiles = ckpt.files;
  } else {
    const file = path.join(src, modelFile!);
    onProgress(`reading ${file}`);
    const input = fs.readFileSync(file);
    refuseIfNotAnalysable(file, input);
    const config = fs.existsSync(path.join(src, "config.json")) ? readConfig(src) : null;
    onProgress("exposing every layer's hidden state");
    const r = exposeHiddenStates(input, file, { layers: config?.layers });
    bytes = r.model;
    layers = r.layers;
    outputs = r.outputs;
    architecture = config?.architecture ?? null;
    hidden = config?.hidden ?? null;
    const decoded = decodeModel(bytes, file);
    opset = Number(decoded.opsetImport.find((o) => (o.domain ?? "") === "" || o.domain === "ai.onnx")?.version ?? 0);
    irVersion = Number(decoded.irVersion ?? 0);
    sourceFiles = [fileEntry(src, modelFile!), ...(config ? [fileEntry(src, "config.json")] : [])];
    // external weights (models over 2 GB) travel beside the graph
    for (const f of fs.readdirSync(path.dirname(file))) {
      if (f !== path.basename(file) && f.startsWith(path.basename(file)) && /(_data|\.data)$/.test(f)) extraFiles.push(f);
    }
  }
  const tmp = makeTemp(outDir);
  try {
    fs.mkdirSync(path.join(tmp, "onnx"));
    onProgress(`writing ${path.join(outDir, "onnx/model.onnx")} (${(bytes.length / 1e6).toFixed(1)} MB)`);
    fs.writeFileSync(path.join(tmp, "onnx/model.onnx"), bytes);
    for (const f of extraFiles) fs.copyFileSync(path.join(src, path.dirname(modelFile!), f), path.join(tmp, "onnx", f));
    const copied = COPIED_FILES.filter((f) => fs.existsSync(path.join(src, f)));
    for (const f of copied) fs.copyFileSync(path.join(src, f), path.join(tmp, f));
    const manifest = {
      format: MANIFEST_FORMAT,
      producer: "positional-artefacts",
      source: { dir: path.resolve(src), kind, files: sourceFiles },
      architecture, layers, hidden,
      model: { file: "onnx/model.onnx", bytes: bytes.length, sha256: sha256(bytes), opset, irVersion, dtype: "float32" },
      outputs,
      copied: [...copied, ...extraFiles.map((f) => `onnx/${f}`)],
    };
    fs.writeFileSync(path.join(tmp, MANIFEST), JSON.stringify(manifest, null, 2) + "\n");
    commit(tmp, outDir);
  } catch (err) {
    fs.rmSync(tmp, { recursive: true, force: true });
    throw new Error(`${outDir}: export failed (${(err as Error).message}); nothing was written`, { cause: err });
  }
  onProgress(`done: ${outputs.filter((o) => o.startsWith("hidden_states.")).length} hidden-state outputs + last_hidden_state`);
  return { dir: outDir, outputs, layers };
}
