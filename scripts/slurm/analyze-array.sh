#!/usr/bin/env bash
# Runs `artefacts analyze` as a Slurm job array over N shards, then merges the shards in a dependent job.
#
#   scripts/slurm/analyze-array.sh N OUTDIR [analyze options...]
#
# Every array task runs `artefacts analyze --shard auto` (the index and count come from
# SLURM_ARRAY_TASK_ID / SLURM_ARRAY_TASK_COUNT) and writes OUTDIR/shard-<index>.json; the merge job
# starts only when every task succeeded (--dependency=afterok) and writes OUTDIR/results.json, the
# same results as one `artefacts analyze` with the same options. Prints the two job ids.
# Extra sbatch options go in PA_SBATCH_OPTS (e.g. "--partition=cpu --time=02:00:00 --cpus-per-task=8").
# ARTEFACTS overrides the command (default: this checkout's bin/artefacts.js under node).
set -euo pipefail
if [ $# -lt 2 ]; then
  echo "usage: $0 N OUTDIR [analyze options...]   (N shards, an integer >= 1)" >&2
  exit 2
fi
n=$1; out=$2; shift 2
if ! [[ "$n" =~ ^[1-9][0-9]*$ ]]; then
  echo "$0: N must be an integer >= 1, got '$n'" >&2
  exit 2
fi
root=$(cd "$(dirname "$0")/../.." && pwd)
artefacts=${ARTEFACTS:-"node $root/bin/artefacts.js"}
mkdir -p "$out"
out=$(cd "$out" && pwd)
args=$(printf ' %q' "$@")
opts=${PA_SBATCH_OPTS:-}

# shellcheck disable=SC2086
array=$(sbatch --parsable $opts --job-name=pa-analyze --array=0-$((n - 1)) \
  --output="$out/slurm-%A_%a.out" \
  --wrap="$artefacts analyze --shard auto$args --out $(printf %q "$out")/shard-\${SLURM_ARRAY_TASK_ID}.json")
array=${array%%;*}
# shellcheck disable=SC2086
merge=$(sbatch --parsable $opts --job-name=pa-merge --dependency=afterok:"$array" \
  --output="$out/slurm-merge-%j.out" \
  --wrap="$artefacts merge $(printf %q "$out")/shard-*.json --out $(printf %q "$out")/results.json")
merge=${merge%%;*}
echo "array $array"
echo "merge $merge"
