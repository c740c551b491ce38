"""Soak: a long stream (demo source, null sink) watched for leaks.

    python -m vgx.benchmarks.studies.soak [--frames 10000] [--model espcn-x2] [--size 160x96]

Samples resident memory, threads and open file descriptors as the stream runs. Goal:
resident memory grows < 5% from the end of warm-up (frame 1000) to the last frame, and
threads and descriptors do not grow at all over that span. Writes benchmarks/results/soak.json.
"""

from __future__ import annotations

import argparse
import json
import os
import threading
import time
from pathlib import Path
from typing import Any

from vgx.images import parse_size
from vgx.runtime import Enhancer
from vgx.runtime.pipeline import Pipeline, StreamOptions
from vgx.runtime.sinks import NullSink
from vgx.runtime.sources import DemoSource


def process_figures() -> dict[str, float]:
    """Resident memory (MB), threads and open descriptors of this process, from /proc."""
    status = Path("/proc/self/status").read_text().splitlines()
    rss = next(int(line.split()[1]) for line in status if line.startswith("VmRSS:")) / 1024
    return {"rss_mb": round(rss, 1), "threads": threading.active_count(), "fds": len(os.listdir("/proc/self/fd"))}


class CountingSource(DemoSource):
    """The demo source, sampling the process every `every` frames."""

    def __init__(self, size: tuple[int, int], frames: int, every: int) -> None:
        super().__init__(size, frames)
        self.every, self.samples = every, []  # type: list[dict[str, Any]]
        self.t0 = time.monotonic()

    def capture(self, timeout: float = 1.0):  # type: ignore[no-untyped-def]
        frame = super().capture(timeout)
        if frame is not None and frame.index % self.every == 0:
            self.samples.append({"frame": frame.index, "seconds": round(time.monotonic() - self.t0, 1),
                                 **process_figures()})
        return frame


def soak(model: str, frames: int, size: tuple[int, int], warmup: int = 1000, every: int = 250) -> dict[str, Any]:
    before = process_figures()
    source = CountingSource(size, frames, every)
    with Enhancer(model, threads=1) as enh:
        stats = Pipeline(source, enh, [NullSink()], StreamOptions(policy="lossless")).run()
    after = process_figures()
    warm = next(s for s in source.samples if s["frame"] >= min(warmup, frames // 10))
    last = source.samples[-1]
    growth = (last["rss_mb"] - warm["rss_mb"]) / warm["rss_mb"]
    return {"schema": 1, "model": model, "frames": frames, "size": list(size), "fps": stats.to_dict()["fps"],
            "rss_growth_after_warmup": round(growth, 4), "goal_rss_growth": 0.05, "ok": growth < 0.05
            and last["threads"] <= warm["threads"] and last["fds"] <= warm["fds"],  # steady state: no growth
            "before": before, "warm": warm, "after": after, "samples": source.samples}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--frames", type=int, default=10_000)
    ap.add_argument("--model", default="espcn-x2")
    ap.add_argument("--size", default="160x96")
    ap.add_argument("--out", type=Path, default=Path("benchmarks/results/soak.json"))
    args = ap.parse_args()
    doc = soak(args.model, args.frames, parse_size(args.size))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(doc, indent=1))
    s = doc["samples"]
    print(f"{doc['frames']} frames at {doc['fps']} fps; RSS {s[0]['rss_mb']} -> {s[-1]['rss_mb']} MB "
          f"(+{doc['rss_growth_after_warmup']:.1%} after warm-up); threads {doc['warm']['threads']} -> "
          f"{s[-1]['threads']}, fds {doc['warm']['fds']} -> {s[-1]['fds']} after warm-up: "
          f"{'ok' if doc['ok'] else 'LEAK'}")


if __name__ == "__main__":
    main()
