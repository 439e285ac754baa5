#!/usr/bin/env bash
# `npm run setup:bench`: the Python references of `npm run bench` (torch eager and python onnxruntime).
# Builds, or reuses when it already matches, the pinned current-PyTorch venv of
# tools/reference/setup-venv.sh (torch, transformers 5.x, onnxruntime, from PyPI, pinned in
# tools/reference/requirements-current.txt; the full resolved set is requirements-current.lock.txt),
# then checks that the venv holds exactly the pinned torch, transformers and onnxruntime and that
# torch has scaled_dot_product_attention (SDPA). Prints the venv's python on stdout (last line); the
# bench finds it there by itself. About 6 GB and several minutes the first time; seconds afterwards.
set -euo pipefail
cd "$(dirname "$0")/.."
REQ=tools/reference/requirements-current.txt
PY="$(bash tools/reference/setup-venv.sh | tail -1)"
"$PY" - "$REQ" >&2 <<'PYCHECK'
import re, sys
import torch, transformers, onnxruntime
pins = dict(re.findall(r"^([A-Za-z0-9_.-]+)==(\S+)", open(sys.argv[1]).read(), re.M))
have = {"torch": torch.__version__.split("+")[0], "transformers": transformers.__version__, "onnxruntime": onnxruntime.__version__}
bad = [f"{k} {v} (pinned {pins.get(k)})" for k, v in have.items() if pins.get(k) != v]
if bad:
    sys.exit(f"setup:bench: the venv does not match {sys.argv[1]}: {', '.join(bad)}; remove the venv and rerun npm run setup:bench")
if int(transformers.__version__.split(".")[0]) < 5:
    sys.exit(f"setup:bench: transformers {transformers.__version__} is older than 5.x; the bench compares against current transformers")
if not hasattr(torch.nn.functional, "scaled_dot_product_attention"):
    sys.exit(f"setup:bench: torch {torch.__version__} has no scaled_dot_product_attention (SDPA)")
print(f"setup:bench: ready: torch {torch.__version__} (CPU threads {torch.get_num_threads()}), transformers {transformers.__version__}, "
      f"onnxruntime {onnxruntime.__version__}, SDPA yes")
PYCHECK
echo "$PY"
