"""`vgx generate` and `vgx edit`: face generators and latent editing."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from vgx.errors import VgxError

from .app import app, friendly


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
    from vgx.train.sampling import write_samples

    path = write_samples(model, n, seed, out, interpolate, steps)
    typer.echo(f"wrote {path}", err=True)


@app.command()
@friendly
def edit(
    model: str = typer.Argument(..., help="vae-faces or a VAE checkpoint"),
    direction: Optional[str] = typer.Option(None, help="apply this learnt direction"),
    learn: Optional[str] = typer.Option(None, help="learn a direction with this name from --with / --without"),
    with_: Optional[Path] = typer.Option(None, "--with", help="faces that have the attribute"),
    without: Optional[Path] = typer.Option(None, "--without", help="faces that lack it"),
    labels: Optional[Path] = typer.Option(None, help="learn from a labels CSV (image,label; held-out people s37..s40 "
                                          "left out)"),
    input: Optional[Path] = typer.Option(None, "--input", "-i", help="a face to edit (default: a sample)"),
    strengths: str = typer.Option("-2,-1,0,1,2", help="comma list of steps along the direction"),
    seed: int = typer.Option(0, help="latent seed when no --input"),
    out: Path = typer.Option(Path("vgx-out/edit.png"), help="a strip .png, or a folder: recon.png, +1.png, -1.png, ..."),
    directions: Optional[Path] = typer.Option(None, help="directions JSON (default: in the vgx cache)"),
) -> None:
    """Face editing with the VAE: learn a direction from two folders, then apply it at chosen strengths."""
    from vgx.train import edit as editing

    if learn:
        if labels is not None:
            path, used = editing.learn_from_labels(model, learn, labels, directions)
            typer.echo(f"wrote {path} ({used['people_with_both']} people with and without it, {used['images']} faces)",
                       err=True)
            return
        if with_ is None or without is None:
            raise VgxError("--learn needs --labels CSV, or --with DIR and --without DIR")
        typer.echo(f"wrote {editing.learn(model, learn, with_, without, directions)}", err=True)
        return
    if not direction:
        raise VgxError("give --direction NAME (or --learn NAME --labels CSV)")
    try:
        steps = [float(v) for v in strengths.split(",")]
    except ValueError:
        raise VgxError(f"--strengths {strengths!r} is not a comma list of numbers") from None
    typer.echo(f"wrote {editing.apply(model, direction, steps, input, seed, out, directions)}", err=True)
