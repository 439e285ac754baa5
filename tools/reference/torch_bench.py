#!/usr/bin/env python3
"""PyTorch throughput of a Hugging Face encoder folder on GIVEN batches, for `npm run bench` (any family).

Runs the model in PyTorch eager mode (no torch.compile), eval, float32, output_hidden_states=True (all
layers, as the toolkit extracts them), on the exact pre-tokenised, pre-padded batches the TypeScript
encoder ran, with torch.set_num_threads(T) and one inter-op thread, and prints ONE JSON line on stdout:

  {"tokens": real tokens per pass, "batches": n, "threads": T, "seconds": [per timed pass],
   "median_s": ..., "tps": tokens / median_s, "torch": ..., "transformers": ..., "attn_implementation": ...,
   "model_class": ..., "model_type": ...}

Batches file (JSON): either a list of batches or an object with a "batches" list (the job format of
bench_torch.py also works); each batch is {"input_ids": [[...]], "attention_mask": [[...]]} and may carry
"token_type_ids"; keys the model's forward does not take are dropped.

  PY=$(tools/reference/setup-venv.sh | tail -1)
  $PY tools/reference/torch_bench.py --model ~/.cache/positional-artefacts/mpnet/all-mpnet-base-v2 \
      --batches /tmp/batches.json --threads 2 [--warmup 1] [--repeats 3] [--attn default|eager|sdpa]

--attn default (the default) uses what transformers picks for the model (sdpa where the family supports
it, e.g. BERT; eager for MPNet and DeBERTa-v2, which have no sdpa path); the chosen one is reported.
"""
import argparse
import inspect
import json
import os
import statistics
import sys
import time

import torch
import transformers
from transformers import AutoModel


def fail(msg):
    sys.exit(f"torch_bench: {msg}")


def load_batches(path):
    try:
        with open(path) as f:
            job = json.load(f)
    except (OSError, json.JSONDecodeError) as err:
        fail(f"{path}: cannot read the batches file ({err}); write a JSON list of {{input_ids, attention_mask}} batches")
    batches = job["batches"] if isinstance(job, dict) and "batches" in job else job
    if not isinstance(batches, list) or not batches:
        fail(f"{path}: expected a non-empty list of batches (or an object with a \"batches\" list)")
    out = []
    for i, b in enumerate(batches):
        for key in ("input_ids", "attention_mask"):
            if key not in b:
                fail(f"{path}: batches[{i}] has no \"{key}\"; each batch needs input_ids and attention_mask ([rows][length])")
        t = {k: torch.tensor(v, dtype=torch.int64) for k, v in b.items() if k in ("input_ids", "attention_mask", "token_type_ids")}
        if t["input_ids"].shape != t["attention_mask"].shape:
            fail(f"{path}: batches[{i}]: input_ids {tuple(t['input_ids'].shape)} and attention_mask "
                 f"{tuple(t['attention_mask'].shape)} differ in shape")
        out.append(t)
    return out


def main(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--model", required=True, help="Hugging Face folder (config.json, model.safetensors)")
    p.add_argument("--batches", required=True, help="JSON file of padded batches (see the file comment)")
    p.add_argument("--threads", type=int, default=1, help="torch intra-op threads (default: %(default)s)")
    p.add_argument("--warmup", type=int, default=1, help="unmeasured passes first (default: %(default)s)")
    p.add_argument("--repeats", type=int, default=3, help="timed passes over all batches (default: %(default)s)")
    p.add_argument("--attn", default="default", choices=["default", "eager", "sdpa"],
                   help="attention implementation (default: transformers' choice for the model)")
    args = p.parse_args(argv)
    if not os.path.isfile(os.path.join(args.model, "config.json")):
        fail(f"--model: {args.model!r} has no config.json; pass a Hugging Face model folder")
    if args.threads < 1 or args.repeats < 1 or args.warmup < 0:
        fail("--threads and --repeats must be >= 1, --warmup >= 0")
    torch.set_num_threads(args.threads)
    torch.set_num_interop_threads(1)  # so the thread count matches onnxruntime's intraOpNumThreads
    kw = {} if args.attn == "default" else {"attn_implementation": args.attn}
    model = AutoModel.from_pretrained(args.model, dtype=torch.float32, **kw).eval()
    accepted = inspect.signature(model.forward).parameters
    batches = [{k: v for k, v in b.items() if k in accepted} for b in load_batches(args.batches)]
    tokens = int(sum(int(b["attention_mask"].sum()) for b in batches))
    kept = 0

    def one_pass():
        nonlocal kept
        with torch.inference_mode():
            for b in batches:
                out = model(**b, output_hidden_states=True)
                kept += len(out.hidden_states)  # use the result so nothing is skipped

    for _ in range(args.warmup):
        one_pass()
    seconds = []
    for _ in range(args.repeats):
        t0 = time.perf_counter()
        one_pass()
        seconds.append(time.perf_counter() - t0)
    median = statistics.median(seconds)
    print(json.dumps({"tokens": tokens, "batches": len(batches), "threads": args.threads, "seconds": seconds,
                      "median_s": median, "tps": tokens / median, "torch": torch.__version__,
                      "transformers": transformers.__version__,
                      "attn_implementation": getattr(model.config, "_attn_implementation", None),
                      "model_class": type(model).__name__, "model_type": model.config.model_type}))


if __name__ == "__main__":
    main(sys.argv[1:])
