"""`for_export()`: the same function in the form runtimes run fastest.

A model that has one returns a shallow twin whose named submodules are replaced by their
own export forms (FSRCNN's deconvolution as a sub-pixel conv, interpolations as phase
convolutions); the weights are shared, the trained model is left as it is.
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
