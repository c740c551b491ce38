"""The SR evaluation protocol (../shared/data/README.md) over any folder of HR images.

HR mod-cropped to the scale, LR by antialiased bicubic (Pillow BICUBIC), model output
rounded to uint8, PSNR-Y and SSIM-Y with `scale` pixels shaved; bicubic as baseline.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import torch
from torch import nn

from vgx.images import bicubic_resize, downscale, list_images, load_rgb, mod_crop
from vgx.metrics import psnr_y, ssim_y


def to_tensor(rgb: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(np.ascontiguousarray(rgb.transpose(2, 0, 1))).float().div_(255.0).unsqueeze(0)


def to_uint8(t: torch.Tensor) -> np.ndarray:
    return t.squeeze(0).clamp(0, 1).mul(255.0).round().byte().permute(1, 2, 0).numpy()


@torch.inference_mode()
def upscale(model: nn.Module, lr: np.ndarray) -> np.ndarray:
    """uint8 RGB -> uint8 RGB through a zoo model (float32 [0,1] at its boundary).

    A channels-last input steers PyTorch off the reference kernel it picks for wide
    convolutions with few outputs (SRResNet's 9x9 tail), without touching the weights.
    """
    return to_uint8(model(to_tensor(lr).contiguous(memory_format=torch.channels_last)))


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

    def to_dict(self) -> dict:
        return {"model": self.model, "scale": self.scale, "mean": self.mean, "images": [asdict(i) for i in self.images]}


def score_image(model: nn.Module, hr: np.ndarray, scale: int, name: str = "") -> tuple[ImageScore, np.ndarray, np.ndarray]:
    """Score one HR image; returns the score, the model output and the bicubic output."""
    hr = mod_crop(hr, scale)
    lr = downscale(hr, scale)
    sr = upscale(model, lr)
    bic = bicubic_resize(lr, (hr.shape[1], hr.shape[0]))
    score = ImageScore(name, psnr_y(sr, hr, scale), ssim_y(sr, hr, scale), psnr_y(bic, hr, scale), ssim_y(bic, hr, scale))
    return score, sr, bic


def evaluate(model: nn.Module, name: str, scale: int, folder: str | Path) -> EvalReport:
    report = EvalReport(name, scale)
    model.eval()
    for f in list_images(folder):
        report.images.append(score_image(model, load_rgb(f), scale, f.name)[0])
    return report
