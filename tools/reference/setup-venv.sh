#!/usr/bin/env bash
# Builds the CURRENT Python reference (torch 2.15 + transformers 5.x + sentence-transformers + onnxruntime,
# pinned in tools/reference/requirements-current.txt) into a virtual environment OUTSIDE git:
#   ${PA_CACHE:-~/.cache/positional-artefacts}/venv-ref        (about 5 GB; several minutes the first time)
# Idempotent: when the venv exists and its stamp matches the requirements file's sha256, nothing is done.
# A new build goes to a temporary folder that is renamed into place, so an interrupted run never leaves a
# half-installed venv at the final path. Prints the venv's python on stdout (last line).
#
#   tools/reference/setup-venv.sh
#   PY=$(tools/reference/setup-venv.sh | tail -1)
#
# Not part of `npm run setup:test` or CI: the family tests read the committed fixtures only; this is
# needed only to REGENERATE them (tools/reference/make_family_fixtures.py, mpnet_reference.py) and for
# the PyTorch side of `npm run bench` (tools/reference/bench_torch.py, run with this venv's python).
# Environment: PA_CACHE, PYTHON (base interpreter, default python3; needs the venv module, 3.10+).
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
REQ="$HERE/requirements-current.txt"
CACHE="${PA_CACHE_DIR:-${PA_CACHE:-$HOME/.cache/positional-artefacts}}"
PYTHON="${PYTHON:-python3}"
VENV="$CACHE/venv-ref"
want="$(sha256sum "$REQ" | cut -d' ' -f1)"

if [[ -x "$VENV/bin/python" && -f "$VENV/.pa-requirements.sha256" ]] \
  && [[ "$(cat "$VENV/.pa-requirements.sha256")" == "$want" ]] \
  && "$VENV/bin/python" -c "import torch, transformers, sentence_transformers, onnxruntime, safetensors" 2>/dev/null; then
  echo "setup-venv: $VENV is present and matches $REQ" >&2
  echo "$VENV/bin/python"
  exit 0
fi

mkdir -p "$CACHE"
# venvs hard-code their own path in scripts, so build at the final path's sibling and rename; python
# itself resolves its prefix from the executable's location, and `python -m pip` keeps working after the move.
tmp="$(mktemp -d "$CACHE/.venv-ref.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT
t0=$(date +%s)
echo "setup-venv: creating a venv with $PYTHON ($("$PYTHON" --version 2>&1)) in $tmp" >&2
"$PYTHON" -m venv "$tmp"
"$tmp/bin/python" -m pip install --disable-pip-version-check --no-cache-dir -q -r "$REQ" >&2
"$tmp/bin/python" -m pip check >&2
"$tmp/bin/python" -m pip freeze --all > "$tmp/requirements-resolved.txt"
"$tmp/bin/python" - >&2 <<'PY'
import torch, transformers, sentence_transformers, onnxruntime, safetensors
print("setup-venv: torch", torch.__version__, "transformers", transformers.__version__,
      "sentence-transformers", sentence_transformers.__version__, "onnxruntime", onnxruntime.__version__,
      "safetensors", safetensors.__version__)
PY
echo "$want" > "$tmp/.pa-requirements.sha256"
if [[ -e "$VENV" ]]; then
  mv "$VENV" "$tmp.old"
fi
mv "$tmp" "$VENV"
rm -rf "$tmp.old"
trap - EXIT
echo "setup-venv: built $VENV in $(( $(date +%s) - t0 )) s, $(du -sh "$VENV" | cut -f1)" >&2
echo "$VENV/bin/python"
