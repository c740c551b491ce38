"""vgx.runtime: torch-free backends, pre/post-processing, tiling, sources, sinks, streams.

Nothing here imports torch at import time: a Jetson with only the runtime runs every
stream. The torch backend is imported only when chosen.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .enhancer import Enhancer
    from .temporal import TemporalSmoother

__all__ = ["Enhancer", "TemporalSmoother"]


def __getattr__(name: str) -> Any:  # lazy: `from vgx.runtime import Enhancer` without loading cv2 on import
    if name == "Enhancer":
        from .enhancer import Enhancer

        return Enhancer
    if name == "TemporalSmoother":
        from .temporal import TemporalSmoother

        return TemporalSmoother
    raise AttributeError(name)
