#!/usr/bin/env bash
# Builds the pinned JupyterLab 4 virtual environment the browser test opens notebooks in
# (tools/jupyterlab/requirements.txt), outside git, idempotently:
#   ~/.cache/positional-artefacts/jupyterlab-venv   (PA_JUPYTERLAB_VENV overrides)
# A venv whose stamp matches the requirements' sha256 is kept. When PyPI cannot be reached the
# script says so and exits 0 without a venv; the test then skips JupyterLab with that reason.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV="${PA_JUPYTERLAB_VENV:-$HOME/.cache/positional-artefacts/jupyterlab-venv}"
REQ=tools/jupyterlab/requirements.txt
SUM="$(sha256sum "$REQ" | cut -d' ' -f1)"
if [ -x "$VENV/bin/jupyter-lab" ] && [ "$(cat "$VENV/.requirements-sha256" 2>/dev/null)" = "$SUM" ]; then
  echo "setup-jupyterlab: $VENV is up to date" >&2
  exit 0
fi
if ! /usr/bin/python3 -c "import urllib.request; urllib.request.urlopen('https://pypi.org/simple/jupyterlab/', timeout=15)" 2>/dev/null; then
  echo "setup-jupyterlab: PyPI (https://pypi.org) cannot be reached; no JupyterLab venv, the browser test will skip JupyterLab" >&2
  exit 0
fi
# A venv's scripts hold its own path, so it is built where it stays; the stamp, written last, marks
# it complete (a half-built venv has none and is rebuilt).
rm -rf "$VENV"
mkdir -p "$(dirname "$VENV")"
/usr/bin/python3 -m venv "$VENV"
"$VENV/bin/pip" install -q --disable-pip-version-check --no-deps -r "$REQ" >&2
echo "$SUM" > "$VENV/.requirements-sha256"
echo "setup-jupyterlab: JupyterLab $("$VENV/bin/jupyter-lab" --version) in $VENV" >&2
