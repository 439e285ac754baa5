/**
 * Planted ground truth for the sites' measures, in SYNTHETIC checkpoints (src/model/synth.ts): a massive
 * activation (Sun et al. 2024: |a| > 100 and > 1000x the layer's median |a|) on one dim of the [SEP]
 * token at a pre-LayerNorm site, and an attention-sink head whose every query puts its mass on [CLS].
 * Both are set through weights, after the seeded random draw (so every other weight is the unplanted
 * checkpoint's), with the mechanism real models are thought to use: an FFN neuron that fires on one
 * token writes the massive value into the residual sum (Sun et al.; Bondarenko et al. 2021), and a head
 * whose keys single out one token (Xiao et al. 2023) becomes its sink.
 *
 * How the tokens are told apart: a MARKER dim per token. The word-embedding row of [SEP] (RoBERTa </s>)
 * holds 1 at its marker dim and the row of [CLS] (<s>) at another; that column is 0 in every other row of
 * the word, position and token-type tables. After the embedding LayerNorm the marked token has
 * ~sqrt(D - 1) * gamma at its marker dim and every other token ~|mean/std| < 1 (D >= 16), and with the
 * synthetic weights' small updates (std 0.02) the residual stream keeps that gap through the blocks.
 *  - massive at layer L, dim d: FFN neuron j = 0 of block L reads only the SEP marker m,
 *    W1[j] = A e_m, b1[j] = -A sqrt(D - 1) / 2, so GELU gives ~A sqrt(D - 1) / 2 on [SEP] and ~0 (< 1e-30)
 *    elsewhere; W2[:, j] = G e_d writes G times that into dim d of ffn_out, hence of ffn_resid.L (h + FFN
 *    output, what enters the block's last LayerNorm), the pre-LN site of the plant.
 *  - sink at layer L, head h: query/key coordinate r = h * head_dim of block L: Wq[r] = 0, bq[r] = Q
 *    (every query the same), Wk[r] = K e_c reading the CLS marker c, bk[r] = 0; the score gap between [CLS]
 *    and any other key is >= Q K (sqrt(D - 1) - 1) / sqrt(head_dim), so softmax puts mass ~1 on [CLS].
 */
import type { Architecture } from "./types.js";

/** A massive activation to plant: dim `dim` of [SEP] at ffn_resid.`layer` (1-based block). */
export interface PlantedMassive {
  layer: number;
  dim: number;
}

/** A sink head to plant: head `head` (0-based) of block `layer` (1-based) attends to [CLS]. */
export interface PlantedSink {
  layer: number;
  head: number;
}

/** The planted magnitudes (see the file comment). */
export const PLANT_SITES = { markerValue: 1, neuronGain: 20, writeGain: 200, queryBias: 8, keyWeightPerSqrtHeadDim: 2 } as const;

/** What config.json records about a planted massive activation (positional_artefacts_synthetic.plantedMassive). */
export interface MassiveRecord {
  site: string;
  layer: number;
  dim: number;
  token: string;
  tokenId: number;
  markerDim: number;
  neuron: number;
  neuronWeight: number;
  neuronBias: number;
  writeWeight: number;
}

/** What config.json records about a planted sink head (positional_artefacts_synthetic.plantedSink). */
export interface SinkRecord {
  site: string;
  layer: number;
  head: number;
  token: string;
  tokenId: number;
  markerDim: number;
  queryCoordinate: number;
  queryBias: number;
  keyWeight: number;
}

type Tensors = Record<string, { shape: number[]; data: Float32Array }>;

interface PlantShape {
  arch: Architecture;
  layers: number;
  hidden: number;
  heads: number;
  intermediate: number;
}

/** Checks the plant options against the model's shape; throws RangeError naming the option. */
export function checkPlants(o: PlantShape, massive: PlantedMassive | undefined, sink: PlantedSink | undefined, outlier: boolean): void {
  if (!massive && !sink) return;
  if (outlier) throw new RangeError("invalid plant-massive/plant-sink: they cannot be combined with --plant-outlier (its LayerNorm gains and biases would swamp the token markers); write two checkpoints");
  if (o.hidden < 16) throw new RangeError(`invalid hidden: ${o.hidden}; planting a massive activation or a sink needs hidden >= 16 (the token markers need sqrt(hidden - 1) well above 1)`);
  const layer = (v: unknown, what: string) => {
    if (!Number.isInteger(v) || (v as number) < 1 || (v as number) > o.layers) throw new RangeError(`invalid ${what}: layer ${JSON.stringify(v)}; expected a block 1..${o.layers}`);
  };
  if (massive) {
    layer(massive.layer, "plant-massive");
    if (!Number.isInteger(massive.dim) || massive.dim < 0 || massive.dim >= o.hidden) throw new RangeError(`invalid plant-massive: dim ${JSON.stringify(massive.dim)}; expected an integer in 0..${o.hidden - 1}`);
    const [mSep, mCls] = markerDims(o.hidden);
    if (massive.dim === mSep || massive.dim === mCls) throw new RangeError(`invalid plant-massive: dim ${massive.dim} is a token marker (dims ${mCls} and ${mSep} mark [CLS] and [SEP]); choose a dim below ${o.hidden - 2}`);
  }
  if (sink) {
    layer(sink.layer, "plant-sink");
    if (!Number.isInteger(sink.head) || sink.head < 0 || sink.head >= o.heads) throw new RangeError(`invalid plant-sink: head ${JSON.stringify(sink.head)}; expected an integer in 0..${o.heads - 1}`);
  }
}

/** The marker dims of [SEP] and [CLS]: the last two dims (the planted dim is refused there). */
export function markerDims(hidden: number): [number, number] {
  return [hidden - 2, hidden - 1];
}

/** Block-part tensor names of the synthetic families (BERT/RoBERTa vs DistilBERT). */
function names(arch: Architecture, l: number) {
  if (arch === "distilbert") {
    const b = `transformer.layer.${l}`;
    return { q: `${b}.attention.q_lin`, k: `${b}.attention.k_lin`, up: `${b}.ffn.lin1`, down: `${b}.ffn.lin2` };
  }
  const b = `encoder.layer.${l}`;
  return { q: `${b}.attention.self.query`, k: `${b}.attention.self.key`, up: `${b}.intermediate.dense`, down: `${b}.output.dense` };
}

/** Marks `tokenId` with 1 at `dim` and zeroes that column everywhere else in the embedding tables. */
function mark(t: Tensors, D: number, tokenId: number, dim: number): void {
  for (const name of ["embeddings.word_embeddings.weight", "embeddings.position_embeddings.weight", "embeddings.token_type_embeddings.weight"]) {
    const table = t[name];
    if (!table) continue;
    for (let r = 0; r < table.data.length / D; ++r) table.data[r * D + dim] = 0;
  }
  t["embeddings.word_embeddings.weight"].data[tokenId * D + dim] = PLANT_SITES.markerValue;
}

/** Plants the massive activation in the tensors (in place); returns its record. */
export function plantMassive(t: Tensors, o: PlantShape, p: PlantedMassive, sep: { token: string; id: number }): MassiveRecord {
  const D = o.hidden, I = o.intermediate;
  const [m] = markerDims(D);
  mark(t, D, sep.id, m);
  const n = names(o.arch, p.layer - 1);
  const j = 0;
  const a = PLANT_SITES.neuronGain;
  const bias = Math.fround(-a * Math.sqrt(D - 1) / 2);
  const up = t[`${n.up}.weight`].data;
  up.fill(0, j * D, (j + 1) * D);
  up[j * D + m] = a;
  t[`${n.up}.bias`].data[j] = bias;
  const down = t[`${n.down}.weight`].data; // [D, I]
  for (let r = 0; r < D; ++r) down[r * I + j] = r === p.dim ? PLANT_SITES.writeGain : 0;
  return {
    site: `ffn_resid.${p.layer}`, layer: p.layer, dim: p.dim, token: sep.token, tokenId: sep.id, markerDim: m,
    neuron: j, neuronWeight: a, neuronBias: bias, writeWeight: PLANT_SITES.writeGain,
  };
}

/** Plants the sink head in the tensors (in place); returns its record. */
export function plantSink(t: Tensors, o: PlantShape, p: PlantedSink, cls: { token: string; id: number }): SinkRecord {
  const D = o.hidden;
  const [, c] = markerDims(D);
  mark(t, D, cls.id, c);
  const n = names(o.arch, p.layer - 1);
  const r = p.head * (D / o.heads);
  const keyWeight = Math.fround(PLANT_SITES.keyWeightPerSqrtHeadDim * Math.sqrt(D / o.heads));
  t[`${n.q}.weight`].data.fill(0, r * D, (r + 1) * D);
  t[`${n.q}.bias`].data[r] = PLANT_SITES.queryBias;
  const k = t[`${n.k}.weight`].data;
  k.fill(0, r * D, (r + 1) * D);
  k[r * D + c] = keyWeight;
  t[`${n.k}.bias`].data[r] = 0;
  return {
    site: `attn_probs.${p.layer}`, layer: p.layer, head: p.head, token: cls.token, tokenId: cls.id, markerDim: c,
    queryCoordinate: r, queryBias: PLANT_SITES.queryBias, keyWeight,
  };
}
