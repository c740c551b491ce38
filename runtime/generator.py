"""Generators in a stream: a latent walk as the source, the generator as the model.

`LatentWalk` yields latent vectors that slerp between random keyframes (no camera, no
file); `GeneratorModel` runs them through the exported generator (no torch) and turns the
faces into BGR frames, enlarged for viewing.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any, Callable

import cv2
import numpy as np

from vgx.convert import nchw_to_bgr

from .frames import Frame
from .model import ArtifactModel
from .runner import infer_one
from .sources import Source


def slerp(a: np.ndarray, b: np.ndarray, t: float) -> np.ndarray:
    an, bn = a / np.linalg.norm(a), b / np.linalg.norm(b)
    omega = np.arccos(np.clip(np.dot(an, bn), -1 + 1e-7, 1 - 1e-7))
    return (np.sin((1 - t) * omega) * a + np.sin(t * omega) * b) / np.sin(omega)


class LatentWalk(Source):
    live = True

    def __init__(self, latent_dim: int, steps: int = 48, frames: int | None = None, fps: float = 24.0,
                 seed: int = 0) -> None:
        super().__init__()
        self.dim, self.steps, self.frames, self.fps = latent_dim, steps, frames, fps
        self.rng = np.random.default_rng(seed)
        self.a, self.b = self.rng.standard_normal(latent_dim), self.rng.standard_normal(latent_dim)
        self.next_t = time.perf_counter()

    def capture(self, timeout: float = 1.0) -> Frame | None:
        if self.frames is not None and self.count >= self.frames:
            self.eos = True
            return None
        self.next_t += 1.0 / self.fps
        time.sleep(max(0.0, self.next_t - time.perf_counter()))
        k = self.count % self.steps
        if k == 0 and self.count:
            self.a, self.b = self.b, self.rng.standard_normal(self.dim)
        z = slerp(self.a, self.b, k / self.steps).astype(np.float32)
        return self._frame(z)  # the "image" of this source is a latent vector


class GeneratorModel(ArtifactModel):
    """prepare / run / finish for the stream pipeline, around an exported generator."""

    def __init__(self, model: str | Path, precision: str = "fp32", backend: str = "auto", zoom: int = 4,
                 threads: int | None = None, log: Callable[[str], None] = lambda s: None) -> None:
        super().__init__(model, precision, backend, threads, log)
        self.zoom = self.scale = zoom

    @property
    def latent_dim(self) -> int:
        return int(self.card.arch_kwargs.get("latent_dim", 100))

    def prepare(self, latents: list[np.ndarray]) -> np.ndarray:
        return np.stack(latents).astype(np.float32)

    def run(self, z: np.ndarray) -> np.ndarray:
        return infer_one(self.runner, z)

    def finish(self, y: np.ndarray) -> list[np.ndarray]:
        out: list[Any] = []
        for bgr in nchw_to_bgr(y):
            out.append(cv2.resize(bgr, None, fx=self.zoom, fy=self.zoom, interpolation=cv2.INTER_NEAREST))
        return out
