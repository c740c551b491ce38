"""Perceptual losses for fast neural style (Johnson et al. 2016), on the offline loss net.

Content: features of the output vs the content image at one mid layer. Style: Gram
matrices of the (softmax-smoothed) features vs the painting's, over several layers.
Total variation keeps the output smooth. Stability: the output of a moved, slightly noisy
copy of the input must equal the moved output of the clean one. This is Gupta et al.'s
noise stability (2017) plus synthetic motion, a ReCoNet-style temporal loss whose flow is
known exactly (a random small affine warp), so no video, and no flow estimator, is needed
at training time; it is what stops frame-by-frame video from flickering.
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
    """Sum over layers of weight x relative squared Gram error, |G - T|^2 / |T|^2 (targets: 1 x C x C).

    Relative errors are scale-free, so one style weight fits every layer, painting and
    smoothing temperature (raw MSEs differ by orders of magnitude between them).
    """
    total = sum(w * F.mse_loss(gram(feats[k]), targets[k].expand(feats[k].shape[0], -1, -1)) / targets[k].square().mean()
                for k, w in weights.items())
    return total if isinstance(total, Tensor) else torch.zeros(())


def content_loss(feats: dict[str, Tensor], targets: dict[str, Tensor], layer: str) -> Tensor:
    """Relative squared feature error at one layer, |F - T|^2 / |T|^2."""
    return F.mse_loss(feats[layer], targets[layer]) / targets[layer].square().mean().clamp_min(1e-8)


def tv_loss(x: Tensor) -> Tensor:
    """Mean absolute difference between neighbouring pixels."""
    return (x[:, :, 1:, :] - x[:, :, :-1, :]).abs().mean() + (x[:, :, :, 1:] - x[:, :, :, :-1]).abs().mean()


def random_motion(n: int, shift_px: float, size: tuple[int, int]) -> Tensor:
    """N x 2 x 3 affine matrices: shifts up to `shift_px`, rotations up to 1.5 deg, zoom +-2%,
    the motion between consecutive frames of ordinary video (torch's RNG: resumable)."""
    h, w = size
    angle = (torch.rand(n) * 2 - 1) * (1.5 * torch.pi / 180)
    zoom = 1 + (torch.rand(n) * 2 - 1) * 0.02
    shift = (torch.rand(n, 2) * 2 - 1) * shift_px * torch.tensor([2.0 / w, 2.0 / h])
    cos, sin = torch.cos(angle) * zoom, torch.sin(angle) * zoom
    return torch.stack([torch.stack([cos, -sin, shift[:, 0]], 1), torch.stack([sin, cos, shift[:, 1]], 1)], 1)


def warp(x: Tensor, theta: Tensor) -> tuple[Tensor, Tensor]:
    """(x resampled by theta, mask of pixels that came from inside the frame)."""
    grid = F.affine_grid(theta, list(x.shape), align_corners=False)
    moved = F.grid_sample(x, grid, mode="bilinear", padding_mode="zeros", align_corners=False)
    inside = F.grid_sample(torch.ones_like(x[:, :1]), grid, mode="bilinear", padding_mode="zeros", align_corners=False)
    return moved, (inside > 0.999).to(x.dtype)


DETAIL_FLOOR = (1 / 255) ** 2  # a flat crop (blank) counts as 1 level's contrast a pixel: no strokes to keep still
LOCAL_DETAIL_FLOOR = (2 / 255) ** 2  # a flat patch (sky) counts as 2 levels of contrast: still, not infinitely


def detail(x: Tensor, size: int = 5) -> Tensor:
    """x less its local mean over size x size pixels: the strokes and edges, not the shading."""
    return x - F.avg_pool2d(x, size, stride=1, padding=size // 2, count_include_pad=False)


def stability_loss(out_of_moved: Tensor, out: Tensor, theta: Tensor,
                   relative_to: tuple[Tensor, Tensor] | None = None, keep: Tensor | None = None,
                   per_detail: bool = False, detail_window: int = 0, detail_ceiling: float = 0.0) -> Tensor:
    """MSE between f(move(x) + noise) and move(f(x)) where both are defined (and `keep`, N x 1 x H x W
    on the next frame's grid, is 1: outside an object that crosses the scene).

    The plain MSE falls as the output flattens, so it buys stability with texture. Two other ways
    to charge the same change: `relative_to` (the next input, move(x)) divides it by the input's
    change (change_over_input_change), `per_detail` by the output's own detail energy
    (change_over_detail, with `detail_window` and `detail_ceiling`)."""
    target, mask = warp(out, theta)
    if keep is not None:
        mask = mask * keep
    change = out_of_moved - target
    if per_detail:
        return change_over_detail(change, out, theta, mask, detail_window, detail_ceiling)
    if relative_to is not None:
        return change_over_input_change(change, *relative_to, mask)
    return (change**2 * mask).sum() / (mask.sum() * out.shape[1]).clamp_min(1.0)


def change_over_input_change(change: Tensor, nxt: Tensor, moved: Tensor, mask: Tensor) -> Tensor:
    """Per sample, the mean absolute output change over the mean absolute input change, as the
    flicker figure counts it. The MSE charges a change by its size, so the tiny changes of a
    near-still compressed clip cost almost nothing however much the net amplifies them (and its
    gradient vanishes as they shrink); the ratio charges the amplification at every size."""
    out_change = (change.abs() * mask).sum((1, 2, 3))
    in_change = ((nxt - moved).abs() * mask).sum((1, 2, 3))
    # a pair the encoder left identical (skipped blocks) says nothing: a floor of 1/4 level a pixel
    floor = 0.25 / 255 * mask.sum((1, 2, 3)) * change.shape[1]
    return (out_change / torch.maximum(in_change, floor)).mean()


def change_over_detail(change: Tensor, out: Tensor, theta: Tensor, mask: Tensor, window: int = 0,
                       ceiling: float = 0.0) -> Tensor:
    """Per sample, the squared change over the output's own detail energy (its squared difference
    from a 5x5 local mean, moved with it), both where the mask is. This ratio is the same for an
    output and a flattened copy of it (scaling the strokes by a scales both sides by a^2), so only a
    stiller output, not a flatter one, lowers it.

    `window` (odd px): per pixel, over the detail energy of the window x window pixels around it,
    so that flattening one part of the picture (a sky's strokes) does not pay either, where the
    whole crop's energy stays. `ceiling` (a mean squared detail per pixel and channel, > 0): the
    energy counts up to it and no further. A ratio can be lowered from below too: left long enough,
    the net raised its strokes' contrast faster than their change (udnie, 600 -> 1200 steps: energy
    0.0030 -> 0.0100). Under the ceiling flattening still does not pay; over it, stronger strokes do
    not either."""
    if window:
        local = F.avg_pool2d(detail(out).square().mean(1, keepdim=True), window, stride=1, padding=window // 2,
                             count_include_pad=False)
        local = warp(local, theta)[0].clamp_min(LOCAL_DETAIL_FLOOR)
        ratio = change**2 / (local.clamp_max(ceiling) if ceiling else local)
        return (ratio * mask).sum() / (mask.sum() * out.shape[1]).clamp_min(1.0)
    squared = (change**2 * mask).sum((1, 2, 3))
    # the detail of the output itself, moved (the moved output's zero border would count as an edge)
    energy = (warp(detail(out), theta)[0] ** 2 * mask).sum((1, 2, 3))
    elements = mask.sum((1, 2, 3)) * out.shape[1]
    energy = torch.maximum(energy, DETAIL_FLOOR * elements)
    if ceiling:
        energy = torch.minimum(energy, ceiling * elements)
    return (squared / energy).mean()
