"""`vgx verify DIR`: every precision on every backend this machine has, against fp32.

The reference is the fp32 ONNX on ONNX Runtime's CPU provider. A user's first run on a
GPU machine checks the GPU path (ORT CUDA / TensorRT EP, TensorRT engines) against the
figures export measured on the CPU. Needs no torch: a Jetson runs it with the runtime only.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from vgx import manifest as mf
from vgx.card import ModelCard
from vgx.errors import VgxError
from vgx.manifest import FP16_MIN_PSNR, FP32_TOL, INT8_MARGIN_DB
from vgx.metrics import agreement, worst
from vgx.samples import verification_inputs

from . import ort_runner
from .norm_carry import VERIFY_KEEP, run_sequence, verification_sequence
from .runner import Runner, infer_one

BACKENDS = ("ort-cpu", "ort-cuda", "ort-trt", "trt")


@dataclass
class Check:
    backend: str
    precision: str
    status: str  # pass | fail | skipped
    max_abs: float | None = None
    psnr: float | None = None
    criterion: str = ""
    reason: str = ""


def _why_not_trt() -> str | None:
    from vgx.environment import gpu_compute_capability, tensorrt_version

    if tensorrt_version() is None:
        return "tensorrt not installed (pip install 'vgx[trt]')"
    return None if gpu_compute_capability() else "no CUDA GPU found (cuda-python)"


def _runner(folder: Path, manifest: dict[str, Any], backend: str, precision: str, path: Path,
            carried: bool = False) -> Runner:
    if backend == "trt":
        from .engine_files import pick_engine
        from .trt_runner import TensorRTRunner

        return TensorRTRunner(pick_engine(folder, manifest, precision, carried))
    return ort_runner.ORTRunner(path, backend)


def verify_artifact(folder: str | Path, backends: list[str] | None = None) -> list[Check]:
    root = Path(folder)
    manifest = mf.read(root)
    card = ModelCard.from_dict(manifest["card"])
    wanted = backends or list(BACKENDS)
    unknown = [b for b in wanted if b not in BACKENDS]
    if unknown:
        raise VgxError(f"unknown backend(s) {', '.join(unknown)}; choose from {', '.join(BACKENDS)}")
    files = {p: mf.verified_path(root, manifest, info["file"]) for p, info in manifest["precisions"].items()}
    inputs = verification_inputs(card)
    with ort_runner.ORTRunner(files["fp32"]) as ref:
        refs = [infer_one(ref, x) for x in inputs]
    avail = {**ort_runner.available(), "trt": _why_not_trt()}
    checks: list[Check] = []
    for backend in wanted:
        if avail[backend] is not None:
            checks.append(Check(backend, ",".join(files), "skipped", reason=avail[backend] or ""))
            continue
        for precision, path in files.items():
            try:
                with _runner(root, manifest, backend, precision, path) as runner:
                    outs = [infer_one(runner, x) for x in inputs]
            except VgxError as e:  # e.g. no engine for this precision, or one built elsewhere
                checks.append(Check(backend, precision, "fail", reason=str(e)))
                continue
            checks.append(_judge(backend, precision, card, manifest["precisions"][precision], refs, outs))
        checks += _carried_checks(root, manifest, card, backend, inputs[0])
    return checks


def _carried_checks(root: Path, manifest: dict[str, Any], card: ModelCard, backend: str, x: np.ndarray) -> list[Check]:
    """A style artifact's carried-norm graphs (runtime/norm_carry.py; on trt their engines) on a frame
    sequence, against the carried fp32 graph on ORT's CPU provider, by their precision's criteria."""
    entries = {p: info["carried"] for p, info in manifest["precisions"].items() if "carried" in info}
    if "fp32" not in entries:
        return []
    frames = verification_sequence(x)

    def run(precision: str, on: str) -> list[np.ndarray]:
        entry = entries[precision]
        with _runner(root, manifest, on, precision, mf.verified_path(root, manifest, entry["file"]), carried=True) as runner:
            return run_sequence(runner, frames, VERIFY_KEEP, entry["state_size"])

    refs = run("fp32", "ort-cpu")
    checks = []
    for precision in entries:
        try:
            outs = run(precision, backend)
        except VgxError as e:  # e.g. no carried-norm engine for this precision
            checks.append(Check(backend, f"{precision}+carried", "fail", reason=str(e)))
            continue
        checks.append(_judge(backend, f"{precision}+carried", card, entries[precision], refs, outs))
    return checks


def _judge(backend: str, precision: str, card: ModelCard, recorded: dict[str, Any],
           refs: list[np.ndarray], outs: list[np.ndarray]) -> Check:
    fig = worst([agreement(r, o) for r, o in zip(refs, outs)])
    if precision.startswith("fp32"):
        ok = all(np.allclose(o, r, **FP32_TOL) for r, o in zip(refs, outs))
        crit = f"allclose atol {FP32_TOL['atol']} rtol {FP32_TOL['rtol']}"
    elif precision.startswith("fp16"):
        need = FP16_MIN_PSNR[card.task]
        ok, crit = fig["psnr"] >= need, f"PSNR >= {need} dB"
    else:
        need = recorded["verification"]["psnr"] - INT8_MARGIN_DB
        ok, crit = fig["psnr"] >= need, f"PSNR >= {need:.1f} dB (export measured {recorded['verification']['psnr']})"
    return Check(backend, precision, "pass" if ok else "fail", fig["max_abs"], fig["psnr"], crit)
