"""Backend choice: the best one this machine has, and why the others were skipped."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from vgx.errors import VgxError

from . import ort_runner
from .runner import Runner

ORDER = ("trt", "ort-trt", "ort-cuda", "ort-cpu")
ALIASES = {"ort": ("ort-trt", "ort-cuda", "ort-cpu"), "auto": ORDER, "tensorrt": ("trt",)}


@dataclass
class Choice:
    backend: str
    precision: str
    skipped: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def describe(self) -> str:
        why = "; ".join(f"{b}: {r}" for b, r in self.skipped.items())
        return f"backend {self.backend} ({self.precision})" + (f" - skipped {why}" if why else "")


def choose(folder: Path, manifest: dict[str, Any], wanted: str, precision: str, threads: int | None = None
           ) -> tuple[Runner, Choice]:
    """A runner for the first usable backend in `wanted` (auto | ort | trt | torch | a name)."""
    candidates = ALIASES.get(wanted, (wanted,))
    if wanted == "torch":
        return _torch(manifest, precision)
    if wanted.startswith(("triton://", "triton+http://")):
        return _triton(wanted, manifest, precision)
    unknown = [c for c in candidates if c not in ORDER]
    if unknown:
        raise VgxError(f"unknown backend {wanted!r}; choose auto, ort, trt, torch or one of {', '.join(ORDER)}")
    ort_avail = ort_runner.available()
    skipped: dict[str, str] = {}
    for backend in candidates:
        prec = precision
        if backend == "ort-cpu" and precision == "fp16":
            prec = "fp32"  # ORT's CPU provider casts fp16 back to fp32 and loses fusions
        if prec not in manifest["precisions"]:
            skipped[backend] = f"no {prec} model in the folder"
            continue
        if backend == "trt":
            try:
                from .engine_files import pick_engine
                from .trt_runner import TensorRTRunner

                return TensorRTRunner(pick_engine(folder, manifest, prec)), Choice(backend, prec, skipped)
            except VgxError as e:
                skipped[backend] = str(e)
                continue
        if ort_avail.get(backend):
            skipped[backend] = ort_avail[backend] or ""
            continue
        from vgx import manifest as mf

        path = mf.verified_path(folder, manifest, manifest["precisions"][prec]["file"])
        choice = Choice(backend, prec, skipped)
        if prec != precision:
            choice.notes.append("fp16 is for GPUs: ONNX Runtime's CPU provider computes it in fp32 with extra casts, "
                                "so fp32 runs instead (int8 is the fast CPU option)")
        choice.notes += _int8_notes(manifest, prec, backend)
        return ort_runner.ORTRunner(path, backend, threads=threads), choice
    raise VgxError("no backend can run this model: " + "; ".join(f"{b}: {r}" for b, r in skipped.items()))


def _torch(manifest: dict[str, Any], precision: str) -> tuple[Runner, Choice]:
    from .hooks import HOOKS

    if HOOKS.torch_runner is None:
        raise VgxError("the torch backend is not available here (it needs vgx[train], i.e. torch, and the vgx CLI)")
    return HOOKS.torch_runner(manifest.get("source", manifest["card"]["name"])), Choice("torch", "fp32")


def _triton(uri: str, manifest: dict[str, Any], precision: str) -> tuple[Runner, Choice]:
    """The artifact's uint8 twin served by Triton: the client checks the server runs exactly it."""
    from .triton_runner import TritonRunner

    twin = manifest["precisions"].get(precision, {}).get("frame_io")
    if twin is None:
        raise VgxError(f"the triton backend serves a uint8 frames model and this artifact's {precision} has none "
                       "(generators and cpu-target int8 have none): use fp32 or fp16")
    card = manifest["card"]
    sha = manifest["files"][twin["file"]]["sha256"]
    return TritonRunner(uri, card["name"], sha, int(card.get("scale", 1))), Choice("triton", precision)


def _int8_notes(manifest: dict[str, Any], precision: str, backend: str) -> list[str]:
    """An int8 model quantized for another class of machine runs, but says what it costs."""
    if precision != "int8":
        return []
    from vgx.environment import cpu_has_vnni

    q = manifest["precisions"]["int8"].get("quantization", {})
    if backend == "ort-cpu" and q.get("target") == "cpu" and q.get("reduce_range") is False and not cpu_has_vnni():
        return ["this int8 model was quantized on a CPU with VNNI (full 8-bit weights); without VNNI its u8 x s8 "
                "products can saturate: re-export it here (vgx export MODEL --int8) for the reduced-range form"]
    if backend == "ort-cpu" and q.get("target") == "gpu":
        return ["this int8 model was quantized for TensorRT (symmetric int8); `vgx export MODEL --int8 --int8-target cpu` "
                "writes the form ONNX Runtime's x86 kernels run best"]
    return []
