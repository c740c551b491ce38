"""Several models in one stream, switched live (the display's `m` key).

Each batch remembers the model that prepared it, so a switch between stages never mixes
one model's input with another's output. The output size may change with the model
(x2 to x4): video files keep the first size, so switching is for display and MJPEG.
"""

from __future__ import annotations

import threading
from typing import Any

import numpy as np

from .enhancer import Enhancer


class ModelSwitcher:
    def __init__(self, enhancers: list[Enhancer]) -> None:
        self.enhancers = enhancers
        self.index = 0
        self.lock = threading.Lock()
        self.finished: Enhancer | None = None  # the model of the batch finish() handed out last

    @property
    def current(self) -> Enhancer:
        return self.enhancers[self.index]

    def next(self) -> Enhancer:
        with self.lock:
            self.index = (self.index + 1) % len(self.enhancers)
            return self.enhancers[self.index]

    def prepare(self, frames: list[np.ndarray]) -> tuple[Enhancer, Any]:
        enh = self.current
        return enh, enh.prepare(frames)

    def run(self, batch: tuple[Enhancer, Any]) -> tuple[Enhancer, Any]:
        enh, x = batch
        return enh, enh.run(x)

    def finish(self, result: tuple[Enhancer, Any]) -> list[np.ndarray]:
        enh, y = result
        self.finished = enh  # the stream's temporal smoothing starts afresh when it changes
        return enh.finish(y)
