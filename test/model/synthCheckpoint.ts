/**
 * Test helper: writes a tiny SYNTHETIC Hugging Face checkpoint folder (seeded random weights, real
 * key names of each family) and returns the weights under their file keys, for independent references.
 * Not a test file; the synthetic models carry no meaning beyond exact ground truth.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { readSafetensors, writeSafetensors } from "../../src/model/safetensors.js";

export type SynthArch = "bert" | "roberta" | "distilbert";

export interface SynthOptions {
  layers?: number;
  hidden?: number;
  heads?: number;
  intermediate?: number;
  vocab?: number;
  positions?: number;
  positionEmbeddingType?: "absolute" | "none";
  seed?: number;
  /** Extra or overriding config.json fields. */
  config?: Record<string, unknown>;
  /** Prefix model keys with "bert." / "roberta." / "distilbert." and add a head tensor (as MLM checkpoints do). */
  prefixed?: boolean;
  dtype?: "F32" | "F16" | "BF16";
}

export interface SynthCheckpoint {
  dir: string;
  config: Record<string, unknown>;
  /** Weights by the key written to model.safetensors (after the dtype round trip, i.e. what a reader sees). */
  tensors: Record<string, { shape: number[]; data: Float32Array }>;
}

/** Park-Miller LCG in [0, 1): deterministic across platforms. */
export function lcg(seed: number): () => number {
  let s = seed % 2147483647 || 1;
  return () => (s = (s * 48271) % 2147483647) / 2147483647;
}

export function writeSyntheticCheckpoint(dir: string, arch: SynthArch, o: SynthOptions = {}): SynthCheckpoint {
  const { layers = 2, hidden = 8, heads = 2, intermediate = 16, vocab = 20, positions = 16, positionEmbeddingType = "absolute", seed = 1 } = o;
  const rnd = lcg(seed);
  const rand = (n: number, scale: number, center = 0) => Float32Array.from({ length: n }, () => center + (rnd() * 2 - 1) * scale);
  const tensors: SynthCheckpoint["tensors"] = {};
  const prefix = o.prefixed ? `${arch}.` : "";
  const put = (key: string, shape: number[], scale: number, center = 0) => {
    tensors[prefix + key] = { shape, data: rand(shape.reduce((a, b) => a * b, 1), scale, center) };
  };
  const H = hidden, I = intermediate;
  put("embeddings.word_embeddings.weight", [vocab, H], 1);
  if (positionEmbeddingType === "absolute") put("embeddings.position_embeddings.weight", [positions, H], 1);
  if (arch === "bert") put("embeddings.token_type_embeddings.weight", [2, H], 0.5);
  if (arch === "roberta") put("embeddings.token_type_embeddings.weight", [1, H], 0.5);
  put("embeddings.LayerNorm.weight", [H], 0.2, 1);
  put("embeddings.LayerNorm.bias", [H], 0.1);
  for (let l = 0; l < layers; ++l) {
    if (arch === "distilbert") {
      const p = `transformer.layer.${l}.`;
      for (const m of ["q_lin", "k_lin", "v_lin", "out_lin"]) { put(`${p}attention.${m}.weight`, [H, H], 0.5); put(`${p}attention.${m}.bias`, [H], 0.1); }
      put(`${p}sa_layer_norm.weight`, [H], 0.2, 1); put(`${p}sa_layer_norm.bias`, [H], 0.1);
      put(`${p}ffn.lin1.weight`, [I, H], 0.5); put(`${p}ffn.lin1.bias`, [I], 0.1);
      put(`${p}ffn.lin2.weight`, [H, I], 0.5); put(`${p}ffn.lin2.bias`, [H], 0.1);
      put(`${p}output_layer_norm.weight`, [H], 0.2, 1); put(`${p}output_layer_norm.bias`, [H], 0.1);
    } else {
      const p = `encoder.layer.${l}.`;
      for (const m of ["query", "key", "value"]) { put(`${p}attention.self.${m}.weight`, [H, H], 0.5); put(`${p}attention.self.${m}.bias`, [H], 0.1); }
      put(`${p}attention.output.dense.weight`, [H, H], 0.5); put(`${p}attention.output.dense.bias`, [H], 0.1);
      put(`${p}attention.output.LayerNorm.weight`, [H], 0.2, 1); put(`${p}attention.output.LayerNorm.bias`, [H], 0.1);
      put(`${p}intermediate.dense.weight`, [I, H], 0.5); put(`${p}intermediate.dense.bias`, [I], 0.1);
      put(`${p}output.dense.weight`, [H, I], 0.5); put(`${p}output.dense.bias`, [H], 0.1);
      put(`${p}output.LayerNorm.weight`, [H], 0.2, 1); put(`${p}output.LayerNorm.bias`, [H], 0.1);
    }
  }
  if (o.prefixed) {
    // an MLM head the loader must ignore
    const head = arch === "bert" ? "cls.predictions.bias" : arch === "roberta" ? "lm_head.bias" : "vocab_projector.bias";
    tensors[head] = { shape: [vocab], data: rand(vocab, 0.1) };
  }
  let config: Record<string, unknown>;
  if (arch === "distilbert") {
    config = { model_type: "distilbert", dim: H, n_layers: layers, n_heads: heads, hidden_dim: I, vocab_size: vocab, max_position_embeddings: positions, activation: "gelu", pad_token_id: 0 };
  } else {
    config = {
      model_type: arch, hidden_size: H, num_hidden_layers: layers, num_attention_heads: heads, intermediate_size: I,
      vocab_size: vocab, max_position_embeddings: positions, type_vocab_size: arch === "bert" ? 2 : 1,
      layer_norm_eps: arch === "bert" ? 1e-12 : 1e-5, pad_token_id: arch === "roberta" ? 1 : 0, hidden_act: "gelu",
      position_embedding_type: positionEmbeddingType,
    };
  }
  Object.assign(config, { _comment: "SYNTHETIC test checkpoint (seeded random weights)" }, o.config ?? {});
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, "config.json"), JSON.stringify(config, null, 2));
  const dtype = o.dtype ?? "F32";
  writeSafetensors(path.join(dir, "model.safetensors"), Object.fromEntries(Object.entries(tensors).map(([k, t]) => [k, { ...t, dtype }])), { format: "pt", synthetic: "true" });
  if (dtype !== "F32") {
    // what a reader sees: the rounded values
    const back = readSafetensors(path.join(dir, "model.safetensors")).tensors;
    for (const k of Object.keys(tensors)) tensors[k].data = back.get(k)!.data;
  }
  return { dir, config, tensors };
}
