#!/usr/bin/env bash
# Runs `artefacts analyze` as a Slurm job array of N shards, then a dependent merge job.
#
#   scripts/slurm/analyze-array.sh N OUTDIR [analyze options, e.g. --model DIR --sample 20000 --seed 1]
#
# Submits `sbatch --array=0-(N-1)`: task K runs `artefacts analyze --shard auto ... --out
# OUTDIR/shard-K.jsonl` (the shard index comes from SLURM_ARRAY_TASK_ID/COUNT), then a merge job with
# --dependency=afterok on the whole array: `artefacts merge OUTDIR/shard-*.jsonl --out
# OUTDIR/results.json`. It prints "array JOBID" and "merge JOBID" and returns; logs go to
# OUTDIR/shard-K.log and OUTDIR/merge.log. Extra sbatch options (partition, time, CPUs, memory) go in
# SBATCH_ARGS, e.g. SBATCH_ARGS="--partition=cpu --time=2:00:00 --cpus-per-task=8 --mem=16G".
# ARTEFACTS is the command to run (default: `artefacts` on PATH, else this checkout's bin/artefacts.js).
set -euo pipefail

script=$(readlink -f "${BASH_SOURCE[0]}")

case "${1:-}" in
  __shard)  # inside an array task: $2 OUTDIR, then the analyze options
    out=$2; shift 2
    exec $ARTEFACTS analyze --shard auto "$@" --out "$out/shard-$SLURM_ARRAY_TASK_ID.jsonl" ;;
  __merge)  # inside the merge job: $2 OUTDIR, $3 N
    out=$2; n=$3
    shards=()
    for ((k = 0; k < n; k++)); do shards+=("$out/shard-$k.jsonl"); done
    exec $ARTEFACTS merge "${shards[@]}" --out "$out/results.json" ;;
  ""|-h|--help)
    sed -n '2,14p' "$script" | sed 's/^# \{0,1\}//'
    exit 2 ;;
esac

n=$1; out=$2; shift 2
if ! [[ $n =~ ^[1-9][0-9]*$ ]]; then echo "analyze-array.sh: N must be a whole number >= 1, got '$n'" >&2; exit 2; fi
for a in "$@"; do
  case "$a" in --shard|--shard=*|--shards|--shards=*|--out|--out=*) echo "analyze-array.sh: $a is set by the script; leave it out" >&2; exit 2 ;; esac
done
mkdir -p "$out"
out=$(readlink -f "$out")
if [ -z "${ARTEFACTS:-}" ]; then
  if command -v artefacts >/dev/null; then ARTEFACTS=artefacts
  else ARTEFACTS="node $(dirname "$(dirname "$(dirname "$script")")")/bin/artefacts.js"; fi
fi
export ARTEFACTS
# shellcheck disable=SC2086  # SBATCH_ARGS is a list of options
array=$(sbatch --parsable ${SBATCH_ARGS:-} --job-name=artefacts-shard --array="0-$((n - 1))" \
  --output="$out/shard-%a.log" --export=ALL "$script" __shard "$out" "$@")
array=${array%%;*}
# shellcheck disable=SC2086
merge=$(sbatch --parsable ${SBATCH_ARGS:-} --job-name=artefacts-merge --dependency="afterok:$array" \
  --kill-on-invalid-dep=yes --output="$out/merge.log" --export=ALL "$script" __merge "$out" "$n")
merge=${merge%%;*}
echo "array $array"
echo "merge $merge"
