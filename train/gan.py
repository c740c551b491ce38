"""The SRGAN recipe: adversarial fine-tuning of a PSNR-trained generator (SRResNet).

Generator loss = w_pix * L1 + w_feat * feature loss (offline EfficientNet-Lite0, smoothed)
+ w_adv * relativistic-average GAN loss. The relativistic discriminator (ESRGAN, Wang et
al. 2018) judges "more real than the fakes on average", which trains steadier and gives
sharper textures than SRGAN's plain one; weights follow ESRGAN's 1e-2 / 1 / 5e-3.
"""

from __future__ import annotations

from typing import Callable

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from vgx.card import ModelCard

from .lossnet import LossNetwork, feature_loss
from .models.discriminator import Discriminator
from .recipes import Recipe


class GANRecipe(Recipe):
    def __init__(self, model: nn.Module, card: ModelCard, lr: float, wrap: Callable[[nn.Module], nn.Module] = lambda m: m,
                 w_pix: float = 1e-2, w_feat: float = 1.0, w_adv: float = 5e-3, lossnet: str = "efficientnet") -> None:
        self.model, self.card = model, card
        self.w_pix, self.w_feat, self.w_adv = w_pix, w_feat, w_adv
        self.disc = wrap(Discriminator(card.channels))
        self.lossnet = LossNetwork(backbone=lossnet)
        self.opt_g = torch.optim.Adam(model.parameters(), lr=lr, betas=(0.9, 0.99))
        self.opt_d = torch.optim.Adam(self.disc.parameters(), lr=lr, betas=(0.9, 0.99))
        self.optims = {"opt_g": self.opt_g, "opt_d": self.opt_d}
        self.nets = {"disc": self.disc}

    def step(self, lr: Tensor, hr: Tensor) -> dict[str, Tensor]:
        self.model.train()
        self.disc.train()
        sr = self.model(lr)
        # generator: D frozen
        self.disc.requires_grad_(False)
        real, fake = self.disc(hr).detach(), self.disc(sr)
        adv = _ra_loss(fake, real)
        pix = F.l1_loss(sr, hr)
        feat = feature_loss(self.lossnet, sr, hr)
        loss_g = self.w_pix * pix + self.w_feat * feat + self.w_adv * adv
        self.opt_g.zero_grad(set_to_none=True)
        loss_g.backward()
        self.opt_g.step()
        # discriminator
        self.disc.requires_grad_(True)
        real, fake = self.disc(hr), self.disc(sr.detach())
        loss_d = _ra_loss(real, fake)
        self.opt_d.zero_grad(set_to_none=True)
        loss_d.backward()
        self.opt_d.step()
        return {"loss": loss_g.detach(), "pix": pix.detach(), "feat": feat.detach(), "adv": adv.detach(),
                "loss_d": loss_d.detach()}


def _ra_loss(a: Tensor, b: Tensor) -> Tensor:
    """Relativistic average BCE: `a` should look more real than `b` on average, and vice versa."""
    ones, zeros = torch.ones_like(a), torch.zeros_like(b)
    return 0.5 * (F.binary_cross_entropy_with_logits(a - b.mean(), ones)
                  + F.binary_cross_entropy_with_logits(b - a.mean(), zeros))
