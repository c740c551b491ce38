"""BT.601 RGB <-> YCbCr as fixed 1x1 convolutions, and the luma-only SR wrapper.

Fixed convolutions export to ONNX as plain Conv nodes, so the colour handling runs in
the engine with everything else.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from .export_form import export_twin
from .upsample import Interpolate

# MATLAB rgb2ycbcr on [0,1] inputs, outputs in [0,1] (Y in 16/255..235/255).
_RGB2YCC = np.array(
    [[65.481, 128.553, 24.966], [-37.797, -74.203, 112.0], [112.0, -93.786, -18.214]]
) / 255.0
_YCC_OFFSET = np.array([16.0, 128.0, 128.0]) / 255.0


def _as_conv(matrix: np.ndarray) -> torch.Tensor:
    return torch.tensor(matrix, dtype=torch.float32).view(3, 3, 1, 1)


def rgb_to_y(rgb: torch.Tensor) -> torch.Tensor:
    """N3HW RGB in [0,1] -> N1HW BT.601 luma in [16/255, 235/255]."""
    w = torch.tensor(_RGB2YCC[0], dtype=rgb.dtype, device=rgb.device).view(1, 3, 1, 1)
    return (rgb * w).sum(1, keepdim=True) + float(_YCC_OFFSET[0])


class LumaSR(nn.Module):
    """Runs a 1-channel SR net on luma and upscales chroma bicubically (ESPCN, FSRCNN).

    The papers train and report on Y only; the wrapper gives every zoo model the same
    boundary (RGB [0,1] in and out), so export and runtime need no special case.
    The net predicts the residual over bicubic luma (global residual learning, as VDSR):
    no extra capacity, but training starts at bicubic quality instead of below it, which
    on our CPU budget was the difference between 31.3 dB and bicubic-plus after 2000
    steps for ESPCN x3 (Set5). All three planes share one bicubic resize. The net sees
    luma centred on zero (y - 0.5), which its first layer would otherwise have to learn.
    """

    def __init__(self, net: nn.Module, scale: int) -> None:
        super().__init__()
        self.net = net
        self.scale = scale
        self.upsampler = Interpolate(3, scale, "bicubic")
        self.register_buffer("to_ycc", _as_conv(_RGB2YCC), persistent=False)
        self.register_buffer("ycc_bias", torch.tensor(_YCC_OFFSET, dtype=torch.float32), persistent=False)
        inv = np.linalg.inv(_RGB2YCC)
        self.register_buffer("to_rgb", _as_conv(inv), persistent=False)
        self.register_buffer("rgb_bias", torch.tensor(-inv @ _YCC_OFFSET, dtype=torch.float32), persistent=False)

    def for_export(self) -> nn.Module:
        if hasattr(self.net, "phase_form"):
            return PhaseLumaSR(self)
        return export_twin(self, "net", "upsampler")

    def forward(self, rgb: torch.Tensor) -> torch.Tensor:
        ycc = F.conv2d(rgb, self.to_ycc, self.ycc_bias)
        up = self.upsampler(ycc)
        detail = F.pad(self.net(ycc[:, :1] - 0.5), (0, 0, 0, 0, 0, 2))  # luma residual; chroma as is
        return F.conv2d(up + detail, self.to_rgb, self.rgb_bias)


class PhaseLumaSR(nn.Module):
    """LumaSR's export form, worked in the output's sub-pixel phases at input size.

    Since the bicubic base is linear and the colour transforms invert each other,
    to_rgb(bicubic(to_ycc(rgb)) + (d, 0, 0)) == bicubic(rgb) + to_rgb[:, 0] * d: the base
    is upsampled in RGB directly and the luma detail's s*s phases enter R, G and B through
    a 1x1 conv (the Y column of to_rgb). One sum at input size and one DepthToSpace replace
    two DepthToSpaces, an add and a colour conv at output size (ORT CPU, espcn-x2 640x360:
    39.0 -> 34.6 ms). Folding that column into the net's last conv instead tripled its
    outputs: FSRCNN's 5x5 56->4 became 56->12 and took half the net's time.
    """

    def __init__(self, luma: LumaSR) -> None:
        super().__init__()
        self.scale = s = luma.scale
        self.features, self.last = luma.net.phase_form()
        self.register_buffer("to_y", luma.to_ycc[:1].clone(), persistent=False)
        self.register_buffer("y_bias", luma.ycc_bias[:1] - 0.5, persistent=False)  # the net sees y - 0.5
        column = luma.to_rgb[:, 0, 0, 0]  # how luma detail enters R, G, B
        spread = torch.cat([c * torch.eye(s * s) for c in column]).view(3 * s * s, s * s, 1, 1)
        self.register_buffer("spread", spread, persistent=False)
        self.base = luma.upsampler.for_export()

    def forward(self, rgb: torch.Tensor) -> torch.Tensor:
        detail = self.last(self.features(F.conv2d(rgb, self.to_y, self.y_bias)))
        return F.pixel_shuffle(F.conv2d(detail, self.spread) + self.base.phases(rgb), self.scale)
