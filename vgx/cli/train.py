"""`vgx train`: every zoo model, and a user's own style."""

from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import typer

from vgx.errors import VgxError

from .app import app, friendly


@app.command()
@friendly
def train(
    model: str = typer.Argument(..., help="zoo name (espcn-x2, fsrcnn-x3, compact-x4, srresnet-x4, srgan, style-wave), "
                                "family + --scale, or `style` with --style IMAGE"),
    data: List[Path] = typer.Option(..., "--data", help="folder(s) of training images (repeatable)"),
    scale: Optional[int] = typer.Option(None, help="with a family name: vgx train espcn --scale 3"),
    val: Optional[Path] = typer.Option(None, help="folder of held-out HR images (default: built-in demo images)"),
    out: Path = typer.Option(Path("runs/train"), help="checkpoints, log, sample grids"),
    steps: Optional[int] = typer.Option(None, help="total optimiser steps [default: the recipe's: SR 10000, style "
                                        "2000, vae 4000, dcgan 6000, srgan 400]"),
    batch_size: Optional[int] = typer.Option(None, help="patches per step, per process under torchrun [SR 16, style 2, "
                                             "faces 64, srgan 8]"),
    patch_size: Optional[int] = typer.Option(None, help="LR patch side in pixels [SR 32, style 256, srgan 24]"),
    lr: Optional[float] = typer.Option(None, help="peak learning rate, Adam, warm-up then cosine [1e-3; dcgan 2e-4, "
                                       "srgan 1e-4]"),
    val_every: Optional[int] = typer.Option(None, help="validate and write a sample grid every N steps [SR 1000, "
                                            "others 100-250]"),
    ckpt_every: Optional[int] = typer.Option(None, help="write the resumable checkpoint every N steps [SR 500, "
                                             "style 50]"),
    seed: int = typer.Option(0),
    threads: Optional[int] = typer.Option(None, help="torch CPU threads"),
    degradations: Optional[str] = typer.Option(None, help="-real models: wide (Real-ESRGAN-like, the x2/x4 default), "
                                               "camera (no rescale around the downscale), stream (camera with H.264/H.265 twice "
                                               "as often) or restore (the x1 default)"),
    rescales: Optional[str] = typer.Option(None, help="clean SR: also train on each image downscaled by these factors, "
                                           "e.g. 0.9,0.8,0.7,0.6 (more patches from the same photos)"),
    pixel_loss: str = typer.Option("l1", help="SR (PSNR-trained nets): l1, or l2 (PSNR's own error) for a finishing "
                                   "slice from trained weights"),
    device: str = typer.Option("auto", help="auto (a CUDA GPU where PyTorch sees one, else the CPU), cpu, cuda, cuda:N"),
    resume: Optional[Path] = typer.Option(None, help="continue exactly from this last.pt"),
    init: Optional[Path] = typer.Option(None, help="start from these weights (srgan: a srresnet-x4 checkpoint)"),
    stop_at: Optional[int] = typer.Option(None, help="stop after step N (resumable) but keep the --steps schedule"),
    ema: float = typer.Option(0.0, help="also keep a moving average of the weights at this decay (e.g. 0.999, as "
                              "Real-ESRGAN does): validation scores it and model.pt holds it; 0: off"),
    style: Optional[Path] = typer.Option(None, help="style: the painting to learn (vgx train style --style IMG)"),
    name: Optional[str] = typer.Option(None, help="style: the model's name (default: the image's name)"),
    slim: bool = typer.Option(False, "--slim", help="style: the slim edge variant (~5x fewer MACs)"),
    style_weight: float = typer.Option(5.0, help="style: weight of the relative Gram error"),
    content_weight: float = typer.Option(1.0, help="style: content loss weight"),
    tv_weight: float = typer.Option(0.0, help="style: total-variation weight"),
    stability_weight: float = typer.Option(1000.0, help="style: motion + noise stability weight (0 turns it off)"),
    stability_noise: float = typer.Option(0.04, help="style: std of the sensor noise in the stability term (0..1 scale)"),
    stability_noise_min: Optional[float] = typer.Option(None, help="style: draw each sample's noise std log-uniform "
                                                       "between this and --stability-noise"),
    stability_perturb: str = typer.Option("pixel", help="style: the stability term's next-frame change: pixel (fresh "
                                          "noise per pixel), camera (noise correlated over 0-4 px, JPEG half the time) "
                                          "or codec (both frames noisy, then one H.264 encode: the second inter-coded)"),
    stability_relative: bool = typer.Option(False, "--stability-relative", help="style: charge the stability term as "
                                            "output change / input change (the flicker figure's ratio; weight ~10-30) "
                                            "instead of the output's squared change"),
    stability_per_detail: bool = typer.Option(False, "--stability-per-detail", help="style: charge the stability "
                                              "term as the output's squared change over its own detail energy, which "
                                              "a flatter output does not lower (weight ~5-15; it kept colour, not texture)"),
    stability_detail_window: int = typer.Option(0, help="style, with --stability-per-detail: over the detail energy "
                                                "of this many pixels around each (odd; 0: the whole crop's)"),
    stability_detail_ceiling: float = typer.Option(0.0, help="style, with --stability-per-detail: count the detail "
                                                   "energy (mean squared, per pixel) up to this and no further, so "
                                                   "stronger strokes do not lower the term either (0: no ceiling; udnie's "
                                                   "free run has 0.0016, measured at that: README)"),
    stability_context: bool = typer.Option(False, "--stability-context", help="style: the stability term's moved frame "
                                           "brings in the real content around the crop (a pan), not black"),
    stability_occlude: bool = typer.Option(False, "--stability-occlude", help="style: an object (a square of another "
                                           "crop) crosses the stability term's frames; the output away from it must "
                                           "not change"),
    stability_carried: bool = typer.Option(False, "--stability-carried", help="style: the stability term's next frame "
                                           "is computed with the first frame's InstanceNorm statistics, as the stream "
                                           "carries them, so the term charges only what the stream cannot hold "
                                           "(tried on udnie at per-detail 15: the net collapsed to grey; README)"),
    style_size: int = typer.Option(512, help="style: the painting's short side when its Grams are taken"),
    style_octaves: int = typer.Option(2, help="style: Grams of the output at full size and of copies downscaled 2x "
                                      "(2) and 4x (3): larger strokes"),
    antialias: bool = typer.Option(False, "--antialias", help="style: strided convs that subsample through a "
                                   "low-pass and bilinear upsampling, so moving pictures are painted moved (~18% "
                                   "more MACs); --init takes either form's weights"),
    bf16: bool = typer.Option(False, "--bf16", help="style: the nets in bfloat16 (autocast; losses and weights fp32): "
                              "~1.7x faster a step on CPUs with AVX-512 BF16 or AMX (refused elsewhere)"),
    lossnet: Optional[Path] = typer.Option(None, help="style / vae: VGG-19 loss network file "
                                              "(default: $VGX_LOSSNET, ../shared/data/lossnets)"),
    teacher: Optional[Path] = typer.Option(None, help="style: distil from this trained style model (a full one, for "
                                           "--slim) instead of the VGG-19 losses; with --style too, the painting's "
                                           "style term stays. Clean SR: a bigger trained SR model of the same scale "
                                           "(a zoo name or weights) whose output is blended into the targets"),
    teacher_weight: float = typer.Option(0.5, help="clean SR with --teacher: targets are (1-w) * HR + w * the "
                                         "teacher's output"),
    beta: float = typer.Option(0.03, help="vae: weight of the KL term (smaller keeps more of each face; samples "
                               "come from the fitted prior)"),
    perceptual_weight: float = typer.Option(0.0, help="vae: weight of the VGG-19 feature reconstruction term"),
) -> None:
    """Train a zoo model (PyTorch; data-parallel under torchrun). Style: vgx train style --style IMG --data DIR."""
    from vgx.train.loop import TrainConfig
    from vgx.train.loop import train as run_training

    extra: dict[str, object] = {}
    if model.lower() == "style" or model.lower().startswith("style-"):
        if style is None and teacher is None:
            raise VgxError("style training needs --style IMAGE (the painting), or --teacher MODEL to distil from")
        if model.lower() == "style":
            if style is None:
                raise VgxError("name the style: vgx train style-NAME-slim --teacher MODEL (or --style IMAGE)")
            model = f"style-{(name or style.stem).lower().replace('_', '-')}{'-slim' if slim else ''}"
        extra = {"style_image": str(style) if style else "", "style_weight": style_weight, "content_weight": content_weight,
                 "tv_weight": tv_weight, "stability_weight": stability_weight, "noise_std": stability_noise,
                 "noise_min": stability_noise_min, "perturb": stability_perturb, "relative_stability": stability_relative,
                 "per_detail": stability_per_detail, "detail_window": stability_detail_window,
                 "detail_ceiling": stability_detail_ceiling,
                 "context": stability_context, "occlude": stability_occlude, "carried": stability_carried,
                 "style_size": style_size, "octaves": style_octaves, "bf16": bf16,
                 "lossnet": str(lossnet) if lossnet else None}
    elif bf16:
        raise VgxError("--bf16 is for style training (its VGG losses); SR nets, judged on PSNR, train in fp32")
    elif model.lower().startswith("vae"):
        extra = {"beta": beta, "perceptual_weight": perceptual_weight, "lossnet": str(lossnet) if lossnet else None}
    elif pixel_loss != "l1":
        extra = {"pixel_loss": pixel_loss}

    cfg = TrainConfig(
        model=model, data=[str(d) for d in data], scale=scale, out=str(out), val=str(val) if val else None, steps=steps,
        batch_size=batch_size, patch_size=patch_size, lr=lr, val_every=val_every, ckpt_every=ckpt_every,
        seed=seed, threads=threads, device=device, degradations=degradations, rescales=_factors(rescales),
        resume=str(resume) if resume else None, init=str(init) if init else None,
        stop_at=stop_at, ema=ema, antialias=antialias, teacher=str(teacher) if teacher else None,
        teacher_weight=teacher_weight, extra=extra,
    )
    run_training(cfg)


def _factors(text: str | None) -> tuple[float, ...]:
    """'0.9,0.8' -> (0.9, 0.8); a one-line error for anything else."""
    if not text:
        return ()
    try:
        return tuple(float(t) for t in text.split(","))
    except ValueError:
        raise VgxError(f"--rescales {text!r}: a comma list of factors, e.g. 0.9,0.8,0.7,0.6") from None
