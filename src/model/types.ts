/**
 * The typed values that flow from model/ to analysis/ (DESIGN.md §1). Everything downstream of the
 * encoder depends on these shapes only; nothing here imports onnxruntime.
 */

/** The three encoder families the project builds graphs for. */
export type Architecture = "bert" | "roberta" | "distilbert";

/** A checkpoint's config.json, normalised across families and checked (see config.ts). */
export interface ModelConfig {
  architecture: Architecture;
  /** Transformer blocks L; hidden states 0..L are exposed. */
  layers: number;
  hidden: number;
  heads: number;
  /** FFN inner width. */
  intermediate: number;
  vocab: number;
  /** Rows of the position-embedding table (max_position_embeddings). */
  maxPositions: number;
  /** Rows of the token-type table; 0 when the model has none (DistilBERT, type_vocab_size 0). */
  typeVocab: number;
  /** "absolute": learned table; "none": no position embeddings at all. */
  positionEmbeddingType: "absolute" | "none";
  layerNormEps: number;
  padTokenId: number;
  /** Activation; only exact erf GELU ("gelu") is supported. */
  hiddenAct: "gelu";
  /** The raw config.json, for provenance. */
  raw: Record<string, unknown>;
}

/** A float32 tensor read from a checkpoint (F16/BF16 already widened). Row-major. */
export interface Float32Tensor {
  shape: number[];
  data: Float32Array;
  /** dtype as stored in the file: F32, F16 or BF16. */
  storedAs: "F32" | "F16" | "BF16";
}

/** One LayerNorm's affine parameters. layer 0 = embeddings LN; layers 1..L have two each. */
export interface LayerNormParams {
  layer: number;
  /** "embeddings" (layer 0); "attention" = the LN after self-attention; "output" = the block's last LN. */
  which: "embeddings" | "attention" | "output";
  gamma: Float32Array;
  beta: Float32Array;
}

/** The static tensors the analyses read (paper §3.2): position rows, token types, LN gains and biases. */
export interface StaticTensors {
  architecture: Architecture;
  hidden: number;
  /** [rows x hidden] position table, or null when positionEmbeddingType is "none". */
  positionEmbeddings: { rows: number; data: Float32Array } | null;
  /** Row of the table used by token position 0: 0 for BERT/DistilBERT, padding_idx+1 for RoBERTa. */
  positionOffset: number;
  /** [rows x hidden] token-type table, or null (DistilBERT). */
  tokenTypeEmbeddings: { rows: number; data: Float32Array } | null;
  layerNorms: LayerNormParams[];
}

/**
 * One padded batch of encoded sentences with every layer's hidden states.
 * All per-token arrays are row-major [batch x length]; hidden states are [batch x length x hidden].
 */
export interface EncodedBatch {
  /** Index of each row's sentence in the caller's input list. */
  sentenceIndex: number[];
  batch: number;
  /** Padded sequence length of this batch. */
  length: number;
  hidden: number;
  /** hidden_states.0 .. hidden_states.L: L+1 views, each [batch x length x hidden]. */
  layers: Float32Array[];
  inputIds: Int32Array;
  /** 1 for real tokens, 0 for padding. */
  attentionMask: Uint8Array;
  /** Row of the position table each token used (RoBERTa: padding_idx+1+i); -1 for padding. */
  positionIds: Int32Array;
  /** 1 for special tokens ([CLS], [SEP], <s>, </s>, padding). */
  specialMask: Uint8Array;
  /** Index of the word (whitespace/pre-tokenizer word) each token belongs to; -1 for special and padding. */
  wordIds: Int32Array;
  /** Real (unpadded) token count per row. */
  tokenCounts: number[];
  /** Token strings per row, unpadded. */
  tokens: string[][];
  /** Per row: true when the sentence was cut to the model's maximum length. */
  truncated: boolean[];
}
