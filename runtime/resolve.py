"""Model name or folder -> an artifact folder (made by `vgx export`), cached per user.

A zoo name is exported on first use into the cache (`$VGX_CACHE` or ~/.cache/vgx) by the
exporter the runtime was handed (vgx.runtime.hooks; the CLI hands it one that needs
vgx[export], i.e. torch). A Jetson with only the runtime uses folders exported elsewhere.
"""

from __future__ import annotations

import os
from pathlib import Path

from vgx import manifest as mf
from vgx.errors import VgxError

from .hooks import HOOKS


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
    if HOOKS.exporter is None:
        raise VgxError(f"no exported artifact for {model!r} in {cache_dir()} and nothing here can export it: "
                       f"run `vgx export {model} --fp16 --int8` (needs vgx[export]) and pass its folder with --model")
    return HOOKS.exporter(model, cache_dir(), log)
