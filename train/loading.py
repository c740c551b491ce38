"""Model name or checkpoint path -> (nn.Module with weights, model card)."""

from __future__ import annotations

from pathlib import Path

from torch import nn

from vgx.card import ModelCard
from vgx.errors import VgxError

from . import checkpoint, zoo


def load_model(name_or_path: str) -> tuple[nn.Module, ModelCard]:
    """A zoo name loads its shipped weights; a path loads that checkpoint. Eval mode."""
    path = Path(name_or_path)
    if path.suffix == ".pt" or path.exists():
        payload = checkpoint.load(path)
        source = str(path)
    else:
        entry = zoo.resolve(name_or_path)
        shipped = zoo.shipped_weights(entry.name)
        if shipped is None:
            how = (f"vgx train {entry.name} --style PAINTING --data DIR" if entry.task == "style"
                   else f"vgx train {entry.name} --data DIR")
            raise VgxError(f"{entry.name} has no shipped weights yet; train them: {how}")
        payload = checkpoint.load(shipped)
        source = f"shipped weights of {entry.name}"
    card = checkpoint.card_of(payload)
    model = zoo.build(card)
    checkpoint.load_weights(model, payload, source)
    return model.eval(), card
