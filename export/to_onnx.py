"""PyTorch module -> fp32 ONNX with dynamic batch, height and width.

Exporter: torch.export-based ("dynamo"), opset 18. Both exporters handle every zoo net,
but the dynamo graphs are cleaner (the luma wrapper exports as Conv/Resize/Pad/Add, not
the TorchScript exporter's Shape/Slice/ConstantOfShape chains), the TorchScript exporter
is deprecated upstream, and opset 18 is what dynamo writes anyway: asked for 17 it
silently wrote 18 for the padded style nets, so vgx asks for 18 and checks opset_import.
Weights are inlined (no `.onnx.data` beside the file), so one hash covers the model.
"""

from __future__ import annotations

from pathlib import Path

import onnx
import torch
from torch import nn

from vgx.card import ModelCard
from vgx.errors import VgxError

from .opset17 import opset_of
from .quiet import quiet

OPSET = 18
INPUT, OUTPUT = "input", "output"
MAX_SIDE = 8192


def export_fp32(model: nn.Module, card: ModelCard, path: Path) -> onnx.ModelProto:
    """Write `path` and return the checked, shape-inferred model."""
    m = max(1, card.multiple_of)
    batch = torch.export.Dim("batch", min=1, max=256)
    if card.task == "generate":  # a latent vector in, an image out: only the batch is dynamic
        return _export(model, card, path, torch.randn(2, card.arch_kwargs.get("latent_dim", 100)), {0: batch})
    if m == 1:
        h, w = torch.export.Dim("height", min=4, max=MAX_SIDE), torch.export.Dim("width", min=4, max=MAX_SIDE)
    else:  # H and W must stay multiples of multiple_of
        h = m * torch.export.Dim("height_blocks", min=1, max=MAX_SIDE // m)
        w = m * torch.export.Dim("width_blocks", min=1, max=MAX_SIDE // m)
    return _export(model, card, path, torch.rand(2, 3, 16 * m, 20 * m), {0: batch, 2: h, 3: w})


def export_carried(model: nn.Module, card: ModelCard, path: Path) -> onnx.ModelProto:
    """A style net with its norms' statistics as an input and an output (train/models/carried_norm.py):
    `input` and `norm_state` share the dynamic batch, `norm_keep` is one number."""
    from vgx.runtime.norm_carry import KEEP_INPUT, STATE_INPUT, STATE_OUTPUT
    from vgx.train.models.carried_norm import CarriedNorms

    carried = CarriedNorms(model)
    m = max(1, card.multiple_of)
    batch = torch.export.Dim("batch", min=1, max=256)
    h = m * torch.export.Dim("height_blocks", min=1, max=MAX_SIDE // m)
    w = m * torch.export.Dim("width_blocks", min=1, max=MAX_SIDE // m)
    example = (torch.rand(2, 3, 16 * m, 20 * m), carried.initial_state(2), torch.tensor([0.5]))
    return _export(carried, card, path, example, {0: batch, 2: h, 3: w},
                   extra={STATE_INPUT: {0: batch}, KEEP_INPUT: None}, outputs=[OUTPUT, STATE_OUTPUT])


def _export(model: nn.Module, card: ModelCard, path: Path, example: torch.Tensor | tuple, dims: dict,
            extra: dict | None = None, outputs: list[str] | None = None) -> onnx.ModelProto:
    """`example`: the input, or a tuple of it and the `extra` inputs (name -> their dynamic dims)."""
    model = model.eval()
    args = example if isinstance(example, tuple) else (example,)
    names = [INPUT, *(extra or {})]
    shapes = dict(zip(_forward_args(model), [dims, *(extra or {}).values()]))
    with quiet(), torch.no_grad():
        program = torch.onnx.export(
            model, args, input_names=names, output_names=outputs or [OUTPUT], opset_version=OPSET,
            dynamic_shapes=shapes, dynamo=True,
            external_data=False, verbose=False, custom_translation_table=_translations(),
        )
    if program is None:
        raise VgxError(f"the ONNX exporter returned nothing for {card.name}")
    proto = program.model_proto
    opset = opset_of(proto)
    if opset != OPSET:
        raise VgxError(f"the exporter wrote opset {opset} instead of {OPSET} for {card.name}")
    _name_dynamic_axes(proto)
    onnx.checker.check_model(proto, full_check=True)
    proto = onnx.shape_inference.infer_shapes(proto, strict_mode=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    onnx.save_model(proto, str(path))
    return proto


def _translations() -> dict:
    """vgx's own ops -> the one ONNX node each stands for (see train/models/export_form.py)."""
    from onnxscript import opset18 as op

    from vgx.train.models.export_form import space_to_depth  # noqa: F401 - registers torch.ops.vgx

    def space_to_depth_onnx(x, f: int):  # noqa: ANN001, ANN202 - onnxscript traces this
        return op.SpaceToDepth(x, blocksize=f)

    return {torch.ops.vgx.space_to_depth.default: space_to_depth_onnx}


def _forward_args(model: nn.Module) -> list[str]:
    import inspect

    return [p for p in inspect.signature(model.forward).parameters]


def _name_dynamic_axes(proto: onnx.ModelProto) -> None:
    """Readable symbolic dims: batch/height/width in, batch/out_height/out_width out."""
    values = [(proto.graph.input[0], ("batch", "height", "width")), (proto.graph.output[0], ("batch", "out_height", "out_width"))]
    values += [(v, ("batch",)) for v in [*proto.graph.input[1:], *proto.graph.output[1:]]]  # carried norms' state
    for value, names in values:
        dims = value.type.tensor_type.shape.dim
        for i, name in zip((0, 2, 3), names):
            if i < len(dims) and not dims[i].HasField("dim_value"):
                dims[i].dim_param = name


def io_spec(proto: onnx.ModelProto) -> dict[str, list[dict]]:
    """Names, element types and (symbolic) shapes of the graph inputs and outputs."""

    def spec(v: onnx.ValueInfoProto) -> dict:
        t = v.type.tensor_type
        shape = [d.dim_param or d.dim_value for d in t.shape.dim]
        return {"name": v.name, "dtype": onnx.helper.tensor_dtype_to_np_dtype(t.elem_type).name, "shape": shape,
                "dynamic_axes": {str(i): d for i, d in enumerate(shape) if isinstance(d, str)}}

    return {"inputs": [spec(v) for v in proto.graph.input], "outputs": [spec(v) for v in proto.graph.output]}
