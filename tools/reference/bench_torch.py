#!/usr/bin/env python3
"""PyTorch side of `npm run bench` (bench/engine.ts): all-layer extraction throughput of the Hugging Face
reference on the SAME pre-tokenized, pre-padded batches the TypeScript encoder ran (engine mode), or on
batches made the way a research script makes them (script mode: corpus order, 32 a batch, padded).

Reads a JSON job from --job (written by the bench):
  {"model": DIR, "threads": N, "warmup": W, "repeats": R,
   "batches": [{"input_ids": [[...]], "attention_mask": [[...]]}, ...]}
Runs every batch W times unmeasured, then R timed passes over all batches with
torch.set_num_threads(N), eval mode, float32, output_hidden_states=True, attention "sdpa" where the
family supports it (BERT does; MPNet does not in transformers 5, so it runs "eager": the line says which),
and prints ONE JSON line:
  {"tokens": real tokens per pass, "padded": padded tokens, "seconds": [per pass], "median_s": ...,
   "tps": tokens / median_s, "attn_implementation": ..., ...}

  ~/.cache/positional-artefacts/venv-ref/bin/python tools/reference/bench_torch.py --job /tmp/job.json
(the venv of `npm run setup:bench`; Debian's torch 1.13 is outdated and has no SDPA).
"""
import argparse
import json
import statistics
import sys
import time

import torch
import transformers
from transformers import AutoModel


def load(folder):
    """float32, eval; SDPA attention where the family has it (the default of current transformers), else eager."""
    try:
        model = AutoModel.from_pretrained(folder, dtype=torch.float32, attn_implementation="sdpa")
    except (ValueError, ImportError):
        model = AutoModel.from_pretrained(folder, dtype=torch.float32, attn_implementation="eager")
    return model.eval()


def main(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--job", required=True, help="JSON job file written by bench/index.ts")
    args = p.parse_args(argv)
    with open(args.job) as f:
        job = json.load(f)
    threads = int(job["threads"])
    torch.set_num_threads(threads)
    # One inter-op thread as well, so the thread count matches onnxruntime's intraOpNumThreads.
    torch.set_num_interop_threads(1)
    model = load(job["model"])
    batches = [(torch.tensor(b["input_ids"], dtype=torch.int64), torch.tensor(b["attention_mask"], dtype=torch.int64))
               for b in job["batches"]]
    tokens = int(sum(int(m.sum()) for _, m in batches))
    padded = int(sum(m.numel() for _, m in batches))
    kept = 0

    def one_pass():
        nonlocal kept
        with torch.inference_mode():
            for ids, mask in batches:
                out = model(input_ids=ids, attention_mask=mask, output_hidden_states=True)
                kept += len(out.hidden_states)  # use the result so nothing is skipped

    for _ in range(int(job.get("warmup", 1))):
        one_pass()
    seconds = []
    for _ in range(int(job.get("repeats", 3))):
        t0 = time.perf_counter()
        one_pass()
        seconds.append(time.perf_counter() - t0)
    median = statistics.median(seconds)
    print(json.dumps({"tokens": tokens, "padded": padded, "batches": len(batches), "threads": threads, "seconds": seconds,
                      "median_s": median, "tps": tokens / median, "torch": torch.__version__,
                      "transformers": transformers.__version__,
                      "attn_implementation": getattr(model.config, "_attn_implementation", None)}))


if __name__ == "__main__":
    main(sys.argv[1:])
