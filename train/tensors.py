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


def native_bf16(device: torch.device) -> bool:
    if device.type == "cuda":
        return bool(torch.cuda.is_bf16_supported())
    return bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())


def check_bf16(device: torch.device) -> None:
    """A one-line error unless bfloat16 convolutions run natively on `device`: without
    AVX-512 BF16 / AMX (CPU) or an Ampere-or-later GPU, oneDNN and cuDNN emulate them, slower than fp32."""
    from vgx.errors import VgxError

    if not native_bf16(device):
        raise VgxError(f"--bf16: this {'GPU' if device.type == 'cuda' else 'CPU'} has no native bfloat16 "
                       "(AVX-512 BF16 / AMX, or an Ampere-or-later GPU); train in fp32 (leave --bf16 out)")
