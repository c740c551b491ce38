"""DCGAN (Radford et al., ICLR 2016) for 64x64 faces: a latent vector in, an image out.

Generator: transposed convs 4x4 -> 64x64 with BatchNorm and ReLU, tanh mapped to [0,1]
(the vgx boundary). Discriminator: strided convs with LeakyReLU and spectral norm instead
of BatchNorm (Miyato et al. 2018): with a hinge loss it trains without the mode collapse
and loss oscillation a plain DCGAN shows on a 400-image set.
"""

from __future__ import annotations

from torch import Tensor, nn
from torch.nn.utils import spectral_norm


class Generator(nn.Module):
    def __init__(self, scale: int = 1, latent_dim: int = 100, width: int = 32, channels: int = 3) -> None:
        super().__init__()
        self.latent_dim = latent_dim
        w = width
        self.net = nn.Sequential(
            nn.ConvTranspose2d(latent_dim, w * 8, 4, 1, 0, bias=False), nn.BatchNorm2d(w * 8), nn.ReLU(True),
            nn.ConvTranspose2d(w * 8, w * 4, 4, 2, 1, bias=False), nn.BatchNorm2d(w * 4), nn.ReLU(True),
            nn.ConvTranspose2d(w * 4, w * 2, 4, 2, 1, bias=False), nn.BatchNorm2d(w * 2), nn.ReLU(True),
            nn.ConvTranspose2d(w * 2, w, 4, 2, 1, bias=False), nn.BatchNorm2d(w), nn.ReLU(True),
            nn.ConvTranspose2d(w, channels, 4, 2, 1), nn.Tanh(),
        )
        for m in self.modules():
            if isinstance(m, nn.ConvTranspose2d):
                nn.init.normal_(m.weight, 0.0, 0.02)

    def forward(self, z: Tensor) -> Tensor:
        """N x latent_dim -> N x 3 x 64 x 64 in [0, 1]."""
        return self.net(z.reshape(z.shape[0], self.latent_dim, 1, 1)) * 0.5 + 0.5


class Critic(nn.Module):
    """64x64 image -> one realness score (no sigmoid: hinge loss)."""

    def __init__(self, width: int = 32, channels: int = 3) -> None:
        super().__init__()
        w = width
        layers: list[nn.Module] = []
        cin = channels
        for cout in (w, w * 2, w * 4, w * 8):
            layers += [spectral_norm(nn.Conv2d(cin, cout, 4, 2, 1)), nn.LeakyReLU(0.2, True)]
            cin = cout
        layers += [spectral_norm(nn.Conv2d(cin, 1, 4, 1, 0)), nn.Flatten()]
        self.net = nn.Sequential(*layers)

    def forward(self, x: Tensor) -> Tensor:
        return self.net(x * 2.0 - 1.0)
