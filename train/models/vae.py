"""A convolutional VAE (Kingma & Welling 2014) for 64x64 faces.

`encode` gives the posterior's mean and log-variance, `reparameterize` samples it
differentiably (mu + sigma * eps), `decode` maps a latent to an image in [0, 1].
`forward(z)` is the decoder: what generation, export and the runtime need.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn


class ConvVAE(nn.Module):
    def __init__(self, scale: int = 1, latent_dim: int = 64, width: int = 32, channels: int = 3) -> None:
        super().__init__()
        self.latent_dim = latent_dim
        w = width
        enc: list[nn.Module] = []
        cin = channels
        for cout in (w, w * 2, w * 4, w * 8):  # 64 -> 4
            enc += [nn.Conv2d(cin, cout, 4, 2, 1), nn.BatchNorm2d(cout), nn.LeakyReLU(0.2, True)]
            cin = cout
        self.encoder = nn.Sequential(*enc, nn.Flatten())
        self.to_stats = nn.Linear(w * 8 * 16, 2 * latent_dim)
        self.from_latent = nn.Linear(latent_dim, w * 8 * 16)
        self.decoder = nn.Sequential(
            nn.ConvTranspose2d(w * 8, w * 4, 4, 2, 1), nn.BatchNorm2d(w * 4), nn.ReLU(True),
            nn.ConvTranspose2d(w * 4, w * 2, 4, 2, 1), nn.BatchNorm2d(w * 2), nn.ReLU(True),
            nn.ConvTranspose2d(w * 2, w, 4, 2, 1), nn.BatchNorm2d(w), nn.ReLU(True),
            nn.ConvTranspose2d(w, channels, 4, 2, 1), nn.Sigmoid(),
        )
        self.width = w

    def encode(self, x: Tensor) -> tuple[Tensor, Tensor]:
        mu, logvar = self.to_stats(self.encoder(x * 2.0 - 1.0)).chunk(2, dim=1)
        return mu, logvar.clamp(-10.0, 10.0)

    @staticmethod
    def reparameterize(mu: Tensor, logvar: Tensor) -> Tensor:
        return mu + torch.exp(0.5 * logvar) * torch.randn_like(mu)

    def decode(self, z: Tensor) -> Tensor:
        return self.decoder(self.from_latent(z).reshape(z.shape[0], self.width * 8, 4, 4))

    def forward(self, z: Tensor) -> Tensor:
        return self.decode(z)


def kl_divergence(mu: Tensor, logvar: Tensor) -> Tensor:
    """KL(N(mu, sigma^2) || N(0, 1)) summed over latent dims, averaged over the batch."""
    return (-0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp(), dim=1)).mean()
