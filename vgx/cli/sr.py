"""`vgx upscale` and `vgx eval`: super-resolution on images, in PyTorch or from an artifact folder."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, List, Optional

import typer

from vgx.errors import VgxError

from .app import app, friendly


@app.command("eval")
@friendly
def eval_(
    model: str = typer.Argument(..., help="zoo name, checkpoint path, or artifact folder from vgx export"),
    data: Path = typer.Option(..., "--data", help="folder of HR images (e.g. Set5)"),
    json_out: Optional[Path] = typer.Option(None, "--json", help="also write the report as JSON"),
    precision: Optional[str] = typer.Option(None, help="with an artifact folder: fp32 | fp16 | int8"),
    degrade: Optional[str] = typer.Option(None, help="degrade the LR first: mild | h264 | camera, or e.g. "
                                          "noise=5,jpeg=40 / h264=28-35,seed=1 (seeded per image)"),
) -> None:
    """PSNR-Y / SSIM of a SR model vs bicubic, per image and on average (the literature's protocol)."""
    from vgx.train.degrade import parse_spec  # numpy + OpenCV + PyAV: no torch

    deg = parse_spec(degrade) if degrade else None
    if (Path(model) / "manifest.json").is_file():
        report, scale = _evaluate_artifact(Path(model), precision or "fp32", data, deg)
    else:
        if precision:
            raise VgxError("--precision applies to an artifact folder (vgx export); this is a PyTorch model")
        from vgx.train.evaluate import evaluate
        from vgx.train.loading import load_model

        torch_model, card = load_model(model)
        if card.task != "sr":
            raise VgxError(f"{card.name} is a {card.task} model; vgx eval measures SR models")
        report, scale = evaluate(torch_model, card.name, card.scale, data, deg), card.scale
    _print_report(report, data, scale, degrade)
    if json_out:
        json_out.parent.mkdir(parents=True, exist_ok=True)
        json_out.write_text(json.dumps(report.to_dict(), indent=2))
        typer.echo(f"wrote {json_out}", err=True)


def _print_report(report: Any, data: Path, scale: int, degrade: str | None) -> None:
    from rich.console import Console
    from rich.table import Table

    how = f", LR degraded: {degrade}" if degrade else ""
    table = Table(title=f"{report.model} on {data} (x{scale}, PSNR-Y / SSIM-Y, shave {scale}{how})")
    for col in ("image", "PSNR-Y", "SSIM", "bicubic PSNR-Y", "bicubic SSIM"):
        table.add_column(col, justify="left" if col == "image" else "right")
    for i in report.images:
        table.add_row(i.name, f"{i.psnr_y:.2f}", f"{i.ssim:.4f}", f"{i.bicubic_psnr_y:.2f}", f"{i.bicubic_ssim:.4f}")
    m = report.mean
    table.add_row("[bold]mean", f"[bold]{m['psnr_y']:.2f}", f"{m['ssim']:.4f}",
                  f"{m['bicubic_psnr_y']:.2f}", f"{m['bicubic_ssim']:.4f}")
    Console().print(table)


def _evaluate_artifact(folder: Path, precision: str, data: Path, degrade: Any) -> tuple[Any, int]:
    """ONNX Runtime CPU on the artifact's `precision` model (torch-free)."""
    from vgx import manifest as mf
    from vgx.card import ModelCard
    from vgx.runtime.ort_runner import ORTRunner
    from vgx.runtime.runner import image_upscaler
    from vgx.sr_protocol import evaluate as evaluate_upscaler

    manifest = mf.read(folder)
    card = ModelCard.from_dict(manifest["card"])
    if precision not in manifest["precisions"]:
        raise VgxError(f"{folder} has no {precision} model (has {', '.join(manifest['precisions'])})")
    path = mf.verified_path(folder, manifest, manifest["precisions"][precision]["file"])
    with ORTRunner(path) as runner:
        label = f"{card.name} {precision} (ONNX Runtime CPU)"
        report = evaluate_upscaler(image_upscaler(runner), label, card.scale, data, degrade)
    return report, card.scale


@app.command()
@friendly
def upscale(
    inputs: List[Path] = typer.Argument(None, help="images to upscale (default: built-in demo images)"),
    model: str = typer.Option("compact-x2", "--model", "-m", help="zoo name or checkpoint path"),
    out: Path = typer.Option(Path("vgx-out"), help="folder for NAME_sr.png and NAME_compare.png"),
) -> None:
    """Upscale images with a SR model; writes the result and a before/after (bicubic | model) PNG."""
    from vgx.images import bicubic_resize, demo_images, load_rgb, save_rgb, side_by_side
    from vgx.train.evaluate import upscale as run_model
    from vgx.train.loading import load_model

    torch_model, card = load_model(model)
    if card.task != "sr":
        raise VgxError(f"{card.name} is a {card.task} model; vgx upscale needs a SR model")
    images = {p.stem: load_rgb(p) for p in inputs} if inputs else demo_images()
    for stem, lr in images.items():
        sr = run_model(torch_model, lr)
        bic = bicubic_resize(lr, (sr.shape[1], sr.shape[0]))
        save_rgb(out / f"{stem}_sr.png", sr)
        save_rgb(out / f"{stem}_compare.png", side_by_side([bic, sr]))
        typer.echo(f"{stem}: {lr.shape[1]}x{lr.shape[0]} -> {sr.shape[1]}x{sr.shape[0]}  "
                   f"{out / (stem + '_compare.png')} (left bicubic, right {card.name})")
