"""`vgx selftest`: the first thing to run on a new machine (and the day a GPU is at hand).

Environment (as `vgx doctor`); then for a small SR model and a slim style model: export the
artifact into a temp folder (fp32, fp16, int8 for this machine's target, TensorRT engines where
TensorRT and a GPU are present, with a timing cache), `vgx verify` every backend x precision
against ORT-CPU fp32, frames of `demo://` through `vgx stream` on every backend (frame-exact
against ORT-CPU where the precision is fp32), and a short timing per backend and precision
(with the H2D / compute / D2H split where the backend reports it). A backend this machine
lacks is "skipped" with its reason, never a failure; anything that should work and does not
is "fail", and the command exits 1.
"""

from __future__ import annotations

import json
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from vgx.errors import VgxError

MODELS = ("espcn-x2", "style-udnie-slim")
BACKENDS = ("ort-cpu", "ort-cuda", "ort-trt", "trt")


@dataclass
class Result:
    step: str  # environment | export | verify | stream | bench
    model: str
    backend: str
    precision: str
    status: str  # pass | fail | skipped
    detail: str = ""
    ms: float | None = None


def _environment() -> list[Result]:
    from vgx.environment import check_onnxruntime, report

    env = report()
    try:
        check_onnxruntime()
        return [Result("environment", "-", "-", "-", "pass", ", ".join(f"{k} {v}" for k, v in env.items()))]
    except VgxError as e:
        return [Result("environment", "-", "-", "-", "fail", str(e))]


def _export(model: str, folder: Path, quick: bool) -> Result:
    from vgx.environment import gpu_compute_capability, tensorrt_version
    from vgx.export.artifact import ExportOptions, export_artifact
    from vgx.export.int8 import Int8Config
    from vgx.train.loading import load_model

    t = time.perf_counter()
    torch_model, card = load_model(model)
    engine = None
    if tensorrt_version() and gpu_compute_capability():
        from vgx.export.trt_build import EngineOptions, Profile

        m = card.multiple_of
        engine = EngineOptions(Profile((1, 3, 8 * m, 8 * m), (1, 3, 360, 640), (1, 3, 720, 1280)), 1024,
                               timing_cache=folder.parent / "timing.cache")
    precisions = ["fp32", "fp16", "int8"]
    opts = ExportOptions(folder, fp16=True, int8=Int8Config(count=4 if quick else 16), engine=engine,
                         precisions_for_engine=precisions if engine else [], source=model)
    export_artifact(torch_model, card, opts, log=lambda s: None)
    how = "with TensorRT engines" if engine else "ONNX only (no TensorRT GPU here)"
    return Result("export", model, "-", ",".join(precisions), "pass", how, round((time.perf_counter() - t) * 1e3, 1))


def _verify(model: str, folder: Path) -> list[Result]:
    from vgx.runtime.verify import verify_artifact

    out = []
    for c in verify_artifact(folder):
        detail = c.reason or c.criterion + ("" if c.psnr is None else f" (PSNR {c.psnr:.1f} dB)")
        out.append(Result("verify", model, c.backend, c.precision, c.status, detail))
    return out


def _stream(model: str, folder: Path, backend: str, precision: str, frames: int, work: Path) -> tuple[Result, Path]:
    from vgx.runtime.stream import StreamRequest, run_stream

    dest = work / f"{model}-{backend}-{precision}"
    req = StreamRequest(input=f"demo://?frames={frames}&width=320&height=180", model=str(folder), backend=backend,
                        precision=precision, outputs=[str(dest)], policy="lossless")
    summary = run_stream(req, log=lambda s: None)
    ok = summary["frames_out"] == frames
    return Result("stream", model, backend, precision, "pass" if ok else "fail",
                  f"{summary['frames_out']}/{frames} frames, {summary['fps']:.1f} fps"), dest


def _same_frames(a: Path, b: Path) -> bool:
    import cv2

    names = sorted(p.name for p in a.iterdir())
    return names == sorted(p.name for p in b.iterdir()) and all(
        np.array_equal(cv2.imread(str(a / n)), cv2.imread(str(b / n))) for n in names)


def _bench(model: str, folder: Path, backend: str, precision: str, runs: int) -> Result:
    from vgx.runtime import Enhancer

    from .timing import measure

    frame = np.random.default_rng(0).integers(0, 256, (360, 640, 3), dtype=np.uint8)
    with Enhancer(folder, precision, backend) as enh:
        times = measure(lambda: enh(frame), runs=runs, warmup=1)
        split = getattr(enh.runner, "last_timings", None)  # H2D / compute / D2H, where the runner measures them
    detail = f"640x360, median of {runs}" + (f"; {split}" if split else "")
    return Result("bench", model, enh.choice.backend, enh.choice.precision, "pass", detail, round(float(np.median(times)), 2))


def run_selftest(quick: bool = False, models: list[str] | tuple[str, ...] = MODELS,
                 log: Callable[[str], None] = print) -> list[Result]:
    """Every step; a step that raises is a failure with its message, and the rest go on. An
    artifact folder in `models` is tested as it is (no export)."""
    results = _environment()
    frames, runs = (20, 5) if quick else (100, 20)
    with tempfile.TemporaryDirectory(prefix="vgx-selftest-") as tmp:
        work = Path(tmp)
        for model in models:
            folder = Path(model) if (Path(model) / "manifest.json").is_file() else work / Path(model).name
            try:
                if folder != Path(model):
                    results.append(_export(model, folder, quick))
            except VgxError as e:
                results.append(Result("export", model, "-", "-", "fail", str(e)))
                continue
            log(f"{model}: exported; verifying")
            try:
                verified = _verify(model, folder)
            except VgxError as e:  # a damaged artifact: its manifest or a file's hash
                results.append(Result("verify", model, "-", "-", "fail", str(e)))
                continue
            results += verified
            # a style precision's stream runs its carried-norm graph already (verify checks it as "fp32+carried")
            usable = [(c.backend, c.precision) for c in verified if c.status == "pass" and not c.precision.endswith("+carried")]
            reference = None
            for backend, precision in usable:
                log(f"{model}: stream and bench on {backend} {precision}")
                try:
                    res, dest = _stream(model, folder, backend, precision, frames, work)
                    if precision == "fp32":
                        if reference is None and backend == "ort-cpu":
                            reference = dest
                        elif reference is not None and not _same_frames(reference, dest):
                            res.status, res.detail = "fail", res.detail + "; frames differ from ort-cpu fp32"
                    results.append(res)
                    results.append(_bench(model, folder, backend, precision, runs))
                except VgxError as e:
                    results.append(Result("stream", model, backend, precision, "fail", str(e)))
    return results


def write_json(results: list[Result], path: Path) -> None:
    from vgx.atomic import atomic_path

    doc: dict[str, Any] = {"schema": 1, "ok": all(r.status != "fail" for r in results), "results": [asdict(r) for r in results]}
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(doc, indent=1))
