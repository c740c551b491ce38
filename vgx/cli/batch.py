"""`vgx batch`: archives of videos and images through one model on Ray (local or a cluster)."""

from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import typer

from .app import app, friendly


@app.command()
@friendly
def batch(
    inputs: List[str] = typer.Argument(..., help="videos, images, folders or globs"),
    model: str = typer.Option(..., "--model", "-m", help="zoo name or artifact folder"),
    out: Path = typer.Option(..., "--out", help="output folder (and its job manifest vgx_batch.json)"),
    ray: Optional[str] = typer.Option(None, "--ray", help="join a Ray cluster (auto, or ray://HOST:10001); "
                                      "default: start Ray here"),
    workers: int = typer.Option(1, help="actors, each holding one open model"),
    precision: str = typer.Option("fp32", help="fp32 | fp16 | int8"),
    backend: str = typer.Option("auto", help="as for vgx stream"),
    gpus: float = typer.Option(0.0, help="GPUs each worker asks Ray for (e.g. 1, or 0.5 to share)"),
    threads: Optional[int] = typer.Option(1, help="ONNX Runtime threads per worker"),
    smooth: Optional[float] = typer.Option(None, help="temporal smoothing of videos, as for vgx stream [style 0.85, else 0]"),
    carry_norms: Optional[float] = typer.Option(None, help="norm statistics carried between a video's frames, as for "
                                                "vgx stream [style 0.97, else 0]"),
) -> None:
    """Upscale or stylize a whole archive, one Ray task per file; a re-run skips what is done."""
    from vgx.errors import VgxError
    from vgx.runtime.batch import BatchJob, run_batch
    from vgx.runtime.norm_carry import check_keep
    from vgx.runtime.resolve import resolve_artifact
    from vgx.runtime.temporal import check_strength

    check_strength(smooth)  # before an export
    check_keep(carry_norms)
    folder = resolve_artifact(model, (precision,), log=lambda s: typer.echo(s, err=True))
    summary = run_batch(BatchJob(list(inputs), str(folder), out, ray, workers, precision, backend, gpus, threads,
                                 smooth, carry_norms),
                        log=lambda s: typer.echo(s, err=True))
    typer.echo(f"{summary['done']} of {summary['files']} files done ({summary['skipped']} skipped as already done), "
               f"{summary['failed']} failed; manifest {out / 'vgx_batch.json'}", err=True)
    if summary["failed"]:
        names = ", ".join(list(summary["failures"])[:5])
        err = VgxError(f"{summary['failed']} of {summary['files']} files failed ({names}); see {out / 'vgx_batch.json'}")
        err.exit_code = 1  # the job ran: some files failed (2 is for bad arguments)
        raise err
