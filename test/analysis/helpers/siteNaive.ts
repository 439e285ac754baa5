/**
 * Naive recomputations for the site analyses' tests: every activation of every batch stored, each
 * statistic recomputed directly with float64 loops and compared with the accumulator's result.
 */
import assert from "node:assert/strict";
import { TOKEN_CLASSES, tokenClasses } from "../../../src/analysis/tokenClasses.js";
import type { MassiveResult } from "../../../src/analysis/massive.js";
import type { NormsResult } from "../../../src/analysis/norms.js";
import { SINK_CLASSES, type SinkResult } from "../../../src/analysis/sinks.js";
import { HISTOGRAM_RESOLUTION } from "../../../src/numerics/absHistogram.js";
import type { EncodedBatch } from "../../../src/model/types.js";

const r6 = (x: number) => Number(x.toPrecision(7));

/** |a - b| within rel x max(|a|, |b|, 1e-3), printing both. */
export function near(actual: number | null, expected: number, rel: number, what: string): void {
  assert.ok(actual !== null && Math.abs(actual - expected) <= rel * Math.max(Math.abs(actual), Math.abs(expected), 1e-3), `${what}: expected ${expected}, actual ${actual}, tolerance ${rel} relative`);
}

/** Every stored activation of a site. */
interface Stored { abs: number; value: number; sentence: number; position: number; dim: number; cls: number; token: string }

export function storeValues(batches: EncodedBatch[]): Map<string, Stored[]> {
  const out = new Map<string, Stored[]>();
  for (const enc of batches) {
    const cls = tokenClasses(enc);
    const sites: [string, Float32Array, number][] = enc.layers.map((d, l) => [`hidden_states.${l}`, d, enc.hidden]);
    for (const [n, d] of Object.entries(enc.sites ?? {})) if (!/^(attn_probs|hidden_states)\./.test(n)) sites.push([n, d, d.length / (enc.batch * enc.length)]);
    for (const [name, data, w] of sites) {
      const list = out.get(name) ?? [];
      out.set(name, list);
      for (let b = 0; b < enc.batch; ++b) for (let i = 0; i < enc.tokens[b].length; ++i) for (let j = 0; j < w; ++j) {
        const v = data[(b * enc.length + i) * w + j];
        list.push({ abs: Math.abs(v), value: v, sentence: enc.sentenceIndex[b], position: i, dim: j, cls: cls[b * enc.length + i], token: enc.tokens[b][i] });
      }
    }
  }
  return out;
}

/** Checks every statistic of `r` against the stored activations. */
export function checkMassiveNaive(r: MassiveResult, batches: EncodedBatch[]): void {
  const stored = storeValues(batches);
  const { absolute, ratio, topK } = r.settings;
  assert.deepEqual(r.sites.map((s) => s.site).sort(), [...stored.keys()].sort());
  const cells = new Map<string, Set<number>>();
  for (const s of r.sites) {
    const all = stored.get(s.site)!;
    const sorted = all.map((x) => x.abs).sort((a, b) => a - b);
    const median = sorted[Math.floor((sorted.length - 1) / 2)];
    assert.ok(s.medianBounds![0] <= median && median < s.medianBounds![1], `${s.site}: median ${median} outside ${s.medianBounds}`);
    assert.ok(Math.abs(s.median! - median) / median <= HISTOGRAM_RESOLUTION, `${s.site}: median ${s.median} vs ${median}`);
    assert.equal(s.tokens * s.width, all.length);
    const byAbs = [...all].sort((a, b) => b.abs - a.abs || a.sentence - b.sentence || a.position - b.position || a.dim - b.dim);
    assert.deepEqual(s.top, byAbs.slice(0, topK).map((x) => ({ value: r6(x.value), sentence: x.sentence, token: x.token, position: x.position, dim: x.dim, class: TOKEN_CLASSES[x.cls] })));
    assert.equal(s.aboveAbsolute, all.filter((x) => x.abs > absolute).length);
    // the ratio test with the reported median (the bin's midpoint) is exact; the true median's count lies within the bounds
    const massive = all.filter((x) => x.abs > absolute && x.abs > ratio * s.median!);
    assert.equal(s.massive, massive.length, `${s.site}: massive count`);
    const exactCount = all.filter((x) => x.abs > absolute && x.abs > ratio * median).length;
    assert.ok(s.massiveBounds[0] <= exactCount && exactCount <= s.massiveBounds[1]);
    for (const c of TOKEN_CLASSES) assert.equal(s.byClass[c], massive.filter((x) => TOKEN_CLASSES[x.cls] === c).length);
    const dims = new Map<number, number>();
    for (const x of massive) dims.set(x.dim, (dims.get(x.dim) ?? 0) + 1);
    assert.deepEqual(s.dims, [...dims].sort((a, b) => b[1] - a[1] || a[0] - b[0]).slice(0, r.settings.topDims).map(([dim, count]) => ({ dim, count })));
    const dimMax = new Array(s.width).fill(0);
    for (const x of all) dimMax[x.dim] = Math.max(dimMax[x.dim], x.abs);
    assert.deepEqual(s.dimMaxAbs, dimMax.map(r6));
    for (const x of massive) {
      const key = `${s.kind},${x.dim},${TOKEN_CLASSES[x.cls]}`;
      cells.set(key, (cells.get(key) ?? new Set()).add(s.layer));
    }
  }
  assert.deepEqual(new Map(r.persistence.map((p) => [`${p.kind},${p.dim},${p.class}`, new Set(p.layers)])), cells);
}

/** Per site, every stored token vector (float64) with its sentence, position, class and token. */
function storeVectors(batches: EncodedBatch[]) {
  const out = new Map<string, { v: number[]; sentence: number; position: number; cls: number; token: string }[]>();
  for (const enc of batches) {
    const cls = tokenClasses(enc);
    const sites: [string, Float32Array, number][] = enc.layers.map((d, l) => [`hidden_states.${l}`, d, enc.hidden]);
    for (const [n, d] of Object.entries(enc.sites ?? {})) if (!/^(attn_probs|hidden_states)\./.test(n)) sites.push([n, d, d.length / (enc.batch * enc.length)]);
    for (const [name, data, w] of sites) {
      const list = out.get(name) ?? [];
      out.set(name, list);
      for (let b = 0; b < enc.batch; ++b) for (let i = 0; i < enc.tokens[b].length; ++i) {
        const o = (b * enc.length + i) * w;
        list.push({ v: Array.from(data.subarray(o, o + w)), sentence: enc.sentenceIndex[b], position: i, cls: cls[b * enc.length + i], token: enc.tokens[b][i] });
      }
    }
  }
  return out;
}

const kurt = (xs: number[]): number | null => {
  const mu = xs.reduce((a, x) => a + x, 0) / xs.length;
  const m2 = xs.reduce((a, x) => a + (x - mu) ** 2, 0), m4 = xs.reduce((a, x) => a + (x - mu) ** 4, 0);
  return m2 > 0 && xs.length > 1 ? (xs.length * m4) / (m2 * m2) : null;
};

/**
 * Kurtosis tolerance, relative: per-token m2, m4 and each batch's per-dim central sums are float32
 * (the site reductions, model/reductions.ts), so kurtosis agrees to float32 level, not to the 7th digit.
 */
const KURTOSIS_REL = 1e-5;

export function checkNormsNaive(r: NormsResult, batches: EncodedBatch[]): void {
  const stored = storeVectors(batches);
  assert.deepEqual(r.sites.map((s) => s.site).sort(), [...stored.keys()].sort());
  for (const s of r.sites) {
    const toks = stored.get(s.site)!;
    const inf = toks.map((t) => Math.max(...t.v.map(Math.abs)));
    // ties (the same token in two sentences): the earlier sentence, then position, as the accumulator's total order
    const earlier = (i: number, j: number) => toks[i].sentence - toks[j].sentence || toks[i].position - toks[j].position;
    const best = inf.reduce((bi, x, i) => (x > inf[bi] || (x === inf[bi] && earlier(i, bi) < 0) ? i : bi), 0);
    assert.equal(s.tokens, toks.length);
    assert.equal(s.infNorm!.max, r6(inf[best]));
    near(s.infNorm!.mean, inf.reduce((a, x) => a + x, 0) / inf.length, 2e-6, `${s.site} mean inf norm`);
    const t = toks[best];
    assert.deepEqual(s.infNorm!.at, { sentence: t.sentence, token: t.token, position: t.position, dim: t.v.map(Math.abs).indexOf(inf[best]), class: TOKEN_CLASSES[t.cls] });
    for (const [c, name] of TOKEN_CLASSES.entries()) {
      const mine = inf.filter((_, i) => toks[i].cls === c);
      assert.equal(s.byClass[name].tokens, mine.length);
      if (mine.length) assert.equal(s.byClass[name].max, r6(Math.max(...mine)));
    }
    const tk = toks.map((x) => kurt(x.v)!);
    near(s.tokenKurtosis.mean, tk.reduce((a, x) => a + x, 0) / tk.length, KURTOSIS_REL, `${s.site} token kurtosis`);
    near(s.tokenKurtosis.max, Math.max(...tk), KURTOSIS_REL, `${s.site} max token kurtosis`);
    for (let j = 0; j < s.width; ++j) near(s.dimKurtosis.values[j], kurt(toks.map((x) => x.v[j]))!, KURTOSIS_REL, `${s.site} dim ${j} kurtosis`);
    const counts = new Array(s.width).fill(0);
    for (const x of toks) {
      const a = x.v.map(Math.abs);
      counts[a.indexOf(Math.max(...a))]++;
    }
    const want = [...counts.keys()].filter((j) => counts[j] > 0).sort((a, b) => counts[b] - counts[a] || a - b).slice(0, r.settings.topDims);
    assert.deepEqual(s.dims.map((d) => [d.dim, d.count]), want.map((j) => [j, counts[j]]));
  }
}

function naive(batches: EncodedBatch[], eps: number) {
  const out = new Map<number, { mass: number[][]; over: number[][]; sentences: number; queries: number }>();
  for (const enc of batches) {
    const cls = tokenClasses(enc), T = enc.length;
    for (const [name, data] of Object.entries(enc.sites!)) {
      if (!name.startsWith("attn_probs.")) continue;
      const layer = Number(name.split(".")[1]), H = data.length / (enc.batch * T * T);
      const t = out.get(layer) ?? { mass: Array.from({ length: H }, () => [0, 0, 0, 0]), over: Array.from({ length: H }, () => [0, 0, 0, 0]), sentences: 0, queries: 0 };
      out.set(layer, t);
      for (let b = 0; b < enc.batch; ++b) {
        const n = enc.tokens[b].length;
        for (let h = 0; h < H; ++h) {
          const per = [0, 0, 0, 0];
          for (let q = 0; q < n; ++q) for (let k = 0; k < n; ++k) if (cls[b * T + k] < 4) per[cls[b * T + k]] += data[((b * H + h) * T + q) * T + k];
          per.forEach((m, c) => {
            t.mass[h][c] += m;
            if (m / n > eps) t.over[h][c]++;
          });
        }
        t.sentences++;
        t.queries += n;
      }
    }
  }
  return out;
}

export function checkSinksNaive(r: SinkResult, batches: EncodedBatch[]): void {
  const want = naive(batches, r.settings.epsilon);
  assert.deepEqual(r.layers.map((l) => l.layer), [...want.keys()].sort());
  for (const l of r.layers) {
    const w = want.get(l.layer)!;
    for (const h of l.heads) {
      SINK_CLASSES.forEach((c, i) => {
        assert.ok(Math.abs(h.mass[c] - w.mass[h.head][i] / w.queries) <= 1e-6 * Math.max(1e-3, h.mass[c]), `layer ${l.layer} head ${h.head} ${c}: ${h.mass[c]} vs ${w.mass[h.head][i] / w.queries}`);
        assert.equal(h.sinkShare[c], r6(w.over[h.head][i] / w.sentences));
      });
    }
  }
}

