"""The `vgx` command line: the one place that imports every stage (train, export, runtime,
benchmarks). One small module per command group; each command parses its options and calls
one library function, importing heavy modules only inside the command."""

from __future__ import annotations

import sys

# each registers its commands; `vgx --help` lists them in this order
from . import train, sr, models, export, stream, serve, batch, bench, faces  # noqa: F401  # isort: skip
from . import interrupts
from .app import INTERRUPTED_EXIT, app, say_interrupted


def main() -> None:
    interrupts.install()  # `vgx stream` installs its own graceful stop
    try:
        from .wiring import connect

        connect()
        app()
    except KeyboardInterrupt:  # before a command's `friendly` wrapper took over
        say_interrupted()
        sys.exit(INTERRUPTED_EXIT)


if __name__ == "__main__":
    sys.exit(main())
