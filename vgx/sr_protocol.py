"""The SR evaluation protocol (../shared/data/README.md), for any upscaler.

HR mod-cropped to the scale, LR by antialiased bicubic (Pillow BICUBIC), the upscaler's
uint8 output scored with PSNR-Y and SSIM-Y, `scale` pixels shaved; bicubic as baseline.
An upscaler is any function uint8 RGB -> uint8 RGB: a PyTorch model, an ONNX session.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from vgx.images import bicubic_resize, downscale, list_images, load_rgb, mod_crop
from vgx.metrics import psnr_y, ssim_y

Upscaler = Callable[[np.ndarray], np.ndarray]
# (LR image, image index) -> the LR as a camera or stream would deliver it (seeded per index)
Degradation = Callable[[np.ndarray, int], np.ndarray]
# Published Set5 PSNR-Y of the architectures vgx trains (../shared/data/README.md), for comparison.
PAPER_SET5 = {"espcn-x3": 33.00, "espcn-x4": 30.90, "fsrcnn-x2": 37.00, "fsrcnn-x3": 33.16, "fsrcnn-x4": 30.71,
              "srresnet-x4": 32.05, "srgan-x4": 29.40}


@dataclass
class ImageScore:
    name: str
    psnr_y: float
    ssim: float
    bicubic_psnr_y: float
    bicubic_ssim: float


@dataclass
class EvalReport:
    model: str
    scale: int
    images: list[ImageScore] = field(default_factory=list)

    @property
    def mean(self) -> dict[str, float]:
        keys = ("psnr_y", "ssim", "bicubic_psnr_y", "bicubic_ssim")
        return {k: float(np.mean([getattr(i, k) for i in self.images])) for k in keys}

    def to_dict(self) -> dict[str, Any]:
        return {"model": self.model, "scale": self.scale, "mean": self.mean, "images": [asdict(i) for i in self.images]}


def score_image(upscale: Upscaler, hr: np.ndarray, scale: int, name: str = "", degrade: Degradation | None = None,
                index: int = 0) -> tuple[ImageScore, np.ndarray, np.ndarray]:
    """Score one HR image; returns the score, the upscaler's output and the bicubic output.
    With `degrade`, the LR is degraded first and bicubic sees the same degraded LR."""
    hr = mod_crop(hr, scale)
    lr = downscale(hr, scale) if scale > 1 else hr
    if degrade is not None:
        lr = degrade(lr, index)
    sr = upscale(lr)
    bic = bicubic_resize(lr, (hr.shape[1], hr.shape[0]))
    score = ImageScore(name, psnr_y(sr, hr, scale), ssim_y(sr, hr, scale), psnr_y(bic, hr, scale), ssim_y(bic, hr, scale))
    return score, sr, bic


def evaluate(upscale: Upscaler, name: str, scale: int, folder: str | Path, degrade: Degradation | None = None) -> EvalReport:
    report = EvalReport(name, scale)
    for i, f in enumerate(list_images(folder)):
        report.images.append(score_image(upscale, load_rgb(f), scale, f.name, degrade, i)[0])
    return report
