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
    _keep_output_types(proto)
    onnx.checker.check_model(proto)
    onnx.save_model(proto, str(path))
    return proto


def _keep_output_types(proto: onnx.ModelProto) -> None:
    """keep_io_types leaves a graph output that a blocked (fp32) node makes behind a Cast to
    fp16 (the carried-norm state: a Concat): make that Cast the fp32 it was meant to keep."""
    made_by = {o: n for n in proto.graph.node for o in n.output}
    for value in proto.graph.output:
        t = value.type.tensor_type
        node = made_by.get(value.name)
        if t.elem_type == onnx.TensorProto.FLOAT16 and node is not None and node.op_type == "Cast":
            for a in node.attribute:
                if a.name == "to":
                    a.i = onnx.TensorProto.FLOAT
            t.elem_type = onnx.TensorProto.FLOAT
