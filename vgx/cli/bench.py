"""`vgx bench`: latency percentiles across backends x precisions x sizes."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from .app import app, friendly


@app.command()
@friendly
def bench(
    model: str = typer.Argument(..., help="zoo name(s) (comma list), artifact folder, or `all` (every shipped model)"),
    backends: str = typer.Option("torch,torch-cl,torch-cuda,ort-cpu,ort-cuda,ort-trt,trt", help="comma list"),
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
