"""Temporal flicker of a video model, measured with optical flow (numpy + OpenCV).

flicker ratio = mean |out_t - warp(out_{t-1})| / mean |in_t - warp(in_{t-1})|, where the
warp follows the *input's* motion (DIS optical flow, t -> t-1) and only pixels whose
flow is forward-backward consistent count (occlusions and frame borders are left out).
1.0: the model changes between frames exactly as much as the scene does; a model that
adds its own frame-to-frame changes scores above 1. `flow="farneback"` is a cross-check with
another estimator (less accurate: a larger input residual on real clips, so lower ratios) for
anything that itself follows DIS flow, such as the stream's temporal smoothing.
"""

from __future__ import annotations

from collections.abc import Iterator

import cv2
import numpy as np


def _gray(img: np.ndarray) -> np.ndarray:
    return cv2.cvtColor(img, cv2.COLOR_BGR2GRAY) if img.ndim == 3 else img


def warp(img: np.ndarray, flow: np.ndarray) -> np.ndarray:
    """`img` moved along `flow` (for each pixel, where it was in `img`), bilinear."""
    h, w = flow.shape[:2]
    gx, gy = np.meshgrid(np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32))
    return cv2.remap(img, gx + flow[..., 0], gy + flow[..., 1], cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)


def change(cur: np.ndarray, prev: np.ndarray, back: np.ndarray) -> np.ndarray:
    """|cur - prev warped along `back`| per pixel and channel (float32): what changed beyond the motion."""
    return np.abs(cur.astype(np.float32) - warp(prev, back).astype(np.float32))


def consistent(back: np.ndarray, fwd: np.ndarray) -> np.ndarray:
    """Pixels of frame t whose flow to t-1 and back returns home, and that stay in frame."""
    h, w = back.shape[:2]
    gx, gy = np.meshgrid(np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32))
    x1, y1 = gx + back[..., 0], gy + back[..., 1]
    fwd_at = cv2.remap(fwd, x1, y1, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    err = np.sum((back + fwd_at) ** 2, axis=-1)
    mag = np.sum(back**2, axis=-1) + np.sum(fwd_at**2, axis=-1)
    inside = (x1 >= 0) & (x1 <= w - 1) & (y1 >= 0) & (y1 <= h - 1)
    return inside & (err < 0.01 * mag + 0.5)


def _flow(name: str):
    if name == "dis":
        dis = cv2.DISOpticalFlow_create(cv2.DISOPTICAL_FLOW_PRESET_MEDIUM)
        return lambda a, b: dis.calc(a, b, None)
    if name == "farneback":
        return lambda a, b: cv2.calcOpticalFlowFarneback(a, b, None, 0.5, 4, 21, 5, 7, 1.5, 0)
    raise ValueError(f"flow must be dis or farneback, not {name!r}")


def frame_changes(inputs: list[np.ndarray], outputs: list[np.ndarray], flow: str = "dis"
                  ) -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]]:
    """Per consecutive pair: (output change, input change, consistent-flow mask, the input's motion in
    px), H x W each (the change averaged over channels), on the input's grid. Frames as uint8 BGR (outputs may have
    another size: they are resized to the input's)."""
    if len(inputs) != len(outputs) or len(inputs) < 2:
        raise ValueError("flicker needs as many outputs as inputs, and at least two frames")
    calc = _flow(flow)
    h, w = inputs[0].shape[:2]
    outs = [o if o.shape[:2] == (h, w) else cv2.resize(o, (w, h), interpolation=cv2.INTER_AREA) for o in outputs]
    for t in range(1, len(inputs)):
        g0, g1 = _gray(inputs[t - 1]), _gray(inputs[t])
        back = calc(g1, g0)  # where each pixel of t was in t-1
        yield (_per_pixel(change(outs[t], outs[t - 1], back)), _per_pixel(change(inputs[t], inputs[t - 1], back)),
               consistent(back, calc(g0, g1)), np.hypot(back[..., 0], back[..., 1]))


def _per_pixel(c: np.ndarray) -> np.ndarray:
    return c.mean(-1) if c.ndim == 3 else c


def flicker_ratio(inputs: list[np.ndarray], outputs: list[np.ndarray], flow: str = "dis") -> float:
    """Frames as uint8 BGR (outputs may have another size: they are resized to the input's)."""
    num = den = 0.0
    for out_change, in_change, mask, _ in frame_changes(inputs, outputs, flow):
        if mask.any():
            num += float(out_change[mask].mean())
            den += float(in_change[mask].mean())
    return num / den if den > 0 else float("inf")
