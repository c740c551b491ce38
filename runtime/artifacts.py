"""Model name or folder -> an artifact folder (made by `vgx export`), cached per user.

A zoo name is exported on first use into the cache (`$VGX_CACHE` or ~/.cache/vgx) and
reused after; that one step needs vgx[export] (torch). A Jetson with only the runtime
uses folders exported elsewhere and copied over.
"""

from __future__ import annotations

import os
from pathlib import Path

from vgx import manifest as mf
from vgx.errors import VgxError


def cache_dir() -> Path:
    return Path(os.environ.get("VGX_CACHE") or Path.home() / ".cache" / "vgx") / "artifacts"


def resolve_artifact(model: str, precisions: tuple[str, ...] = ("fp32",), log=print) -> Path:
    """The artifact folder for `model` holding at least `precisions`, exporting if needed."""
    path = Path(model)
    if (path / mf.NAME).is_file():
        have = mf.read(path)["precisions"]
        missing = [p for p in precisions if p not in have]
        if missing:
            raise VgxError(f"{path} has no {', '.join(missing)} model; re-export with "
                           + " ".join(f"--{p}" for p in missing if p != "fp32"))
        return path
    if path.exists():
        raise VgxError(f"{path} is not an artifact folder (no {mf.NAME}); make one with `vgx export`")
    folder = cache_dir() / model.lower()
    if (folder / mf.NAME).is_file():
        have = mf.read(folder)["precisions"]
        if all(p in have for p in precisions):
            return folder
    try:
        from vgx.export.artifact import ExportOptions, export_artifact
        from vgx.export.int8 import Int8Config
        from vgx.train.loading import load_model
    except ImportError as e:
        raise VgxError(f"no exported artifact for {model!r} in {cache_dir()} and this install cannot export "
                       f"(missing {e.name}): pip install 'vgx[export,cpu]', or run `vgx export {model} --fp16 --int8` "
                       "elsewhere and pass its folder with --model") from None
    torch_model, card = load_model(model)
    folder = cache_dir() / card.name
    log(f"first use of {card.name}: exporting to {folder} (cached for next time)")
    export_artifact(torch_model, card, ExportOptions(folder, fp16=True, int8=Int8Config()), log=lambda s: log(f"  {s}"))
    return folder
