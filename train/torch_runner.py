"""PyTorch eager as a runtime backend: the baseline. It lives with the torch side of vgx;
the runtime imports it only when `--backend torch` (or the bench's torch rows) ask."""

from __future__ import annotations

from types import TracebackType
from typing import Any

import numpy as np
import torch

from .loading import load_model


class TorchRunner:
    """`source`: the zoo name or checkpoint the artifact was exported from (its manifest says).

    On CUDA it is the fair GPU baseline, set up the way PyTorch users would: channels_last
    weights and inputs, cudnn.benchmark, and fp16 autocast for the fp16 row. It then reports
    `last_timings` (H2D, compute, D2H in ms, from CUDA events) as the TensorRT runner does.
    """

    def __init__(self, source: str, channels_last: bool = True, device: str = "cpu", fp16: bool = False) -> None:
        self.source = source
        self.channels_last = channels_last
        self.device, self.fp16 = device, fp16
        self.name = f"torch:{source}" + (f" ({device}{', fp16 autocast' if fp16 else ''})" if device != "cpu" else "")
        self.model: Any = None
        self.last_timings: dict[str, float] | None = None

    def __enter__(self) -> TorchRunner:
        self.model, _ = load_model(self.source)
        if self.device != "cpu":
            torch.backends.cudnn.benchmark = True  # pick the fastest kernels for the shapes it sees
            self.model = self.model.to(self.device, memory_format=torch.channels_last)
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.model = None

    @property
    def input_names(self) -> list[str]:
        return ["input"]

    def infer(self, feed: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        if self.device != "cpu":
            return self._infer_cuda(feed["input"])
        x = torch.from_numpy(feed["input"])
        # channels_last: a 9x9 conv to 3 channels at output size (SRResNet's tail) falls onto oneDNN's
        # reference kernel in the default layout; channels_last runs it ~10x faster (measured, 2 threads)
        if self.channels_last:
            x = x.contiguous(memory_format=torch.channels_last)
        with torch.inference_mode():
            return {"output": self.model(x).contiguous().numpy()}

    def _infer_cuda(self, host: np.ndarray) -> dict[str, np.ndarray]:
        events = [torch.cuda.Event(enable_timing=True) for _ in range(4)]
        pinned = torch.from_numpy(host).pin_memory()
        events[0].record()
        x = pinned.to(self.device, non_blocking=True).contiguous(memory_format=torch.channels_last)
        events[1].record()
        with torch.inference_mode(), torch.autocast("cuda", dtype=torch.float16, enabled=self.fp16):
            y = self.model(x)
        events[2].record()
        out = y.float().contiguous().cpu()
        events[3].record()
        torch.cuda.synchronize()
        self.last_timings = {k: round(events[i].elapsed_time(events[i + 1]), 3) for i, k in enumerate(("h2d", "compute", "d2h"))}
        return {"output": out.numpy()}
