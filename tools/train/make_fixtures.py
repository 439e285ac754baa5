#!/usr/bin/env python3
"""Fixture values for test/models/shipped.test.ts: every hidden state (0..L) of the shipped models for two
fixed sentences, computed by the plain PyTorch model of train.py (and cross-checked against Hugging Face
transformers' BertModel where it supports the config: position_embedding_type "none" it does not).

Usage: /usr/bin/python3 tools/train/make_fixtures.py models/mlm-pos models/mlm-nopos --out test/fixtures/shipped
"""
import argparse, hashlib, json, os, sys
import torch
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from load_model import load  # noqa: E402

SENTENCES = ["Call me Ishmael, and say it twice.",
             "The committee reported that the new law had been passed by both houses of Congress."]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("models", nargs="+")
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    torch.set_num_threads(1)
    os.makedirs(a.out, exist_ok=True)
    from tokenizers import Tokenizer
    for folder in a.models:
        name = os.path.basename(os.path.normpath(folder))
        tok = Tokenizer.from_file(os.path.join(folder, "tokenizer.json"))
        m, cfg = load(folder)
        fx = {"name": name, "generator": "tools/train/make_fixtures.py (plain PyTorch model of tools/train/train.py)",
              "torch": torch.__version__, "sentences": SENTENCES,
              "files": {f: hashlib.sha256(open(os.path.join(folder, f), "rb").read()).hexdigest()
                        for f in ("config.json", "model.safetensors", "tokenizer.json")},
              "layers": cfg["num_hidden_layers"] + 1, "hidden": cfg["hidden_size"],
              "input_ids": [], "tokens": [], "hidden_states": []}
        hf_diff = None
        for s in SENTENCES:
            e = tok.encode(s)
            ids = torch.tensor([e.ids])
            with torch.no_grad():
                hs = m.encode(ids, all_layers=True)
            fx["input_ids"].append(e.ids)
            fx["tokens"].append(e.tokens)
            # [layer][token * hidden], rounded to 7 significant digits
            fx["hidden_states"].append([[float("%.7g" % v) for v in h[0].reshape(-1).tolist()] for h in hs])
            if cfg.get("position_embedding_type", "absolute") == "absolute":
                try:
                    from transformers import BertModel
                    hf = BertModel.from_pretrained(folder, add_pooling_layer=False).eval()
                    with torch.no_grad():
                        ref = hf(ids, output_hidden_states=True).hidden_states
                    d = max(float((x - y).abs().max()) for x, y in zip(hs, ref))
                    hf_diff = d if hf_diff is None else max(hf_diff, d)
                except ImportError:
                    pass
        fx["hf_bertmodel_max_abs_diff"] = hf_diff
        with open(os.path.join(a.out, name + ".json"), "w") as f:
            json.dump(fx, f)
        print(name, "tokens", [len(t) for t in fx["tokens"]], "HF BertModel max |diff|", hf_diff)


if __name__ == "__main__":
    main()
