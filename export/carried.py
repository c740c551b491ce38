"""The carried-norm graphs of a style artifact: `model.PRECISION.carried.onnx`.

The same net with its InstanceNorm statistics as an input and an output
(train/models/carried_norm.py), for streams: the runtime feeds each frame the statistics
of the frames before it (runtime/norm_carry.py). Written for every precision the artifact
has. Verified like the plain graphs: fp32 against PyTorch on a three-frame sequence, fp16
and int8 against the carried fp32, and keep = 0 against the plain graph (the same function
per frame).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

import numpy as np
import torch

from vgx.card import ModelCard
from vgx.errors import VgxError
from vgx.manifest import FP16_MIN_PSNR
from vgx.metrics import agreement, worst
from vgx.runtime.norm_carry import VERIFY_KEEP, run_sequence, verification_sequence
from vgx.runtime.ort_runner import ORTRunner
from vgx.runtime.runner import infer_one
from vgx.train.models.carried_norm import CarriedNorms

from .fp16 import convert_fp16
from .int8 import Int8Config, quantize_int8
from .quiet import quiet
from .to_onnx import export_carried

FP32_MAX_ABS = 1e-4
# the norm's arithmetic (statistics, their mixing, the scale) stays fp32 in the fp16 graph, as
# InstanceNormalization does in the plain one: the variance of large activations overflows fp16
# (by op type, so the residual blocks' Adds stay fp32 too)
KEEP_FP32 = ["ReduceMean", "Sub", "Mul", "Div", "Sqrt", "Add", "Slice", "Concat", "Unsqueeze"]


def carried_file(precision: str) -> str:
    return f"model.{precision}.carried.onnx"


def _sequence(path: Path, frames: list[np.ndarray], keep: float, size: int, optimize: bool = True) -> list[np.ndarray]:
    with ORTRunner(path, optimize=optimize) as runner:
        return run_sequence(runner, frames, keep, size)


def add_carried(model: torch.nn.Module, card: ModelCard, folder: Path, precisions: dict[str, dict[str, Any]],
                inputs: list[np.ndarray], int8: Int8Config | None, log: Callable[[str], None]) -> None:
    """Write and verify the carried graphs beside `precisions`' files, recording each under
    precisions[p]["carried"]. int8 is quantized from the carried fp32 graph as the plain one is
    from the plain fp32 (calibrated at keep 0: the same activations), within the same budget."""
    deploy = model.for_export() if hasattr(model, "for_export") else model
    frames = verification_sequence(inputs[0])
    path = folder / carried_file("fp32")
    proto = export_carried(deploy, card, path)
    carried = CarriedNorms(model).eval()
    with torch.no_grad():
        state, ref = carried.initial_state(frames[0].shape[0]), []
        for i, x in enumerate(frames):
            y, state = carried(torch.from_numpy(x), state, torch.tensor([VERIFY_KEEP if i else 0.0]))
            ref.append(y.numpy())
    fp32_seq = _sequence(path, frames, VERIFY_KEEP, carried.size)
    fig = worst([agreement(a, b) for a, b in zip(ref, fp32_seq)])
    if fig["max_abs"] > FP32_MAX_ABS:
        raise VgxError(f"the carried-norm fp32 graph differs from PyTorch by {fig['max_abs']:.2e}: export bug")
    entries = {"fp32": {"file": path.name, "state_size": carried.size,
                        "verification": {"against": f"pytorch, 3 frames at keep {VERIFY_KEEP}", "max_abs": _g(fig["max_abs"])}}}
    if "fp16" in precisions:
        half = folder / carried_file("fp16")
        with quiet():
            convert_fp16(proto, half, keep_fp32=KEEP_FP32)
        fig = worst([agreement(a, b) for a, b in zip(fp32_seq, _sequence(half, frames, VERIFY_KEEP, carried.size))])
        if fig["psnr"] < FP16_MIN_PSNR[card.task]:
            raise VgxError(f"the carried-norm fp16 graph reaches only {fig['psnr']:.1f} dB against fp32: report it")
        entries["fp16"] = {"file": half.name, "state_size": carried.size,
                           "verification": {"against": "carried fp32 onnx", "psnr": round(fig["psnr"], 2)}}
    if int8 is not None and "int8" in precisions:
        q, cpu = folder / carried_file("int8"), int8.target == "cpu"
        with quiet():
            quant = quantize_int8(path, q, card, int8, log=lambda s: None)
        fig = worst([agreement(a, b) for a, b in zip(fp32_seq, _sequence(q, frames, VERIFY_KEEP, carried.size, optimize=cpu))])
        entries["int8"] = {"file": q.name, "state_size": carried.size, "float_nodes": quant["float_nodes"],
                           "within_budget": quant["within_budget"], "target": int8.target,
                           "verification": {"against": "carried fp32 onnx", "psnr": round(fig["psnr"], 2)}}
    for precision, entry in entries.items():
        # keep = 0 is the plain graph of the same precision, frame by frame (int8: each quantized on its own)
        optimize = precision != "int8" or entry["target"] == "cpu"
        with ORTRunner(folder / precisions[precision]["file"], optimize=optimize) as plain:
            per_frame = [infer_one(plain, x) for x in frames]
        fig = worst([agreement(a, b) for a, b in zip(per_frame, _sequence(folder / entry["file"], frames, 0.0, carried.size,
                                                                          optimize=optimize))])
        entry["verification"]["keep_0_vs_plain_max_abs"] = _g(fig["max_abs"])
        if precision == "fp32" and fig["max_abs"] > FP32_MAX_ABS:
            raise VgxError(f"the carried-norm graph at keep 0 differs from the plain one by {fig['max_abs']:.2e}: export bug")
        precisions[precision]["carried"] = entry
        log(f"{precision} carried norms ({entry['file']}): " + ", ".join(f"{k} {v}" for k, v in entry["verification"].items()))


def _g(v: float) -> float:
    return float(f"{v:.3g}")
