"""fp32 ONNX -> fp16 ONNX with fp32 inputs/outputs and fp32 islands where fp16 fails.

InstanceNormalization stays fp32: its variance of large activations overflows fp16 and
gives wrong images in both ORT and TensorRT. Resize (and the converter's other default
blocked ops) stay fp32 too. Cast nodes at the islands' borders come from the converter.
"""

from __future__ import annotations

from pathlib import Path

import onnx
from onnxconverter_common import float16

KEEP_FP32 = ["InstanceNormalization"]


def convert_fp16(fp32: onnx.ModelProto, path: Path, keep_fp32: list[str] | None = None) -> onnx.ModelProto:
    block = sorted(set(float16.DEFAULT_OP_BLOCK_LIST) | set(KEEP_FP32) | set(keep_fp32 or []))
    proto = float16.convert_float_to_float16(fp32, keep_io_types=True, op_block_list=block, disable_shape_infer=False)
    onnx.checker.check_model(proto)
    onnx.save_model(proto, str(path))
    return proto
