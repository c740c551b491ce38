"""`vgx bench`: the matrix for one or all models, the machine, quality, stream FPS."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from vgx import manifest as mf
from vgx.environment import cpu_model, gpu_compute_capability, report
from vgx.errors import VgxError
from vgx.manifest import PRECISIONS

from .matrix import BACKENDS, Case, run_case
from .peak import measure_peak
from .prepost_cost import prepost_cost
from .report import SCHEMA, write


@dataclass
class BenchRequest:
    models: list[str]
    backends: list[str]
    precisions: list[str]
    sizes: list[tuple[int, int]]
    runs: int | None = None
    target_s: float = 3.0
    stream: bool = False
    quality_data: Path | None = None  # Set5, when present
    out: Path = Path("benchmarks/results")
    threads: int | None = None

    def __post_init__(self) -> None:
        """Refuse a bad matrix before anything is exported or timed."""
        for kind, given, known in (("backend", self.backends, BACKENDS), ("precision", self.precisions, PRECISIONS)):
            unknown = [g for g in given if g not in known]
            if unknown:
                raise VgxError(f"unknown {kind} {', '.join(map(repr, unknown))}: choose from {', '.join(known)}")
        if self.runs is not None and self.runs < 1:
            raise VgxError("--runs must be at least 1")
        if self.target_s <= 0:
            raise VgxError("--seconds must be positive")
        if not self.models:
            raise VgxError("no models to bench (no shipped weights?)")


def machine() -> dict[str, Any]:
    """CPU, GPU, versions, and the CPU's fp32 peak (measured where a C compiler is; see peak.py)."""
    info = report()
    cores = os.cpu_count() or 1
    cc = gpu_compute_capability()
    versions = {k: v for k, v in info.items() if k not in ("cpu", "machine")}
    return {"cpu": cpu_model(), "cores": cores, "gpu": f"sm{cc}" if cc else "none", **measure_peak(cores).to_dict(),
            "sgemm_gflops": sgemm_gflops(), "versions": versions, "platform": info.get("machine")}


def sgemm_gflops(n: int = 2048, seconds: float = 1.5) -> float:
    """What this CPU sustains on a large fp32 matrix product (numpy's BLAS, all cores): the
    practical ceiling beside the nominal peak (turbo clocks can put it above nominal)."""
    import time

    import numpy as np

    a, b = np.ones((n, n), np.float32), np.ones((n, n), np.float32)
    a @ b  # warm-up: threads, caches
    runs, t0 = 0, time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        a @ b
        runs += 1
    return round(2 * n**3 * runs / (time.perf_counter() - t0) / 1e9, 1)


def run_bench(req: BenchRequest, log: Callable[[str], None] = print) -> list[Path]:
    from vgx.runtime.resolve import resolve_artifact

    mach = machine()
    cases: list[dict[str, Any]] = []
    plan = [(m, s) for m in req.models for s in req.sizes]
    total = len(plan) * len(req.backends) * len(req.precisions)
    with Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  transient=False) as progress:
        task = progress.add_task("bench", total=total)
        for model, size in plan:
            folder = resolve_artifact(model, log=log)
            manifest = mf.read(folder)
            name = manifest["card"]["name"]
            ref = None
            done: list[Case] = []
            ordered = sorted(((b, p) for b in req.backends for p in req.precisions),
                             key=lambda bp: (bp != ("ort-cpu", "fp32"), bp))  # the fp32 reference first
            for backend, precision in ordered:
                progress.update(task, description=f"{name} {backend} {precision} {size[0]}x{size[1]}")
                case, out = run_case(folder, manifest, Case(name, backend, precision, size), ref, req.runs,
                                     req.target_s, mach["peak_gflops"])
                if (backend, precision) == ("ort-cpu", "fp32") and out is not None:
                    ref = out
                    case.psnr_vs_fp32 = 999.0
                done.append(case)
                progress.advance(task)
            _relative_speed(done)
            if req.quality_data:
                _set5(folder, manifest, done, req.quality_data)
            if req.stream:
                _stream_fps(folder, manifest, done, size)
            cases += [c.to_dict() for c in done]
    doc = {"schema": SCHEMA, "created": datetime.now(timezone.utc).isoformat(timespec="seconds"), "machine": mach,
           "prepost_720p": prepost_cost(),
           "quality_data": str(req.quality_data) if req.quality_data else "skipped: ../shared/data/sr/Set5 absent",
           "results": cases}
    stem = "bench" if len(req.models) != 1 else f"bench-{cases[0]['model'] if cases else 'empty'}"
    return write(doc, req.out, stem)


def _relative_speed(cases: list[Case]) -> None:
    """Speed-up of every case over the fair PyTorch baseline: the faster of its two layouts."""
    torch = [c for c in cases if c.backend in ("torch", "torch-cl") and c.status == "ok"]
    if not torch:
        return
    base = min(c.latency_ms["p50"] for c in torch)
    for c in cases:
        if c.status == "ok":
            c.extra["speedup_vs_torch"] = round(base / c.latency_ms["p50"], 3)


def _set5(folder: Path, manifest: dict[str, Any], cases: list[Case], data: Path) -> None:
    """PSNR-Y against ground truth on Set5, once per precision, with ORT on the CPU."""
    from vgx.runtime.ort_runner import ORTRunner
    from vgx.runtime.runner import image_upscaler
    from vgx.sr_protocol import evaluate

    if manifest["card"]["task"] != "sr":
        return
    scale = manifest["card"]["scale"]
    for precision in {c.precision for c in cases if c.status == "ok"}:
        info = manifest["precisions"].get(precision)
        if not info:
            continue
        with ORTRunner(mf.verified_path(folder, manifest, info["file"])) as runner:
            score = evaluate(image_upscaler(runner), precision, scale, data).mean["psnr_y"]
        for c in cases:
            if c.precision == precision and c.status == "ok":
                c.extra["set5_psnr_y"] = round(score, 3)


def _stream_fps(folder: Path, manifest: dict[str, Any], cases: list[Case], size: tuple[int, int],
                seconds: float = 8.0) -> None:
    """End-to-end lossless stream FPS (demo source, null sink) beside model-only FPS: about
    `seconds` of frames (5 to 60) after the pipeline's first frame."""
    from vgx.runtime import Enhancer
    from vgx.runtime.pipeline import Pipeline, StreamOptions
    from vgx.runtime.sinks import NullSink
    from vgx.runtime.sources import DemoSource

    if manifest["card"]["task"] == "generate":  # a latent in, not a frame: no stream to run
        return
    for c in cases:
        if c.status != "ok" or not c.backend.startswith("ort-"):
            continue
        frames = max(5, min(60, round(seconds * 1000 / max(c.latency_ms["p50"], 1e-3))))
        try:
            with Enhancer(folder, c.precision, c.backend) as enh:
                s = Pipeline(DemoSource(size, frames), enh, [NullSink()], StreamOptions()).run().to_dict()
        except VgxError as e:  # one case's stream failing is a result, not the end of the run
            c.extra["stream_error"] = str(e)[:300]
            continue
        c.extra["stream_fps"] = s["fps"]
        c.extra["prepost_ms"] = round(s["stages"]["preprocess"]["p50"] + s["stages"]["postprocess"]["p50"], 3)
