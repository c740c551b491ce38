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

from torch import nn


def export_twin(module: nn.Module, *names: str) -> nn.Module:
    twin = copy.copy(module)
    twin._modules = dict(module._modules)
    for name in names:
        sub = module._modules[name]
        if sub is not None and hasattr(sub, "for_export"):
            twin._modules[name] = sub.for_export()
    return twin


def layer_slopes_as_leaky(seq: nn.Sequential) -> nn.Sequential:
    """`seq` with every one-slope PReLU as LeakyReLU of that slope (other modules shared)."""
    return nn.Sequential(*(nn.LeakyReLU(float(m.weight.detach()[0]))
                           if isinstance(m, nn.PReLU) and m.num_parameters == 1 else m for m in seq))


def prelu(channels: int, slopes: str) -> nn.PReLU:
    """The SR nets' activation: "channel" = a slope per channel (the papers' PReLU),
    "layer" = one slope per layer (exports as a fusable LeakyReLU)."""
    if slopes not in ("channel", "layer"):
        raise ValueError(f"slopes must be 'channel' or 'layer', not {slopes!r}")
    return nn.PReLU(channels if slopes == "channel" else 1)
