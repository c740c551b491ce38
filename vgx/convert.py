"""The one place frames and images become model tensors and back (numpy; torch helpers call it).

Conventions: images are uint8 RGB HxWx3 (NxHxWx3 for a batch); stream frames are uint8 BGR
(OpenCV's order); at the model boundary, float32 NCHW RGB in [0, 1]; back to uint8 by
clamping to [0, 1] and rounding x*255.

Two paths for the same conversion:
- `rgb_to_nchw` / `nchw_to_rgb`: images, one numpy pass each way;
- `bgr_to_nchw` / `nchw_to_bgr`: stream frames, the fast path. For a 1280x720 frame on the
  2-core dev machine one numpy pass in is ~4 ms (cv2.dnn.blobFromImage ~5.8 ms); out,
  per-plane OpenCV conversion + merge is ~1.6 ms where a numpy clip/round/transpose is 13-17 ms.
"""

from __future__ import annotations

import cv2
import numpy as np


def rgb_to_nchw(rgb: np.ndarray) -> np.ndarray:
    """uint8 RGB HxWx3 (or NxHxWx3) -> float32 Nx3xHxW in [0, 1]."""
    batch = rgb[None] if rgb.ndim == 3 else rgb
    x = np.ascontiguousarray(batch.transpose(0, 3, 1, 2), dtype=np.float32)
    x *= 1.0 / 255.0
    return x


def nchw_to_rgb(x: np.ndarray) -> np.ndarray:
    """float Nx3xHxW -> uint8 NxHxWx3 RGB; a 1x3xHxW or 3xHxW input gives one HxWx3 image."""
    one = x.ndim == 3 or x.shape[0] == 1
    nchw = x[None] if x.ndim == 3 else x
    out = (np.clip(nchw.transpose(0, 2, 3, 1), 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)
    return out[0] if one else out


def bgr_to_nchw(frames: list[np.ndarray]) -> np.ndarray:
    """BGR uint8 frames of one size -> float32 Nx3xHxW RGB in [0, 1]."""
    batch = np.stack(frames) if len(frames) > 1 else frames[0][None]
    x = np.ascontiguousarray(batch[..., ::-1].transpose(0, 3, 1, 2), dtype=np.float32)
    x *= 1.0 / 255.0
    return x


def nchw_to_bgr(y: np.ndarray) -> list[np.ndarray]:
    """float32 Nx3xHxW RGB -> BGR uint8 frames, clamped to [0, 1] and rounded."""
    out = []
    for chw in y:
        planes = []
        for c in (2, 1, 0):  # RGB planes -> BGR order
            plane = cv2.threshold(chw[c], 0.0, 0.0, cv2.THRESH_TOZERO)[1]  # negatives -> 0 (saturate)
            planes.append(cv2.convertScaleAbs(plane, alpha=255.0))  # x*255, rounded, saturated at 255
        out.append(cv2.merge(planes))
    return out
