"""A compact VGG-style video SR net after Real-ESRGAN's SRVGGNetCompact.

Plain 3x3 convs + PReLU (one slope per layer in the zoo: fusable, see export_form) at LR
size, a sub-pixel shuffle, and the nearest-upsampled input added back, so the body
learns only the residual detail. No skip connections or norms:
every layer fuses into one conv kernel on TensorRT, which keeps 360p -> 720p real-time
on a Jetson-class GPU (32 features x 12 convs ~ 27 GMACs per 640x360 frame at x2).
"""

from __future__ import annotations

from torch import Tensor, nn

from .export_form import layer_slopes_as_leaky, prelu
from .upsample import Interpolate, PhaseResidual


class CompactSR(nn.Module):
    def __init__(self, scale: int, channels: int = 3, feats: int = 32, convs: int = 12, slopes: str = "channel") -> None:
        super().__init__()
        self.scale = scale
        layers: list[nn.Module] = [nn.Conv2d(channels, feats, 3, padding=1), prelu(feats, slopes)]
        for _ in range(convs):
            layers += [nn.Conv2d(feats, feats, 3, padding=1), prelu(feats, slopes)]
        layers += [nn.Conv2d(feats, channels * scale * scale, 3, padding=1)]
        self.body = nn.Sequential(*layers)
        self.shuffle = nn.PixelShuffle(scale)
        self.base = Interpolate(channels, scale, "nearest")

    def for_export(self) -> nn.Module:
        return PhaseResidual(layer_slopes_as_leaky(self.body), self.base.for_export(), self.scale)

    def forward(self, x: Tensor) -> Tensor:
        return self.shuffle(self.body(x)) + self.base(x)
