/**
 * Test helper: a plain float64 forward pass of BERT / RoBERTa / DistilBERT written from the Hugging Face
 * modeling code, independent of the graph builder (it reads the checkpoint's own key names and the
 * torch [out, in] weight layout). Returns hidden states 0..L, each [batch x length x hidden].
 */
import type { SynthArch } from "../synthCheckpoint.js";

type Tensors = Record<string, { shape: number[]; data: Float32Array }>;

/** erf by its Maclaurin series (|x| < 5; error < 1e-12 there), +-1 beyond (erfc(5) = 1.5e-12). */
export function erf(x: number): number {
  if (Math.abs(x) >= 5) return Math.sign(x);
  let term = x, sum = x;
  for (let n = 1; n < 200; ++n) {
    term *= (-x * x) / n;
    const add = term / (2 * n + 1);
    sum += add;
    if (Math.abs(add) < 1e-17) break;
  }
  return (2 / Math.sqrt(Math.PI)) * sum;
}

export interface ReferenceInput {
  ids: number[][];
  mask: number[][];
  tokenTypes?: number[][];
}

export function referenceForward(arch: SynthArch, config: Record<string, unknown>, tensors: Tensors, input: ReferenceInput): Float64Array[][] {
  const distil = arch === "distilbert";
  const H = (distil ? config.dim : config.hidden_size) as number;
  const L = (distil ? config.n_layers : config.num_hidden_layers) as number;
  const nh = (distil ? config.n_heads : config.num_attention_heads) as number;
  const eps = distil ? 1e-12 : (config.layer_norm_eps as number);
  const pad = config.pad_token_id as number;
  const hasPos = config.position_embedding_type !== "none";
  const prefix = Object.keys(tensors).some((k) => k.startsWith(`${arch}.`)) ? `${arch}.` : "";
  const W = (k: string) => tensors[prefix + k].data;
  const dh = H / nh;

  const layerNorm = (v: Float64Array, g: Float32Array, b: Float32Array) => {
    let mean = 0;
    for (const a of v) mean += a;
    mean /= H;
    let vr = 0;
    for (const a of v) vr += (a - mean) ** 2;
    vr /= H;
    return Float64Array.from(v, (a, i) => ((a - mean) / Math.sqrt(vr + eps)) * g[i] + b[i]);
  };
  // torch Linear: y = x W^T + b, W [out, in]
  const linear = (x: Float64Array, w: Float32Array, b: Float32Array, out: number) => {
    const inDim = x.length;
    const y = new Float64Array(out);
    for (let o = 0; o < out; ++o) {
      let s = b[o];
      for (let i = 0; i < inDim; ++i) s += w[o * inDim + i] * x[i];
      y[o] = s;
    }
    return y;
  };

  const result: Float64Array[][] = [];
  for (let r = 0; r < input.ids.length; ++r) {
    const ids = input.ids[r], mask = input.mask[r], n = ids.length;
    const states: Float64Array[] = [];
    // position ids as Hugging Face computes them
    const pos: number[] = [];
    if (arch === "roberta") {
      let c = 0;
      for (const id of ids) pos.push(id !== pad ? ++c + pad : pad);
    } else for (let i = 0; i < n; ++i) pos.push(i);
    let xs: Float64Array[] = ids.map((id, i) => {
      const v = new Float64Array(H);
      for (let d = 0; d < H; ++d) {
        let e = W("embeddings.word_embeddings.weight")[id * H + d];
        if (arch === "bert") e += W("embeddings.token_type_embeddings.weight")[(input.tokenTypes?.[r][i] ?? 0) * H + d];
        if (arch === "roberta") e += W("embeddings.token_type_embeddings.weight")[d];
        if (hasPos) e += W("embeddings.position_embeddings.weight")[pos[i] * H + d];
        v[d] = e;
      }
      return layerNorm(v, W("embeddings.LayerNorm.weight"), W("embeddings.LayerNorm.bias"));
    });
    states.push(concat(xs));
    for (let l = 0; l < L; ++l) {
      const names = distil
        ? { q: `transformer.layer.${l}.attention.q_lin`, k: `transformer.layer.${l}.attention.k_lin`, v: `transformer.layer.${l}.attention.v_lin`, o: `transformer.layer.${l}.attention.out_lin`, ln1: `transformer.layer.${l}.sa_layer_norm`, f1: `transformer.layer.${l}.ffn.lin1`, f2: `transformer.layer.${l}.ffn.lin2`, ln2: `transformer.layer.${l}.output_layer_norm` }
        : { q: `encoder.layer.${l}.attention.self.query`, k: `encoder.layer.${l}.attention.self.key`, v: `encoder.layer.${l}.attention.self.value`, o: `encoder.layer.${l}.attention.output.dense`, ln1: `encoder.layer.${l}.attention.output.LayerNorm`, f1: `encoder.layer.${l}.intermediate.dense`, f2: `encoder.layer.${l}.output.dense`, ln2: `encoder.layer.${l}.output.LayerNorm` };
      const lin = (x: Float64Array, k: string, out: number) => linear(x, W(`${k}.weight`), W(`${k}.bias`), out);
      const I = tensors[prefix + `${names.f1}.bias`].shape[0];
      const q = xs.map((x) => lin(x, names.q, H)), k = xs.map((x) => lin(x, names.k, H)), v = xs.map((x) => lin(x, names.v, H));
      const ctx = xs.map(() => new Float64Array(H));
      for (let h = 0; h < nh; ++h) {
        for (let i = 0; i < n; ++i) {
          const s = new Float64Array(n);
          for (let j = 0; j < n; ++j) {
            let dot = 0;
            for (let d = 0; d < dh; ++d) dot += q[i][h * dh + d] * k[j][h * dh + d];
            s[j] = dot / Math.sqrt(dh) + (mask[j] ? 0 : -3.4028234663852886e38);
          }
          const m = Math.max(...s);
          let z = 0;
          for (let j = 0; j < n; ++j) z += (s[j] = Math.exp(s[j] - m));
          for (let j = 0; j < n; ++j) for (let d = 0; d < dh; ++d) ctx[i][h * dh + d] += (s[j] / z) * v[j][h * dh + d];
        }
      }
      xs = xs.map((x, i) => {
        const a = lin(ctx[i], names.o, H);
        const h1 = layerNorm(a.map((t, d) => t + x[d]), W(`${names.ln1}.weight`), W(`${names.ln1}.bias`));
        const inner = lin(h1, names.f1, I).map((t) => 0.5 * t * (1 + erf(t / Math.SQRT2)));
        const f = lin(inner, names.f2, H);
        return layerNorm(f.map((t, d) => t + h1[d]), W(`${names.ln2}.weight`), W(`${names.ln2}.bias`));
      });
      states.push(concat(xs));
    }
    result.push(states);
  }
  // regroup: layer -> [batch x length x hidden] row by row
  return Array.from({ length: L + 1 }, (_, l) => result.map((rowStates) => rowStates[l]));
}

function concat(xs: Float64Array[]): Float64Array {
  const out = new Float64Array(xs.length * (xs[0]?.length ?? 0));
  xs.forEach((x, i) => out.set(x, i * x.length));
  return out;
}

/** Largest |a - b| over a padded [batch x length x hidden] float32 output and per-row references. */
export function maxAbsDiff(actual: Float32Array, expectedRows: Float64Array[], length: number, hidden: number): number {
  let worst = 0;
  expectedRows.forEach((row, b) => {
    for (let i = 0; i < row.length; ++i) worst = Math.max(worst, Math.abs(actual[b * length * hidden + i] - row[i]));
  });
  return worst;
}
