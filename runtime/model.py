"""An artifact folder opened on the best backend this machine has (the base of Enhancer
and GeneratorModel): folder, manifest, card, runner, and the backend choice with reasons."""

from __future__ import annotations

from pathlib import Path
from types import TracebackType
from typing import Callable

from vgx import manifest as mf
from vgx.card import ModelCard

from .backends import Choice, choose
from .resolve import resolve_artifact
from .runner import Runner


class ArtifactModel:
    def __init__(self, model: str | Path, precision: str = "fp32", backend: str = "auto", threads: int | None = None,
                 log: Callable[[str], None] = lambda s: None) -> None:
        self.folder = resolve_artifact(str(model), log=log)
        self.manifest = mf.read(self.folder)
        self.card = ModelCard.from_dict(self.manifest["card"])
        self.runner: Runner
        self.choice: Choice
        self.runner, self.choice = choose(self.folder, self.manifest, backend, precision, threads)
        self.threads, self.log = threads, log

    def __enter__(self) -> ArtifactModel:
        self.runner.__enter__()
        self.log(f"{self.card.name}: {self.choice.describe()}")
        for note in self.choice.notes:
            self.log(note)
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.runner.__exit__(exc_type, exc, tb)
