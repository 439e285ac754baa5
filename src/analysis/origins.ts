import type { LayerNormParams, PositionTensor, StaticTensors } from "../model/types.js";
import { round6 } from "../numerics/json.js";
import { integer, number } from "../numerics/options.js";
import { rankOf } from "../numerics/vectors.js";

/** Options of {@link outlierOrigins}. */
export interface OriginOptions {
  /**
   * A position row "carries" a dimension when the dimension's value in that row lies at least this
   * many standard deviations from the row's mean, with the outlier's sign; default 4 (a Gaussian row
   * of 768 values exceeds 4 sd about once in 20 rows; the paper's spikes sit beyond 10).
   */
  minZ?: number;
  /** Carrier rows listed per dimension, strongest first; default 10. */
  top?: number;
}

/** How one position (or token-type) row holds the dimension. */
export interface RowStrength {
  /** Row of the embedding table. */
  row: number;
  /** Token position that uses the row (row - positionOffset); null for token-type rows. */
  position: number | null;
  value: number;
  /** (value - row mean) / row sd (population sd). */
  z: number;
  /** 1-based rank of |value| within the row. */
  absRank: number;
}

/** Rank of the dimension among one LayerNorm's parameters. */
export interface LayerNormRank {
  layer: number;
  which: LayerNormParams["which"];
  /** Where the norm sits ("post-LN after attention", "pre-LN before the MLP", "final norm" ...); absent for hand-made tensors. */
  site?: string;
  gamma: number;
  beta: number;
  /** 1-based rank of gamma[dim] among the gains, largest first (the paper's "among the 6 largest"). */
  gammaRank: number;
  /** 1-based rank of beta[dim] among the biases, largest first. */
  betaRank: number;
  /** 1-based rank of |beta[dim]| among |biases| (a min outlier's bias is large and negative). */
  betaAbsRank: number;
}

export interface DimensionOrigin {
  dim: number;
  kind: "min" | "max" | null;
  /** Position rows whose value at dim is that row's argmin / argmax, and their share of all rows. */
  argminRows: { count: number; share: number; rows: number[] };
  argmaxRows: { count: number; share: number; rows: number[] };
  /** Rows passing minZ with the kind's sign (both signs when kind is null), strongest |z| first, at most `top`. */
  carriers: RowStrength[];
  /** Number of rows passing minZ (before the `top` cut). */
  carrierCount: number;
  /** The dimension's value in every position row (Fig 3-4 data across rows); [] without a table. */
  positionValues: number[];
  tokenTypes: RowStrength[];
  layerNorms: LayerNormRank[];
  /**
   * Every position-bearing table whose columns are hidden dimensions (absolute tables, DeBERTa's
   * rel_embeddings): the rows carrying the dimension at |z| >= minZ, strongest first.
   */
  tables: { name: string; kind: "absolute" | "relative"; carrierCount: number; carriers: RowStrength[] }[];
}

/** One position-bearing tensor, summarised whatever its columns are (hidden dims or heads). */
export interface PositionTensorReport extends Omit<PositionTensor, "data"> {
  /** The `top` rows with the largest |value|, each with its column. */
  strongestRows: { row: number; maxAbs: number; col: number }[];
  /** Per column: min and max over the rows (for [buckets x heads] tables: each head's bias range). */
  columnRange: { col: number; min: number; max: number }[];
}

export interface OriginResult {
  analysis: "origins";
  settings: { minZ: number; top: number };
  architecture: StaticTensors["architecture"];
  hidden: number;
  positionRows: number;
  positionOffset: number;
  /** The family's position scheme in words. */
  positionScheme: string;
  /** Every position-bearing tensor of the checkpoint; [] when there is none (RoPE). */
  positionTensors: PositionTensorReport[];
  /** A plain sentence: which position-bearing tensors exist, or that there is none to inspect. */
  positionStatement: string;
  dimensions: DimensionOrigin[];
}

/**
 * Where outlier dimensions come from (paper §3.2, Figs 3-4): which position-embedding rows carry
 * each dimension and how strongly, its value in the token-type rows, and its rank among the gains
 * and biases of every norm, named by site. Family-agnostic: every position-bearing tensor the family
 * module declares is reported (absolute tables, MPNet's [buckets x heads] relative bias, DeBERTa's
 * rel_embeddings), and `positionStatement` says plainly when there is none (rotary positions).
 * A pure function of the checkpoint's static tensors.
 */
export function outlierOrigins(
  tensors: StaticTensors,
  dims: readonly (number | { dim: number; kind: "min" | "max" })[],
  { minZ = 4, top = 10 }: OriginOptions = {},
): OriginResult {
  number(minZ, "minZ", 0);
  integer(top, "top", 0);
  const { hidden } = tensors;
  const pe = tensors.positionEmbeddings;
  const list = dims.map((d) => (typeof d === "number" ? { dim: d, kind: null } : { dim: d.dim, kind: d.kind as "min" | "max" | null }));
  for (const { dim } of list) {
    if (!Number.isInteger(dim) || dim < 0 || dim >= hidden) {
      throw new RangeError(`invalid dimension: ${JSON.stringify(dim)}; expected an integer in [0, ${hidden - 1}] (hidden size ${hidden})`);
    }
  }
  const peStats = pe ? rowStats(pe.data, pe.rows, hidden) : null;
  const all = positionTensorsOf(tensors);
  // tables whose columns are hidden dims, other than the absolute table reported above as `carriers`
  const hiddenTables = all.filter((t) => t.hiddenSpace && !(pe && t.data === pe.data));
  const ttStats = tensors.tokenTypeEmbeddings ? rowStats(tensors.tokenTypeEmbeddings.data, tensors.tokenTypeEmbeddings.rows, hidden) : null;
  const dimensions = list.map(({ dim, kind }): DimensionOrigin => {
    const argminRows: number[] = [], argmaxRows: number[] = [], carriers: RowStrength[] = [], positionValues: number[] = [];
    if (pe && peStats) {
      for (let r = 0; r < pe.rows; ++r) {
        const o = r * hidden, v = pe.data[o + dim];
        positionValues.push(round6(v));
        if (peStats.argmin[r] === dim) argminRows.push(r);
        if (peStats.argmax[r] === dim) argmaxRows.push(r);
        const z = peStats.sd[r] > 0 ? (v - peStats.mean[r]) / peStats.sd[r] : 0;
        const signed = kind === "min" ? -z : kind === "max" ? z : Math.abs(z);
        if (signed >= minZ) carriers.push(strength(pe.data, r, hidden, dim, peStats, r - tensors.positionOffset));
      }
    }
    carriers.sort((a, b) => Math.abs(b.z) - Math.abs(a.z) || a.row - b.row);
    const rows = pe ? pe.rows : 0;
    const tokenTypes: RowStrength[] = [];
    if (tensors.tokenTypeEmbeddings && ttStats) {
      for (let r = 0; r < tensors.tokenTypeEmbeddings.rows; ++r) tokenTypes.push(strength(tensors.tokenTypeEmbeddings.data, r, hidden, dim, ttStats, null));
    }
    const layerNorms = tensors.layerNorms.map((ln): LayerNormRank => ({
      layer: ln.layer, which: ln.which, ...(ln.site ? { site: ln.site } : {}), gamma: round6(ln.gamma[dim]), beta: round6(ln.beta[dim]),
      gammaRank: rankOf(ln.gamma, dim), betaRank: rankOf(ln.beta, dim), betaAbsRank: rankOf(ln.beta, dim, Math.abs),
    }));
    return {
      dim, kind,
      argminRows: { count: argminRows.length, share: rows ? round6(argminRows.length / rows) : 0, rows: argminRows },
      argmaxRows: { count: argmaxRows.length, share: rows ? round6(argmaxRows.length / rows) : 0, rows: argmaxRows },
      carriers: carriers.slice(0, top), carrierCount: carriers.length, positionValues, tokenTypes, layerNorms,
      tables: hiddenTables.map((t) => tableCarriers(t, dim, kind, minZ, top, t.kind === "absolute" ? tensors.positionOffset : null)),
    };
  });
  const positionTensors = all.map((t) => summariseTensor(t, top));
  return {
    analysis: "origins", settings: { minZ, top }, architecture: tensors.architecture, hidden,
    positionRows: pe ? pe.rows : 0, positionOffset: tensors.positionOffset,
    positionScheme: tensors.positionScheme ?? (pe ? "learned absolute table" : "none"),
    positionTensors, positionStatement: positionStatement(tensors, positionTensors), dimensions,
  };
}

/** Every position-bearing tensor (the family's list; hand-made tensors: the absolute table). */
function positionTensorsOf(tensors: StaticTensors): PositionTensor[] {
  if (tensors.positionTensors) return tensors.positionTensors;
  const pe = tensors.positionEmbeddings;
  return pe ? [{
    name: "embeddings.position_embeddings.weight", kind: "absolute", rows: pe.rows, cols: tensors.hidden, data: pe.data, hiddenSpace: true,
    rowMeaning: tensors.positionOffset ? `token position + ${tensors.positionOffset}` : "token position", colMeaning: "hidden dimension",
  }] : [];
}

function positionStatement(tensors: StaticTensors, list: PositionTensorReport[]): string {
  const scheme = tensors.positionScheme ?? "learned absolute table";
  if (list.length === 0) return `No position-bearing tensor to inspect: the position scheme is ${scheme}, so positions enter only through computation, not through stored weights.`;
  const parts = list.map((t) => `${t.name} [${t.rows} x ${t.cols}] (${t.kind}; rows: ${t.rowMeaning}; columns: ${t.colMeaning})`);
  return `${list.length} position-bearing tensor${list.length === 1 ? "" : "s"} (${scheme}): ${parts.join("; ")}.`;
}

function tableCarriers(t: PositionTensor, dim: number, kind: "min" | "max" | null, minZ: number, top: number, offset: number | null): DimensionOrigin["tables"][number] {
  const st = rowStats(t.data, t.rows, t.cols);
  const carriers: RowStrength[] = [];
  for (let r = 0; r < t.rows; ++r) {
    const z = st.sd[r] > 0 ? (t.data[r * t.cols + dim] - st.mean[r]) / st.sd[r] : 0;
    const signed = kind === "min" ? -z : kind === "max" ? z : Math.abs(z);
    if (signed >= minZ) carriers.push(strength(t.data, r, t.cols, dim, st, offset === null ? null : r - offset));
  }
  carriers.sort((a, b) => Math.abs(b.z) - Math.abs(a.z) || a.row - b.row);
  return { name: t.name, kind: t.kind, carrierCount: carriers.length, carriers: carriers.slice(0, top) };
}

function summariseTensor(t: PositionTensor, top: number): PositionTensorReport {
  const rows: { row: number; maxAbs: number; col: number }[] = [];
  const lo = new Float64Array(t.cols).fill(Infinity), hi = new Float64Array(t.cols).fill(-Infinity);
  for (let r = 0; r < t.rows; ++r) {
    let best = 0, col = 0;
    for (let c = 0; c < t.cols; ++c) {
      const v = t.data[r * t.cols + c];
      if (Math.abs(v) > best) { best = Math.abs(v); col = c; }
      if (v < lo[c]) lo[c] = v;
      if (v > hi[c]) hi[c] = v;
    }
    rows.push({ row: r, maxAbs: round6(best), col });
  }
  rows.sort((a, b) => b.maxAbs - a.maxAbs || a.row - b.row);
  const columnRange = t.hiddenSpace ? [] : Array.from({ length: t.cols }, (_, c) => ({ col: c, min: round6(lo[c]), max: round6(hi[c]) }));
  return {
    name: t.name, kind: t.kind, rows: t.rows, cols: t.cols, rowMeaning: t.rowMeaning, colMeaning: t.colMeaning, hiddenSpace: t.hiddenSpace,
    strongestRows: rows.slice(0, top), columnRange,
  };
}

interface RowStats { mean: Float64Array; sd: Float64Array; argmin: Int32Array; argmax: Int32Array }

/** Mean, population sd, argmin and argmax of each row of a [rows x hidden] table. */
export function rowStats(data: Float32Array, rows: number, hidden: number): RowStats {
  const mean = new Float64Array(rows), sd = new Float64Array(rows), argmin = new Int32Array(rows), argmax = new Int32Array(rows);
  for (let r = 0; r < rows; ++r) {
    const o = r * hidden;
    let s = 0, lo = 0, hi = 0;
    for (let i = 0; i < hidden; ++i) {
      const v = data[o + i];
      s += v;
      if (v < data[o + lo]) lo = i;
      else if (v > data[o + hi]) hi = i;
    }
    // a NaN sum means NaN or infinity in the row: its argmin/argmax would be a fake index 0
    if (s - s !== 0) throw new RangeError(`rowStats: row ${r} holds a non-finite value (index ${data.subarray(o, o + hidden).findIndex((v) => !Number.isFinite(v))}); the table's statistics would be meaningless, load the weights without allowNonFinite`);
    const m = s / hidden;
    let ss = 0;
    for (let i = 0; i < hidden; ++i) ss += (data[o + i] - m) ** 2;
    mean[r] = m;
    sd[r] = Math.sqrt(ss / hidden);
    argmin[r] = lo;
    argmax[r] = hi;
  }
  return { mean, sd, argmin, argmax };
}

function strength(data: Float32Array, r: number, hidden: number, dim: number, st: RowStats, position: number | null): RowStrength {
  const v = data[r * hidden + dim];
  const z = st.sd[r] > 0 ? (v - st.mean[r]) / st.sd[r] : 0;
  return { row: r, position, value: round6(v), z: round6(z), absRank: rankOf(data.subarray(r * hidden, (r + 1) * hidden), dim, Math.abs) };
}
