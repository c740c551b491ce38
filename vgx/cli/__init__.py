"""The `vgx` command line: the one place that imports every stage (train, export, runtime,
benchmarks). One small module per command group; each command parses its options and calls
one library function, importing heavy modules only inside the command."""

from __future__ import annotations

import signal
import sys

# each registers its commands; `vgx --help` lists them in this order
from . import train, sr, models, export, stream, serve, batch, bench, faces  # noqa: F401  # isort: skip
from .app import app


def _terminated(signum: int, frame: object) -> None:
    raise KeyboardInterrupt  # SIGTERM cleans up (temp files, partial outputs) exactly as Ctrl-C does


def main() -> None:
    signal.signal(signal.SIGTERM, _terminated)  # `vgx stream` installs its own graceful stop
    from .wiring import connect

    connect()
    app()


if __name__ == "__main__":
    sys.exit(main())
