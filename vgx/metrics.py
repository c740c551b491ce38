"""Image-quality metrics as the SR literature computes them (pure numpy + OpenCV).

PSNR-Y: ITU-R BT.601 luma in [16, 235] (MATLAB `rgb2ycbcr`), `shave` pixels removed
from every border, peak 255. SSIM: Wang et al. 2004, 11x11 Gaussian window, sigma 1.5.
"""

from __future__ import annotations

import numpy as np


def rgb_to_y(rgb: np.ndarray) -> np.ndarray:
    """BT.601 luma of uint8 (or 0..255 float) RGB, as float64 in [16, 235]."""
    x = rgb.astype(np.float64)
    return 16.0 + (65.481 * x[..., 0] + 128.553 * x[..., 1] + 24.966 * x[..., 2]) / 255.0


def _shave(a: np.ndarray, shave: int) -> np.ndarray:
    return a[shave:-shave, shave:-shave] if shave > 0 else a


def psnr(a: np.ndarray, b: np.ndarray, peak: float = 255.0, shave: int = 0) -> float:
    """PSNR in dB between two arrays of the same shape (inf when identical)."""
    if a.shape != b.shape:
        raise ValueError(f"psnr: shapes differ {a.shape} vs {b.shape}")
    diff = _shave(a.astype(np.float64), shave) - _shave(b.astype(np.float64), shave)
    mse = float(np.mean(diff * diff))
    return float("inf") if mse == 0 else float(10.0 * np.log10(peak * peak / mse))


def psnr_y(sr: np.ndarray, hr: np.ndarray, shave: int = 0) -> float:
    return psnr(rgb_to_y(sr), rgb_to_y(hr), shave=shave)


def ssim(a: np.ndarray, b: np.ndarray, peak: float = 255.0) -> float:
    """Mean SSIM of two single-channel images (valid region of the 11x11 window)."""
    import cv2

    c1, c2 = (0.01 * peak) ** 2, (0.03 * peak) ** 2
    x, y = a.astype(np.float64), b.astype(np.float64)
    k = cv2.getGaussianKernel(11, 1.5)
    w = k @ k.T

    def filt(img: np.ndarray) -> np.ndarray:
        return cv2.filter2D(img, -1, w)[5:-5, 5:-5]

    mx, my = filt(x), filt(y)
    sxx, syy, sxy = filt(x * x) - mx * mx, filt(y * y) - my * my, filt(x * y) - mx * my
    num = (2 * mx * my + c1) * (2 * sxy + c2)
    den = (mx * mx + my * my + c1) * (sxx + syy + c2)
    return float(np.mean(num / den))


def ssim_y(sr: np.ndarray, hr: np.ndarray, shave: int = 0) -> float:
    return ssim(_shave(rgb_to_y(sr), shave), _shave(rgb_to_y(hr), shave))


def agreement(reference: np.ndarray, output: np.ndarray) -> dict[str, float]:
    """How closely a model output follows a reference output (float [0,1] tensors):
    max/mean abs error, and PSNR with both clamped to [0,1] as they are shown."""
    diff = np.abs(reference.astype(np.float64) - output)
    ref, out = np.clip(reference, 0, 1).astype(np.float64), np.clip(output, 0, 1).astype(np.float64)
    mse = float(np.mean((ref - out) ** 2))
    return {"max_abs": float(diff.max()), "mean_abs": float(diff.mean()),
            "psnr": float("inf") if mse == 0 else float(10 * np.log10(1.0 / mse))}


def worst(figures: list[dict[str, float]]) -> dict[str, float]:
    """The worst case over several inputs: largest errors, lowest PSNR."""
    return {"max_abs": max(f["max_abs"] for f in figures), "mean_abs": max(f["mean_abs"] for f in figures),
            "psnr": min(f["psnr"] for f in figures)}
