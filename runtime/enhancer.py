"""The Python API: `Enhancer` turns BGR frames into enhanced BGR frames.

    from vgx.runtime import Enhancer
    with Enhancer("espcn-x2") as enh:
        out = enh(frame)            # BGR uint8 in, BGR uint8 out (x2 for SR)

Manifest -> backend runner (auto: TensorRT, ORT TensorRT/CUDA, ORT CPU) + pre/post +
padding to the card's `multiple_of` + tiling with blended overlap for large frames.
"""

from __future__ import annotations

from pathlib import Path
from types import TracebackType
from typing import Any, Callable

import cv2
import numpy as np

from vgx import manifest as mf
from vgx.card import ModelCard

from .artifacts import resolve_artifact
from .backends import Choice, choose
from .prepost import to_frames, to_tensor
from .runner import Runner, infer_one
from .tiling import run_tiled

DEFAULT_MODEL = "espcn-x2"


class Enhancer:
    def __init__(self, model: str | Path = DEFAULT_MODEL, precision: str = "fp32", backend: str = "auto",
                 tile: int | None = None, overlap: int = 16, threads: int | None = None,
                 log: Callable[[str], None] = lambda s: None) -> None:
        self.folder = resolve_artifact(str(model), log=log)
        self.manifest = mf.read(self.folder)
        self.card = ModelCard.from_dict(self.manifest["card"])
        self.runner: Runner
        self.choice: Choice
        self.runner, self.choice = choose(self.folder, self.manifest, backend, precision, threads)
        self.tile = tile or self.card.default_tile
        self.overlap = overlap
        self.log = log

    @property
    def scale(self) -> int:
        return self.card.scale

    def __enter__(self) -> Enhancer:
        self.runner.__enter__()
        self.log(f"{self.card.name}: {self.choice.describe()}")
        for note in self.choice.notes:
            self.log(note)
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.runner.__exit__(exc_type, exc, tb)

    def __call__(self, frame: np.ndarray) -> np.ndarray:
        return self.enhance_batch([frame])[0]

    def infer_tensor(self, x: np.ndarray) -> np.ndarray:
        """N3HW float -> N3(sH)(sW): pads to multiple_of, tiles above `tile`, crops back."""
        n, c, h, w = x.shape
        m = max(1, self.card.multiple_of)
        ph, pw = (-h) % m, (-w) % m
        if ph or pw:  # reflect-pad to the multiple the model needs; cropped off below
            x = np.pad(x, ((0, 0), (0, 0), (0, ph), (0, pw)), mode="reflect")
        if max(x.shape[2], x.shape[3]) > self.tile:
            y = run_tiled(x, self._infer, self.tile, self.overlap, self.scale, m)
        else:
            y = self._infer(x)
        s = self.scale
        return y[:, :, : h * s, : w * s]

    def _infer(self, x: np.ndarray) -> np.ndarray:
        return infer_one(self.runner, x)

    def enhance_batch(self, frames: list[np.ndarray]) -> list[np.ndarray]:
        """BGR uint8 frames (one size) -> enhanced BGR uint8 frames."""
        return to_frames(self.infer_tensor(to_tensor(frames)))


def side_by_side(before: np.ndarray, after: np.ndarray) -> np.ndarray:
    """Before (resized to the output size, nearest) | after, split down the middle."""
    h, w = after.shape[:2]
    if before.shape[:2] != (h, w):
        before = cv2.resize(before, (w, h), interpolation=cv2.INTER_CUBIC)
    out = after.copy()
    out[:, : w // 2] = before[:, : w // 2]
    out[:, w // 2 - 1 : w // 2 + 1] = (255, 255, 255)
    return out


def describe(enh: Enhancer) -> dict[str, Any]:
    return {"model": enh.card.name, "backend": enh.choice.backend, "precision": enh.choice.precision,
            "skipped": enh.choice.skipped, "folder": str(enh.folder)}
