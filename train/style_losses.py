"""Perceptual losses for fast neural style (Johnson et al. 2016), on the offline loss net.

Content: features of the output vs the content image at one mid layer. Style: Gram
matrices of the (softmax-smoothed) features vs the painting's, over several layers.
Total variation keeps the output smooth. Stability (Gupta et al. 2017): the output of a
slightly noisy input must match the output of the clean one, which is what makes
frame-by-frame video stop flickering.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor


def gram(feat: Tensor) -> Tensor:
    """N x C x C Gram matrix, normalised by the number of positions (C x H x W as Johnson)."""
    n, c, h, w = feat.shape
    f = feat.reshape(n, c, h * w)
    return f @ f.transpose(1, 2) / (c * h * w)


def style_loss(feats: dict[str, Tensor], targets: dict[str, Tensor], weights: dict[str, float]) -> Tensor:
    """Sum over layers of weight x MSE between Gram matrices (targets: 1 x C x C)."""
    total = sum(w * F.mse_loss(gram(feats[k]), targets[k].expand(feats[k].shape[0], -1, -1))
                for k, w in weights.items())
    return total if isinstance(total, Tensor) else torch.zeros(())


def content_loss(feats: dict[str, Tensor], targets: dict[str, Tensor], layer: str) -> Tensor:
    return F.mse_loss(feats[layer], targets[layer])


def tv_loss(x: Tensor) -> Tensor:
    """Mean absolute difference between neighbouring pixels."""
    return (x[:, :, 1:, :] - x[:, :, :-1, :]).abs().mean() + (x[:, :, :, 1:] - x[:, :, :, :-1]).abs().mean()
