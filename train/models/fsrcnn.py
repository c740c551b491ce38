"""FSRCNN (Dong et al., ECCV 2016): feature extraction, shrink, map, expand, deconvolve.

d=56, s=12, m=4 with PReLU, as the paper's best setting. The 9x9 transposed conv with
stride `scale` is the only layer at HR size; its init (std 0.001) follows the paper.
"""

from __future__ import annotations

from torch import Tensor, nn


class FSRCNN(nn.Module):
    def __init__(self, scale: int, channels: int = 1, d: int = 56, s: int = 12, m: int = 4) -> None:
        super().__init__()
        layers: list[nn.Module] = [nn.Conv2d(channels, d, 5, padding=2), nn.PReLU(d)]
        layers += [nn.Conv2d(d, s, 1), nn.PReLU(s)]
        for _ in range(m):
            layers += [nn.Conv2d(s, s, 3, padding=1), nn.PReLU(s)]
        layers += [nn.Conv2d(s, d, 1), nn.PReLU(d)]
        self.body = nn.Sequential(*layers)
        self.deconv = nn.ConvTranspose2d(d, channels, 9, stride=scale, padding=4, output_padding=scale - 1)
        for mod in self.body:
            if isinstance(mod, nn.Conv2d):
                nn.init.kaiming_normal_(mod.weight, a=0.25, nonlinearity="leaky_relu")
                nn.init.zeros_(mod.bias)
        nn.init.normal_(self.deconv.weight, std=0.001)
        nn.init.zeros_(self.deconv.bias)

    def forward(self, x: Tensor) -> Tensor:
        return self.deconv(self.body(x))
