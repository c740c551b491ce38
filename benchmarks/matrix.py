"""The benchmark matrix: model x backend x precision x size, each case measured alike.

A case builds its runner (timed: session creation / engine load), feeds a real image
(a built-in photo resized to the size), measures latency, and compares its output with
the fp32 reference. PyTorch eager runs in its default layout and in channels_last; the
baseline is the faster of the two (its default layout hits a reference kernel on
SRResNet's 9x9 tail).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from vgx import manifest as mf
from vgx.card import ModelCard
from vgx.convert import rgb_to_nchw
from vgx.errors import VgxError
from vgx.images import demo_images
from vgx.metrics import agreement

from .timing import measure, summarize

BACKENDS = ("torch", "torch-cl", "torch-cuda", "ort-cpu", "ort-cuda", "ort-trt", "trt")
NAMED_SIZES = {"360p": (640, 360), "720p": (1280, 720), "1080p": (1920, 1080)}


@dataclass
class Case:
    model: str
    backend: str
    precision: str
    size: tuple[int, int]
    status: str = "ok"
    reason: str = ""
    latency_ms: dict[str, float] = field(default_factory=dict)
    fps: float = 0.0
    gmacs: float = 0.0
    gflops: float = 0.0
    peak_fraction: float | None = None
    psnr_vs_fp32: float | None = None
    setup_s: float = 0.0
    file_mb: float | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        d = {k: v for k, v in self.__dict__.items() if k != "extra"}
        d["size"] = list(self.size)
        return {**d, **self.extra}


def parse_sizes(text: str) -> list[tuple[int, int]]:
    from vgx.images import parse_size

    return [NAMED_SIZES[s] if s in NAMED_SIZES else parse_size(s) for s in text.split(",") if s]


def frame_input(size: tuple[int, int], multiple_of: int) -> np.ndarray:
    """A real photo at (W, H), rounded down to the model's multiple_of."""
    w, h = size
    w, h = w - w % multiple_of, h - h % multiple_of
    img = cv2.resize(demo_images()["astronaut"], (w, h), interpolation=cv2.INTER_AREA)
    return rgb_to_nchw(img)


def _runner(folder: Path, manifest: dict[str, Any], backend: str, precision: str) -> tuple[Any, Path | None]:
    """A runner for one case (not entered yet) and the file it runs, or VgxError why not."""
    from vgx.runtime import ort_runner

    if backend == "torch-cuda":  # the GPU baseline: channels_last, cudnn.benchmark, fp16 autocast for fp16
        import torch

        if not torch.cuda.is_available():
            raise VgxError("no CUDA device for PyTorch (torch.cuda.is_available() is False)")
        if precision == "int8":
            raise VgxError("PyTorch eager has no int8 path here")
        from vgx.train.torch_runner import TorchRunner

        return TorchRunner(manifest.get("source", manifest["card"]["name"]), True, "cuda", precision == "fp16"), None
    if backend in ("torch", "torch-cl"):
        if precision != "fp32":
            raise VgxError("PyTorch eager baseline runs fp32 only")
        from vgx.train.torch_runner import TorchRunner

        source = manifest.get("source", manifest["card"]["name"])
        return TorchRunner(source, channels_last=backend == "torch-cl"), None
    if precision not in manifest["precisions"]:
        raise VgxError(f"no {precision} model in the artifact (export with --{precision})")
    if backend == "trt":
        from vgx.runtime.engine_files import pick_engine
        from vgx.runtime.trt_runner import TensorRTRunner

        path = pick_engine(folder, manifest, precision)
        return TensorRTRunner(path), path
    why = ort_runner.available().get(backend)
    if why:
        raise VgxError(why)
    path = mf.verified_path(folder, manifest, manifest["precisions"][precision]["file"])
    return ort_runner.ORTRunner(path, backend), path


def run_case(folder: Path, manifest: dict[str, Any], case: Case, reference: np.ndarray | None,
             runs: int | None, target_s: float, peak_gflops: float | None) -> tuple[Case, np.ndarray | None]:
    """Measure one case in place; returns it and its output (the fp32 reference for others)."""
    from vgx.runtime.runner import infer_one

    card = ModelCard.from_dict(manifest["card"])
    if card.task == "generate":
        from vgx.samples import latent_inputs

        x = latent_inputs(card, 1, seed=0)[0]
    else:
        x = frame_input(case.size, max(1, card.multiple_of))
    try:
        t = time.perf_counter()
        runner, path = _runner(folder, manifest, case.backend, case.precision)
        with runner:
            out = infer_one(runner, x)  # first call: lazy init belongs to setup
            case.setup_s = round(time.perf_counter() - t, 3)
            times = measure(lambda: infer_one(runner, x), runs=runs, target_s=target_s)
    except (VgxError, ImportError) as e:
        case.status, case.reason = "skipped", str(e).splitlines()[0][:300]
        return case, None
    except Exception as e:  # noqa: BLE001 - a backend that crashes is a result, not a crash of the bench
        case.status, case.reason = "failed", f"{type(e).__name__}: {str(e).splitlines()[0][:300] if str(e) else ''}"
        return case, None
    case.latency_ms = summarize(times)
    case.fps = round(1000.0 / case.latency_ms["mean"], 3)
    per_input = (manifest.get("macs_per_sample", 0.0) if card.task == "generate"
                 else manifest.get("macs_per_input_pixel", 0.0) * x.shape[2] * x.shape[3])
    case.gmacs = round(per_input * x.shape[0] / 1e9, 3)
    case.gflops = round(2 * case.gmacs / (case.latency_ms["p50"] / 1000.0), 2)
    if peak_gflops and case.backend in ("torch", "torch-cl", "ort-cpu"):
        case.peak_fraction = round(case.gflops / peak_gflops, 3)
    if path is not None:
        case.file_mb = round(path.stat().st_size / 2**20, 3)
    if reference is not None:
        case.psnr_vs_fp32 = round(min(agreement(reference, out)["psnr"], 999.0), 2)
    return case, out
