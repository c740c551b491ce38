"""`vgx export` and `vgx verify`: checkpoint -> verified ONNX / TensorRT artifact folder."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any, Optional

import typer

from vgx.errors import VgxError

from .app import app, friendly


@app.command("export")
@friendly
def export_(
    model: str = typer.Argument(..., help="zoo name (srgan, espcn-x2, ...) or checkpoint path"),
    fp16: bool = typer.Option(False, "--fp16", help="also write model.fp16.onnx (fp32 I/O, InstanceNorm kept fp32)"),
    int8: bool = typer.Option(False, "--int8", help="also write model.int8.onnx (QDQ) within a quality budget"),
    calib: Optional[Path] = typer.Option(None, help="calibration images (default: built-in images)"),
    calib_method: str = typer.Option("minmax", help="minmax | entropy | percentile"),
    calib_count: int = typer.Option(16, help="calibration crops"),
    int8_target: str = typer.Option("auto", help="gpu: symmetric int8 for TensorRT; cpu: uint8 for x86 (reduce_range "
                                    "without VNNI); auto: gpu where a CUDA device is, else cpu"),
    int8_budget: Optional[float] = typer.Option(None, help="SR: max PSNR-Y loss in dB (0.3); style: min PSNR vs fp32 (30)"),
    engine: bool = typer.Option(False, "--engine", help="build TensorRT engines (needs tensorrt + a GPU)"),
    min_shape: Optional[str] = typer.Option(None, help="engine profile min input WxH"),
    opt_shape: Optional[str] = typer.Option(None, help="engine profile opt input WxH (default 640x360)"),
    max_shape: Optional[str] = typer.Option(None, help="engine profile max input WxH (default 1920x1080)"),
    max_batch: int = typer.Option(1, help="engine profile max batch"),
    workspace: int = typer.Option(1024, help="TensorRT workspace limit in MiB"),
    version_compatible: bool = typer.Option(False, help="version-compatible engines (lean runtime)"),
    timing_cache: Optional[Path] = typer.Option(None, help="TensorRT timing cache file (reused across builds)"),
    dla_core: Optional[int] = typer.Option(None, help="build for DLA core N (Orin/Xavier), GPU fallback on"),
    out: Optional[Path] = typer.Option(None, help="artifact folder (default exports/NAME)"),
    triton: Optional[Path] = typer.Option(None, help="also write a Triton model repository here (serves the uint8 "
                                          "frames twin of fp16 with --fp16, else fp32)"),
    triton_device: str = typer.Option("gpu", help="Triton instance kind: gpu (TensorRT accelerator) | cpu"),
    triton_max_batch: int = typer.Option(8, help="Triton max_batch_size (dynamic batching)"),
    triton_instances: int = typer.Option(1, help="Triton model instances per device"),
) -> None:
    """Checkpoint -> verified ONNX fp32 / fp16 / int8 -> TensorRT engines, with a manifest."""
    from vgx.export.int8 import Int8Config

    int8_cfg = Int8Config(calib_method, calib_count, str(calib) if calib else None, int8_target, int8_budget) if int8 else None
    if calib and not int8:
        raise VgxError("--calib needs --int8")
    if triton and triton_device not in ("gpu", "cpu"):
        raise VgxError(f"--triton-device must be gpu or cpu, not {triton_device!r}")
    folder = export_model(model, out, fp16, int8_cfg, engine, {"min": min_shape, "opt": opt_shape, "max": max_shape},
                          max_batch, workspace, version_compatible, timing_cache, dla_core)
    if triton:
        from vgx.export.triton_repo import TritonOptions, write_triton_repo

        opts = TritonOptions(triton, "fp16" if fp16 else "fp32", triton_device, triton_max_batch, triton_instances)
        write_triton_repo(folder, opts, log=lambda s: typer.echo(s, err=True))


def export_model(model_name: str, out: Path | None, fp16: bool, int8: Any, engine: bool, shapes: dict[str, str | None],
                 batch: int, workspace_mb: int, version_compatible: bool, timing_cache: Path | None,
                 dla_core: int | None = None) -> Path:
    """Load a zoo model or checkpoint and write its artifact folder (default exports/NAME)."""
    from rich.console import Console

    from vgx.export.artifact import ExportOptions, export_artifact
    from vgx.images import parse_size
    from vgx.train.loading import load_model

    console = Console(stderr=True)
    if engine and int8 is not None and int8.target == "cpu":
        raise VgxError("TensorRT engines need the gpu int8 target (symmetric int8): use --int8-target gpu with --engine")
    torch_model, card = load_model(model_name)
    target = out or Path("exports") / card.name
    engine_opts = None
    if engine:
        from vgx.export.trt_build import EngineOptions, Profile

        m = card.multiple_of
        defaults = {"min": f"{8 * m}x{8 * m}", "opt": "640x360", "max": "1920x1080"}
        dims = {k: parse_size(shapes.get(k) or defaults[k], m) for k in defaults}
        profile = Profile(*[(1 if k != "max" else batch, 3, dims[k][1], dims[k][0]) for k in ("min", "opt", "max")])
        engine_opts = EngineOptions(profile, workspace_mb, version_compatible, timing_cache or target.parent / "timing.cache",
                                    dla_core)
    precisions = ["fp32"] + (["fp16"] if fp16 else []) + (["int8"] if int8 else [])
    if engine_opts is not None and not _can_build_engines():
        _print_engine_plan(model_name, target, precisions, engine_opts, console)
        engine_opts = None
    opts = ExportOptions(target, fp16, int8, engine_opts, precisions if engine else [], source=model_name)
    t = time.perf_counter()
    console.print(f"exporting {card.name} -> {target} ({', '.join(precisions)})")
    export_artifact(torch_model, card, opts, log=lambda s: console.print(f"  {s}"))
    console.print(f"[green]done[/] in {time.perf_counter() - t:.1f} s: {target}")
    return target


def _can_build_engines() -> bool:
    from vgx.environment import gpu_compute_capability, tensorrt_version

    return tensorrt_version() is not None and gpu_compute_capability() is not None


def _print_engine_plan(model: str, target: Path, precisions: list[str], opts: Any, console: Any) -> None:
    """No TensorRT or no GPU here: say what --engine would build, and the command for the GPU machine."""
    from vgx.export.opset17 import SOURCE
    from vgx.export.trt_build import build_plan

    p = opts.profile
    console.print(f"no TensorRT GPU here: exporting ONNX only. On the GPU machine --engine would build, for "
                  f"profile min {p.min} opt {p.opt} max {p.max}, workspace {opts.workspace_mb} MiB"
                  + (f", DLA core {opts.dla_core}" if opts.dla_core is not None else "") + ":")
    for prec in precisions:
        for release in ("8.6", "10.3", "11.0"):
            try:
                plan = build_plan(release, prec, opts.dla_core, opts.version_compatible)
                how = (f"network {'+'.join(plan.network_flags) or 'default'}, builder flags "
                       f"{'+'.join(plan.builder_flags) or 'none'}"
                       + (f", parsing the exact opset-{plan.max_opset} rewrite" if plan.max_opset < SOURCE else ""))
            except VgxError as e:
                how = str(e)
            console.print(f"  {prec} on TensorRT {release}: {how}")
    flags = " ".join(f"--{x}" for x in precisions if x != "fp32").replace("--int8", "--int8 --int8-target gpu")
    console.print(f"  run there: vgx export {model} {flags} --engine --out {target}".replace("  --", " --"))


@app.command()
@friendly
def verify(
    folder: Path = typer.Argument(..., help="artifact folder made by vgx export"),
    backends: Optional[str] = typer.Option(None, help="comma list: ort-cpu,ort-cuda,ort-trt,trt (default: all)"),
) -> None:
    """Run every precision on every available backend against fp32; non-zero exit on a failure."""
    from rich.console import Console
    from rich.table import Table

    from vgx.runtime.verify import verify_artifact

    checks = verify_artifact(folder, backends.split(",") if backends else None)
    table = Table(title=f"vgx verify {folder}")
    for col in ("backend", "precision", "result", "max abs err", "PSNR vs fp32", "criterion / reason"):
        table.add_column(col)
    for c in checks:
        color = {"pass": "green", "fail": "red", "skipped": "yellow"}[c.status]
        table.add_row(c.backend, c.precision, f"[{color}]{c.status}", "" if c.max_abs is None else f"{c.max_abs:.2e}",
                      "" if c.psnr is None else ("inf" if c.psnr == float("inf") else f"{c.psnr:.1f} dB"),
                      c.criterion or c.reason)
    Console().print(table)
    if any(c.status == "fail" for c in checks):
        raise typer.Exit(1)
