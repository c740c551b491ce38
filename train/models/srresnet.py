"""SRResNet (Ledig et al., CVPR 2017), the SRGAN generator: 16 residual blocks at LR size.

Differences from the paper, each for a measured reason in the SR literature:
no BatchNorm (EDSR/ESRGAN: BN costs PSNR and causes artefacts, and has no train/eval
gap this way), residual branches initialised at 0.1x (stable without BN), and a
bilinear-upsampled copy of the input added to the output (faster convergence, as
BasicSR's MSRResNet). The 9x9 head and tail convolutions are kept. `slopes="layer"` (the
zoo's) learns one PReLU slope per layer, exported as a LeakyReLU fused into its conv.
"""

from __future__ import annotations

import torch.nn.functional as F
from torch import Tensor, nn

from .export_form import layer_slopes_as_leaky, prelu, space_to_depth_conv
from .upsample import Interpolate


class ResidualBlock(nn.Module):
    """conv-PReLU-conv with an identity skip; no norm (see module docstring)."""

    def __init__(self, feats: int, slopes: str = "channel") -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(feats, feats, 3, padding=1)
        self.act = prelu(feats, slopes)
        self.conv2 = nn.Conv2d(feats, feats, 3, padding=1)
        for conv in (self.conv1, self.conv2):
            nn.init.kaiming_normal_(conv.weight)
            conv.weight.data.mul_(0.1)
            nn.init.zeros_(conv.bias)

    def forward(self, x: Tensor) -> Tensor:
        return x + self.conv2(self.act(self.conv1(x)))


class UpsampleBlock(nn.Module):
    """conv to 4x channels, PixelShuffle(2), PReLU: one x2 step."""

    def __init__(self, feats: int, slopes: str = "channel") -> None:
        super().__init__()
        self.conv = nn.Conv2d(feats, feats * 4, 3, padding=1)
        self.shuffle = nn.PixelShuffle(2)
        self.act = prelu(feats, slopes)

    def forward(self, x: Tensor) -> Tensor:
        return self.act(self.shuffle(self.conv(x)))


class SRResNet(nn.Module):
    def __init__(self, scale: int = 4, channels: int = 3, feats: int = 64, blocks: int = 16,
                 slopes: str = "channel") -> None:
        super().__init__()
        if scale not in (2, 4, 8):
            raise ValueError(f"SRResNet upsamples in x2 steps; scale {scale} is not a power of 2")
        self.scale = scale
        self.head = nn.Sequential(nn.Conv2d(channels, feats, 9, padding=4), prelu(feats, slopes))
        self.blocks = nn.Sequential(*[ResidualBlock(feats, slopes) for _ in range(blocks)])
        self.fuse = nn.Conv2d(feats, feats, 3, padding=1)
        self.upsample = nn.Sequential(*[UpsampleBlock(feats, slopes) for _ in range(scale.bit_length() - 1)])
        self.tail = nn.Conv2d(feats, channels, 9, padding=4)
        self.base = Interpolate(channels, scale, "bilinear")

    def for_export(self) -> nn.Module:
        return _ExportForm(self)

    def trunk(self, x: Tensor) -> Tensor:
        """Everything at input size: head, residual blocks, fuse with the head's skip."""
        feat = self.head(x)
        return feat + self.fuse(self.blocks(feat))

    def forward(self, x: Tensor) -> Tensor:
        return self.tail(self.upsample(self.trunk(x))) + self.base(x)


class _ExportForm(nn.Module):
    """SRResNet as runtimes run it fastest, the same function (tests/train/test_zoo.py).

    The last x2 step's conv output is already the four sub-pixel phases of the output, and
    a 9x9 conv at output size equals a 5x5 conv over those phases (export_form.
    space_to_depth_conv, f=2): so the tail runs on them directly, with 12 output channels
    instead of 3, and the 64-channel output-size tensor is never formed. ORT CPU, 320x180
    in: its DepthToSpace, PReLU, pad and the tail's own rearrangement took 415 of 1211 ms.
    The per-channel PReLU commutes with the shuffle (each channel's slope, repeated 4x).
    """

    def __init__(self, net: SRResNet) -> None:
        super().__init__()
        self.net = layer_slopes_as_leaky(net)  # one-slope PReLUs fuse into their convs
        last = net.upsample[-1]
        self.last_conv = last.conv
        if last.act.num_parameters == 1:
            self.last_act = layer_slopes_as_leaky(last.act)
        else:
            self.last_act = nn.PReLU(last.act.num_parameters * 4)
            self.last_act.weight.data.copy_(last.act.weight.detach().repeat_interleave(4))
        unpadded = nn.Conv2d(net.tail.in_channels, net.tail.out_channels, net.tail.kernel_size)
        unpadded.load_state_dict(net.tail.state_dict())
        self.tail_pad = net.tail.padding[0] // 2  # zero padding p at output size == p/2 phase cells
        self.tail = space_to_depth_conv(unpadded, 2, inputs="crd")[1]
        self.base = net.base.for_export()

    def forward(self, x: Tensor) -> Tensor:
        feat = self.net.trunk(x)
        for step in self.net.upsample[:-1]:
            feat = step(feat)
        phases = self.last_act(self.last_conv(feat))
        p = self.tail_pad
        return F.pixel_shuffle(self.tail(F.pad(phases, (p, p, p, p))), 2) + self.base(x)
