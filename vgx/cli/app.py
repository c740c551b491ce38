"""The Typer app every command group registers on, and `friendly`: every VgxError becomes one
line on stderr and a non-zero exit; no tracebacks for bad input."""

from __future__ import annotations

import functools
import os
from typing import Callable, TypeVar

import typer

from vgx.errors import VgxError

# OpenCV and its FFmpeg print their own warnings to stderr ("moov atom not found"); vgx says
# what failed itself, in one line, so their noise stays off unless VGX_DEBUG asks for it.
if not os.environ.get("VGX_DEBUG"):
    os.environ.setdefault("OPENCV_LOG_LEVEL", "ERROR")
    os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", "0")

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  help="vgx: image-generation models from PyTorch training to real-time inference.")

F = TypeVar("F", bound=Callable[..., object])
INTERRUPTED_EXIT = 130  # 128 + SIGINT, as shells report a Ctrl-C'd command


def say_interrupted() -> None:
    typer.echo("vgx: interrupted", err=True)


@app.callback()
def _root() -> None:
    """vgx: image-generation models from PyTorch training to real-time inference."""


def friendly(fn: F) -> F:
    """Turns VgxError (and Ctrl-C, and a full disk) into one line and a non-zero exit."""

    @functools.wraps(fn)
    def wrapper(*args: object, **kwargs: object) -> object:
        try:
            return fn(*args, **kwargs)
        except (typer.Exit, typer.Abort):  # a command's own exit code
            raise
        except VgxError as e:
            typer.echo(f"vgx: error: {' '.join(str(e).split())}", err=True)  # one line, always
            raise typer.Exit(e.exit_code) from None
        except KeyboardInterrupt:
            say_interrupted()
            raise typer.Exit(INTERRUPTED_EXIT) from None
        except OSError as e:  # disk full, permissions: say which file
            where = f" ({e.filename})" if getattr(e, "filename", None) else ""
            typer.echo(f"vgx: error: {e.strerror or e}{where}", err=True)
            raise typer.Exit(1) from None
        except Exception as e:  # a bug: one line, and the traceback on request
            if os.environ.get("VGX_DEBUG"):
                raise
            first = (str(e).strip().splitlines() or [""])[0][:300]
            typer.echo(f"vgx: internal error: {type(e).__name__}: {first} (a bug: please report it; "
                       "VGX_DEBUG=1 shows the traceback)", err=True)
            raise typer.Exit(1) from None

    return wrapper  # type: ignore[return-value]
