"""`for_export()`: the same function in the form runtimes run fastest.

A model that has one returns a shallow twin whose named submodules are replaced by their
own export forms (FSRCNN's deconvolution as a sub-pixel conv, interpolations as phase
convolutions); the weights are shared, the trained model is left as it is.

`layer_slopes_as_leaky` is the activation half: a PReLU with one slope per layer is
exactly LeakyReLU(slope), which ONNX Runtime and TensorRT fuse into the preceding conv;
a per-channel PReLU runs as its own pass over memory (ORT CPU, 640x360: FSRCNN x2
150 -> 75 ms, compact x2 285 -> 135 ms when every PReLU is fused).
"""

from __future__ import annotations

import copy
import itertools

import torch
from torch import nn


def export_twin(module: nn.Module, *names: str) -> nn.Module:
    twin = copy.copy(module)
    twin._modules = dict(module._modules)
    for name in names:
        sub = module._modules[name]
        if sub is not None and hasattr(sub, "for_export"):
            twin._modules[name] = sub.for_export()
    return twin


def layer_slopes_as_leaky(module: nn.Module) -> nn.Module:
    """`module` with every one-slope PReLU inside it as LeakyReLU of that slope: a twin
    sharing every other submodule (the trained model is left as it is)."""
    if isinstance(module, nn.PReLU) and module.num_parameters == 1:
        return nn.LeakyReLU(float(module.weight.detach()[0]))
    if not any(isinstance(m, nn.PReLU) for m in module.modules()):
        return module
    twin = copy.copy(module)
    twin._modules = {k: layer_slopes_as_leaky(v) if v is not None else None for k, v in module._modules.items()}
    return twin


def prelu(channels: int, slopes: str) -> nn.PReLU:
    """The SR nets' activation: "channel" = a slope per channel (the papers' PReLU),
    "layer" = one slope per layer (exports as a fusable LeakyReLU)."""
    if slopes not in ("channel", "layer"):
        raise ValueError(f"slopes must be 'channel' or 'layer', not {slopes!r}")
    return nn.PReLU(channels if slopes == "channel" else 1)


@torch.library.custom_op("vgx::space_to_depth", mutates_args=())
def space_to_depth(x: torch.Tensor, f: int) -> torch.Tensor:
    """ONNX SpaceToDepth (channel (by*f + bx)*C + c): exported as that one node
    (to_onnx's translation table), where torch's pixel_unshuffle exports as Reshape,
    Transpose, Reshape, 4x slower in ORT CPU (style tail input: 20.7 vs 5.3 ms, one core)."""
    n, c, h, w = x.shape
    return x.reshape(n, c, h // f, f, w // f, f).permute(0, 3, 5, 1, 2, 4).reshape(n, f * f * c, h // f, w // f)


@space_to_depth.register_fake
def _(x: torch.Tensor, f: int) -> torch.Tensor:
    n, c, h, w = x.shape
    return x.new_empty(n, c * f * f, h // f, w // f)


class SpaceToDepth(nn.Module):
    def __init__(self, f: int) -> None:
        super().__init__()
        self.f = f

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.ops.vgx.space_to_depth(x, self.f)


def space_to_depth_conv(conv: nn.Conv2d, f: int, inputs: str = "dcr") -> nn.Sequential:
    """A stride-1, unpadded conv == SpaceToDepth(f) -> conv -> PixelShuffle(f), exactly.

    For convs with few output channels at full resolution (style's 9x9 32->3 tail): the
    runtime's conv kernels block output channels by 8-16, so 3 outputs waste most of every
    vector; as f*f phases it has 3*f*f outputs over f*f times the input channels at 1/f
    the size. Output pixel f*I + r reads input f*I + r + d = f*(I + m) + q, so phase r's
    kernel at unshuffled tap m and sub-position q is w[f*m + q - r] (zero outside the
    kernel). Inputs must be multiples of f after any padding (and (k - 1) % f == 0).
    `inputs="crd"` orders the conv's input channels as PixelUnshuffle does (c*f*f + q), for
    callers that already hold phases in that order (SRResNet's last x2 step).
    """
    k, cin, cout = conv.kernel_size[0], conv.in_channels, conv.out_channels
    if conv.stride != (1, 1) or conv.padding != (0, 0) or (k - 1) % f or conv.groups != 1:
        raise ValueError("space_to_depth_conv takes an unpadded stride-1 conv with (k - 1) % f == 0")
    taps = (f - 1 + k - 1) // f + 1
    w = conv.weight.detach()
    kernel = torch.zeros(cout * f * f, cin * f * f, taps, taps, dtype=w.dtype)
    for ry, rx, qy, qx in itertools.product(range(f), repeat=4):
        for my, mx in itertools.product(range(taps), repeat=2):
            dy, dx = f * my + qy - ry, f * mx + qx - rx
            if 0 <= dy < k and 0 <= dx < k:
                # PixelShuffle reads output channel o*f*f + ry*f + rx; SpaceToDepth writes (qy*f + qx)*cin + c
                q = qy * f + qx
                ins = slice(q * cin, (q + 1) * cin) if inputs == "dcr" else slice(q, None, f * f)
                kernel[ry * f + rx :: f * f, ins, my, mx] = w[:, :, dy, dx]
    out = nn.Conv2d(cin * f * f, cout * f * f, taps)
    out.weight.data.copy_(kernel)
    bias = conv.bias.detach() if conv.bias is not None else torch.zeros(cout)
    out.bias.data.copy_(bias.repeat_interleave(f * f))
    return nn.Sequential(SpaceToDepth(f), out, nn.PixelShuffle(f))
