"""Stream options that are a fraction from 0 (off) to below 1 with a default by the model's task
(`--smooth`, `--carry-norms`): one place for the check and the default."""

from __future__ import annotations

from dataclasses import dataclass, field

from vgx.errors import VgxError


@dataclass(frozen=True)
class TaskFraction:
    flag: str  # as the CLI spells it, for the error
    defaults: dict[str, float] = field(default_factory=dict)  # task -> the value it gets when none is asked for

    def check(self, asked: float | None) -> None:
        """A clear error for a value out of range (None: the task's default, always fine)."""
        if asked is not None and not 0.0 <= asked < 1.0:
            raise VgxError(f"{self.flag} must be from 0 (off) to below 1, not {asked}")

    def for_task(self, task: str, asked: float | None) -> float:
        """What a model of `task` gets: `asked` (checked), else the task's default (0: off)."""
        self.check(asked)
        return self.defaults.get(task, 0.0) if asked is None else asked
