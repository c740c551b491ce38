"""The SRGAN discriminator (Ledig et al. 2017): eight 3x3 convs, stride 2 every other one.

LeakyReLU(0.2) and BatchNorm as the paper; adaptive pooling before the dense head, so
any HR patch size trains (the paper used 96x96).
"""

from __future__ import annotations

from torch import Tensor, nn


class Discriminator(nn.Module):
    def __init__(self, channels: int = 3, feats: int = 64) -> None:
        super().__init__()
        layers: list[nn.Module] = [nn.Conv2d(channels, feats, 3, padding=1), nn.LeakyReLU(0.2)]
        cin = feats
        for i, cout in enumerate([feats, feats * 2, feats * 2, feats * 4, feats * 4, feats * 8, feats * 8]):
            stride = 2 if i % 2 == 0 else 1
            layers += [nn.Conv2d(cin, cout, 3, stride=stride, padding=1, bias=False), nn.BatchNorm2d(cout), nn.LeakyReLU(0.2)]
            cin = cout
        self.features = nn.Sequential(*layers)
        self.head = nn.Sequential(
            nn.AdaptiveAvgPool2d(6), nn.Flatten(), nn.Linear(cin * 36, 1024), nn.LeakyReLU(0.2), nn.Linear(1024, 1)
        )

    def forward(self, x: Tensor) -> Tensor:
        return self.head(self.features(x))
