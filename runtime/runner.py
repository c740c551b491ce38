"""The runner protocol every backend follows (Polygraphy-style).

A runner is a context manager: entering loads the model (and device resources), `infer`
maps input names to arrays and returns output names to arrays, leaving frees everything.
"""

from __future__ import annotations

from types import TracebackType
from typing import Protocol

import numpy as np


class Runner(Protocol):
    name: str

    def __enter__(self) -> Runner: ...

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None: ...

    def infer(self, feed: dict[str, np.ndarray]) -> dict[str, np.ndarray]: ...

    @property
    def input_names(self) -> list[str]: ...


def infer_one(runner: Runner, x: np.ndarray) -> np.ndarray:
    """The single output of a single-input model."""
    out = runner.infer({runner.input_names[0]: x})
    return next(iter(out.values()))


def image_upscaler(runner: Runner):
    """uint8 RGB -> uint8 RGB through a runner (for the SR evaluation protocol)."""
    from vgx.convert import nchw_to_rgb, rgb_to_nchw

    return lambda rgb: nchw_to_rgb(infer_one(runner, rgb_to_nchw(rgb)))
