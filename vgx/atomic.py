"""Write-then-rename: a file under its final name is always complete.

Every writer of a result (images, checkpoints, manifests, stats, GIFs) goes through
`atomic_path`: it writes a hidden temp file beside the target and renames it into place
only when the write finished. On any failure, Ctrl-C and SIGTERM included, the temp file
is removed and whatever was under the name before is left as it was.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def atomic_path(path: str | Path, suffix: str = "") -> Iterator[Path]:
    """Yield the temp path to write (`suffix` for writers that pick a format by extension)."""
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    tmp = p.with_name(f".{p.name}.{os.getpid()}.tmp{suffix}")
    try:
        yield tmp
        os.replace(tmp, p)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
