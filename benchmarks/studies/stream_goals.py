#!/usr/bin/env python
"""The stream's goals from issue 4, measured as ratios in one run (not timed tests):

- lossless file stream end-to-end FPS >= 0.9 x model-only FPS (default SR model, 640x360);
- live capture-to-sink latency p50 <= model latency p50 + one frame interval + 10 ms;
- host pre + post per 1280x720 frame <= 3 ms (float path and uint8 frame-I/O path).

`--smooth S` runs both streams with the temporal smoothing `vgx stream` gives style models
(runtime/temporal.py; it runs in the postprocess stage, beside the model); `--carry K` with
their carried norm statistics (runtime/norm_carry.py: the model-only figure is then the
carried graph's too, the model the stream runs).

    python benchmarks/studies/stream_goals.py [--model espcn-x2] [--smooth 0.8] [--carry 0.97] [--frames 60]
        [--out benchmarks/results] [--stem stream_goals]
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

import numpy as np

from vgx.convert import bgr_to_nchw, nchw_to_bgr
from vgx.environment import report
from vgx.runtime import Enhancer
from vgx.runtime.pipeline import Pipeline, StreamOptions
from vgx.runtime.sinks import NullSink
from vgx.runtime.sources import DemoSource


def median_ms(fn, runs: int) -> float:
    fn()
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default="espcn-x2")
    ap.add_argument("--frames", type=int, default=60)
    ap.add_argument("--live-seconds", type=float, default=15.0)
    ap.add_argument("--threads", type=int, default=None)
    ap.add_argument("--smooth", type=float, default=0.0, help="temporal smoothing strength (0: none)")
    ap.add_argument("--carry", type=float, default=0.0, help="carried norm statistics' keep (0: none)")
    ap.add_argument("--out", type=Path, default=Path("benchmarks/results"))
    ap.add_argument("--stem", default="stream_goals")
    args = ap.parse_args()
    from vgx.cli.wiring import connect

    connect()  # zoo names export on first use, as in `vgx stream`
    w, h = 640, 360
    res: dict = {"machine": report(), "model": args.model, "size": [w, h], "smooth": args.smooth, "carry": args.carry}
    with Enhancer(args.model, threads=args.threads, log=print) as enh:
        why = enh.carry_norms(args.carry)
        if why:
            raise SystemExit(why)
        frame = DemoSource((w, h), 1).capture().image
        batch = enh.prepare([frame])
        model_ms = median_ms(lambda: enh.run(batch), args.frames)
        res["model_only"] = {"latency_ms_p50": round(model_ms, 2), "fps": round(1000 / model_ms, 2),
                             "frame_io": bool(batch[0])}

        lossless = StreamOptions(policy="lossless", smooth=args.smooth)
        stats = Pipeline(DemoSource((w, h), args.frames), enh, [NullSink()], lossless).run()
        s = stats.to_dict()
        res["lossless"] = {"fps": s["fps"], "ratio_to_model_fps": round(s["fps"] * model_ms / 1000, 3),
                           "goal": ">= 0.9", "stages": s["stages"]}

        fps = 30.0
        live_src = DemoSource((w, h), int(args.live_seconds * fps), fps=fps, live=True)
        s = Pipeline(live_src, enh, [NullSink()], StreamOptions(policy="live", smooth=args.smooth)).run().to_dict()
        budget = s["stages"]["infer"]["p50"] + 1000 / fps + 10
        res["live"] = {"e2e_p50_ms": s["e2e_latency_ms"]["p50"], "infer_p50_ms": s["stages"]["infer"]["p50"],
                       "budget_ms": round(budget, 2), "within": s["e2e_latency_ms"]["p50"] <= budget,
                       "dropped": s["dropped"], "frames_in": s["frames_in"], "frames_out": s["frames_out"]}

    big = DemoSource((1280, 720), 1).capture().image
    x = bgr_to_nchw([big])
    res["prepost_720p_ms"] = {
        "float_path": round(median_ms(lambda: nchw_to_bgr(bgr_to_nchw([big])), 30), 3),
        "pre_float": round(median_ms(lambda: bgr_to_nchw([big]), 30), 3),
        "post_float": round(median_ms(lambda: nchw_to_bgr(x), 30), 3),
        "frame_io_path": round(median_ms(lambda: list(np.ascontiguousarray(big)[None]), 30), 3),
        "goal": "<= 3",
    }
    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / f"{args.stem}.json"
    path.write_text(json.dumps(res, indent=2))
    print(json.dumps({k: v for k, v in res.items() if k != "machine"}, indent=2))
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
