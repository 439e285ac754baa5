#!/usr/bin/env python3
"""SYNTHETIC *ForMaskedLM checkpoints + their transformers 5 logits (test/fixtures/heads/).

For each masked-LM head the toolkit runs (BertForMaskedLM, RobertaForMaskedLM, XLMRobertaForMaskedLM,
DistilBertForMaskedLM, MPNetForMaskedLM, ModernBertForMaskedLM) this builds a small model with
transformers' OWN class, randomises EVERY parameter (seeded; make_family_fixtures.randomise), saves it with
`save_pretrained` (tied decoders are not stored: the loader must resolve them to the word embeddings),
reloads it with `AutoModelForMaskedLM.from_pretrained(..., attn_implementation="eager")` and records the
logits of every real token of a few sentences, one of them holding the mask token. One fixture
(`roberta-untied`) has tie_word_embeddings false, so its decoder is a stored tensor of its own.
The weights are random: the logits are exact ground truth for src/model/heads.ts, nothing else.

  PY=$(tools/reference/setup-venv.sh | tail -1)
  $PY tools/reference/make_head_fixtures.py                 # every fixture
  $PY tools/reference/make_head_fixtures.py --only bert
"""
import argparse
import hashlib
import os
import shutil
import sys
import tempfile

os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import numpy as np
import safetensors
import torch
import transformers
from transformers import AutoModelForMaskedLM, AutoTokenizer

from make_family_fixtures import FIXTURES as FAMILY, make_tokenizer, randomise
from refio import sha256_file, to_json

OUT = "test/fixtures/heads"

HEADS = {
    "bert": dict(family="bert", seed=201, cls="BertForMaskedLM"),
    "roberta": dict(family="roberta", seed=202, cls="RobertaForMaskedLM"),
    "roberta-untied": dict(family="roberta", seed=203, cls="RobertaForMaskedLM", extra=dict(tie_word_embeddings=False)),
    "xlm-roberta": dict(family="xlm-roberta", seed=204, cls="XLMRobertaForMaskedLM"),
    "distilbert": dict(family="distilbert", seed=205, cls="DistilBertForMaskedLM"),
    "mpnet": dict(family="mpnet", seed=206, cls="MPNetForMaskedLM"),
    "modernbert": dict(family="modernbert-v5cfg", seed=207, cls="ModernBertForMaskedLM",
                       extra=dict(classifier_bias=True, classifier_activation="gelu_new")),
}


def sentences(tok):
    return ["Hello world.", f"The {tok.mask_token} ran high and the wind came from the north.",
            "The naïve palaeontologist's thesis, surprisingly, wasn't unfalsifiable!"]


def build(spec, folder):
    fam = FAMILY[spec["family"]]
    tok = make_tokenizer(fam["tok"])
    conf = dict(fam["config"], **spec.get("extra", {}))
    conf["vocab_size"] = len(tok)
    config = getattr(transformers, fam["cfg"])(**conf)
    torch.manual_seed(spec["seed"])
    model = getattr(transformers, spec["cls"])(config).eval()
    randomise(model, spec["seed"])
    model.save_pretrained(folder, safe_serialization=True)
    tok.save_pretrained(folder)


def reference(name, spec, folder):
    torch.set_num_threads(1)
    tok = AutoTokenizer.from_pretrained(folder)
    model = AutoModelForMaskedLM.from_pretrained(folder, attn_implementation="eager", dtype=torch.float32).eval()
    assert type(model).__name__ == spec["cls"], type(model).__name__
    sents = sentences(tok)
    enc = tok(sents, padding=True, return_tensors="pt")
    feed = {k: v for k, v in enc.items() if k in ("input_ids", "attention_mask", "token_type_ids")}
    with torch.no_grad():
        logits = model(**feed).logits.to(torch.float32).numpy()
    ids, mask = enc["input_ids"].numpy(), enc["attention_mask"].numpy()
    B, T = ids.shape
    rows = [(b, t) for b in range(B) for t in range(T) if mask[b, t]]
    flat = np.stack([logits[b, t] for (b, t) in rows]).astype("<f4")
    data = flat.tobytes(order="C")
    files = sorted(f for f in os.listdir(folder) if f not in ("reference.json", "reference.f32", "README.md"))
    ref = {
        "format": "positional-artefacts head reference 1",
        "name": name,
        "model_type": model.config.model_type,
        "model_class": type(model).__name__,
        "synthetic": True,
        "note": "SYNTHETIC checkpoint: seeded random weights, NOT trained; exact ground truth only",
        "seed": spec["seed"],
        "tie_word_embeddings": bool(getattr(model.config, "tie_word_embeddings", True)),
        "files": {f: sha256_file(os.path.join(folder, f)) for f in files},
        "safetensors_tensors": sorted(safetensors.safe_open(os.path.join(folder, "model.safetensors"), "np").keys()),
        "sentences": sents,
        "input_ids": [[int(ids[b, t]) for t in range(T) if mask[b, t]] for b in range(B)],
        "vocab": int(logits.shape[-1]),
        "shape": list(flat.shape),
        "max_abs": float(np.abs(flat).max()),
        "data": {"file": "reference.f32", "dtype": "float32", "byteorder": "little",
                 "layout": "[real tokens of every sentence, in sentence order, padding excluded][vocab]",
                 "bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()},
        "versions": {"torch": torch.__version__, "transformers": transformers.__version__},
        "command": f"python tools/reference/make_head_fixtures.py --only {name}",
    }
    return ref, data


def make(name, out_root):
    spec = HEADS[name]
    os.makedirs(out_root, exist_ok=True)
    tmp = tempfile.mkdtemp(prefix=f".{name}.", dir=out_root)
    try:
        build(spec, tmp)
        ref, data = reference(name, spec, tmp)
        with open(os.path.join(tmp, "reference.f32"), "wb") as f:
            f.write(data)
        with open(os.path.join(tmp, "reference.json"), "w") as f:
            f.write(to_json(ref))
        with open(os.path.join(tmp, "README.md"), "w") as f:
            f.write(f"# SYNTHETIC {ref['model_class']} checkpoint ({name})\n\n"
                    f"Written by `tools/reference/make_head_fixtures.py` (seed {spec['seed']}): seeded random weights, "
                    f"NOT a trained model. `reference.json` + `reference.f32`: transformers {transformers.__version__} "
                    f"logits of every real token (eager attention, float32).\n")
        os.chmod(tmp, 0o755)
        for f in os.listdir(tmp):
            os.chmod(os.path.join(tmp, f), 0o644)
        final = os.path.join(out_root, name)
        if os.path.exists(final):
            shutil.rmtree(final)
        os.rename(tmp, final)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    print(f"make_head_fixtures: {name}: {ref['model_class']} logits {ref['shape']}, max_abs {ref['max_abs']:.4g}, "
          f"tensors {len(ref['safetensors_tensors'])}", file=sys.stderr)


def main(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--only", default=None, help=f"comma-separated subset of: {', '.join(HEADS)}")
    p.add_argument("--out", default=OUT, help="output folder (default: %(default)s)")
    args = p.parse_args(argv)
    chosen = args.only.split(",") if args.only else list(HEADS)
    unknown = [n for n in chosen if n not in HEADS]
    if unknown:
        sys.exit(f"--only: unknown fixture(s) {unknown}; known: {', '.join(HEADS)}")
    for n in chosen:
        make(n, args.out)


if __name__ == "__main__":
    main(sys.argv[1:])
