"""Images <-> torch tensors: the torch side of vgx.convert (which owns the conventions)."""

from __future__ import annotations

import numpy as np
import torch

from vgx.convert import nchw_to_rgb, rgb_to_nchw


def to_tensor(rgb: np.ndarray) -> torch.Tensor:
    """uint8 RGB HxWx3 (or NxHxWx3) -> float32 Nx3xHxW in [0, 1]."""
    return torch.from_numpy(rgb_to_nchw(rgb))


def device_of(model: torch.nn.Module) -> torch.device:
    """Where the model's weights are (cpu for a model without any): validators feed it there."""
    return next(model.parameters(), torch.empty(0)).device


def to_uint8(t: torch.Tensor) -> np.ndarray:
    """Nx3xHxW (or 3xHxW) -> uint8 RGB: one HxWx3 image for one input, else NxHxWx3."""
    return nchw_to_rgb(t.detach().float().cpu().numpy())
