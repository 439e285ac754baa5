#!/usr/bin/env bash
# Executes notebooks with Debian's Jupyter (nbconvert + nbclient, /usr/bin/python3) and the tslab
# kernel, as a user opening them in Jupyter would, failing on the first cell error.
#
#   scripts/run-notebooks-jupyter.sh [NOTEBOOK.ipynb ...]     (default: notebooks/*.ipynb)
#
# Environment: NOTEBOOK_TIMEOUT (seconds per cell, default 600); JUPYTER_OUT (folder for the
# executed copies, default a temporary folder removed at exit); TSLAB_PREFIX (where
# `npx tslab install --prefix` registers the kernelspecs, default .cache/jupyter in the package,
# git-ignored, so nothing outside the checkout changes). Registration is idempotent: it rewrites
# the same kernel.json each run. Needs `npx tsc -p .` first (the notebooks import dist/).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PYTHON=/usr/bin/python3
TIMEOUT="${NOTEBOOK_TIMEOUT:-600}"
PREFIX="${TSLAB_PREFIX:-$ROOT/.cache/jupyter}"

if ! "$PYTHON" -c "import nbclient, nbconvert, jupyter_client" 2>/dev/null; then
  echo "run-notebooks-jupyter: $PYTHON lacks nbclient/nbconvert/jupyter_client; apt-get install python3-nbclient python3-nbconvert python3-jupyter-client" >&2
  exit 2
fi
if [ ! -x "$ROOT/node_modules/.bin/tslab" ]; then
  echo "run-notebooks-jupyter: $ROOT/node_modules/.bin/tslab is missing; run npm install" >&2
  exit 2
fi

# Register the tslab and jslab kernelspecs under PREFIX and make Jupyter look there first.
(cd "$ROOT" && npx --no-install tslab install --python="$PYTHON" --binary="$ROOT/node_modules/.bin/tslab" --prefix="$PREFIX" >/dev/null)
export JUPYTER_PATH="$PREFIX/share/jupyter${JUPYTER_PATH:+:$JUPYTER_PATH}"
SPEC="$PREFIX/share/jupyter/kernels/tslab/kernel.json"
if [ ! -f "$SPEC" ]; then
  echo "run-notebooks-jupyter: tslab install wrote no $SPEC; check npx tslab install" >&2
  exit 1
fi

if [ "$#" -gt 0 ]; then
  NOTEBOOKS=("$@")
else
  shopt -s nullglob
  NOTEBOOKS=("$ROOT"/notebooks/*.ipynb)
  shopt -u nullglob
fi
if [ "${#NOTEBOOKS[@]}" -eq 0 ]; then
  echo "run-notebooks-jupyter: no notebooks given and none in $ROOT/notebooks; pass .ipynb files" >&2
  exit 2
fi

if [ -n "${JUPYTER_OUT:-}" ]; then
  OUT="$JUPYTER_OUT"
  mkdir -p "$OUT"
else
  OUT="$(mktemp -d)"
  trap 'rm -rf "$OUT"' EXIT
fi

status=0
for nb in "${NOTEBOOKS[@]}"; do
  start=$(date +%s)
  echo "run-notebooks-jupyter: $nb" >&2
  # nbconvert starts the kernel in the notebook's folder, as Jupyter does.
  if "$PYTHON" -m nbconvert --to notebook --execute \
      --ExecutePreprocessor.kernel_name=tslab \
      --ExecutePreprocessor.timeout="$TIMEOUT" \
      --output-dir="$OUT" "$nb"; then
    echo "run-notebooks-jupyter: $nb: ok in $(( $(date +%s) - start )) s" >&2
  else
    echo "run-notebooks-jupyter: $nb: FAILED (see the cell error above)" >&2
    status=1
    break
  fi
done
exit "$status"
