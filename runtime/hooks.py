"""What the runtime is handed from above, so that runtime/ imports nothing of train/ or export/.

Two optional capabilities live in the torch half of vgx: exporting a zoo model the first
time a stream names it, and PyTorch eager as a baseline backend. The CLI connects both
(vgx.cli.wiring.connect); a program that embeds the runtime may connect its own, or pass
artifact folders and never need them. A Jetson with only the runtime connects nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Optional

from .runner import Runner

# (model name, artifact folder to write, log) -> the folder written
Exporter = Callable[[str, Path, Callable[[str], None]], Path]
# (the zoo name or checkpoint an artifact was exported from) -> a runner
TorchRunnerFactory = Callable[[str], Runner]


@dataclass
class Hooks:
    exporter: Optional[Exporter] = None
    torch_runner: Optional[TorchRunnerFactory] = None


HOOKS = Hooks()


def connect(exporter: Exporter | None = None, torch_runner: TorchRunnerFactory | None = None) -> None:
    """Hand the runtime an exporter and/or a torch runner factory (None leaves that one as is)."""
    if exporter is not None:
        HOOKS.exporter = exporter
    if torch_runner is not None:
        HOOKS.torch_runner = torch_runner
