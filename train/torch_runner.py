"""PyTorch eager as a runtime backend: the baseline. It lives with the torch side of vgx;
the runtime imports it only when `--backend torch` (or the bench's torch rows) ask."""

from __future__ import annotations

from types import TracebackType
from typing import Any

import numpy as np
import torch

from .loading import load_model


class TorchRunner:
    """`source`: the zoo name or checkpoint the artifact was exported from (its manifest says)."""

    def __init__(self, source: str, channels_last: bool = True) -> None:
        self.source = source
        self.channels_last = channels_last
        self.name = f"torch:{source}"
        self.model: Any = None

    def __enter__(self) -> TorchRunner:
        self.model, _ = load_model(self.source)
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.model = None

    @property
    def input_names(self) -> list[str]:
        return ["input"]

    def infer(self, feed: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        x = torch.from_numpy(feed["input"])
        # channels_last: a 9x9 conv to 3 channels at output size (SRResNet's tail) falls onto oneDNN's
        # reference kernel in the default layout; channels_last runs it ~10x faster (measured, 2 threads)
        if self.channels_last:
            x = x.contiguous(memory_format=torch.channels_last)
        with torch.inference_mode():
            return {"output": self.model(x).contiguous().numpy()}
