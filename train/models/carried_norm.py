"""A style net whose InstanceNorm statistics carry over from frame to frame (the stream's form).

InstanceNorm normalises each feature map by the frame's own mean and variance, so anything
entering or leaving the frame (a bus roof moving through a street) shifts every output pixel
a little: flicker that no per-frame stability term removes (benchmarks/studies/norm_stats.py).
`CarriedNorms(net)` computes the same function with the statistics of the previous frames
mixed in:

    forward(x, state, keep) -> (y, state_out)
    used = keep * state + (1 - keep) * this frame's (mean, var), per norm and channel

`state` is N x S (or 1 x S) with S = `state_size(net)`: each norm's C means, then its C
variances, in the net's order; `state_out` is the statistics used, to feed to the next
frame. keep = 0 (any state) is the plain net, exactly. The exported graph keeps this
signature (inputs `input`, `norm_state`, `norm_keep`; outputs `output`, `norm_state_out`;
the names in runtime/norm_carry.py):
the runtime holds the state, so the model itself stays a pure function (Triton, TensorRT
and ORT see three plain inputs).
"""

from __future__ import annotations

import copy

import torch
from torch import Tensor, nn


class _Frame:
    """What one forward passes to its norms: the incoming state, keep, and the statistics used."""

    def __init__(self) -> None:
        self.state: Tensor | None = None
        self.keep: Tensor | None = None
        self.offset = 0
        self.used: list[Tensor] = []


class _CarriedNorm(nn.Module):
    def __init__(self, norm: nn.InstanceNorm2d, frame: _Frame) -> None:
        super().__init__()
        if not norm.affine:
            raise ValueError("CarriedNorms expects affine InstanceNorm2d layers (the style nets')")
        self.weight, self.bias, self.eps = norm.weight, norm.bias, norm.eps
        self.frame = frame

    def forward(self, x: Tensor) -> Tensor:
        f, c = self.frame, x.shape[1]
        assert f.state is not None and f.keep is not None
        mean, var = x.mean((2, 3)), x.var((2, 3), unbiased=False)
        prev = f.state[:, f.offset : f.offset + 2 * c]
        mean = f.keep * prev[:, :c] + (1 - f.keep) * mean
        var = f.keep * prev[:, c:] + (1 - f.keep) * var
        f.offset += 2 * c
        f.used += [mean, var]
        scale = self.weight / torch.sqrt(var + self.eps)  # N x C
        return x * scale[:, :, None, None] + (self.bias - mean * scale)[:, :, None, None]


def norms_of(net: nn.Module) -> list[nn.InstanceNorm2d]:
    return [m for m in net.modules() if isinstance(m, nn.InstanceNorm2d)]


def state_size(net: nn.Module) -> int:
    return sum(2 * n.num_features for n in norms_of(net))


class CarriedNorms(nn.Module):
    def __init__(self, net: nn.Module) -> None:
        super().__init__()
        if not norms_of(net):
            raise ValueError(f"{type(net).__name__} has no InstanceNorm2d: nothing to carry")
        self.size = state_size(net)
        self.frame = _Frame()
        self.net = copy.deepcopy(net)  # a twin: the trained net keeps its own norms
        _swap_norms(self.net, self.frame)

    def forward(self, x: Tensor, norm_state: Tensor, norm_keep: Tensor) -> tuple[Tensor, Tensor]:
        f = self.frame
        f.state, f.keep, f.offset, f.used = norm_state, norm_keep, 0, []
        y = self.net(x)
        used = torch.cat(f.used, dim=1)
        f.state = f.keep = None
        f.used = []
        return y, used

    def initial_state(self, batch: int = 1) -> Tensor:
        return torch.zeros(batch, self.size)

    def frame_inputs(self, batch: int, state: Tensor | None, keep: Tensor) -> tuple[Tensor, Tensor]:
        """(state, keep) for a frame: a first one (`state` None) uses its own statistics (keep 0)."""
        if state is None:
            return self.initial_state(batch), torch.zeros(1)
        return state, keep


def _swap_norms(module: nn.Module, frame: _Frame) -> None:
    for name, child in module.named_children():
        if isinstance(child, nn.InstanceNorm2d):
            setattr(module, name, _CarriedNorm(child, frame))
        else:
            _swap_norms(child, frame)


class CarriedStylizer:
    """Stateful, for torch-side studies: frames in order -> outputs at a fixed keep (1.0: frozen at
    the first frame's statistics); the first frame after `reset` uses its own."""

    def __init__(self, net: nn.Module, keep: float) -> None:
        self.model = CarriedNorms(net).eval()
        self.keep = torch.tensor([keep])
        self.state: Tensor | None = None

    def reset(self) -> None:
        self.state = None

    @torch.no_grad()
    def __call__(self, x: Tensor) -> Tensor:
        y, self.state = self.model(x, *self.model.frame_inputs(x.shape[0], self.state, self.keep))
        return y
