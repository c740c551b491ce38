"""SRResNet (Ledig et al., CVPR 2017), the SRGAN generator: 16 residual blocks at LR size.

Differences from the paper, each for a measured reason in the SR literature:
no BatchNorm (EDSR/ESRGAN: BN costs PSNR and causes artefacts, and has no train/eval
gap this way), residual branches initialised at 0.1x (stable without BN), and a
bilinear-upsampled copy of the input added to the output (faster convergence, as
BasicSR's MSRResNet). The 9x9 head and tail convolutions are kept.
"""

from __future__ import annotations

from torch import Tensor, nn

from .export_form import export_twin
from .upsample import Interpolate


class ResidualBlock(nn.Module):
    """conv-PReLU-conv with an identity skip; no norm (see module docstring)."""

    def __init__(self, feats: int) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(feats, feats, 3, padding=1)
        self.act = nn.PReLU(feats)
        self.conv2 = nn.Conv2d(feats, feats, 3, padding=1)
        for conv in (self.conv1, self.conv2):
            nn.init.kaiming_normal_(conv.weight)
            conv.weight.data.mul_(0.1)
            nn.init.zeros_(conv.bias)

    def forward(self, x: Tensor) -> Tensor:
        return x + self.conv2(self.act(self.conv1(x)))


class UpsampleBlock(nn.Module):
    """conv to 4x channels, PixelShuffle(2), PReLU: one x2 step."""

    def __init__(self, feats: int) -> None:
        super().__init__()
        self.conv = nn.Conv2d(feats, feats * 4, 3, padding=1)
        self.shuffle = nn.PixelShuffle(2)
        self.act = nn.PReLU(feats)

    def forward(self, x: Tensor) -> Tensor:
        return self.act(self.shuffle(self.conv(x)))


class SRResNet(nn.Module):
    def __init__(self, scale: int = 4, channels: int = 3, feats: int = 64, blocks: int = 16) -> None:
        super().__init__()
        if scale not in (2, 4, 8):
            raise ValueError(f"SRResNet upsamples in x2 steps; scale {scale} is not a power of 2")
        self.scale = scale
        self.head = nn.Sequential(nn.Conv2d(channels, feats, 9, padding=4), nn.PReLU(feats))
        self.blocks = nn.Sequential(*[ResidualBlock(feats) for _ in range(blocks)])
        self.fuse = nn.Conv2d(feats, feats, 3, padding=1)
        self.upsample = nn.Sequential(*[UpsampleBlock(feats) for _ in range(scale.bit_length() - 1)])
        self.tail = nn.Conv2d(feats, channels, 9, padding=4)
        self.base = Interpolate(channels, scale, "bilinear")

    def for_export(self) -> nn.Module:
        return export_twin(self, "base")

    def forward(self, x: Tensor) -> Tensor:
        feat = self.head(x)
        feat = feat + self.fuse(self.blocks(feat))
        return self.tail(self.upsample(feat)) + self.base(x)
