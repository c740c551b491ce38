"""A rich progress bar for training: step, rate, ETA and the latest losses / PSNR."""

from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn


class _Bar:
    def __init__(self, progress: Progress | None, task: int | None) -> None:
        self.progress, self.task = progress, task

    def advance(self, metrics: dict[str, float]) -> None:
        if self.progress is not None and self.task is not None:
            text = "  ".join(f"{k} {v:.4g}" for k, v in metrics.items())
            self.progress.update(self.task, advance=1, metrics=text)


@contextmanager
def train_progress(name: str, total: int, start: int, enabled: bool = True) -> Iterator[_Bar]:
    if not enabled:
        yield _Bar(None, None)
        return
    progress = Progress(
        TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
        TimeElapsedColumn(), TimeRemainingColumn(), TextColumn("{task.fields[metrics]}"),
        transient=False,
    )
    with progress:
        task = progress.add_task(name, total=total, completed=start, metrics="")
        yield _Bar(progress, task)
