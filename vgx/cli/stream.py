"""`vgx stream`: a model live on a camera, file, folder or network stream."""

from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import typer

from vgx.errors import VgxError

from .app import app, friendly


@app.command()
@friendly
def stream(
    input: Optional[str] = typer.Option(None, "--input", "-i", help="URI: demo:// (default), file, folder, glob, "
                                        "camera://N, csi://N, gst://PIPELINE, rtsp://, http://"),
    camera: Optional[int] = typer.Option(None, help="shorthand for --input camera://N"),
    task: str = typer.Option("sr", help="sr | restore | style | generate"),
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
    smooth: Optional[float] = typer.Option(None, help="temporal smoothing 0..<1: blend each output with the previous "
                                           "one along the input's motion (steadier style video) [style 0.85, else 0]"),
    carry_norms: Optional[float] = typer.Option(None, help="0..<1: how much of the previous frames' InstanceNorm "
                                                "statistics each frame keeps (steadier style video) [style 0.97, else 0]"),
    stats_json: Optional[Path] = typer.Option(None, help="write stream statistics here"),
) -> None:
    """Run a model live on a camera, file, folder or network stream into files, a browser or a window."""
    from vgx.images import parse_size
    from vgx.runtime.stream import StreamRequest, run_stream

    if camera is not None and input is not None:
        raise VgxError("give --camera or --input, not both")
    source = f"camera://{camera}" if camera is not None else (input or "demo://")
    if model is None and task == "sr":
        model = _live_default(source, scale, lambda s: typer.echo(s, err=True))
    req = StreamRequest(
        input=f"camera://{camera}" if camera is not None else (input or "demo://"), task=task, model=model, scale=scale,
        style=style, slim=slim,
        precision=precision, backend=backend, size=parse_size(size) if size else None, input_fps=input_fps,
        outputs=list(output), policy=policy, batch=batch, side_by_side=side_by_side, hud=hud, bind=bind,
        frames=frames, threads=threads, stats_json=stats_json, tile=tile, smooth=smooth, carry_norms=carry_norms,
    )
    summary = run_stream(req, log=lambda s: typer.echo(s, err=True))
    typer.echo(f"{summary['frames_out']} frames, {summary['fps']:.1f} fps (model {summary['model_fps']:.1f} fps), "
               f"e2e p50 {summary['e2e_latency_ms']['p50']:.0f} ms, dropped {summary['dropped']}", err=True)


def _live_default(source: str, scale: int, log) -> str | None:
    """A live source gets the -real model of its scale when one ships (else the runtime's default)."""
    from vgx.runtime.stream import LIVE_SR_MODELS
    from vgx.runtime.uri import parse

    if parse(source).scheme not in ("camera", "csi", "gst", "rtsp", "rtsps", "http", "https") or scale not in LIVE_SR_MODELS:
        return None
    from vgx.train.zoo_index import read_index

    name = LIVE_SR_MODELS[scale]
    if any(r["name"] == name and r["shipped"] for r in read_index()):
        log(f"live source: using {name} (trained for camera noise and stream compression); --model picks another")
        return name
    return None
