/**
 * The typed values that flow from model/ to analysis/ (DESIGN.md §1). Everything downstream of the
 * encoder depends on these shapes only; nothing here imports onnxruntime.
 */

/**
 * The encoder families the project builds graphs for (one module each in src/model/families/).
 * XLM-RoBERTa and CamemBERT load as "roberta" (same layout; ModelConfig.modelType keeps the name).
 */
export type Architecture = "bert" | "roberta" | "distilbert" | "electra" | "albert" | "mpnet" | "deberta-v2" | "modernbert";

/** Activations the graph builder implements: exact erf GELU, the tanh approximation, ReLU. */
export type Activation = "gelu" | "gelu_new" | "gelu_pytorch_tanh" | "relu";

/** A checkpoint's config.json, normalised across families and checked (see config.ts). */
export interface ModelConfig {
  architecture: Architecture;
  /** config.json model_type as written ("xlm-roberta" loads with architecture "roberta"). */
  modelType: string;
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
  /** "absolute": a learned table is added to the embeddings; "none": no absolute table at all. */
  positionEmbeddingType: "absolute" | "none";
  /** Width of the embedding tables: hidden, or ELECTRA/ALBERT/DeBERTa's embedding_size. */
  embeddingSize: number;
  layerNormEps: number;
  padTokenId: number;
  hiddenAct: Activation;
  /** Family-specific settings, checked by the family's module (see src/model/families/). */
  options: Record<string, unknown>;
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

/**
 * One LayerNorm's affine parameters. layer 0 = embeddings LN; layers 1..L have the block's norms.
 * Post-LN blocks: "attention" = the LN after self-attention, "output" = the block's last LN.
 * Pre-LN blocks (ModernBERT): "attention" = the norm before attention, "mlp" = the norm before the MLP,
 * "final" = the norm after the last block (layer L). "relative" = the norm of a relative-position table.
 */
export interface LayerNormParams {
  layer: number;
  which: "embeddings" | "attention" | "output" | "mlp" | "final" | "relative";
  /** Where the norm sits, in words, e.g. "post-LN after attention" (for reports); set by every family. */
  site?: string;
  gamma: Float32Array;
  /** Zeros when the norm has no bias (ModernBERT norm_bias false). */
  beta: Float32Array;
}

/**
 * A position-bearing tensor of a checkpoint (origins analysis): an absolute table whose rows are
 * token positions, or a relative table whose rows are distance buckets.
 */
export interface PositionTensor {
  /** Canonical weight name, e.g. "embeddings.position_embeddings.weight". */
  name: string;
  kind: "absolute" | "relative";
  rows: number;
  cols: number;
  /** What a row and a column stand for, in words ("token position + 2", "attention head"). */
  rowMeaning: string;
  colMeaning: string;
  /** True when columns are the hidden dimensions the outlier scan reports (cols == hidden). */
  hiddenSpace: boolean;
  data: Float32Array;
}

/** The static tensors the analyses read (paper §3.2): position rows, token types, LN gains and biases. */
export interface StaticTensors {
  architecture: Architecture;
  hidden: number;
  /** The family's position scheme in words ("learned absolute", "rotary (RoPE)" ...); set by every family. */
  positionScheme?: string;
  /**
   * Every position-bearing tensor; empty when the model has none to inspect (RoPE). Set by every
   * family; when absent (hand-made tensors), positionEmbeddings is the only one.
   */
  positionTensors?: PositionTensor[];
  /** [rows x hidden] absolute position table in hidden space, or null (none, or a factorised table). */
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
  /**
   * Extra activation sites asked for with EncoderOptions.sites, by site name (SiteInfo.name); absent
   * or empty when none was asked for. Token sites are [batch x length x width], "heads" sites
   * (attention probabilities) [batch x heads x length x length].
   */
  sites?: Readonly<Record<string, Float32Array>>;
}

/** What the site analyses read of an EncodedBatch (massive, norms; the side worker rebuilds this much from shared memory). */
export type SiteBatch = Pick<EncodedBatch, "batch" | "length" | "hidden" | "layers" | "sites" | "attentionMask" | "specialMask" | "wordIds" | "sentenceIndex" | "tokens">;

/**
 * Kinds of activation site, one naming across families (DESIGN.md §2, "Sites"); a site's name is
 * `${kind}.${layer}`, like Hugging Face's `hidden_states.K`. Block sites have layer 1..L.
 *  - hidden_states: Hugging Face's hidden_states tuple (layer 0..L), always present.
 *  - attn_out: the self-attention output after its output projection, before the residual add.
 *  - attn_resid: the residual sum after attention (x + attn_out); post-LN, what enters the attention LayerNorm.
 *  - ffn_act: the FFN's intermediate activation (after the nonlinearity), width = intermediate.
 *  - ffn_out: the FFN output after its down projection, before the residual add.
 *  - ffn_resid: the residual sum after the FFN (h + ffn_out); post-LN, what enters the block's last LayerNorm.
 *  - attn_probs: attention probabilities per head, [batch x heads x length x length].
 *  - norm_in / norm_out kinds: pre-LN families (ModernBERT), each norm's input and output.
 */
export type SiteKind =
  | "hidden_states"
  | "attn_out"
  | "attn_resid"
  | "ffn_act"
  | "ffn_out"
  | "ffn_resid"
  | "attn_probs"
  | "attn_norm_in"
  | "attn_norm_out"
  | "mlp_norm_in"
  | "mlp_norm_out"
  | "final_norm_in"
  | "final_norm_out";

/** One activation site of a model (see SiteKind). */
export interface SiteInfo {
  /** `${kind}.${layer}`, e.g. "attn_resid.3". */
  name: string;
  kind: SiteKind;
  layer: number;
  /** "tokens": [batch x length x width]; "heads": [batch x heads x length x length]. */
  layout: "tokens" | "heads";
  /** Values per token (hidden or intermediate); for "heads", the number of heads. */
  width: number;
  /** Where the site sits in this family's block, in words (for reports and errors). */
  description: string;
}
