"""Checkpoint -> the artifact folder: verified fp32 / fp16 / int8 ONNX, engines, manifest.

Everything is written into a hidden temp folder beside the target and renamed into place
at the end, so a failed or interrupted export never leaves a folder that looks complete.
"""

from __future__ import annotations

import os
import shutil
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable

import numpy as np
import torch

from vgx import manifest as mf
from vgx.card import ModelCard
from vgx.environment import report as environment_report
from vgx.errors import VgxError
from vgx.manifest import FP16_MIN_PSNR
from vgx.metrics import agreement, worst
from vgx.runtime.norm_carry import STATE_OUTPUT
from vgx.runtime.ort_runner import ORTRunner
from vgx.runtime.runner import infer_one
from vgx.samples import verification_inputs

from .carried import add_carried
from .fp16 import convert_fp16
from .frame_io import add_frame_io
from .int8 import Int8Config, feed, quantize_int8
from .quiet import quiet
from .to_onnx import OPSET, export_fp32, io_spec

FP32_MAX_ABS = 1e-4


@dataclass
class ExportOptions:
    out: Path
    fp16: bool = False
    int8: Int8Config | None = None
    engine: Any = None  # EngineOptions when --engine
    precisions_for_engine: list[str] = field(default_factory=list)
    source: str | None = None  # the zoo name or checkpoint the weights came from (the torch baseline loads it)
    carried: bool = True  # style nets: also the carried-norm graphs for streams (export/carried.py)


def export_artifact(model: torch.nn.Module, card: ModelCard, opts: ExportOptions,
                    log: Callable[[str], None] = print) -> Path:
    out = opts.out
    if out.exists() and not out.is_dir():
        raise VgxError(f"--out {out} exists and is not a folder")
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp = out.parent / f".{out.name}.partial-{os.getpid()}"
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir()
    except OSError as e:
        raise VgxError(f"cannot write to {out.parent}: {e.strerror or e}") from None
    try:
        manifest = _build(model, card, opts, tmp, log)
        mf.write(tmp, manifest)
        _swap_into_place(tmp, out)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return out


def _build(model: torch.nn.Module, card: ModelCard, opts: ExportOptions, tmp: Path,
           log: Callable[[str], None]) -> dict[str, Any]:
    inputs = verification_inputs(card)
    precisions: dict[str, dict[str, Any]] = {}

    t = time.perf_counter()
    fp32_path = tmp / "model.fp32.onnx"
    # the deployable form of the same function (e.g. FSRCNN's deconv as a sub-pixel conv);
    # verified below against the trained module itself
    deploy = model.for_export() if hasattr(model, "for_export") else model
    proto = export_fp32(deploy, card, fp32_path)
    with torch.no_grad():
        torch_out = [model(torch.from_numpy(x)).numpy() for x in inputs]
    fp32_out = _outputs(fp32_path, inputs)
    fig = worst([agreement(a, b) for a, b in zip(torch_out, fp32_out)])
    if fig["max_abs"] > FP32_MAX_ABS:
        raise VgxError(f"fp32 ONNX differs from PyTorch by {fig['max_abs']:.2e} (> {FP32_MAX_ABS}): export bug")
    precisions["fp32"] = {"file": fp32_path.name, "verification": {"against": "pytorch", **_rounded(fig)},
                          "seconds": round(time.perf_counter() - t, 2)}
    log(f"fp32  max abs err vs PyTorch {fig['max_abs']:.1e}  ({precisions['fp32']['seconds']} s)")

    if opts.fp16:
        t = time.perf_counter()
        path = tmp / "model.fp16.onnx"
        with quiet():
            convert_fp16(proto, path)
        fig = _against_fp32(path, inputs, fp32_out)
        need = FP16_MIN_PSNR[card.task]
        if fig["psnr"] < need:
            raise VgxError(f"fp16 ONNX reaches only {fig['psnr']:.1f} dB against fp32 (needs {need}): "
                           "a layer overflows in fp16; report it")
        precisions["fp16"] = {"file": path.name, "verification": {"against": "fp32 onnx", **_rounded(fig)},
                              "kept_fp32_ops": ["InstanceNormalization", "Resize"],
                              "seconds": round(time.perf_counter() - t, 2)}
        log(f"fp16  PSNR vs fp32 {fig['psnr']:.1f} dB  ({precisions['fp16']['seconds']} s)")

    if opts.int8 is not None:
        t = time.perf_counter()
        path = tmp / "model.int8.onnx"
        with quiet():
            quant = quantize_int8(fp32_path, path, card, opts.int8, log=log)
        fig = _against_fp32(path, inputs, fp32_out, optimize=opts.int8.target == "cpu")
        precisions["int8"] = {"file": path.name, "verification": {"against": "fp32 onnx", **_rounded(fig)},
                              "quantization": quant, "seconds": round(time.perf_counter() - t, 2)}
        status = "within budget" if quant["within_budget"] else "OUTSIDE budget (nothing left to keep in float)"
        if quant["quantized_nodes"] == 0:
            status += ("; no layer is quantized (every conv is too thin for the cpu target's int8 kernels), "
                       "so model.int8.onnx computes in float")
        log(f"int8  PSNR vs fp32 {fig['psnr']:.1f} dB, {len(quant['float_nodes'])} node(s) kept in float, "
            f"{status}  ({precisions['int8']['seconds']} s)")

    if card.task == "style" and opts.carried:
        t = time.perf_counter()
        add_carried(model, card, tmp, precisions, inputs, opts.int8, log)
        log(f"carried norms ({time.perf_counter() - t:.1f} s)")

    cpu_int8 = opts.int8 is not None and opts.int8.target == "cpu"
    for precision, info in precisions.items() if card.task != "generate" else []:  # uint8 frame-I/O twins
        if precision == "int8" and cpu_int8:
            continue  # the twins serve GPU providers (runtime.enhancer.FRAME_IO_BACKENDS); this one runs on ORT CPU
        for entry in [info] + ([info["carried"]] if "carried" in info else []):  # a style net's carried graph too
            src = tmp / entry["file"]
            twin = tmp / src.name.replace(".onnx", ".frames.onnx")
            add_frame_io(src, twin)
            entry["frame_io"] = {"file": twin.name, "max_lsb_diff": _frame_io_diff(src, twin, inputs[0])}
            if entry["frame_io"]["max_lsb_diff"] > 1:
                raise VgxError(f"{twin.name} differs from {src.name} by {entry['frame_io']['max_lsb_diff']} levels: export bug")

    trt_check = _tensorrt_check(tmp, precisions, card, opts, log)
    engines: dict[str, Any] = {}
    if opts.engine is not None:
        from .trt_build import build_engine

        for precision in opts.precisions_for_engine:
            path, entry = build_engine(tmp / precisions[precision]["file"], tmp, precision, opts.engine)
            engines[path.name] = entry
            log(f"engine {path.name}")
            # the uint8 twin too (what a Triton tensorrt_plan model serves, export.triton_repo), and a style
            # net's carried-norm graph (what a stream on the trt backend runs, runtime/norm_carry.py)
            for form, key in (("frames", "frame_io"), ("carried", "carried")):
                other = precisions[precision].get(key)
                if other:
                    path, entry = build_engine(tmp / other["file"], tmp, precision, opts.engine, form=form)
                    engines[path.name] = entry
                    log(f"engine {path.name}")

    return {
        "card": card.to_dict(), "source": opts.source or card.name, "opset": OPSET,
        **_macs(model, card), "exporter": f"torch.onnx (dynamo) {torch.__version__}",
        **io_spec(proto), "precisions": precisions, "engines": engines, "tensorrt_check": trt_check, "files": {},
        "build_env": environment_report(), "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }


def _tensorrt_check(tmp: Path, precisions: dict[str, Any], card: ModelCard, opts: ExportOptions, log) -> dict[str, Any]:
    """Static TensorRT compatibility of every file (export.trt_compat), and of the engine profile.
    int8 for the cpu target is not for TensorRT (uint8 activations) and is left out."""
    from .trt_compat import check_file, profile_problems

    for_trt = {p: info for p, info in precisions.items() if not (p == "int8" and info["quantization"]["target"] == "cpu")}
    files = [info["file"] for info in for_trt.values()]
    files += [info[form]["file"] for info in for_trt.values() for form in ("frame_io", "carried") if form in info]
    files += [info["carried"]["frame_io"]["file"] for info in for_trt.values() if "frame_io" in info.get("carried", {})]
    report: dict[str, Any] = {"files": {f: check_file(tmp / f) for f in files}}
    if opts.engine is not None:
        p = opts.engine.profile
        report["profile"] = profile_problems({"min": list(p.min), "opt": list(p.opt), "max": list(p.max)}, card.multiple_of)
    for release in ("10.x", "8.6"):
        bad = sorted({q for f in report["files"].values() for q in f[release]["problems"]})
        log(f"TensorRT {release} (static check): " + ("every file parses and quantizes as TensorRT expects" if not bad
                                                     else "; ".join(bad[:3])))
    return report


def _macs(model: torch.nn.Module, card: ModelCard) -> dict[str, float]:
    """Multiply-accumulates per input pixel (exact for these fully convolutional nets), or
    per sample for generators (a latent in). Counted on the trained form, as `vgx models`
    does: the zero taps an export rewrite adds (phase convs) are not the network's work."""
    import copy

    from vgx.train.zoo import count_macs

    if card.task == "generate":
        return {"macs_per_sample": float(count_macs(copy.deepcopy(model), latent_dim=card.arch_kwargs.get("latent_dim")))}
    side = 16 * max(1, card.multiple_of)
    return {"macs_per_input_pixel": count_macs(copy.deepcopy(model), side, side) / (side * side)}


def _outputs(path: Path, inputs: list[np.ndarray], optimize: bool = True) -> list[np.ndarray]:
    with ORTRunner(path, optimize=optimize) as runner:
        return [infer_one(runner, x) for x in inputs]


def _against_fp32(path: Path, inputs: list[np.ndarray], fp32_out: list[np.ndarray], optimize: bool = True) -> dict[str, float]:
    return worst([agreement(ref, out) for ref, out in zip(fp32_out, _outputs(path, inputs, optimize))])


def _frame_io_diff(model: Path, twin: Path, x: np.ndarray) -> int:
    """Largest difference (in 8-bit levels) between the twin and the model + host pre/post,
    each graph as written (gpu-target int8: the simulated quantization TensorRT computes)."""
    from vgx.convert import bgr_to_nchw, nchw_to_bgr, nchw_to_rgb

    frames = np.ascontiguousarray(nchw_to_rgb(x)[..., ::-1]).reshape(x.shape[0], x.shape[2], x.shape[3], 3)
    with ORTRunner(model, optimize=False) as plain, ORTRunner(twin, optimize=False) as baked:
        ref = np.stack(nchw_to_bgr(_first_output(plain, bgr_to_nchw(list(frames)))))
        out = _first_output(baked, np.ascontiguousarray(frames))
    return int(np.abs(ref.astype(np.int16) - out.astype(np.int16)).max())


def _first_output(runner: ORTRunner, x: np.ndarray) -> np.ndarray:
    """The image output for `x`; a carried-norm graph's state and keep fed as zeros (int8.feed)."""
    out = runner.infer(feed([(i.name, i.shape) for i in runner.session.get_inputs()], x))
    return next(v for k, v in out.items() if k not in (STATE_OUTPUT,))


def _rounded(fig: dict[str, float]) -> dict[str, float]:
    return {"max_abs": float(f"{fig['max_abs']:.3g}"), "mean_abs": float(f"{fig['mean_abs']:.3g}"),
            "psnr": round(fig["psnr"], 2) if np.isfinite(fig["psnr"]) else 999.0}


def _swap_into_place(tmp: Path, out: Path) -> None:
    """Replace `out` with `tmp`; the old folder is removed only after the new one is in place."""
    old = out.parent / f".{out.name}.old-{os.getpid()}"
    if out.exists():
        os.replace(out, old)
    os.replace(tmp, out)
    shutil.rmtree(old, ignore_errors=True)
