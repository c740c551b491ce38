#!/usr/bin/env python
"""GPU checks for a machine with CUDA, PyTorch and cuda-python but no TensorRT (run by
scripts/gpu_check.sh, which makes `vgx` importable without installing anything).

1. cuda-python buffers (vgx.runtime.cuda): pinned host <-> device round trips of 1 KB .. 64 MB
   are byte-exact against numpy; copies timed with CUDA events on one stream (GB/s).
2. The PyTorch CUDA baseline of `vgx bench` (vgx.train.torch_runner on cuda: channels_last,
   cudnn.benchmark, fp16 autocast) for espcn-x2, compact-x2 and style-udnie-slim at 640x360:
   median latency, the H2D / compute / D2H split, and fp16 agreement with fp32 (PSNR).
Prints one JSON document; exit 1 when a check fails.
"""

from __future__ import annotations

import json
import sys
import time

import numpy as np


def buffers() -> dict[str, object]:
    from vgx.runtime.cuda import DeviceBuffer, Event, PinnedBuffer, Stream

    stream = Stream()
    out: dict[str, object] = {}
    for nbytes in (1 << 10, 1 << 20, 16 << 20, 64 << 20):
        src, back, dev = PinnedBuffer(nbytes), PinnedBuffer(nbytes), DeviceBuffer(nbytes)
        data = np.random.default_rng(nbytes).integers(0, 256, nbytes, dtype=np.uint8)
        src.bytes[:] = data
        start, mid, end = Event(), Event(), Event()  # the events the TensorRT runner times with
        start.record(stream)
        stream.h2d(dev, src, nbytes)
        mid.record(stream)
        stream.d2h(back, dev, nbytes)
        end.record(stream)
        stream.synchronize()
        h2d, d2h = mid.ms_since(start), end.ms_since(mid)
        out[f"{nbytes}B"] = {"exact": bool(np.array_equal(back.bytes, data)), "h2d_ms": round(h2d, 4),
                             "d2h_ms": round(d2h, 4), "h2d_GBps": round(nbytes / max(h2d, 1e-6) / 1e6, 2),
                             "d2h_GBps": round(nbytes / max(d2h, 1e-6) / 1e6, 2)}
        for b in (src, back, dev):
            b.free()
    return out


def torch_baseline() -> dict[str, object]:
    import torch

    from vgx.train.torch_runner import TorchRunner

    x = np.random.default_rng(0).random((1, 3, 360, 640), dtype=np.float32)
    rows: dict[str, object] = {}
    for name in ("espcn-x2", "compact-x2", "style-udnie-slim"):
        outs = {}
        for fp16 in (False, True):
            with TorchRunner(name, True, "cuda", fp16) as r:
                for _ in range(5):
                    r.infer({"input": x})
                times, splits = [], []
                for _ in range(30):
                    t = time.perf_counter()
                    y = r.infer({"input": x})["output"]
                    times.append((time.perf_counter() - t) * 1e3)
                    splits.append(r.last_timings)
                outs["fp16" if fp16 else "fp32"] = y
                rows[f"{name} {'fp16' if fp16 else 'fp32'}"] = {
                    "median_ms": round(float(np.median(times)), 3),
                    **{k: round(float(np.median([s[k] for s in splits])), 3) for k in ("h2d", "compute", "d2h")}}
        mse = float(np.mean((np.clip(outs["fp16"], 0, 1) - np.clip(outs["fp32"], 0, 1)) ** 2))
        rows[f"{name} fp16 vs fp32 PSNR"] = round(10 * np.log10(1 / max(mse, 1e-12)), 2)
    rows["device"] = torch.cuda.get_device_name(0)
    return rows


if __name__ == "__main__":
    report = {"buffers": buffers(), "torch_cuda": torch_baseline()}
    print(json.dumps(report, indent=1))
    ok = all(v["exact"] for v in report["buffers"].values())  # type: ignore[index]
    sys.exit(0 if ok else 1)
