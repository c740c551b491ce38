"""SIGINT and SIGTERM become KeyboardInterrupt, so both clean up (temp files, partial outputs)
exactly as Ctrl-C does, except while a module is being imported. A native extension's module
init calls back into Python (onnx's nanobind enums do); a KeyboardInterrupt raised there cannot
unwind and aborts the process ("terminate called after throwing ... python_error"), traceback
and all. A signal that lands mid-import is delivered again as soon as the import has returned."""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
from types import FrameType

_redelivery = threading.Lock()  # held while a deferred signal waits: one waiter, however many signals


def _importing(frame: FrameType | None) -> bool:
    while frame is not None:
        if frame.f_code.co_filename.startswith("<frozen importlib"):
            return True
        frame = frame.f_back
    return False


def _deliver_after_import(signum: int, main_thread: int) -> None:
    try:
        while _importing(sys._current_frames().get(main_thread)):
            time.sleep(0.01)
    finally:
        _redelivery.release()
    os.kill(os.getpid(), signum)


def _interrupt(signum: int, frame: FrameType | None) -> None:
    if not _importing(frame):
        raise KeyboardInterrupt
    if _redelivery.acquire(blocking=False):
        threading.Thread(target=_deliver_after_import, args=(signum, threading.main_thread().ident),
                         daemon=True).start()


def install() -> None:
    """Route SIGTERM, and SIGINT unless the shell started us ignoring it (a '&' job), to _interrupt."""
    signal.signal(signal.SIGTERM, _interrupt)
    if signal.getsignal(signal.SIGINT) is signal.default_int_handler:
        signal.signal(signal.SIGINT, _interrupt)
