"""Will TensorRT take this ONNX? Checked here, with no GPU and no TensorRT.

- Operators: every node against the ONNX parser's supported-operator table of the TensorRT
  release (onnx/onnx-tensorrt docs/operators.md: release/8.6-GA @ 6ba67d34, "up to Opset 17";
  release/10.1-GA @ 96e78110, "opset 9 to opset 20"; TensorRT 11 is taken as 10.x until its
  table is published), and the model's opset against the range the table states. An opset-18
  export is checked for 8.6 as the exact opset-17 rewrite its engine build parses (export.opset17).
- Explicit quantization (QDQ int8, what TensorRT 10+ builds and 8.6 takes with the INT8 flag):
  int8 only, symmetric (zero point 0), weights per channel on the output-channel axis (0),
  activations per tensor.
- The engine's optimization profile against the model card: H and W of min/opt/max must be
  multiples of `multiple_of`, and min <= opt <= max.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import onnx
from onnx import TensorProto, numpy_helper

from vgx.errors import VgxError

from .opset17 import opset_of, to_opset17

_COMMON = tuple(  # the table, one name after another as the docs list them
    "Abs Acos Acosh Add And ArgMax ArgMin Asin Asinh Atan Atanh AveragePool BatchNormalization Cast Ceil Celu Clip "  # noqa: SIM905
    "Concat Constant ConstantOfShape Conv ConvTranspose Cos Cosh CumSum DepthToSpace DequantizeLinear Div Dropout "
    "Einsum Elu Equal Erf Exp Expand EyeLike Flatten Floor Gather GatherElements GatherND Gemm GlobalAveragePool "
    "GlobalLpPool GlobalMaxPool Greater GreaterOrEqual GridSample GroupNormalization GRU HardSwish HardSigmoid "
    "Identity If ImageScaler InstanceNormalization IsInf IsNaN LayerNormalization LeakyRelu Less LessOrEqual Log "
    "LogSoftmax Loop LRN LSTM LpNormalization LpPool MatMul Max MaxPool Mean MeanVarianceNormalization Min Mod Mul "
    "Neg NonMaxSuppression NonZero Not OneHot Or Pad ParametricSoftplus Pow PRelu QuantizeLinear RandomNormal "
    "RandomNormalLike RandomUniform RandomUniformLike Range Reciprocal ReduceL1 ReduceL2 ReduceLogSum "
    "ReduceLogSumExp ReduceMax ReduceMean ReduceMin ReduceProd ReduceSum ReduceSumSquare Relu Reshape Resize "
    "ReverseSequence RNN RoiAlign Round ScaledTanh Scan Scatter ScatterElements ScatterND Selu Shape Shrink "
    "Sigmoid Sign Sin Sinh Size Slice Softmax Softplus Softsign SpaceToDepth Split Sqrt Squeeze Sub Sum Tan Tanh "
    "ThresholdedRelu Tile TopK Transpose Trilu Unsqueeze Upsample Where Xor "
    .split()
)
# release -> (supported ops, lowest opset, highest opset)
TABLES: dict[str, tuple[frozenset[str], int, int]] = {
    "8.6": (frozenset(_COMMON), 1, 17),
    "10.x": (frozenset((*_COMMON, "CastLike", "DeformConv", "Gelu", "Hardmax", "Mish")), 9, 20),
}


def operator_problems(model: onnx.ModelProto, release: str) -> list[str]:
    ops, lo, hi = TABLES[release]
    problems = []
    opset = opset_of(model)
    if not lo <= opset <= hi:
        problems.append(f"opset {opset} is outside TensorRT {release}'s parser range {lo}..{hi}")
    bad: dict[str, list[str]] = {}
    for node in model.graph.node:
        if node.domain not in ("", "ai.onnx") or node.op_type not in ops:
            bad.setdefault(f"{node.domain + '.' if node.domain else ''}{node.op_type}", []).append(node.name)
    problems += [f"{op} is not in TensorRT {release}'s ONNX parser ({len(n)} node(s), e.g. {n[0]})" for op, n in bad.items()]
    return problems


def qdq_problems(model: onnx.ModelProto) -> list[str]:
    """Explicit-quantization rules TensorRT applies to Q/DQ pairs."""
    inits = {t.name: t for t in model.graph.initializer}
    problems = []
    for node in model.graph.node:
        if node.op_type not in ("QuantizeLinear", "DequantizeLinear"):
            continue
        x, scale = node.input[0], node.input[1]
        zp = inits.get(node.input[2]) if len(node.input) > 2 and node.input[2] else None
        if zp is not None:
            if zp.data_type != TensorProto.INT8:
                problems.append(f"{node.name}: zero point is {TensorProto.DataType.Name(zp.data_type)}, TensorRT needs INT8")
            elif np.any(numpy_helper.to_array(zp) != 0):
                problems.append(f"{node.name}: zero point is not 0 (TensorRT quantizes symmetrically)")
        s = inits.get(scale)
        per_channel = s is not None and len(s.dims) == 1 and s.dims[0] > 1
        axis = next((a.i for a in node.attribute if a.name == "axis"), 1)
        if x in inits:  # a weight
            if per_channel and axis != 0:
                problems.append(f"{node.name}: weights quantized per channel on axis {axis}; TensorRT wants the "
                                "output-channel axis 0")
        elif per_channel:
            problems.append(f"{node.name}: activation {x!r} quantized per channel; TensorRT wants per tensor")
    return problems


def profile_problems(profile: dict[str, list[int]], multiple_of: int) -> list[str]:
    """`profile`: {"min"|"opt"|"max": [N, C, H, W]}."""
    problems = []
    m = max(1, multiple_of)
    for k in ("min", "opt", "max"):
        _, _, h, w = profile[k]
        if h % m or w % m:
            problems.append(f"profile {k} {w}x{h} is not a multiple of {m} (the model card's multiple_of)")
    if not all(a <= b <= c for a, b, c in zip(profile["min"], profile["opt"], profile["max"])):
        problems.append("profile min <= opt <= max does not hold")
    return problems


def check_file(path: Path) -> dict[str, Any]:
    """{release: {"ok": bool, "problems": [...], "parsed_as_opset": N}} for one ONNX file (QDQ rules
    where it has Q/DQ). A release whose parser stops below the file's opset is checked on the
    opset-17 rewrite, the graph build_engine hands that release."""
    model = onnx.load(str(path), load_external_data=False)
    qdq = qdq_problems(model)
    report = {}
    for release, (_, _, hi) in TABLES.items():
        graph, problems = model, []
        if opset_of(model) > hi:
            try:
                graph = to_opset17(model)
            except VgxError as e:
                problems.append(str(e))
        problems += operator_problems(graph, release) + qdq
        report[release] = {"ok": not problems, "problems": problems, "parsed_as_opset": opset_of(graph)}
    return report
