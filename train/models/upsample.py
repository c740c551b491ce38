"""Fixed-factor interpolation as a convolution: the export form of the residual bases.

ONNX Runtime's CPU Resize is scalar code: profiled on espcn-x2 at 640x360 (1 thread), its
bicubic Resize took 315 ms of 485 ms, the five convolutions 155 ms. An integer-factor
resize is shift-invariant per output phase, so it is exactly a depthwise convolution with
one 5x5 kernel per phase (s*s of them), replicate padding (torch clamps its reads at the
border the same way), then DepthToSpace. That runs in the optimised conv kernels of every
runtime, TensorRT included. `tests/train/test_zoo.py` checks it against F.interpolate.
"""

from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn

CUBIC_A = -0.75  # PyTorch's bicubic coefficient


def _cubic(t: float) -> list[float]:
    """Weights of the taps at floor-1, floor, floor+1, floor+2 for fraction t (Keys, a=-0.75)."""
    a = CUBIC_A

    def near(x: float) -> float:  # |x| <= 1
        return ((a + 2) * x - (a + 3)) * x * x + 1

    def far(x: float) -> float:  # 1 < |x| < 2
        return ((a * x - 5 * a) * x + 8 * a) * x - 4 * a

    return [far(t + 1), near(t), near(1 - t), far(2 - t)]


def phase_taps(scale: int, mode: str) -> np.ndarray:
    """scale x 5: for each output phase, the weights of input offsets -2..2."""
    taps = np.zeros((scale, 5))
    for p in range(scale):
        if mode == "nearest":  # torch: src = floor(i / s)
            taps[p, 2] = 1.0
            continue
        x = (p + 0.5) / scale - 0.5  # source coordinate of phase p relative to its input pixel
        base = math.floor(x)
        t = x - base
        weights = _cubic(t) if mode == "bicubic" else [0.0, 1 - t, t, 0.0]  # bilinear: floor, floor+1
        for k, w in enumerate(weights):
            taps[p, base - 1 + k + 2] += w
    return taps


class PhaseUpsample(nn.Module):
    """F.interpolate(x, scale_factor=scale, mode, align_corners=False), as conv + pixel shuffle."""

    def __init__(self, channels: int, scale: int, mode: str) -> None:
        super().__init__()
        if mode not in ("nearest", "bilinear", "bicubic"):
            raise ValueError(f"unsupported mode {mode!r}")
        self.scale, self.channels = scale, channels
        taps = phase_taps(scale, mode)
        kernels = np.einsum("yi,xj->yxij", taps, taps).reshape(scale * scale, 1, 5, 5)  # phase (py, px)
        weight = torch.tensor(np.tile(kernels, (channels, 1, 1, 1)), dtype=torch.float32)
        self.register_buffer("weight", weight, persistent=False)  # not in checkpoints: it is fixed
        self.mode = mode
        self.register_buffer("copies", torch.arange(channels).repeat_interleave(scale * scale), persistent=False)

    def phases(self, x: Tensor) -> Tensor:
        """The scale^2 output phases of every channel at input size (channel c*s*s + phase)."""
        if self.mode == "nearest":  # every phase is the input pixel: a channel gather, not a conv
            return x.index_select(1, self.copies)
        return F.conv2d(F.pad(x, (2, 2, 2, 2), mode="replicate"), self.weight.to(x.dtype), groups=self.channels)

    def forward(self, x: Tensor) -> Tensor:
        return F.pixel_shuffle(self.phases(x), self.scale)


class Interpolate(nn.Module):
    """F.interpolate as a module (the training form; for_export swaps in PhaseUpsample)."""

    def __init__(self, channels: int, scale: int, mode: str) -> None:
        super().__init__()
        self.channels, self.scale, self.mode = channels, scale, mode

    def forward(self, x: Tensor) -> Tensor:
        if self.mode == "nearest":
            return F.interpolate(x, scale_factor=self.scale, mode="nearest")
        return F.interpolate(x, scale_factor=self.scale, mode=self.mode, align_corners=False)

    def for_export(self) -> PhaseUpsample:
        return PhaseUpsample(self.channels, self.scale, self.mode)


class PhaseResidual(nn.Module):
    """detail(x) + upsampled x, summed as sub-pixel phases at input size, then one
    DepthToSpace: `detail` returns scale^2 phases per channel (its PixelShuffle left off),
    and pixel_shuffle(a) + pixel_shuffle(b) == pixel_shuffle(a + b). Saves a DepthToSpace
    and an add at output size (the export form of the nets with an upsampled-input base)."""

    def __init__(self, detail: nn.Module, base: PhaseUpsample, scale: int) -> None:
        super().__init__()
        self.detail, self.base, self.scale = detail, base, scale

    def forward(self, x: Tensor) -> Tensor:
        return F.pixel_shuffle(self.detail(x) + self.base.phases(x), self.scale)
