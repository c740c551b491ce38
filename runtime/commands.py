"""What `vgx verify` does (the CLI only parses arguments). Torch-free, like all of runtime/."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console
from rich.table import Table


def verify_command(folder: Path, backends: list[str] | None) -> bool:
    from .verify import verify_artifact

    checks = verify_artifact(folder, backends)
    table = Table(title=f"vgx verify {folder}")
    for col in ("backend", "precision", "result", "max abs err", "PSNR vs fp32", "criterion / reason"):
        table.add_column(col)
    for c in checks:
        color = {"pass": "green", "fail": "red", "skipped": "yellow"}[c.status]
        table.add_row(c.backend, c.precision, f"[{color}]{c.status}", "" if c.max_abs is None else f"{c.max_abs:.2e}",
                      "" if c.psnr is None else ("inf" if c.psnr == float("inf") else f"{c.psnr:.1f} dB"),
                      c.criterion or c.reason)
    Console().print(table)
    return all(c.status != "fail" for c in checks)
