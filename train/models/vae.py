"""A convolutional VAE (Kingma & Welling 2014) for 64x64 faces.

`encode` gives the posterior's mean and log-variance, `reparameterize` samples it
differentiably (mu + sigma * eps), `decode` maps a latent to an image in [0, 1].
`forward(z)` is the sampler: a standard-normal z through the fitted prior (`prior_mean +
prior_scale @ z`), then the decoder; it is what generation, export and the runtime run.

The prior is fitted after the fact (ex-post density estimation, Ghosh et al. 2020): with the
small KL weight that keeps a person's face (beta 0.05 with 128 latents), the encoder's
posterior means do not fill N(0, I) and decoding plain N(0, I) draws gives face-like noise.
A Gaussian fitted to the training posterior means (VAERecipe refits it as it trains) brings
samples back onto faces. Encoding and editing work in the raw latent space.
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
        self.register_buffer("prior_mean", torch.zeros(latent_dim))
        self.register_buffer("prior_scale", torch.eye(latent_dim))  # lower-triangular: a Cholesky factor

    def _load_from_state_dict(self, state_dict, prefix, *args, **kwargs):  # type: ignore[no-untyped-def]
        for key, default in (("prior_mean", self.prior_mean), ("prior_scale", self.prior_scale)):
            state_dict.setdefault(prefix + key, default)  # weights from before the fitted prior: N(0, I)
        super()._load_from_state_dict(state_dict, prefix, *args, **kwargs)

    @torch.no_grad()
    def fit_prior(self, means: Tensor, shrink: float = 0.05) -> None:
        """A full-covariance Gaussian on posterior means (N x latent_dim), shrunk toward its
        diagonal so a few thousand samples give a well-conditioned factor."""
        cov = torch.cov(means.T.double())
        cov = (1 - shrink) * cov + shrink * torch.diag(torch.diag(cov))
        cov += 1e-6 * torch.eye(self.latent_dim, dtype=cov.dtype, device=cov.device) * torch.diag(cov).mean()
        self.prior_mean.copy_(means.mean(0))
        self.prior_scale.copy_(torch.linalg.cholesky(cov).float())

    def encode(self, x: Tensor) -> tuple[Tensor, Tensor]:
        mu, logvar = self.to_stats(self.encoder(x * 2.0 - 1.0)).chunk(2, dim=1)
        return mu, logvar.clamp(-10.0, 10.0)

    @staticmethod
    def reparameterize(mu: Tensor, logvar: Tensor) -> Tensor:
        return mu + torch.exp(0.5 * logvar) * torch.randn_like(mu)

    def decode(self, z: Tensor) -> Tensor:
        return self.decoder(self.from_latent(z).reshape(z.shape[0], self.width * 8, 4, 4))

    def prior_latent(self, z: Tensor) -> Tensor:
        """Standard-normal draws (N x latent_dim) -> draws of the fitted prior, in the raw latent space."""
        return self.prior_mean + z @ self.prior_scale.T

    def forward(self, z: Tensor) -> Tensor:
        return self.decode(self.prior_latent(z))


def kl_divergence(mu: Tensor, logvar: Tensor) -> Tensor:
    """KL(N(mu, sigma^2) || N(0, 1)) summed over latent dims, averaged over the batch."""
    return (-0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp(), dim=1)).mean()
