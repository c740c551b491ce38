"""Random HR/LR patch pairs from any folders of images, held in memory.

LR images are made once per image by antialiased bicubic downscaling of the mod-cropped
HR (the evaluation protocol), so a patch's LR sees its true neighbourhood. Flips and
90-degree rotations commute with that symmetric kernel, so they are applied to both.
`rescales` adds each image again at smaller sizes (VDSR's augmentation of the 291 images):
other scales of the same scenes, more distinct patches for a net that has converged on them.
A `teacher` (a bigger trained net of the same scale) makes the targets (1-w)*HR + w*teacher(LR),
computed once per image: under L2 that is exactly w times the distance to the teacher's output
added to (1-w) times the distance to the ground truth (output distillation), at no cost a step.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn

from vgx.errors import VgxError
from vgx.images import bicubic_resize, downscale, list_images, load_rgb, mod_crop

from .tensors import to_tensor, to_uint8


@dataclass
class Pair:
    hr: np.ndarray  # uint8 HxWx3
    lr: np.ndarray  # uint8 (H/s)x(W/s)x3


class PatchSampler:
    """Draws augmented (LR, HR) patch batches; deterministic for a given numpy Generator."""

    def __init__(self, folders: list[str | Path], scale: int, lr_patch: int, log: callable = print,
                 rescales: tuple[float, ...] = (), teacher: tuple[nn.Module, float] | None = None) -> None:
        self.scale, self.lr_patch = scale, lr_patch
        if any(not 0.2 <= r < 1 for r in rescales):
            factors = ",".join(map(str, rescales))
            raise VgxError(f"--rescales {factors}: each a factor in [0.2, 1) (the image itself is in anyway)")
        files = [f for folder in folders for f in list_images(folder)]
        self.pairs: list[Pair] = []
        small = 0
        for f in files:
            img = load_rgb(f)
            hr = mod_crop(img, scale)
            if min(hr.shape[:2]) < lr_patch * scale:
                small += 1
                continue
            self.pairs.append(Pair(hr, downscale(hr, scale)))
            h, w = img.shape[:2]
            for r in rescales:  # antialiased bicubic, as the LR is made; copies smaller than a patch are left out
                smaller = mod_crop(bicubic_resize(img, (round(w * r), round(h * r))), scale)
                if min(smaller.shape[:2]) >= lr_patch * scale:
                    self.pairs.append(Pair(smaller, downscale(smaller, scale)))
        if not self.pairs:
            raise VgxError(
                f"no training image in {', '.join(map(str, folders))} is at least {lr_patch * scale}px on its "
                f"short side (patch {lr_patch} x scale {scale}); use --patch-size smaller or bigger images"
            )
        if small:
            log(f"skipped {small} of {len(files)} images smaller than a {lr_patch * scale}px HR patch")
        if teacher is not None:
            self.pairs = soft_targets(self.pairs, *teacher)
        areas = np.array([p.lr.shape[0] * p.lr.shape[1] for p in self.pairs], dtype=np.float64)
        self.weights = areas / areas.sum()  # big images hold more distinct patches

    def __len__(self) -> int:
        return len(self.pairs)

    def sample(self, rng: np.random.Generator, batch: int, part: slice | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """A batch of float32 NCHW tensors in [0,1]; `part` takes a slice of it (DDP ranks).

        Every rank draws the same global batch from the same generator state and keeps its
        slice, so data-parallel training sees exactly the single-process batch.
        """
        p, s = self.lr_patch, self.scale
        idx = rng.choice(len(self.pairs), size=batch, p=self.weights)
        u = rng.random((batch, 2))
        aug = rng.integers(0, 8, size=batch)
        keep = range(batch)[part] if part is not None else range(batch)
        lrs, hrs = [], []
        for i in keep:
            pair = self.pairs[idx[i]]
            h, w = pair.lr.shape[:2]
            y, x = int(u[i, 0] * (h - p + 1)), int(u[i, 1] * (w - p + 1))
            lr = pair.lr[y : y + p, x : x + p]
            hr = pair.hr[y * s : (y + p) * s, x * s : (x + p) * s]
            lrs.append(_augment(lr, aug[i]))
            hrs.append(_augment(hr, aug[i]))
        return to_tensor(np.stack(lrs)), to_tensor(np.stack(hrs))


def soft_targets(pairs: list[Pair], teacher: nn.Module, weight: float) -> list[Pair]:
    """Each pair's HR replaced by (1-weight)*HR + weight*teacher(LR), rounded to uint8 as HR is."""
    from rich.progress import track

    if not 0 < weight <= 1:
        raise VgxError(f"--teacher-weight {weight}: a weight in (0, 1] (1: the teacher's output alone)")
    out = []
    with torch.no_grad():
        for pair in track(pairs, description="teacher outputs", transient=True):
            taught = teacher(to_tensor(pair.lr[None])).clamp(0, 1)
            target = (1 - weight) * to_tensor(pair.hr[None]) + weight * taught
            out.append(Pair(to_uint8(target), pair.lr))
    return out


def _augment(img: np.ndarray, k: int) -> np.ndarray:
    """One of the 8 flips/rotations of the square, by index."""
    if k & 4:
        img = img[:, ::-1]
    return np.rot90(img, k & 3)



class DegradedPatchSampler:
    """(degraded LR, clean HR) patch batches for real-world SR (vgx.train.degrade).

    Degrading (a video-codec round trip above all) costs more than a training step of a
    compact net, so crops are degraded into a pool and each batch draws from it while a few
    entries are replaced per batch: every crop is seen a few times, each time with a fresh
    sub-patch and flip. Crops are twice the patch side so blur and codec see real context.
    Deterministic for a given numpy Generator.
    """

    def __init__(self, folders: list[str | Path], scale: int, lr_patch: int, log: callable = print,
                 pool: int = 256, refresh: int = 4, degradations: str | None = None) -> None:
        from .degrade import config_for

        self.scale, self.lr_patch, self.crop = scale, lr_patch, 2 * lr_patch
        self.cfg = config_for(scale, degradations)
        named = degradations or ("restore" if scale == 1 else "wide")
        self.provenance = f"; degradations: {named}"  # the loop adds it to the card
        self.hr = [mod_crop(load_rgb(f), scale) for folder in folders for f in list_images(folder)]
        self.hr = [h for h in self.hr if min(h.shape[:2]) >= self.crop * scale]
        if not self.hr:
            raise VgxError(f"no training image in {', '.join(map(str, folders))} is at least {self.crop * scale}px "
                           "on its short side; use a smaller --patch-size")
        self.pool_size, self.refresh = pool, refresh
        self.pool: list[Pair] = []

    def __len__(self) -> int:
        return len(self.hr)

    def _fresh(self, rng: np.random.Generator) -> Pair:
        from .degrade import degrade

        img = self.hr[int(rng.integers(len(self.hr)))]
        c = self.crop * self.scale
        y, x = int(rng.integers(img.shape[0] - c + 1)), int(rng.integers(img.shape[1] - c + 1))
        hr = np.ascontiguousarray(img[y : y + c, x : x + c])
        return Pair(hr, degrade(hr, self.scale, rng, self.cfg))

    def sample(self, rng: np.random.Generator, batch: int, part: slice | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        while len(self.pool) < self.pool_size:
            self.pool.append(self._fresh(rng))
        for _ in range(self.refresh):
            self.pool[int(rng.integers(self.pool_size))] = self._fresh(rng)
        p, s = self.lr_patch, self.scale
        keep = range(batch)[part] if part is not None else range(batch)
        picks = rng.integers(self.pool_size, size=batch)
        offsets, aug = rng.integers(0, p + 1, (batch, 2)), rng.integers(0, 8, batch)
        lrs, hrs = [], []
        for i in keep:
            pair, (y, x) = self.pool[picks[i]], offsets[i]
            lrs.append(_augment(pair.lr[y : y + p, x : x + p], aug[i]))
            hrs.append(_augment(pair.hr[y * s : (y + p) * s, x * s : (x + p) * s], aug[i]))
        return to_tensor(np.stack(lrs)), to_tensor(np.stack(hrs))
