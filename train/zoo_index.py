"""The zoo as data: `train/weights/index.json` lists every zoo model with its card, parameter
count and MACs, so `vgx models` answers on a runtime-only install (no torch).

`write_index()` (torch) rebuilds it from the zoo and the shipped weights; `ship()` calls it
after every shipped model, and a test checks it matches. `read_index()` needs nothing.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

INDEX = Path(__file__).resolve().parent / "weights" / "index.json"


def read_index(path: Path = INDEX) -> list[dict[str, Any]]:
    """Rows: name, aliases, shipped, card (dict), params, gmacs (per 640x360 frame or per sample)."""
    from vgx.errors import VgxError

    try:
        return json.loads(path.read_text())["models"]
    except (OSError, ValueError, KeyError) as e:
        raise VgxError(f"the zoo index {path} is missing or damaged ({e}); reinstall vgx") from None


def build_index() -> list[dict[str, Any]]:
    """Every zoo entry, from its shipped card where there is one (else the zoo's). Torch."""
    from . import checkpoint, zoo

    rows = []
    for name, entry in zoo.ZOO.items():
        path = zoo.shipped_weights(name)
        card = checkpoint.card_of(checkpoint.load(path)) if path else entry.card()
        model = zoo.build(card)
        latent = card.arch_kwargs.get("latent_dim") if card.task == "generate" else None
        rows.append({"name": name, "aliases": [a for a, t in zoo.ALIASES.items() if t == name], "shipped": bool(path),
                     "card": card.to_dict(), "params": sum(p.numel() for p in model.parameters()),
                     "gmacs": round(zoo.count_macs(model, latent_dim=latent) / 1e9, 4)})
    return rows


def write_index(path: Path = INDEX) -> Path:
    from vgx.atomic import atomic_path

    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps({"schema": 1, "models": build_index()}, indent=1) + "\n")
    return path
