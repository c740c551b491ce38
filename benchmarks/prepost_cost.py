"""What converting one frame costs on this machine, both ways vgx does it.

- host: the float path (`vgx.convert.bgr_to_nchw` in, `nchw_to_bgr` out), used when a
  frame needs padding or tiling;
- in-graph: the uint8 frame-I/O twin's two added sub-graphs (export/frame_io.py) run on
  their own in ONNX Runtime's CPU provider: what the baked path adds to the model's time
  on a CPU (on a GPU it runs inside the engine).
Both for a WxH frame in and the same frame out (the goal is stated per 1280x720 frame).
And `vgx stream --smooth`'s temporal smoothing (runtime/temporal.py) of one such frame,
which runs on the host CPU whatever the backend.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .timing import measure, summarize


def prepost_cost(size: tuple[int, int] = (1280, 720), target_s: float = 1.0) -> dict[str, Any]:
    from vgx.convert import bgr_to_nchw, nchw_to_bgr

    w, h = size
    frame = np.random.default_rng(0).integers(0, 256, (h, w, 3), dtype=np.uint8)
    x = bgr_to_nchw([frame])
    host_pre = summarize(measure(lambda: bgr_to_nchw([frame]), target_s=target_s))["p50"]
    host_post = summarize(measure(lambda: nchw_to_bgr(x), target_s=target_s))["p50"]
    graph_pre, graph_post = _in_graph(frame, x, target_s)
    return {"size": [w, h], "host_ms": {"pre": host_pre, "post": host_post, "total": round(host_pre + host_post, 3)},
            "in_graph_ms": {"pre": graph_pre, "post": graph_post, "total": round(graph_pre + graph_post, 3)},
            "smoothing_ms": _smoothing(size, target_s)}


def _smoothing(size: tuple[int, int], target_s: float) -> float:
    """p50 of smoothing one frame of a real photo panning 2 px a frame."""
    import cv2

    from vgx.images import demo_images
    from vgx.runtime.temporal import TemporalSmoother, strength_for

    w, h = size
    photo = cv2.resize(demo_images()["astronaut"][:, :, ::-1], (w + 64, h))
    frames = [np.ascontiguousarray(photo[:, i : i + w]) for i in (0, 2)]
    smoother = TemporalSmoother(strength_for("style", None))  # a style stream's default

    def one() -> None:
        smoother.reset()
        smoother.smooth(frames[0], frames[0])
        smoother.smooth(frames[1], frames[1])

    return summarize(measure(one, target_s=target_s))["p50"]  # the first frame of a pair costs nothing


def _in_graph(frame: np.ndarray, x: np.ndarray, target_s: float) -> tuple[float, float]:
    from onnx import helper

    from vgx.export.frame_io import IN, _post, _pre
    from vgx.runtime.ort_runner import import_ort

    ort = import_ort()
    opset = [helper.make_opsetid("", 18)]
    pre = ort.InferenceSession(_pre(opset, 9, "x").SerializeToString(), providers=["CPUExecutionProvider"])
    post = ort.InferenceSession(_post(opset, 9, "y").SerializeToString(), providers=["CPUExecutionProvider"])
    feed_pre, feed_post = {IN: frame[None]}, {"y": x}
    return (summarize(measure(lambda: pre.run(None, feed_pre), target_s=target_s))["p50"],
            summarize(measure(lambda: post.run(None, feed_post), target_s=target_s))["p50"])
