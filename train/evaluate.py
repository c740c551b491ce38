"""The SR evaluation protocol (vgx.sr_protocol) for PyTorch models."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from torch import nn

from vgx.sr_protocol import EvalReport, ImageScore
from vgx.sr_protocol import evaluate as evaluate_upscaler
from vgx.sr_protocol import score_image as score_with

from .tensors import device_of, to_tensor, to_uint8

__all__ = ["EvalReport", "ImageScore", "evaluate", "score_image", "upscale"]


@torch.inference_mode()
def upscale(model: nn.Module, lr: np.ndarray) -> np.ndarray:
    """uint8 RGB -> uint8 RGB through a zoo model (float32 [0,1] at its boundary).

    A channels-last input steers PyTorch off the reference kernel it picks for wide
    convolutions with few outputs (SRResNet's 9x9 tail), without touching the weights.
    """
    x = to_tensor(lr).to(device_of(model)).contiguous(memory_format=torch.channels_last)
    return to_uint8(model(x))


def score_image(model: nn.Module, hr: np.ndarray, scale: int, name: str = "", degrade=None,
                index: int = 0) -> tuple[ImageScore, np.ndarray, np.ndarray]:
    return score_with(lambda lr: upscale(model, lr), hr, scale, name, degrade, index)


def evaluate(model: nn.Module, name: str, scale: int, folder: str | Path, degrade=None) -> EvalReport:
    """`degrade`: a vgx.sr_protocol.Degradation (vgx.train.degrade.parse_spec), or None for the clean protocol."""
    model.eval()
    return evaluate_upscaler(lambda lr: upscale(model, lr), name, scale, folder, degrade)
