"""`vgx serve`: artifacts on a local Triton Inference Server (PyTriton), for development and
single boxes; production runs `tritonserver` on a `vgx export --triton` repository."""

from __future__ import annotations

from typing import Optional

import typer

from .app import app, friendly


@app.command()
@friendly
def serve(
    models: str = typer.Argument(..., help="zoo name(s) or artifact folder(s), comma separated"),
    port: int = typer.Option(8001, help="gRPC port: what --backend triton://HOST:PORT takes (HTTP on PORT-1)"),
    bind: str = typer.Option("127.0.0.1", help="address to listen on (0.0.0.0: every interface)"),
    precision: str = typer.Option("fp32", help="fp32 | fp16 (the served frames model)"),
    backend: str = typer.Option("auto", help="runtime backend behind Triton: auto | ort-cpu | ort-cuda | ort-trt | trt"),
    max_batch: int = typer.Option(8, help="dynamic batching: most frames per model call"),
    threads: Optional[int] = typer.Option(None, help="CPU threads for ONNX Runtime"),
) -> None:
    """Serve models on a real Triton endpoint (gRPC + HTTP, dynamic batching) until Ctrl-C."""
    from vgx.runtime.serve import ServeOptions
    from vgx.runtime.serve import serve as run_server

    if not 0 < port < 65535:
        raise typer.BadParameter("--port must be 1..65534")
    names = [m for m in models.split(",") if m]
    run_server(ServeOptions(names, port, None, bind, precision, backend, max_batch, threads=threads),
               log=lambda s: typer.echo(s, err=True))
