"""Face generators: the data, the DCGAN and VAE recipes, and what validation watches.

DCGAN: hinge loss with a spectrally normalised critic (see models/dcgan.py). VAE:
reconstruction (sum of squared errors per image) + beta * KL, beta warmed up linearly
over `kl_warmup` steps so the decoder learns to use the latent before it is squeezed.
Validation writes a fixed-noise sample grid and tracks sample diversity: a fall below
half its best value is logged as likely mode collapse.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from vgx.card import ModelCard
from vgx.errors import VgxError
from vgx.images import center_square, list_images, load_rgb, save_rgb
from vgx.metrics import psnr

from .models.dcgan import Critic
from .models.vae import ConvVAE, kl_divergence
from .recipes import Recipe
from .tensors import device_of, to_tensor, to_uint8

SIZE = 64
MIN_IMAGES = 16


def face_crop(rgb: np.ndarray, size: int = SIZE) -> np.ndarray:
    """Centre square crop resized to size x size (any input size works)."""
    return center_square(rgb, size)


class FaceSampler:
    """All images in memory (greyscale becomes 3 equal channels); random flips, and with `augment`
    a small random affine and contrast and brightness jitter (JITTER). Augmenting is what lets a
    VAE keep people it never saw: on ORL's 36 training people it lifted held-out reconstruction
    from 22.9 to 25.0 dB at the same 1000 steps (the VAE section of the README). The GAN samples
    what it is shown, so it is not augmented."""

    MARGIN = 1.125  # images are kept with their short side at 64 x this: room for shifts and zoom

    def __init__(self, folders: list[str | Path], log: Callable[..., Any] = print, augment: bool = False) -> None:
        files = [f for d in folders for f in list_images(d)]
        if len(files) < MIN_IMAGES:
            raise VgxError(f"{len(files)} image(s) in {', '.join(map(str, folders))}: a generator needs at least "
                           f"{MIN_IMAGES} (hundreds for good results)")
        self.augment = augment
        rgbs = [load_rgb(f) for f in files]  # read once: the crops and, to jitter, the wider sources
        self.images = np.stack([face_crop(rgb) for rgb in rgbs])
        self.sources = [_short_side(rgb, round(SIZE * self.MARGIN)) for rgb in rgbs] if augment else []

    def __len__(self) -> int:
        return len(self.images)

    def _jittered(self, i: int, p: np.ndarray) -> np.ndarray:
        """Image i under jitter p = (zoom, shift x, shift y, degrees, gain, offset)."""
        import cv2

        src = self.sources[i]
        h, w = src.shape[:2]
        side = min(h, w) * p[0]
        cx, cy = w / 2 + p[1] * side, h / 2 + p[2] * side
        m = cv2.getRotationMatrix2D((cx, cy), p[3], SIZE / side)
        m[:, 2] += (SIZE / 2 - cx, SIZE / 2 - cy)
        face = cv2.warpAffine(src, m, (SIZE, SIZE), flags=cv2.INTER_AREA, borderMode=cv2.BORDER_REFLECT)
        return np.clip((face.astype(np.float32) - 128) * p[4] + 128 + p[5], 0, 255).astype(np.uint8)

    def sample(self, rng: np.random.Generator, batch: int, part: slice | None = None) -> tuple[Tensor]:
        # every draw is made for the whole batch, so each rank of a distributed run keeps the same stream
        idx = rng.integers(0, len(self.images), size=batch)
        flip = rng.random(batch) < 0.5
        jitter = rng.uniform(JITTER[:, 0], JITTER[:, 1], size=(batch, len(JITTER))) if self.augment else None
        keep = range(batch)[part] if part is not None else range(batch)
        imgs = []
        for i in keep:
            face = self._jittered(int(idx[i]), jitter[i]) if jitter is not None else self.images[idx[i]]
            imgs.append(face[:, ::-1] if flip[i] else face)
        return (to_tensor(np.stack(imgs)),)


# (low, high) of each jitter: zoom, shift x and y (share of the side), rotation (degrees), gain, offset (levels)
JITTER = np.array([(0.9, 1.1), (-0.05, 0.05), (-0.05, 0.05), (-6.0, 6.0), (0.75, 1.25), (-25.0, 25.0)])


def _short_side(rgb: np.ndarray, side: int) -> np.ndarray:
    import cv2

    h, w = rgb.shape[:2]
    f = side / min(h, w)
    return cv2.resize(rgb, (max(side, round(w * f)), max(side, round(h * f))), interpolation=cv2.INTER_AREA)


class DCGANRecipe(Recipe):
    def __init__(self, model: nn.Module, card: ModelCard, lr: float, wrap: Callable[[nn.Module], nn.Module] = lambda m: m,
                 critic_width: int = 32) -> None:
        self.model, self.card = model, card
        self.latent_dim = card.arch_kwargs.get("latent_dim", 100)
        self.critic = wrap(Critic(critic_width))
        self.opt_g = torch.optim.Adam(model.parameters(), lr=lr, betas=(0.0, 0.9))
        self.opt_d = torch.optim.Adam(self.critic.parameters(), lr=lr, betas=(0.0, 0.9))
        self.optims = {"opt_g": self.opt_g, "opt_d": self.opt_d}
        self.nets = {"critic": self.critic}

    def step(self, real: Tensor) -> dict[str, Tensor]:
        self.model.train()
        n = real.shape[0]
        fake = self.model(torch.randn(n, self.latent_dim, device=real.device))
        loss_d = F.relu(1.0 - self.critic(real)).mean() + F.relu(1.0 + self.critic(fake.detach())).mean()
        self.opt_d.zero_grad(set_to_none=True)
        loss_d.backward()
        self.opt_d.step()
        loss_g = -self.critic(fake).mean()
        self.opt_g.zero_grad(set_to_none=True)
        loss_g.backward()
        self.opt_g.step()
        return {"loss": loss_g.detach(), "loss_d": loss_d.detach()}


class VAERecipe(Recipe):
    """Reconstruction (pixel MSE, plus optionally VGG-19 feature MSE: sharper faces that keep who
    they are) + beta x KL. beta 1 with 64 latents blurred held-out people to 21.5 dB; a smaller
    beta, a larger latent and jittered faces keep identity (scripts/train_zoo.sh faces-v3; the README's figures)."""

    PRIOR_SAMPLES, PRIOR_EVERY = 4096, 50  # the fitted prior: this many recent posterior means, refitted this often

    def __init__(self, model: nn.Module, card: ModelCard, lr: float, beta: float = 1.0, kl_warmup: int = 1000,
                 perceptual_weight: float = 0.0, lossnet: str | None = None) -> None:
        self.model, self.card = model, card
        self.recent_means: list[Tensor] = []
        self.beta, self.kl_warmup = beta, kl_warmup
        self.perceptual_weight = perceptual_weight
        self.lossnet = None
        if perceptual_weight > 0:
            from .vgg import VGG19Features

            self.lossnet = VGG19Features(lossnet, ("relu1_2", "relu2_2", "relu3_1"))
        self.steps = 0
        self.opt = torch.optim.Adam(model.parameters(), lr=lr)
        self.optims = {"opt": self.opt}

    def step(self, x: Tensor) -> dict[str, Tensor]:
        vae: ConvVAE = self.model.module if hasattr(self.model, "module") else self.model  # type: ignore[assignment]
        vae.train()
        mu, logvar = vae.encode(x)
        recon = vae.decode(vae.reparameterize(mu, logvar))
        rec = F.mse_loss(recon, x, reduction="sum") / x.shape[0]
        kl = kl_divergence(mu, logvar)
        beta = self.beta * min(1.0, (self.steps + 1) / max(1, self.kl_warmup))
        loss = rec + beta * kl
        parts = {}
        if self.lossnet is not None:  # relative feature error per layer (scale-free), x100 to sit beside the pixel sum
            fr, fx = self.lossnet(recon), self.lossnet(x.detach())
            perc = 100.0 * sum(F.mse_loss(fr[k], fx[k]) / fx[k].square().mean().clamp_min(1e-8) for k in fx)
            loss = loss + self.perceptual_weight * perc
            parts["perceptual"] = perc.detach()
        self.opt.zero_grad(set_to_none=True)
        loss.backward()
        self.opt.step()
        self.steps += 1
        self._track_prior(vae, mu.detach())
        return {"loss": loss.detach(), "recon": rec.detach(), "kl": kl.detach(), "beta": torch.tensor(beta), **parts}

    def _track_prior(self, vae: ConvVAE, mu: Tensor) -> None:
        self.recent_means.append(mu)
        while sum(len(m) for m in self.recent_means) - len(self.recent_means[0]) >= self.PRIOR_SAMPLES:
            self.recent_means.pop(0)
        if self.steps % self.PRIOR_EVERY == 0 and sum(len(m) for m in self.recent_means) >= self.PRIOR_SAMPLES // 4:
            vae.fit_prior(torch.cat(self.recent_means))

    def state_dict(self) -> dict[str, Any]:
        return {**super().state_dict(), "steps": self.steps}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        super().load_state_dict(state)
        self.steps = int(state["steps"])


def diversity(samples: Tensor) -> float:
    """Mean pairwise L2 distance between samples (falls when the generator collapses)."""
    flat = samples.reshape(samples.shape[0], -1)
    return float(torch.pdist(flat).mean())


def grid(images: Tensor, cols: int = 8) -> np.ndarray:
    """N x 3 x H x W in [0,1] -> one uint8 RGB grid with 2px white gaps."""
    n, _, h, w = images.shape
    rows = (n + cols - 1) // cols
    out = np.full((rows * (h + 2), cols * (w + 2), 3), 255, np.uint8)
    arr = to_uint8(images).reshape(n, h, w, 3)
    for i in range(n):
        r, c = divmod(i, cols)
        out[r * (h + 2) : r * (h + 2) + h, c * (w + 2) : c * (w + 2) + w] = arr[i]
    return out


class GenValidator:
    """Fixed-noise samples as a grid; diversity; for the VAE, reconstruction PSNR on held-out faces."""

    def __init__(self, card: ModelCard, folder: str | None, log: Callable[..., Any] = print, n: int = 32) -> None:
        self.latent_dim = card.arch_kwargs.get("latent_dim", 100 if card.arch == "dcgan" else 64)
        self.noise = torch.randn(n, self.latent_dim, generator=torch.Generator().manual_seed(1234))
        self.held_out = None
        if folder and card.arch == "vae":
            faces = [face_crop(load_rgb(f)) for f in list_images(folder)[:32]]
            self.held_out = to_tensor(np.stack(faces))
        self.best = 0.0
        self.log = log

    @torch.no_grad()
    def run(self, model: nn.Module, grid_path: Path | None = None) -> dict[str, float]:
        was = model.training
        model.eval()
        dev = device_of(model)
        samples = model(self.noise.to(dev)).cpu()
        out = {"val_diversity": diversity(samples)}
        self.best = max(self.best, out["val_diversity"])
        if out["val_diversity"] < 0.5 * self.best:
            self.log(f"warning: sample diversity fell to {out['val_diversity']:.2f} from {self.best:.2f}: "
                     "likely mode collapse (lower --lr, or resume from an earlier checkpoint)")
        if self.held_out is not None and isinstance(model, ConvVAE):
            mu, _ = model.encode(self.held_out.to(dev))
            recon = model.decode(mu).cpu()
            out["val_recon_psnr"] = psnr(recon.numpy(), self.held_out.numpy(), peak=1.0)
        model.train(was)
        if grid_path is not None:
            save_rgb(grid_path, grid(samples))
            save_rgb(grid_path.with_name("latest.png"), grid(samples))
        return out
