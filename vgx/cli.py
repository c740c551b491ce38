"""The `vgx` command line: parse, then call one library function. Heavy imports stay inside.

Every VgxError becomes one line on stderr and exit code 2; no tracebacks for bad input.
"""

from __future__ import annotations

import functools
import os
import signal
import sys
from pathlib import Path
from typing import Callable, List, Optional, TypeVar

import typer

from vgx.errors import VgxError

# OpenCV and its FFmpeg print their own warnings to stderr ("moov atom not found"); vgx says
# what failed itself, in one line, so their noise stays off unless VGX_DEBUG asks for it.
if not os.environ.get("VGX_DEBUG"):
    os.environ.setdefault("OPENCV_LOG_LEVEL", "ERROR")
    os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", "0")

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  help="vgx: image-generation models from PyTorch training to real-time inference.")

F = TypeVar("F", bound=Callable[..., object])


@app.callback()
def _root() -> None:
    """vgx: image-generation models from PyTorch training to real-time inference."""


def friendly(fn: F) -> F:
    """Turns VgxError (and Ctrl-C, and a full disk) into one line and a non-zero exit."""

    @functools.wraps(fn)
    def wrapper(*args: object, **kwargs: object) -> object:
        try:
            return fn(*args, **kwargs)
        except VgxError as e:
            typer.echo(f"vgx: error: {' '.join(str(e).split())}", err=True)  # one line, always
            raise typer.Exit(e.exit_code) from None
        except KeyboardInterrupt:
            typer.echo("vgx: interrupted", err=True)
            raise typer.Exit(130) from None
        except OSError as e:  # disk full, permissions: say which file
            where = f" ({e.filename})" if getattr(e, "filename", None) else ""
            typer.echo(f"vgx: error: {e.strerror or e}{where}", err=True)
            raise typer.Exit(1) from None
        except Exception as e:  # a bug: one line, and the traceback on request
            if os.environ.get("VGX_DEBUG"):
                raise
            first = (str(e).strip().splitlines() or [""])[0][:300]
            typer.echo(f"vgx: internal error: {type(e).__name__}: {first} (a bug: please report it; "
                       "VGX_DEBUG=1 shows the traceback)", err=True)
            raise typer.Exit(1) from None

    return wrapper  # type: ignore[return-value]


@app.command()
@friendly
def train(
    model: str = typer.Argument(..., help="zoo name (espcn-x2, fsrcnn-x3, compact-x4, srresnet-x4, srgan, style-wave), "
                                "family + --scale, or `style` with --style IMAGE"),
    data: List[Path] = typer.Option(..., "--data", help="folder(s) of training images (repeatable)"),
    scale: Optional[int] = typer.Option(None, help="with a family name: vgx train espcn --scale 3"),
    val: Optional[Path] = typer.Option(None, help="folder of held-out HR images (default: built-in demo images)"),
    out: Path = typer.Option(Path("runs/train"), help="checkpoints, log, sample grids"),
    steps: int = typer.Option(10_000, help="total optimiser steps"),
    batch_size: int = typer.Option(16, help="patches per step (per process under torchrun)"),
    patch_size: int = typer.Option(32, help="LR patch side in pixels"),
    lr: float = typer.Option(1e-3, help="peak learning rate (Adam; warm-up then cosine)"),
    val_every: int = typer.Option(1000, help="validate and write a sample grid every N steps"),
    ckpt_every: int = typer.Option(500, help="write the resumable checkpoint every N steps"),
    seed: int = typer.Option(0),
    threads: Optional[int] = typer.Option(None, help="torch CPU threads"),
    resume: Optional[Path] = typer.Option(None, help="continue exactly from this last.pt"),
    init: Optional[Path] = typer.Option(None, help="start from these weights (srgan: a srresnet-x4 checkpoint)"),
    stop_at: Optional[int] = typer.Option(None, help="stop after step N (resumable) but keep the --steps schedule"),
    style: Optional[Path] = typer.Option(None, help="style: the painting to learn (vgx train style --style IMG)"),
    name: Optional[str] = typer.Option(None, help="style: the model's name (default: the image's name)"),
    slim: bool = typer.Option(False, "--slim", help="style: the slim edge variant (~5x fewer MACs)"),
    style_weight: float = typer.Option(5.0, help="style: weight of the relative Gram error"),
    content_weight: float = typer.Option(1.0, help="style: content loss weight"),
    tv_weight: float = typer.Option(1e-3, help="style: total-variation weight"),
    stability_weight: float = typer.Option(5000.0, help="style: motion + noise stability weight (0 turns it off)"),
    style_size: int = typer.Option(256, help="style: the painting's short side when its Grams are taken"),
    style_temperature: float = typer.Option(0.0, help="style: softmax temperature of the Gram features (0: raw)"),
) -> None:
    """Train a zoo model (PyTorch; data-parallel under torchrun). Style: vgx train style --style IMG --data DIR."""
    from vgx.train.loop import TrainConfig
    from vgx.train.loop import train as run_training

    extra: dict[str, object] = {}
    if model.lower() == "style" or model.lower().startswith("style-"):
        if style is None:
            raise VgxError("style training needs --style IMAGE (the painting)")
        if model.lower() == "style":
            model = f"style-{(name or style.stem).lower().replace('_', '-')}{'-slim' if slim else ''}"
        extra = {"style_image": str(style), "style_weight": style_weight, "content_weight": content_weight,
                 "tv_weight": tv_weight, "stability_weight": stability_weight, "style_size": style_size,
                 "temperature": style_temperature}

    cfg = TrainConfig(
        model=model, data=[str(d) for d in data], scale=scale, out=str(out), val=str(val) if val else None, steps=steps,
        batch_size=batch_size, patch_size=patch_size, lr=lr, val_every=val_every, ckpt_every=ckpt_every,
        seed=seed, threads=threads, resume=str(resume) if resume else None, init=str(init) if init else None,
        stop_at=stop_at, extra=extra,
    )
    run_training(cfg)


@app.command("eval")
@friendly
def eval_(
    model: str = typer.Argument(..., help="zoo name, checkpoint path, or artifact folder from vgx export"),
    data: Path = typer.Option(..., "--data", help="folder of HR images (e.g. Set5)"),
    json_out: Optional[Path] = typer.Option(None, "--json", help="also write the report as JSON"),
    precision: Optional[str] = typer.Option(None, help="with an artifact folder: fp32 | fp16 | int8"),
) -> None:
    """PSNR-Y / SSIM of a SR model vs bicubic, per image and on average (the literature's protocol)."""
    from vgx.train.commands import evaluate_command

    evaluate_command(model, data, json_out, precision)


@app.command()
@friendly
def models(markdown: bool = typer.Option(False, "--markdown", help="print the README's Markdown table")) -> None:
    """The model zoo: task, scale, parameters, MACs at 640x360, shipped weights, quality."""
    from vgx.train.commands import models_command

    models_command(markdown)


@app.command()
@friendly
def upscale(
    inputs: List[Path] = typer.Argument(None, help="images to upscale (default: built-in demo images)"),
    model: str = typer.Option("compact-x2", "--model", "-m", help="zoo name or checkpoint path"),
    out: Path = typer.Option(Path("vgx-out"), help="folder for NAME_sr.png and NAME_compare.png"),
) -> None:
    """Upscale images with a SR model; writes the result and a before/after (bicubic | model) PNG."""
    from vgx.train.commands import upscale_command

    upscale_command(inputs or [], model, out)


@app.command()
@friendly
def doctor() -> None:
    """Versions of everything vgx can use, and a check for broken package mixes."""
    from vgx.environment import check_onnxruntime, report

    for key, value in report().items():
        typer.echo(f"{key:24s} {value}")
    check_onnxruntime()
    typer.echo("ok: no conflicting packages")


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
    out: Optional[Path] = typer.Option(None, help="artifact folder (default exports/NAME)"),
) -> None:
    """Checkpoint -> verified ONNX fp32 / fp16 / int8 -> TensorRT engines, with a manifest."""
    from vgx.export.commands import export_command
    from vgx.export.int8 import Int8Config

    int8_cfg = Int8Config(calib_method, calib_count, str(calib) if calib else None, int8_target, int8_budget) if int8 else None
    if calib and not int8:
        raise VgxError("--calib needs --int8")
    export_command(model, out, fp16, int8_cfg, engine, {"min": min_shape, "opt": opt_shape, "max": max_shape},
                   max_batch, workspace, version_compatible, timing_cache)


@app.command()
@friendly
def verify(
    folder: Path = typer.Argument(..., help="artifact folder made by vgx export"),
    backends: Optional[str] = typer.Option(None, help="comma list: ort-cpu,ort-cuda,ort-trt,trt (default: all)"),
) -> None:
    """Run every precision on every available backend against fp32; non-zero exit on a failure."""
    from vgx.runtime.commands import verify_command

    if not verify_command(folder, backends.split(",") if backends else None):
        raise typer.Exit(1)


@app.command()
@friendly
def stream(
    input: Optional[str] = typer.Option(None, "--input", "-i", help="URI: demo:// (default), file, folder, glob, "
                                        "camera://N, csi://N, gst://PIPELINE, rtsp://, http://"),
    camera: Optional[int] = typer.Option(None, help="shorthand for --input camera://N"),
    task: str = typer.Option("sr", help="sr | style | generate"),
    model: Optional[str] = typer.Option(None, "--model", "-m", help="zoo name or artifact folder; a comma list "
                                        "switches with the display's m key"),
    scale: int = typer.Option(2, help="SR scale when --model is not given"),
    style: str = typer.Option("starry-night", help="--task style: the style (comma list: switch with key m)"),
    slim: bool = typer.Option(False, "--slim", help="--task style: the slim edge variant"),
    precision: str = typer.Option("fp32", help="fp32 | fp16 | int8"),
    backend: str = typer.Option("auto", help="auto | ort | trt | torch | ort-cpu | ort-cuda | ort-trt"),
    size: Optional[str] = typer.Option(None, "--size", "--input-size", help="input size WxH (cameras, demo)"),
    input_fps: Optional[float] = typer.Option(None, help="camera frame rate to ask for"),
    output: List[str] = typer.Option([], "--output", "-o", help="URI, repeatable: out.mp4, folder, "
                                     "http://127.0.0.1:8090, display://, null:// (default vgx-out/stream.mp4)"),
    policy: Optional[str] = typer.Option(None, help="live | lossless (default: live for cameras/network)"),
    batch: int = typer.Option(1, help="frames per inference (lossless)"),
    side_by_side: bool = typer.Option(False, "--side-by-side", help="before | after split"),
    hud: bool = typer.Option(False, "--hud", help="draw FPS and latency on the output"),
    bind: Optional[str] = typer.Option(None, help="address for http:// outputs (default 127.0.0.1)"),
    frames: Optional[int] = typer.Option(None, help="stop after N frames"),
    threads: Optional[int] = typer.Option(None, help="CPU threads for ONNX Runtime"),
    tile: Optional[int] = typer.Option(None, help="tile frames larger than this (input pixels)"),
    stats_json: Optional[Path] = typer.Option(None, help="write stream statistics here"),
) -> None:
    """Run a model live on a camera, file, folder or network stream into files, a browser or a window."""
    from vgx.images import parse_size
    from vgx.runtime.stream import StreamRequest, run_stream

    if camera is not None and input is not None:
        raise VgxError("give --camera or --input, not both")
    req = StreamRequest(
        input=f"camera://{camera}" if camera is not None else (input or "demo://"), task=task, model=model, scale=scale,
        style=style, slim=slim,
        precision=precision, backend=backend, size=parse_size(size) if size else None, input_fps=input_fps,
        outputs=list(output), policy=policy, batch=batch, side_by_side=side_by_side, hud=hud, bind=bind,
        frames=frames, threads=threads, stats_json=stats_json, tile=tile,
    )
    summary = run_stream(req, log=lambda s: typer.echo(s, err=True))
    typer.echo(f"{summary['frames_out']} frames, {summary['fps']:.1f} fps (model {summary['model_fps']:.1f} fps), "
               f"e2e p50 {summary['e2e_latency_ms']['p50']:.0f} ms, dropped {summary['dropped']}", err=True)


@app.command()
@friendly
def bench(
    model: str = typer.Argument(..., help="zoo name(s) (comma list), artifact folder, or `all` (every shipped model)"),
    backends: str = typer.Option("torch,torch-cl,ort-cpu,ort-cuda,ort-trt,trt", help="comma list"),
    precisions: str = typer.Option("fp32,fp16,int8", help="comma list"),
    sizes: str = typer.Option("360p", help="comma list of 360p, 720p, 1080p or WxH (input size)"),
    runs: Optional[int] = typer.Option(None, help="timed runs (default: from the warm-up time)"),
    seconds: float = typer.Option(3.0, help="target measuring time per case"),
    stream: bool = typer.Option(False, "--stream", help="also measure end-to-end stream FPS"),
    quality_data: Optional[Path] = typer.Option(None, help="HR images for PSNR-Y vs ground truth (default: "
                                                "../shared/data/sr/Set5 when present)"),
    out: Path = typer.Option(Path("benchmarks/results"), help="JSON, Markdown and PNG go here"),
) -> None:
    """Latency percentiles across backends x precisions x sizes, with quality (like trtexec)."""
    from vgx.benchmarks.bench import BenchRequest, run_bench
    from vgx.benchmarks.matrix import parse_sizes

    if model == "all":
        from vgx.train import zoo

        names = [n for n in zoo.ZOO if zoo.shipped_weights(n)]
    else:
        names = [m for m in model.split(",") if m]
    default_q = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "sr" / "Set5"
    req = BenchRequest(names, backends.split(","), precisions.split(","), parse_sizes(sizes), runs, seconds, stream,
                       quality_data or (default_q if default_q.is_dir() else None), out)
    for path in run_bench(req, log=lambda s: typer.echo(s, err=True)):
        typer.echo(f"wrote {path}", err=True)


@app.command()
@friendly
def generate(
    model: str = typer.Argument(..., help="dcgan-faces, vae-faces, or a checkpoint"),
    n: int = typer.Option(64, "--n", help="samples"),
    seed: int = typer.Option(0, help="latent seed"),
    out: Path = typer.Option(Path("vgx-out/samples.png"), help="grid .png, a folder (one PNG each), or .mp4/.gif walk"),
    interpolate: bool = typer.Option(False, "--interpolate", help="a looping latent walk (slerp) instead of samples"),
    steps: int = typer.Option(24, help="frames between walk keyframes"),
) -> None:
    """Sample faces from a generator: a grid, one PNG per sample, or a latent walk video."""
    from vgx.train.generate import generate_command

    path = generate_command(model, n, seed, out, interpolate, steps)
    typer.echo(f"wrote {path}", err=True)


@app.command()
@friendly
def edit(
    model: str = typer.Argument(..., help="vae-faces or a VAE checkpoint"),
    direction: Optional[str] = typer.Option(None, help="apply this learnt direction"),
    learn: Optional[str] = typer.Option(None, help="learn a direction with this name from --with / --without"),
    with_: Optional[Path] = typer.Option(None, "--with", help="faces that have the attribute"),
    without: Optional[Path] = typer.Option(None, "--without", help="faces that lack it"),
    input: Optional[Path] = typer.Option(None, "--input", "-i", help="a face to edit (default: a sample)"),
    strengths: str = typer.Option("-2,-1,0,1,2", help="comma list of steps along the direction"),
    seed: int = typer.Option(0, help="latent seed when no --input"),
    out: Path = typer.Option(Path("vgx-out/edit.png"), help="the strip PNG"),
    directions: Optional[Path] = typer.Option(None, help="directions JSON (default: in the vgx cache)"),
) -> None:
    """Face editing with the VAE: learn a direction from two folders, then apply it at chosen strengths."""
    from vgx.train import edit as editing

    if learn:
        if with_ is None or without is None:
            raise VgxError("--learn needs --with DIR and --without DIR")
        typer.echo(f"wrote {editing.learn(model, learn, with_, without, directions)}", err=True)
        return
    if not direction:
        raise VgxError("give --direction NAME (or --learn NAME --with DIR --without DIR)")
    try:
        steps = [float(v) for v in strengths.split(",")]
    except ValueError:
        raise VgxError(f"--strengths {strengths!r} is not a comma list of numbers") from None
    typer.echo(f"wrote {editing.apply(model, direction, steps, input, seed, out, directions)}", err=True)


def _terminated(signum: int, frame: object) -> None:
    raise KeyboardInterrupt  # SIGTERM cleans up (temp files, partial outputs) exactly as Ctrl-C does


def main() -> None:
    signal.signal(signal.SIGTERM, _terminated)  # `vgx stream` installs its own graceful stop
    app()


if __name__ == "__main__":
    sys.exit(main())
