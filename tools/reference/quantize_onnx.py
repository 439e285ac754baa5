#!/usr/bin/env python3
"""Writes a dynamic-int8 quantized copy of an exported ONNX fixture, as optimum / transformers.js ship
(`onnx/model_quantized.onnx`: MatMulInteger / DynamicQuantizeLinear nodes), so the surgery can be
tested to refuse it. Needs onnxruntime (requirements-quantize.txt), not torch:

  /tmp/qenv/bin/python tools/reference/quantize_onnx.py --model test/fixtures/onnx/synth-bert-op14/onnx/model.onnx \
      --out test/fixtures/onnx/synth-bert-op14/onnx/model_quantized.onnx
"""
import argparse
import collections
import os
import sys

import onnx
import onnxruntime
from onnxruntime.quantization import QuantType, quantize_dynamic


def main(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--model", required=True, help="float32 model.onnx")
    p.add_argument("--out", required=True, help="quantized .onnx to write (temporary name, then renamed)")
    args = p.parse_args(argv)
    if not os.path.isfile(args.model):
        sys.exit(f"--model: {args.model!r} does not exist; export it first with export_onnx.py")
    tmp = f"{args.out}.tmp-{os.getpid()}.onnx"
    try:
        quantize_dynamic(args.model, tmp, weight_type=QuantType.QInt8)
        ops = collections.Counter(n.op_type for n in onnx.load(tmp).graph.node)
        if not ops.get("MatMulInteger") and not ops.get("DynamicQuantizeLinear"):
            sys.exit(f"{tmp}: no MatMulInteger or DynamicQuantizeLinear node ({dict(ops)}); quantization did nothing")
        os.replace(tmp, args.out)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
    print(f"quantize_onnx: {args.out} (onnxruntime {onnxruntime.__version__}): "
          f"{', '.join(f'{k} {v}' for k, v in sorted(ops.items()) if k in ('MatMulInteger', 'DynamicQuantizeLinear', 'MatMul'))}",
          file=sys.stderr)


if __name__ == "__main__":
    main(sys.argv[1:])
