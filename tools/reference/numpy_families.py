#!/usr/bin/env python3
"""An independent NumPy port of every encoder family, checked against the committed transformers 5 fixtures.

Executable form of the per-family notes in test/fixtures/families/README.md: reads a fixture folder's
config.json + model.safetensors (tensor names as transformers writes them) and reference.json's padded
batch, computes every hidden state in float64 with nothing but NumPy, and compares each block of
reference.f32 within 1e-5 relative (|ours - ref| <= 1e-5 * max(1, block max_abs)). For MPNet and DeBERTa
it also checks its own relative-position rows against `relative_index`. No torch, no transformers: if this
passes, the notes (weight names, layouts, orders, bucket formulas, what hidden_states[l] means) are enough
to write a port.

  python3 tools/reference/numpy_families.py                      # every fixture under test/fixtures/families
  python3 tools/reference/numpy_families.py test/fixtures/families/mpnet
Needs numpy and safetensors (the reference venv has both).
"""
import json
import math
import os
import sys

import numpy as np
from safetensors.numpy import load_file

ROOT = "test/fixtures/families"
_erf = np.frompyfunc(math.erf, 1, 1)


def gelu(x):
    return 0.5 * x * (1.0 + _erf(x / math.sqrt(2.0)).astype(np.float64))


def gelu_tanh(x):
    return 0.5 * x * (1.0 + np.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * x ** 3)))


ACT = {"gelu": gelu, "gelu_new": gelu_tanh, "gelu_pytorch_tanh": gelu_tanh}


def act_of(name):
    if name not in ACT:
        raise ValueError(f"activation {name!r} not in {sorted(ACT)}")
    return ACT[name]


class Weights:
    def __init__(self, folder):
        self.w = {k: v.astype(np.float64) for k, v in load_file(os.path.join(folder, "model.safetensors")).items()
                  if v.dtype.kind == "f"}

    def __getitem__(self, name):
        return self.w[name]

    def get(self, name):
        return self.w.get(name)

    def linear(self, x, prefix, bias=True):
        y = x @ self.w[prefix + ".weight"].T
        b = self.w.get(prefix + ".bias")
        return y + b if b is not None else y

    def ln(self, x, prefix, eps):
        mu = x.mean(-1, keepdims=True)
        var = ((x - mu) ** 2).mean(-1, keepdims=True)
        y = (x - mu) / np.sqrt(var + eps) * self.w[prefix + ".weight"]
        b = self.w.get(prefix + ".bias")
        return y + b if b is not None else y


def softmax_masked(scores, allowed):
    """scores [..., q, k]; allowed bool broadcastable; masked entries get probability exactly 0. A padded
    query row with no allowed key at all (DeBERTa masks padded queries; a ModernBERT sliding window past
    the text) gets all zeros: those rows are padding, never compared, and must not turn into NaN."""
    allowed = np.broadcast_to(allowed, scores.shape)
    s = np.where(allowed, scores, -np.inf)
    top = s.max(-1, keepdims=True)
    s = s - np.where(np.isfinite(top), top, 0.0)
    e = np.where(allowed, np.exp(s), 0.0)
    tot = e.sum(-1, keepdims=True)
    return e / np.where(tot > 0, tot, 1.0)


def heads(x, n):
    T, D = x.shape
    return x.reshape(T, n, D // n).transpose(1, 0, 2)  # [h, T, d]


def merge(x):
    h, T, d = x.shape
    return x.transpose(1, 0, 2).reshape(T, h * d)


# ------------------------------------------------------------------------------------ post-LN families
def bert_like(W, c, ids, mask, kind):
    """bert, roberta, xlm-roberta, electra, mpnet (one sentence row: ids [T], mask [T])."""
    T = len(ids)
    eps = c.get("layer_norm_eps", 1e-12)
    if kind in ("roberta", "xlm-roberta", "mpnet"):
        pad = c["pad_token_id"]
        real = (ids != pad).astype(np.int64)
        pos = np.cumsum(real) * real + pad
    else:
        pos = np.arange(T)
    x = W["embeddings.word_embeddings.weight"][ids] + W["embeddings.position_embeddings.weight"][pos]
    if W.get("embeddings.token_type_embeddings.weight") is not None:
        x = x + W["embeddings.token_type_embeddings.weight"][0]
    x = W.ln(x, "embeddings.LayerNorm", eps)
    if kind == "electra" and W.get("embeddings_project.weight") is not None:
        x = W.linear(x, "embeddings_project")
    n = c["num_attention_heads"]
    act = act_of(c["hidden_act"])
    bias = None
    if kind == "mpnet":
        rows = mpnet_rows(T)  # [q, k]
        bias = W["encoder.relative_attention_bias.weight"][rows].transpose(2, 0, 1)  # [h, q, k]
    allowed = mask.astype(bool)[None, None, :]
    out = [x]
    for i in range(c["num_hidden_layers"]):
        p = f"encoder.layer.{i}"
        if kind == "mpnet":
            names = (f"{p}.attention.attn.q", f"{p}.attention.attn.k", f"{p}.attention.attn.v", f"{p}.attention.attn.o", f"{p}.attention.LayerNorm")
        else:
            names = (f"{p}.attention.self.query", f"{p}.attention.self.key", f"{p}.attention.self.value",
                     f"{p}.attention.output.dense", f"{p}.attention.output.LayerNorm")
        q, k, v = (heads(W.linear(x, nm), n) for nm in names[:3])
        s = q @ k.transpose(0, 2, 1) / math.sqrt(q.shape[-1])
        if bias is not None:
            s = s + bias
        a = merge(softmax_masked(s, allowed) @ v)
        x = W.ln(W.linear(a, names[3]) + x, names[4], eps)
        h = act(W.linear(x, f"{p}.intermediate.dense"))
        x = W.ln(W.linear(h, f"{p}.output.dense") + x, f"{p}.output.LayerNorm", eps)
        out.append(x)
    return out, {}


def mpnet_rows(T):
    """Row of relative_attention_bias for [q, k]: bucket of (k - q), 32 buckets, max distance 128, float32 logs."""
    qpos, kpos = np.arange(T)[:, None], np.arange(T)[None, :]
    n = -(kpos - qpos)
    ret = (n < 0).astype(np.int64) * 16
    n = np.abs(n)
    small = n < 8
    with np.errstate(divide="ignore", invalid="ignore"):
        large = 8 + (np.log(n.astype(np.float32) / np.float32(8)) / np.float32(math.log(128 / 8)) * np.float32(8)).astype(np.int64)
    large = np.minimum(large, 15)
    return ret + np.where(small, n, large)


def distilbert(W, c, ids, mask):
    T = len(ids)
    x = W["embeddings.word_embeddings.weight"][ids] + W["embeddings.position_embeddings.weight"][np.arange(T)]
    x = W.ln(x, "embeddings.LayerNorm", 1e-12)
    n, act = c["n_heads"], act_of(c["activation"])
    allowed = mask.astype(bool)[None, None, :]
    out = [x]
    for i in range(c["n_layers"]):
        p = f"transformer.layer.{i}"
        q, k, v = (heads(W.linear(x, f"{p}.attention.{nm}_lin"), n) for nm in "qkv")
        a = merge(softmax_masked(q @ k.transpose(0, 2, 1) / math.sqrt(q.shape[-1]), allowed) @ v)
        x = W.ln(W.linear(a, f"{p}.attention.out_lin") + x, f"{p}.sa_layer_norm", 1e-12)
        h = W.linear(act(W.linear(x, f"{p}.ffn.lin1")), f"{p}.ffn.lin2")
        x = W.ln(h + x, f"{p}.output_layer_norm", 1e-12)
        out.append(x)
    return out, {}


def albert(W, c, ids, mask):
    if c.get("num_hidden_groups", 1) != 1 or c.get("inner_group_num", 1) != 1:
        raise ValueError("albert: only num_hidden_groups = inner_group_num = 1")
    T, eps = len(ids), c["layer_norm_eps"]
    x = (W["embeddings.word_embeddings.weight"][ids] + W["embeddings.position_embeddings.weight"][np.arange(T)]
         + W["embeddings.token_type_embeddings.weight"][0])
    x = W.linear(W.ln(x, "embeddings.LayerNorm", eps), "encoder.embedding_hidden_mapping_in")
    n, act = c["num_attention_heads"], act_of(c["hidden_act"])
    p = "encoder.albert_layer_groups.0.albert_layers.0"
    allowed = mask.astype(bool)[None, None, :]
    out = [x]
    for _ in range(c["num_hidden_layers"]):
        q, k, v = (heads(W.linear(x, f"{p}.attention.{nm}"), n) for nm in ("query", "key", "value"))
        a = merge(softmax_masked(q @ k.transpose(0, 2, 1) / math.sqrt(q.shape[-1]), allowed) @ v)
        x = W.ln(W.linear(a, f"{p}.attention.dense") + x, f"{p}.attention.LayerNorm", eps)
        h = W.linear(act(W.linear(x, f"{p}.ffn")), f"{p}.ffn_output")
        x = W.ln(h + x, f"{p}.full_layer_layer_norm", eps)
        out.append(x)
    return out, {}


# ---------------------------------------------------------------------------------------------- DeBERTa
def deberta_span(c):
    mrp = c.get("max_relative_positions", -1)
    if mrp < 1:
        mrp = c["max_position_embeddings"]
    pb = c.get("position_buckets", -1)
    return (pb if pb > 0 else mrp), pb, mrp


def deberta_rows(d, c):
    """Row of rel_embeddings for the offset d = q - k."""
    span, pb, mrp = deberta_span(c)
    if pb > 0:
        mid = pb // 2
        sign = np.sign(d)
        abs_pos = np.where((d < mid) & (d > -mid), mid - 1, np.abs(d))
        log_pos = np.ceil(np.log(abs_pos.astype(np.float32) / np.float32(mid))
                          / np.log(np.float32((mrp - 1) / mid)) * np.float32(mid - 1)) + mid
        b = np.where(abs_pos <= mid, d, (log_pos * sign).astype(np.int64))
    else:
        b = d
    return np.clip(b + span, 0, 2 * span - 1)


def deberta(W, c, ids, mask):
    T, eps = len(ids), c["layer_norm_eps"]
    x = W["embeddings.word_embeddings.weight"][ids]
    if c.get("position_biased_input", True):
        x = x + W["embeddings.position_embeddings.weight"][np.arange(T)]
    if c.get("type_vocab_size", 0) > 0:
        x = x + W["embeddings.token_type_embeddings.weight"][0]
    if W.get("embeddings.embed_proj.weight") is not None:
        x = W.linear(x, "embeddings.embed_proj")
    x = W.ln(x, "embeddings.LayerNorm", eps) * mask[:, None]
    span, _, _ = deberta_span(c)
    rel = W["encoder.rel_embeddings.weight"][: 2 * span]
    if "layer_norm" in [s.strip() for s in c.get("norm_rel_ebd", "none").lower().split("|")]:
        rel = W.ln(rel, "encoder.LayerNorm", eps)
    types = c.get("pos_att_type") or []
    if isinstance(types, str):
        types = [t.strip() for t in types.lower().split("|")]
    share = c.get("share_att_key", False)
    n, act = c["num_attention_heads"], act_of(c["hidden_act"])
    rows = deberta_rows(np.arange(T)[:, None] - np.arange(T)[None, :], c)  # [q, k]
    allowed = (mask.astype(bool)[:, None] & mask.astype(bool)[None, :])[None]
    out = [x]
    for i in range(c["num_hidden_layers"]):
        p = f"encoder.layer.{i}.attention"
        q, k, v = (heads(W.linear(x, f"{p}.self.{nm}_proj"), n) for nm in ("query", "key", "value"))
        scale = math.sqrt(q.shape[-1] * (1 + len(types)))
        s = q @ k.transpose(0, 2, 1) / scale
        if "c2p" in types:
            kr = heads(W.linear(rel, f"{p}.self.key_proj" if share else f"{p}.self.pos_key_proj"), n)  # [h, 2span, d]
            c2p = q @ kr.transpose(0, 2, 1)  # [h, q, 2span]
            s = s + np.take_along_axis(c2p, np.broadcast_to(rows, (n, T, T)), axis=-1) / scale
        if "p2c" in types:
            qr = heads(W.linear(rel, f"{p}.self.query_proj" if share else f"{p}.self.pos_query_proj"), n)
            p2c = k @ qr.transpose(0, 2, 1)  # [h, k, 2span]
            # p2c[q, k] = K_k . Qr[row(q - k)]
            s = s + np.take_along_axis(p2c, np.broadcast_to(rows.T, (n, T, T)), axis=-1).transpose(0, 2, 1) / scale
        a = merge(softmax_masked(s, allowed) @ v)
        x = W.ln(W.linear(a, f"{p}.output.dense") + x, f"{p}.output.LayerNorm", eps)
        h = act(W.linear(x, f"encoder.layer.{i}.intermediate.dense"))
        x = W.ln(W.linear(h, f"encoder.layer.{i}.output.dense") + x, f"encoder.layer.{i}.output.LayerNorm", eps)
        out.append(x)
    return out, {}


# ------------------------------------------------------------------------------------------- ModernBERT
def modernbert_layout(c):
    L = c["num_hidden_layers"]
    types = c.get("layer_types") or [
        "full_attention" if i % c.get("global_attn_every_n_layers", 3) == 0 else "sliding_attention" for i in range(L)]
    rp = c.get("rope_parameters") or {}
    theta = {"full_attention": (rp.get("full_attention") or {}).get("rope_theta", c.get("global_rope_theta", 160000.0)),
             "sliding_attention": (rp.get("sliding_attention") or {}).get("rope_theta", c.get("local_rope_theta", 10000.0))}
    return types, theta


def rope(x, pos, theta):
    d = x.shape[-1]
    inv = (1.0 / (np.float32(theta) ** (np.arange(0, d, 2, dtype=np.float32) / np.float32(d)))).astype(np.float32)
    f = pos[:, None].astype(np.float32) * inv
    emb = np.concatenate([f, f], -1)
    cos, sin = np.cos(emb).astype(np.float64), np.sin(emb).astype(np.float64)
    rot = np.concatenate([-x[..., d // 2:], x[..., : d // 2]], -1)
    return x * cos + rot * sin


def modernbert(W, c, ids, mask):
    T, eps = len(ids), c.get("norm_eps", 1e-5)
    types, theta = modernbert_layout(c)
    x = W.ln(W["embeddings.tok_embeddings.weight"][ids], "embeddings.norm", eps)
    n, act = c["num_attention_heads"], act_of(c["hidden_activation"])
    pos = np.arange(T)
    real = mask.astype(bool)[None, :]
    near = np.abs(pos[:, None] - pos[None, :]) <= c["local_attention"] // 2
    out = [x]
    for i in range(c["num_hidden_layers"]):
        p = f"layers.{i}"
        h = x if i == 0 else W.ln(x, f"{p}.attn_norm", eps)
        qkv = W.linear(h, f"{p}.attn.Wqkv").reshape(T, 3, n, -1).transpose(1, 2, 0, 3)  # [3, h, T, d]
        q, k, v = (rope(qkv[0], pos, theta[types[i]]), rope(qkv[1], pos, theta[types[i]]), qkv[2])
        allowed = real & near if types[i] == "sliding_attention" else real
        a = merge(softmax_masked(q @ k.transpose(0, 2, 1) / math.sqrt(q.shape[-1]), allowed[None]) @ v)
        x = x + W.linear(a, f"{p}.attn.Wo")
        ig = W.linear(W.ln(x, f"{p}.mlp_norm", eps), f"{p}.mlp.Wi")
        inp, gate = np.split(ig, 2, axis=-1)
        x = x + W.linear(act(inp) * gate, f"{p}.mlp.Wo")
        out.append(x)
    final = W.ln(x, "final_norm", eps)
    return out[:-1] + [final], {"final_norm_input": x, "last_hidden_state": final}


# ---------------------------------------------------------------------------------------------- checks
def run_fixture(folder):
    with open(os.path.join(folder, "config.json")) as f:
        c = json.load(f)
    with open(os.path.join(folder, "reference.json")) as f:
        ref = json.load(f)
    blob = np.fromfile(os.path.join(folder, ref["data"]["file"]), dtype="<f4")
    W = Weights(folder)
    mt = c["model_type"]
    fn = {"bert": lambda *a: bert_like(*a, "bert"), "roberta": lambda *a: bert_like(*a, "roberta"),
          "xlm-roberta": lambda *a: bert_like(*a, "xlm-roberta"),
          "camembert": lambda *a: bert_like(*a, "xlm-roberta"), "electra": lambda *a: bert_like(*a, "electra"),
          "mpnet": lambda *a: bert_like(*a, "mpnet"), "distilbert": distilbert, "albert": albert,
          "deberta-v2": deberta, "modernbert": modernbert}[mt]
    ids_b, mask_b = np.array(ref["batch"]["input_ids"]), np.array(ref["batch"]["attention_mask"])
    per_block = {}
    for b in range(len(ids_b)):
        hs, extra = fn(W, c, ids_b[b], mask_b[b])
        real = mask_b[b].astype(bool)
        named = {f"hidden_states.{l}": h for l, h in enumerate(hs)}
        named["last_hidden_state"] = extra.get("last_hidden_state", hs[-1])
        named.update({k: v for k, v in extra.items() if k != "last_hidden_state"})
        for k, v in named.items():
            per_block.setdefault(k, []).append(v[real])
    worst = 0.0
    for blk in ref["blocks"]:
        exp = blob[blk["offset"] // 4: blk["offset"] // 4 + blk["shape"][0] * blk["shape"][1]].reshape(blk["shape"])
        got = np.concatenate(per_block[blk["name"]])
        rel = float(np.abs(got - exp).max()) / max(1.0, blk["max_abs"])
        worst = max(worst, rel)
        if not rel <= 1e-5:
            raise AssertionError(f"{folder}: block {blk['name']}: relative delta {rel:.3g} > 1e-5")
    ri = ref.get("relative_index")
    if ri:
        d = np.arange(ri["from"], -ri["from"] + 1)
        mine = mpnet_rows_offsets(d) if mt == "mpnet" else deberta_rows(d, c)
        if list(map(int, mine)) != ri["values"]:
            raise AssertionError(f"{folder}: relative_index differs from the NumPy bucket formula")
    return worst


def mpnet_rows_offsets(d):
    """mpnet_rows for offsets d = k - q given directly."""
    n = -d
    ret = (n < 0).astype(np.int64) * 16
    n = np.abs(n)
    with np.errstate(divide="ignore", invalid="ignore"):
        large = 8 + (np.log(n.astype(np.float32) / np.float32(8)) / np.float32(math.log(128 / 8)) * np.float32(8)).astype(np.int64)
    return ret + np.where(n < 8, n, np.minimum(large, 15))


def main(argv):
    folders = argv or sorted(os.path.join(ROOT, d) for d in os.listdir(ROOT) if os.path.isdir(os.path.join(ROOT, d)))
    failed = 0
    for f in folders:
        try:
            print(f"numpy_families: {os.path.basename(f)}: every block within {run_fixture(f):.2e} relative (<= 1e-5)")
        except Exception as err:  # report every fixture, fail at the end
            failed += 1
            print(f"numpy_families: {os.path.basename(f)}: FAILED: {err}")
    if failed:
        sys.exit(f"numpy_families: {failed} fixture(s) failed")


if __name__ == "__main__":
    main(sys.argv[1:])
