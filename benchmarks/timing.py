"""Latency measurement as trtexec and Ultralytics' benchmark do it: warm up, size the run
count from the warm-up time, clip outliers, report percentiles. Pure functions + one loop.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np


def percentile(sorted_ms: list[float], q: float) -> float:
    """Linear-interpolated percentile (numpy's default), on an ascending list."""
    if not sorted_ms:
        raise ValueError("no samples")
    pos = (len(sorted_ms) - 1) * q / 100.0
    lo = int(np.floor(pos))
    hi = min(lo + 1, len(sorted_ms) - 1)
    return sorted_ms[lo] + (sorted_ms[hi] - sorted_ms[lo]) * (pos - lo)


def clip_outliers(ms: list[float], k: float = 5.0) -> list[float]:
    """Drop samples above median + k * MAD (a stray context switch, a GC pause); keep the rest."""
    med = float(np.median(ms))
    mad = float(np.median(np.abs(np.asarray(ms) - med))) or 1e-9
    return [m for m in ms if m <= med + k * mad]


def summarize(ms: list[float]) -> dict[str, float]:
    kept = sorted(clip_outliers(ms))
    mean = float(np.mean(kept))
    return {"min": round(kept[0], 3), "mean": round(mean, 3), "p50": round(percentile(kept, 50), 3),
            "p90": round(percentile(kept, 90), 3), "p99": round(percentile(kept, 99), 3),
            "runs": len(ms), "clipped": len(ms) - len(kept)}


def plan_runs(warmup_ms: float, target_s: float, min_runs: int, max_runs: int) -> int:
    """How many timed runs fit `target_s`, given a warm-up run's duration."""
    per = max(warmup_ms, 1e-3) / 1000.0
    return int(min(max_runs, max(min_runs, target_s / per)))


def measure(fn: Callable[[], object], runs: int | None = None, warmup: int = 2, target_s: float = 3.0,
            min_runs: int = 5, max_runs: int = 500, budget_s: float = 40.0) -> list[float]:
    """Milliseconds per call, after `warmup` calls; the run count follows the warm-up time.

    A case slower than `budget_s` a call (SRResNet in PyTorch's default layout: minutes per
    640x360 frame) is reported from that one call; slow cases otherwise get as few timed runs
    as fit the budget, never fewer than two (a median needs them).
    """
    t = time.perf_counter()
    fn()
    first_ms = (time.perf_counter() - t) * 1000.0
    if runs is None and first_ms > budget_s * 1000.0:
        return [first_ms]
    t = time.perf_counter()
    for _ in range(max(0, warmup - 1)):
        fn()
    warm_ms = (time.perf_counter() - t) * 1000.0 / (warmup - 1) if warmup > 1 else first_ms
    n = runs or min(plan_runs(warm_ms, target_s, min_runs, max_runs), max(2, int(budget_s * 1000.0 / warm_ms)))
    out = []
    for _ in range(n):
        t = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t) * 1000.0)
    return out
