"""The unit that flows through a stream: an image plus where and when it came from."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np


@dataclass
class Frame:
    image: np.ndarray  # BGR uint8 HxWx3
    index: int
    name: str = ""  # file name for folder sources (folder sinks keep it)
    t_capture: float = field(default_factory=time.perf_counter)
    source_image: np.ndarray | None = None  # the input, kept for side-by-side output
