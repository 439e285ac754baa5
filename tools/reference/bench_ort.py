#!/usr/bin/env python3
"""Python onnxruntime side of `npm run bench -- engine` (bench/engine.ts): all-layer extraction throughput of
the SAME ONNX graph bytes the TypeScript encoder runs, fed the SAME pre-tokenized, pre-padded batches.

Reads a JSON job from --job (written by the bench):
  {"onnx": FILE, "threads": N, "warmup": W, "repeats": R,
   "batches": [{"input_ids": [[...]], "attention_mask": [[...]]}, ...]}
Opens the graph with the session options of src/model/session.ts (intra-op threads N, one inter-op
thread, sequential execution, every graph optimisation, CPU provider, PA_ORT_SPIN), runs every batch W times
unmeasured, then R timed passes fetching every hidden_states.K output, and prints ONE JSON line:
  {"tokens": real tokens per pass, "padded": padded tokens, "seconds": [per pass], "median_s": ...,
   "tps": tokens / median_s, "onnxruntime": version, ...}

  ~/.cache/positional-artefacts/venv-ref/bin/python tools/reference/bench_ort.py --job /tmp/job.json
"""
import argparse
import json
import os
import re
import statistics
import sys
import time

import numpy as np
import onnxruntime as ort


def session(path, threads):
    so = ort.SessionOptions()
    so.intra_op_num_threads = threads
    so.inter_op_num_threads = 1
    so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    # PA_ORT_SPIN=0: threads sleep instead of spinning, as src/model/session.ts does under the same variable
    if os.environ.get("PA_ORT_SPIN") == "0":
        so.add_session_config_entry("session.intra_op.allow_spinning", "0")
    return ort.InferenceSession(path, sess_options=so, providers=["CPUExecutionProvider"])


def main(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--job", required=True, help="JSON job file written by bench/engine.ts")
    args = p.parse_args(argv)
    with open(args.job) as f:
        job = json.load(f)
    threads = int(job["threads"])
    sess = session(job["onnx"], threads)
    inputs = {i.name for i in sess.get_inputs()}
    fetches = [o.name for o in sess.get_outputs() if re.fullmatch(r"hidden_states\.\d+", o.name)]
    if not fetches:
        raise SystemExit(f"{job['onnx']}: no hidden_states.K outputs")
    feeds = []
    for b in job["batches"]:
        ids = np.asarray(b["input_ids"], dtype=np.int64)
        feed = {"input_ids": ids, "attention_mask": np.asarray(b["attention_mask"], dtype=np.int64)}
        # BERT graphs take token_type_ids; RoBERTa, DistilBERT and MPNet graphs do not (as the encoder does)
        if "token_type_ids" in inputs:
            feed["token_type_ids"] = np.zeros_like(ids)
        feeds.append(feed)
    tokens = int(sum(int(f["attention_mask"].sum()) for f in feeds))
    padded = int(sum(f["attention_mask"].size for f in feeds))
    kept = 0

    def one_pass():
        nonlocal kept
        for feed in feeds:
            kept += len(sess.run(fetches, feed))

    for _ in range(int(job.get("warmup", 1))):
        one_pass()
    seconds = []
    for _ in range(int(job.get("repeats", 3))):
        t0 = time.perf_counter()
        one_pass()
        seconds.append(time.perf_counter() - t0)
    median = statistics.median(seconds)
    print(json.dumps({"tokens": tokens, "padded": padded, "batches": len(feeds), "threads": threads,
                      "outputs": len(fetches), "seconds": seconds, "median_s": median, "tps": tokens / median,
                      "onnxruntime": ort.__version__, "numpy": np.__version__}))


if __name__ == "__main__":
    main(sys.argv[1:])
