#!/usr/bin/python3
"""Exports a (SYNTHETIC) Hugging Face folder to ONNX the way optimum / transformers.js exports look,
as input for the graph-surgery tests (test/model/surgery-real.test.ts).

The graph has ONE output, `last_hidden_state` (no hidden_states.N: that is what the surgery must add),
inputs `input_ids`, `attention_mask` (and `token_type_ids` for BERT), int64, with dynamic axes
`batch_size` and `sequence_length`. Opset 14 decomposes LayerNorm into ReduceMean/Sub/Pow/Sqrt/Div
nodes; opset 17 uses the LayerNormalization op. The output folder has the transformers.js layout:

  <out>/config.json, tokenizer.json, tokenizer_config.json, vocab.txt ... (copied from --model)
  <out>/onnx/model.onnx

  /usr/bin/python3 tools/reference/export_onnx.py --model test/fixtures/models/synth-bert --opset 14 \
      --out test/fixtures/onnx/synth-bert-op14

After exporting, the script runs nothing else; test/model/surgery-real.test.ts compares the exposed
hidden states with test/fixtures/reference/<model>.f32 (made by reference.py from the same folder).
"""
import argparse
import json
import os
import shutil
import sys
import tempfile

import torch
import transformers
from transformers import AutoModel, AutoTokenizer

COPY = ["config.json", "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "vocab.txt",
        "vocab.json", "merges.txt"]


class LastHiddenState(torch.nn.Module):
    """Wraps a Hugging Face encoder so that the traced graph returns last_hidden_state only."""

    def __init__(self, model, names):
        super().__init__()
        self.model = model
        self.names = names

    def forward(self, *inputs):
        return self.model(**dict(zip(self.names, inputs)), return_dict=True).last_hidden_state


def main(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--model", required=True, help="Hugging Face folder")
    p.add_argument("--opset", type=int, required=True, choices=[14, 17], help="ONNX opset: 14 (decomposed LayerNorm) or 17")
    p.add_argument("--out", required=True, help="output folder (transformers.js layout); replaced atomically")
    args = p.parse_args(argv)
    if not os.path.isfile(os.path.join(args.model, "config.json")):
        sys.exit(f"--model: {args.model!r} has no config.json; pass a Hugging Face model folder")

    torch.manual_seed(0)
    model = AutoModel.from_pretrained(args.model, torch_dtype=torch.float32).eval()
    tokenizer = AutoTokenizer.from_pretrained(args.model)
    names = [n for n in ["input_ids", "attention_mask", "token_type_ids"] if n in tokenizer.model_input_names]
    # Trace on a padded batch of two so no shape is baked in as a constant.
    enc = tokenizer(["hello world", "the first sentence of the day"], padding=True, return_tensors="pt")
    inputs = tuple(enc[n] for n in names)
    axes = {n: {0: "batch_size", 1: "sequence_length"} for n in names}
    axes["last_hidden_state"] = {0: "batch_size", 1: "sequence_length"}

    parent = os.path.dirname(os.path.abspath(args.out))
    os.makedirs(parent, exist_ok=True)
    tmp = tempfile.mkdtemp(prefix=".export-", dir=parent)
    os.chmod(tmp, 0o755)  # mkdtemp makes 0700; the folder is committed
    try:
        os.makedirs(os.path.join(tmp, "onnx"))
        for f in COPY:
            if os.path.isfile(os.path.join(args.model, f)):
                shutil.copyfile(os.path.join(args.model, f), os.path.join(tmp, f))
        with torch.no_grad():
            torch.onnx.export(LastHiddenState(model, names), inputs, os.path.join(tmp, "onnx", "model.onnx"),
                              input_names=names, output_names=["last_hidden_state"], dynamic_axes=axes,
                              opset_version=args.opset, do_constant_folding=True)
        with open(os.path.join(tmp, "onnx", "export.json"), "w") as f:
            json.dump({"note": "SYNTHETIC model exported for surgery tests" if "positional_artefacts_synthetic" in model.config.to_dict() else "exported",
                       "opset": args.opset, "inputs": names, "outputs": ["last_hidden_state"],
                       "torch": torch.__version__, "transformers": transformers.__version__,
                       "command": " ".join(["/usr/bin/python3", "tools/reference/export_onnx.py", *argv])}, f, indent=1)
            f.write("\n")
        if os.path.exists(args.out):
            old = tempfile.mkdtemp(prefix=".old-", dir=parent)
            os.rename(args.out, os.path.join(old, "x"))
            os.rename(tmp, args.out)
            shutil.rmtree(old)
        else:
            os.rename(tmp, args.out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    print(f"export_onnx: {args.model} -> {args.out}/onnx/model.onnx (opset {args.opset})", file=sys.stderr)


if __name__ == "__main__":
    main(sys.argv[1:])
