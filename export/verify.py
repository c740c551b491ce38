"""`vgx verify DIR`: every precision on every backend this machine has, against fp32.

The reference is the fp32 ONNX on ONNX Runtime's CPU provider. A user's first run on a
GPU machine checks the GPU path against the numbers export measured here.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from vgx import manifest as mf
from vgx.card import ModelCard
from vgx.errors import VgxError

from . import ort as ortx
from .artifact import FP16_MIN_PSNR
from .samples import verification_inputs

BACKENDS = ("ort-cpu", "ort-cuda", "ort-trt")
PROVIDERS = {"ort-cpu": "CPUExecutionProvider", "ort-cuda": "CUDAExecutionProvider",
             "ort-trt": "TensorrtExecutionProvider"}
FP32_TOL = {"atol": 1e-3, "rtol": 1e-3}
INT8_MARGIN_DB = 1.0  # other backends may round differently from ORT's simulation


@dataclass
class Check:
    backend: str
    precision: str
    status: str  # pass | fail | skipped
    max_abs: float | None = None
    psnr: float | None = None
    criterion: str = ""
    reason: str = ""


def available_backends() -> dict[str, str | None]:
    """backend -> None if usable, else why not."""
    import onnxruntime as ort

    have = set(ort.get_available_providers())
    return {b: None if PROVIDERS[b] in have else f"{PROVIDERS[b]} not in this onnxruntime build" for b in BACKENDS}


def _session(path: Path, backend: str):
    import onnxruntime as ort

    if backend == "ort-cpu":
        return ortx.cpu_session(path)
    opts = ort.SessionOptions()
    opts.log_severity_level = 3
    return ort.InferenceSession(str(path), opts, providers=[PROVIDERS[backend], "CPUExecutionProvider"])


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
    ref_sess = ortx.cpu_session(files["fp32"])
    refs = [ortx.run(ref_sess, x) for x in inputs]
    avail = available_backends()
    checks: list[Check] = []
    for backend in wanted:
        if avail[backend] is not None:
            checks.append(Check(backend, ",".join(files), "skipped", reason=avail[backend] or ""))
            continue
        for precision, path in files.items():
            sess = _session(path, backend)
            outs = [ortx.run(sess, x) for x in inputs]
            checks.append(_judge(backend, precision, card, manifest["precisions"][precision], refs, outs))
    return checks


def _judge(backend: str, precision: str, card: ModelCard, recorded: dict[str, Any],
           refs: list[np.ndarray], outs: list[np.ndarray]) -> Check:
    fig = ortx.worst([ortx.compare(r, o) for r, o in zip(refs, outs)])
    if precision == "fp32":
        ok = all(np.allclose(o, r, **FP32_TOL) for r, o in zip(refs, outs))
        crit = f"allclose atol {FP32_TOL['atol']} rtol {FP32_TOL['rtol']}"
    elif precision == "fp16":
        need = FP16_MIN_PSNR[card.task]
        ok, crit = fig["psnr"] >= need, f"PSNR >= {need} dB"
    else:
        need = recorded["verification"]["psnr"] - INT8_MARGIN_DB
        ok, crit = fig["psnr"] >= need, f"PSNR >= {need:.1f} dB (export measured {recorded['verification']['psnr']})"
    return Check(backend, precision, "pass" if ok else "fail", fig["max_abs"], fig["psnr"], crit)
