"""Johnson et al.'s TransformerNet for fast neural style (as pytorch/examples' fast_neural_style).

Reflection padding (no border artefacts), InstanceNorm (per-image contrast: the property
that makes feed-forward style transfer work), nearest-upsample-then-conv instead of
transposed convs (no checkerboard). `width` scales every layer's channels and `blocks`
sets the residual blocks, which is how the slim edge variant is made. `antialias` makes the net
follow sub-pixel motion (Zhang 2019, "Making convolutional networks shift-invariant again"): the
two strided convs run at stride 1 and subsample after their ReLU through a binomial low-pass, and
the upsampling is bilinear, so a picture moved by a pixel is painted moved rather than repainted.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from .export_form import export_twin, space_to_depth_conv

TAIL_PHASES = 2  # inputs are multiples of 4, so the padded tail input (+8) divides by 2 and 4


class ConvLayer(nn.Module):
    """Reflection-padded conv: same output size for stride 1, no zero-padding seams."""

    def __init__(self, cin: int, cout: int, k: int, stride: int = 1) -> None:
        super().__init__()
        self.pad = nn.ReflectionPad2d(k // 2)
        self.conv = nn.Conv2d(cin, cout, k, stride)

    def forward(self, x: Tensor) -> Tensor:
        return self.conv(self.pad(x))


BINOMIAL = (1.0, 2.0, 1.0)  # the 3-tap low-pass before every subsampling (anti-aliased nets' "Tri-3")


class BlurPool(nn.Module):
    """ReLU, then a separable binomial low-pass, then every `stride`-th pixel: a stride without aliasing."""

    def __init__(self, stride: int = 2) -> None:
        super().__init__()
        self.stride = stride
        k = torch.tensor(BINOMIAL)
        self.register_buffer("kernel", (k[:, None] * k[None]) / k.sum() ** 2, persistent=False)

    def forward(self, x: Tensor) -> Tensor:
        c = x.shape[1]
        x = F.pad(F.relu(x), (1, 1, 1, 1), mode="reflect")
        return F.conv2d(x, self.kernel.to(x.dtype).expand(c, 1, 3, 3), stride=self.stride, groups=c)


class ResidualBlock(nn.Module):
    """Two 3x3 ConvLayers with InstanceNorm; identity skip keeps content detail."""

    def __init__(self, ch: int) -> None:
        super().__init__()
        self.conv1, self.in1 = ConvLayer(ch, ch, 3), nn.InstanceNorm2d(ch, affine=True)
        self.conv2, self.in2 = ConvLayer(ch, ch, 3), nn.InstanceNorm2d(ch, affine=True)

    def forward(self, x: Tensor) -> Tensor:
        return x + self.in2(self.conv2(F.relu(self.in1(self.conv1(x)))))


class UpsampleConvLayer(nn.Module):
    """Upsample (nearest; bilinear in the antialiased net), then conv: no checkerboard of transposed convolutions."""

    def __init__(self, cin: int, cout: int, k: int, upsample: int, mode: str = "nearest") -> None:
        super().__init__()
        self.upsample, self.mode = upsample, mode
        self.conv = ConvLayer(cin, cout, k)

    def forward(self, x: Tensor) -> Tensor:
        corners = None if self.mode == "nearest" else False  # nearest takes no align_corners
        return self.conv(F.interpolate(x, scale_factor=self.upsample, mode=self.mode, align_corners=corners))


class TransformerNet(nn.Module):
    def __init__(self, scale: int = 1, width: float = 1.0, blocks: int = 5, antialias: bool = False) -> None:
        super().__init__()
        c1, c2, c3 = (max(4, int(round(c * width))) for c in (32, 64, 128))
        # the same parameters either way (weights move between the two forms); only strides and resampling differ
        stride, sub, up = (1, BlurPool, "bilinear") if antialias else (2, nn.ReLU, "nearest")
        self.down = nn.Sequential(
            ConvLayer(3, c1, 9), nn.InstanceNorm2d(c1, affine=True), nn.ReLU(),
            ConvLayer(c1, c2, 3, stride), nn.InstanceNorm2d(c2, affine=True), sub(),
            ConvLayer(c2, c3, 3, stride), nn.InstanceNorm2d(c3, affine=True), sub(),
        )
        self.res = nn.Sequential(*[ResidualBlock(c3) for _ in range(blocks)])
        self.up = nn.Sequential(
            UpsampleConvLayer(c3, c2, 3, 2, up), nn.InstanceNorm2d(c2, affine=True), nn.ReLU(),
            UpsampleConvLayer(c2, c1, 3, 2, up), nn.InstanceNorm2d(c1, affine=True), nn.ReLU(),
            ConvLayer(c1, 3, 9),
        )

    def for_export(self, phases: int = TAIL_PHASES) -> nn.Module:
        """The 9x9 tail to 3 channels as `phases`^2 sub-pixel phases (export_form.space_to_depth_conv)."""
        tail: ConvLayer = self.up[-1]
        up = nn.Sequential(*self.up[:-1], tail.pad, space_to_depth_conv(tail.conv, phases))
        twin = export_twin(self)
        twin._modules["up"] = up
        return twin

    def forward(self, x: Tensor) -> Tensor:
        """RGB [0,1] in, RGB [0,1]-ish out (the style loss keeps it in range; runtime clamps)."""
        return self.up(self.res(self.down(x)))
