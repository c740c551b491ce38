"""Stream statistics: FPS, per-stage p50/p99, capture-to-sink latency, drops."""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from pathlib import Path
from typing import Any

import numpy as np

from vgx.atomic import atomic_path

WINDOW = 2000  # recent samples kept per series (bounded memory on week-long streams)


def percentiles(samples: list[float] | deque[float], qs: tuple[float, ...] = (50, 99)) -> dict[str, float]:
    if not samples:
        return {f"p{int(q)}": 0.0 for q in qs}
    arr = np.asarray(samples, dtype=np.float64)
    return {f"p{int(q)}": round(float(np.percentile(arr, q)), 3) for q in qs}


class Stats:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.stages: dict[str, deque[float]] = {}
        self.e2e: deque[float] = deque(maxlen=WINDOW)
        self.frames_in = self.frames_out = self.dropped = self.decode_errors = self.sink_errors = 0
        self.infer_frames = 0
        self.infer_seconds = 0.0
        self.t0 = time.perf_counter()
        self.t_last = self.t0

    def stage(self, name: str, seconds: float, frames: int = 1) -> None:
        with self.lock:
            self.stages.setdefault(name, deque(maxlen=WINDOW)).append(seconds * 1000.0)
            if name == "infer":
                self.infer_frames += frames
                self.infer_seconds += seconds

    def delivered(self, t_capture: float) -> None:
        now = time.perf_counter()
        with self.lock:
            self.frames_out += 1
            self.e2e.append((now - t_capture) * 1000.0)
            self.t_last = now

    def fps(self) -> float:
        span = self.t_last - self.t0
        return self.frames_out / span if span > 0 else 0.0

    def to_dict(self) -> dict[str, Any]:
        with self.lock:
            return {
                "frames_in": self.frames_in, "frames_out": self.frames_out, "dropped": self.dropped,
                "decode_errors": self.decode_errors, "sink_errors": self.sink_errors,
                "fps": round(self.fps(), 3),
                "model_fps": round(self.infer_frames / self.infer_seconds, 3) if self.infer_seconds else 0.0,
                "e2e_latency_ms": percentiles(self.e2e),
                "stages": {k: percentiles(v) for k, v in self.stages.items()},
            }

    def write_json(self, path: Path, extra: dict[str, Any] | None = None) -> None:
        with atomic_path(path) as tmp:
            tmp.write_text(json.dumps({**self.to_dict(), **(extra or {})}, indent=2))
