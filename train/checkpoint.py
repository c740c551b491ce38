"""Checkpoints: weights-only files (tensors, numbers, strings) plus the model card.

`torch.load(path, weights_only=True)` loads every file vgx writes, and nothing else is
ever loaded: a pickle with code in it is refused. Writes are atomic (temp + rename), so
a killed run leaves the previous checkpoint intact.

Storage: fp32 (runs), fp16, or int8 (version 2: every conv / linear weight of 1024 values or
more as int8 with an fp32 scale per output channel, the rest fp16; `load` hands back float
weights, so nothing downstream sees the difference). Shipping picks the smallest one whose
outputs it measured unchanged (train/ship.py).
"""

from __future__ import annotations

import pickle
import warnings
from pathlib import Path
from typing import Any

import torch
from torch import nn

from vgx.atomic import atomic_path
from vgx.card import ModelCard
from vgx.errors import VgxError

FORMAT = "vgx-checkpoint"
VERSION = 2  # 2: int8 storage (int8_scales); fp32 / fp16 files are still written as version 1
STORAGES = ("fp32", "fp16", "int8")
INT8_MIN_VALUES = 1024  # smaller tensors (biases, norms, 1x1 heads of a few channels) stay fp16


def save(path: str | Path, card: ModelCard, model: nn.Module, train_state: dict[str, Any] | None = None,
         storage: str = "fp32") -> Path:
    """Write {card, model weights[, train_state]} atomically, the weights in `storage` (STORAGES)."""
    if storage not in STORAGES:
        raise ValueError(f"storage must be one of {STORAGES}, not {storage!r}")
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    weights = {k: v.detach().cpu().clone() for k, v in unwrap(model).state_dict().items()}
    payload: dict[str, Any] = {"format": FORMAT, "version": 1, "card": card.to_dict(), "model": weights}
    if storage == "int8":
        scales = {}
        for k in [k for k, v in weights.items() if v.is_floating_point() and v.dim() >= 2 and v.numel() >= INT8_MIN_VALUES]:
            weights[k], scales[k] = quantize_int8(weights[k])
        payload.update(version=2, int8_scales=scales)
    if storage != "fp32":
        weights.update({k: v.half() for k, v in weights.items() if v.is_floating_point()})
    if train_state is not None:
        payload["train_state"] = train_state
    try:
        with atomic_path(p) as tmp:
            torch.save(payload, tmp)
    except OSError as e:
        raise VgxError(f"cannot write checkpoint {p}: {e.strerror or e}") from None
    return p


def load(path: str | Path) -> dict[str, Any]:
    """Read a vgx checkpoint with weights-only loading; a clear error for anything else."""
    p = Path(path)
    if not p.is_file():
        raise VgxError(f"checkpoint not found: {p}")
    try:
        with warnings.catch_warnings():  # torch warns about pickle protocols before it refuses
            warnings.simplefilter("ignore")
            payload = torch.load(p, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError:  # garbage, or objects / code that weights-only loading refuses (never run)
        raise VgxError(f"not a loadable vgx checkpoint (weights-only): {p} is corrupt, or holds objects or code "
                       "besides tensors, which vgx never loads; re-save it as torch.save({'model': state_dict})") from None
    except Exception as e:  # noqa: BLE001 - torch raises many types for bad files
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise VgxError(f"not a loadable vgx checkpoint (weights-only): {p}: {first[:200]}") from None
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise VgxError(f"not a vgx checkpoint: {p}")
    if payload.get("version", 0) > VERSION:
        raise VgxError(f"checkpoint {p} is version {payload['version']}; this vgx reads up to {VERSION}: upgrade vgx")
    for k, scale in payload.pop("int8_scales", {}).items():
        payload["model"][k] = payload["model"][k].float() * _per_channel(scale, payload["model"][k])
    return payload


def quantize_int8(w: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """A weight -> (int8 values, fp32 scale per output channel), symmetric: values x scale is the weight."""
    w = w.float()
    scale = w.abs().flatten(1).amax(dim=1).clamp_min(1e-12) / 127.0
    return torch.round(w / _per_channel(scale, w)).clamp(-127, 127).to(torch.int8), scale


def _per_channel(scale: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
    """One scale per output channel, shaped to broadcast over a weight like `like`."""
    return scale.view(-1, *[1] * (like.dim() - 1))


def card_of(payload: dict[str, Any]) -> ModelCard:
    try:
        return ModelCard.from_dict(payload["card"])
    except (KeyError, TypeError, ValueError) as e:
        raise VgxError(f"checkpoint has no valid model card: {e}") from None


def unwrap(model: nn.Module) -> nn.Module:
    """The plain module inside a DistributedDataParallel wrapper."""
    return model.module if hasattr(model, "module") else model


def load_weights(model: nn.Module, payload: dict[str, Any], source: str = "checkpoint", adapt: bool = False) -> None:
    """Strict load; `adapt` (for --init) also takes per-channel PReLU slopes into one-slope ones
    and a sub-pixel head of a larger scale into a smaller one (_phase_mean_head)."""
    try:
        state = payload["model"]
        if adapt:
            state = _phase_mean_head(unwrap(model), _per_layer_slopes(unwrap(model), state))
        unwrap(model).load_state_dict(state, strict=True)
    except (KeyError, RuntimeError) as e:
        first = str(e).strip().splitlines()[0]
        raise VgxError(f"{source} does not fit this model: {first[:200]}") from None


def _phase_mean_head(model: nn.Module, state: dict[str, Any]) -> dict[str, Any]:
    """A conv feeding PixelShuffle(s) has C*s*s outputs (channel-major, phase row, phase column);
    where this model (scale t < s, t divides s) has C*t*t, each of its phases starts as the mean of
    the (s/t)^2 larger-scale phases it covers: the same net predicting its residual's local mean.
    How compact-x1-real starts from compact-x2-real: from scratch (or He-initialised) the plain
    14-layer stack stays at the identity, from the x2 body it learns at once (README, restoration)."""
    t = getattr(model, "scale", None)
    if not isinstance(t, int) or t < 1:
        return state
    out = dict(state)
    for key, target in model.state_dict().items():
        src = state.get(key)
        if src is None or src.shape == target.shape or src.shape[1:] != target.shape[1:] or target.shape[0] % (t * t):
            continue
        c = target.shape[0] // (t * t)
        s = round((src.shape[0] / c) ** 0.5)
        if s * s * c != src.shape[0] or s <= t or s % t:
            continue
        k = s // t
        out[key] = src.float().reshape(c, t, k, t, k, *src.shape[1:]).mean(dim=(2, 4)).reshape(target.shape).to(src.dtype)
    return out


def _per_layer_slopes(model: nn.Module, state: dict[str, Any]) -> dict[str, Any]:
    """A per-channel PReLU's slopes load into a one-slope PReLU as their mean: how a
    shipped per-channel model starts its fine-tune to the fusable form (--init)."""
    out = dict(state)
    for name, mod in model.named_modules():
        key = f"{name}.weight" if name else "weight"
        if isinstance(mod, nn.PReLU) and mod.num_parameters == 1 and key in out and out[key].numel() > 1:
            out[key] = out[key].float().mean().reshape(1).to(out[key].dtype)
    return out
