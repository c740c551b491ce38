"""Frames <-> model tensors: BGR uint8 HxWx3 <-> float32 NCHW RGB in [0, 1].

Measured for a 1280x720 frame on the 2-core dev machine (DESIGN.md): one numpy pass in
is ~4 ms (cv2.dnn.blobFromImage ~5.8 ms); out, per-plane OpenCV conversion + merge is
~1.6 ms where a numpy clip/round/transpose is 13-17 ms.
"""

from __future__ import annotations

import cv2
import numpy as np


def to_tensor(frames: list[np.ndarray]) -> np.ndarray:
    """BGR uint8 frames of one size -> float32 Nx3xHxW RGB in [0, 1]."""
    batch = np.stack(frames) if len(frames) > 1 else frames[0][None]
    x = np.ascontiguousarray(batch[..., ::-1].transpose(0, 3, 1, 2), dtype=np.float32)
    x *= 1.0 / 255.0
    return x


def to_frames(y: np.ndarray) -> list[np.ndarray]:
    """float32 Nx3xHxW RGB -> BGR uint8 frames, clamped to [0, 1] and rounded."""
    out = []
    for chw in y:
        planes = []
        for c in (2, 1, 0):  # RGB planes -> BGR order
            plane = cv2.threshold(chw[c], 0.0, 0.0, cv2.THRESH_TOZERO)[1]  # negatives -> 0 (saturate)
            planes.append(cv2.convertScaleAbs(plane, alpha=255.0))  # x*255, rounded, saturated at 255
        out.append(cv2.merge(planes))
    return out
