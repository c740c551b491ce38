"""An exponential moving average of a model's weights, kept beside the trained one (`--ema DECAY`).

SGD's last iterate wanders around the minimum by the learning rate's noise; the average of the
recent iterates sits nearer it. Real-ESRGAN and BasicSR keep one at 0.999 and ship it. Here it is
what validation scores and what model.pt holds; last.pt keeps both, so a resumed run continues both.
"""

from __future__ import annotations

import copy
from typing import Any

import torch
from torch import nn

from vgx.errors import VgxError

from .checkpoint import unwrap


def check_decay(decay: float) -> float:
    if not 0.0 <= decay < 1.0:
        raise VgxError(f"--ema {decay}: a decay in [0, 1), e.g. 0.999 (0 turns averaging off)")
    return decay


class WeightAverage:
    """avg <- decay * avg + (1 - decay) * weights after every step; buffers (e.g. counters) are copied."""

    def __init__(self, model: nn.Module, decay: float) -> None:
        self.decay = check_decay(decay)
        self.model = copy.deepcopy(unwrap(model)).eval()
        self.model.requires_grad_(False)

    @torch.no_grad()
    def update(self, model: nn.Module) -> None:
        for avg, now in zip(self.model.state_dict().values(), unwrap(model).state_dict().values()):
            if avg.is_floating_point():
                avg.lerp_(now, 1.0 - self.decay)
            else:
                avg.copy_(now)

    def state_dict(self) -> dict[str, Any]:
        return {k: v.detach().cpu().clone() for k, v in self.model.state_dict().items()}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.model.load_state_dict(state, strict=True)
