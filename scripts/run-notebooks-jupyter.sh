#!/usr/bin/env bash
# Executes notebooks with Debian's Jupyter (nbclient, what `jupyter nbconvert --execute` runs, on
# /usr/bin/python3) and the tslab kernel, as a user opening them in Jupyter would, failing on the
# first cell error.
#
#   scripts/run-notebooks-jupyter.sh [NOTEBOOK.ipynb ...]     (default: notebooks/*.ipynb)
#
# Environment: NOTEBOOK_TIMEOUT (seconds per cell, default 600); JUPYTER_OUT (folder for the
# executed copies, default a temporary folder removed at exit); TSLAB_PREFIX (where
# `artefacts-tslab install --prefix` registers the kernelspecs, default .cache/jupyter in the package,
# git-ignored, so nothing outside the checkout changes); TSLAB_BINARY (the kernel command the
# kernelspec runs, default this checkout's bin/artefacts-tslab.js, which starts the nearest tslab
# from the notebook's folder up; registered with tslab's own installer, as artefacts-tslab install
# does). Registration is idempotent: it rewrites the same kernel.json each run.
# Needs `npx tsc -p .` first (the notebooks and the launcher import dist/).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PYTHON=/usr/bin/python3
TIMEOUT="${NOTEBOOK_TIMEOUT:-600}"
PREFIX="${TSLAB_PREFIX:-$ROOT/.cache/jupyter}"
TSLAB="${TSLAB_BINARY:-$ROOT/bin/artefacts-tslab.js}"

if ! "$PYTHON" -c "import nbclient, nbconvert, jupyter_client" 2>/dev/null; then
  echo "run-notebooks-jupyter: $PYTHON lacks nbclient/nbconvert/jupyter_client; apt-get install python3-nbclient python3-nbconvert python3-jupyter-client" >&2
  exit 2
fi
if [ ! -x "$TSLAB" ]; then
  echo "run-notebooks-jupyter: $TSLAB is missing or not executable; run npm install (or set TSLAB_BINARY to an installed kernel command)" >&2
  exit 2
fi

# Register the tslab and jslab kernelspecs under PREFIX and make Jupyter look there first.
node "$ROOT/node_modules/tslab/bin/tslab" install --python="$PYTHON" --binary="$TSLAB" --prefix="$PREFIX" >/dev/null
export JUPYTER_PATH="$PREFIX/share/jupyter${JUPYTER_PATH:+:$JUPYTER_PATH}"
SPEC="$PREFIX/share/jupyter/kernels/tslab/kernel.json"
if [ ! -f "$SPEC" ]; then
  echo "run-notebooks-jupyter: tslab install wrote no $SPEC; check tslab install" >&2
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
  # nbclient (what nbconvert --execute runs) with the kernel started in the notebook's folder, as
  # Jupyter does. tslab sends no ename/evalue, so on an error the cell's stderr is printed too.
  if "$PYTHON" - "$nb" "$OUT" "$TIMEOUT" <<'PY'
import os, sys
import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

path, out, timeout = sys.argv[1], sys.argv[2], int(sys.argv[3])
nb = nbformat.read(path, as_version=4)

def on_error(cell, cell_index, execute_reply):
    content = execute_reply.get("content", {})
    stderr = "".join(o.get("text", "") for o in cell.get("outputs", []) if o.get("output_type") == "stream" and o.get("name") == "stderr")
    errors = "".join(f"{o.get('ename')}: {o.get('evalue')}\n" for o in cell.get("outputs", []) if o.get("output_type") == "error")
    sys.stderr.write(f"{path}: cell {cell_index + 1} failed: {content.get('ename') or 'error'}: {content.get('evalue') or ''}\n{errors}{stderr}")

client = NotebookClient(nb, timeout=timeout, kernel_name="tslab", resources={"metadata": {"path": os.path.dirname(os.path.abspath(path))}}, on_cell_error=on_error)
try:
    client.execute()
except CellExecutionError:
    sys.exit(1)
nbformat.write(nb, os.path.join(out, os.path.basename(path)))
PY
  then
    echo "run-notebooks-jupyter: $nb: ok in $(( $(date +%s) - start )) s" >&2
  else
    echo "run-notebooks-jupyter: $nb: FAILED (see the cell error above)" >&2
    status=1
    break
  fi
done
exit "$status"
