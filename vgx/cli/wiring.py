"""Connects the runtime to the torch half of vgx (vgx.runtime.hooks): a zoo name exports on
first use, and `--backend torch` runs PyTorch eager. Both import torch only when used."""

from __future__ import annotations

from pathlib import Path
from typing import Callable

from vgx.errors import VgxError


def export_on_first_use(model: str, cache: Path, log: Callable[[str], None]) -> Path:
    """Export `model` (fp32, fp16, int8) into `cache`/NAME and return that folder."""
    try:
        from vgx.export.artifact import ExportOptions, export_artifact
        from vgx.export.int8 import Int8Config
        from vgx.train.loading import load_model
    except ImportError as e:
        raise VgxError(f"no exported artifact for {model!r} in {cache} and this install cannot export "
                       f"(missing {e.name}): pip install 'vgx[export,cpu]', or run `vgx export {model} --fp16 --int8` "
                       "elsewhere and pass its folder with --model") from None
    torch_model, card = load_model(model)
    folder = cache / card.name
    log(f"first use of {card.name}: exporting to {folder} (cached for next time)")
    export_artifact(torch_model, card, ExportOptions(folder, fp16=True, int8=Int8Config()), log=lambda s: log(f"  {s}"))
    return folder


def torch_runner(source: str):  # -> vgx.runtime.runner.Runner
    try:
        from vgx.train.torch_runner import TorchRunner  # imports torch: only when chosen
    except ImportError:
        raise VgxError("the torch backend needs vgx[train] (torch)") from None
    return TorchRunner(source)


def connect() -> None:
    from vgx.runtime.hooks import connect as hand_over

    hand_over(exporter=export_on_first_use, torch_runner=torch_runner)
