"""Real images for verification and calibration (never random noise).

Built-in images ship in scikit-image, so export and verify need no data and no download. The
calibration set and the held-out set are disjoint: the quality budget is measured on
images the quantizer never saw.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from vgx.card import ModelCard
from vgx.convert import rgb_to_nchw
from vgx.errors import VgxError
from vgx.images import list_images, load_rgb

HELD_OUT = ("astronaut", "chelsea", "coffee")
CALIBRATION = ("motorcycle_left", "motorcycle_right", "rocket", "hubble_deep_field", "immunohistochemistry", "retina")


def builtin(names: tuple[str, ...]) -> dict[str, np.ndarray]:
    from skimage import data

    special = {"motorcycle_left": lambda: data.stereo_motorcycle()[0], "motorcycle_right": lambda: data.stereo_motorcycle()[1]}
    return {n: special[n]() if n in special else getattr(data, n)()[..., :3] for n in names}


def crops(images: list[np.ndarray], size: tuple[int, int], count: int, seed: int = 0) -> list[np.ndarray]:
    """`count` random (H, W) crops, cycling through the images, as uint8 HWC."""
    rng = np.random.default_rng(seed)
    h, w = size
    out = []
    usable = [i for i in images if i.shape[0] >= h and i.shape[1] >= w]
    if not usable:
        raise VgxError(f"no image is at least {w}x{h}")
    for k in range(count):
        img = usable[k % len(usable)]
        y, x = rng.integers(0, img.shape[0] - h + 1), rng.integers(0, img.shape[1] - w + 1)
        out.append(img[y : y + h, x : x + w])
    return out


def input_size(card: ModelCard, side: int) -> tuple[int, int]:
    """A model-input (H, W) near `side`, a multiple of the card's multiple_of."""
    m = max(1, card.multiple_of)
    return (side // m * m, (side * 4 // 3) // m * m)


def latent_inputs(card: ModelCard, count: int, seed: int) -> list[np.ndarray]:
    """Gaussian latents, one per input (generators take N x latent_dim)."""
    dim = int(card.arch_kwargs.get("latent_dim", 100))
    rng = np.random.default_rng(seed)
    return [rng.standard_normal((1, dim)).astype(np.float32) for _ in range(count)]


def verification_inputs(card: ModelCard) -> list[np.ndarray]:
    """Model inputs from held-out real images at two sizes and a batch of two (NCHW float32);
    for generators, latents (a batch of two and one)."""
    if card.task == "generate":
        a, b, c = latent_inputs(card, 3, seed=1)
        return [np.concatenate([a, b]), c]
    imgs = list(builtin(HELD_OUT).values())
    a = crops(imgs, input_size(card, 48), 2, seed=1)
    b = crops(imgs, input_size(card, 72), 1, seed=2)
    return [np.concatenate([rgb_to_nchw(x) for x in a]), rgb_to_nchw(b[0])]


def calibration_images(folder: str | Path | None, count: int, size: tuple[int, int]) -> list[np.ndarray]:
    """Model-input crops for calibration: one from each of `count` images in `folder`, or
    `count` crops cycling through the built-in calibration images."""
    if folder is None:
        return crops(list(builtin(CALIBRATION).values()), size, count, seed=3)
    files = list_images(folder)
    if len(files) < count:
        raise VgxError(f"--calib-count {count} but {folder} has only {len(files)} image(s); add images or lower it")
    out = []
    for k, f in enumerate(files[:count]):
        img = load_rgb(f)
        if img.shape[0] < size[0] or img.shape[1] < size[1]:  # small images: resize up to the crop
            import cv2

            img = cv2.resize(img, (max(size[1], img.shape[1]), max(size[0], img.shape[0])), interpolation=cv2.INTER_CUBIC)
        out += crops([img], size, 1, seed=k)
    return out
