"""Temporal smoothing of a stream's outputs: flow-guided blending with the previous output.

A per-frame model (style transfer above all) turns small frame-to-frame changes of the
input (sensor noise, codec blocks that move with each frame) into larger changes of its
output: flicker. Where the scene moved coherently, the previous output, warped along the
input's optical flow, is what this output should look like, so each output is blended
with it:

    out_t = (1 - w) * model(in_t) + w * warp(out_{t-1})

w is `strength` where the input's own warp explains the new frame, and falls to 0 where it
does not (occlusions, new content, scene cuts), so nothing ghosts; a frame whose output
changed wholesale (a style switch, a cut) starts afresh. The flow (DIS, fast preset to finest scale 1)
is taken on the grey input at half size (180 to 270 rows), where the gating is decided too; the previous
output is warped bicubically, which keeps its edges through the recursion
(bilinear warps soften them frame after frame). numpy + OpenCV only (runtime/ rule).
"""

from __future__ import annotations

import cv2
import numpy as np

from .options import TaskFraction

# the strength a stream or batch job gets by its model's task when none is asked for: style nets
# turn the input's small frame-to-frame changes into flicker (benchmarks/results/style_quality_smooth.md).
# 0.85, not 0.8: starry-night, the busiest painting, stayed at 1.35 on bikes at 0.8 and is 1.27 at 0.85
# (every style under 1.3 on every clip; the least gradient kept 0.82 -> 0.80; style_quality_smooth085.md)
DEFAULT_STRENGTH = {"style": 0.85}
# DIS's fast preset refined to half the flow image's size (finest scale 1, as the medium preset has;
# ultrafast and fast stop at a quarter): where the flow misses, the warped previous output lands a
# fraction of a pixel off, so strokes smear and shimmer around moving edges. On bikes (the worst clip)
# it took the stream's flicker of the five styles over 1.3 (1.37-1.82) to 1.04-1.35, and starry-night
# kept 0.82 of its gradient instead of 0.73 (README, the smoothing's flow). The medium preset gave the
# same figures (within 0.02) at 5.4 ms a 320x180 flow instead of 4.0; ultrafast took 0.55.
FLOW_PRESET, FLOW_FINEST_SCALE = cv2.DISOPTICAL_FLOW_PRESET_FAST, 1
# The flow is taken on half the frame's rows, within these bounds (never more than the frame has):
# on a 176x144 clip (carphone) half size left the patches too coarse (0.90 at full size, 1.07 at half),
# and above 540 rows the cap keeps the cost of a 720p or 1080p frame near the ultrafast flow's
FLOW_ROWS = (180, 270)
TOLERANCE = 12.0  # input warp error (levels) at which the previous output stops counting
CUT = 24.0  # mean output change (levels) where the input says "same scene": another look, start afresh
# (two shipped styles differ by 39-113 on average; a style's own frame-to-frame change is a few levels)


def _grey(img: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    g = cv2.cvtColor(img, cv2.COLOR_BGR2GRAY) if img.ndim == 3 else img
    return cv2.resize(g, size, interpolation=cv2.INTER_AREA)


class _Buffers:
    """Arrays kept between frames, by name: a frame's temporaries would otherwise be fresh
    megabyte allocations, each mapped and faulted in by the allocator (half the cost at 640x360)."""

    def __init__(self) -> None:
        self.arrays: dict[str, np.ndarray] = {}

    def get(self, name: str, shape: tuple[int, ...], dtype: type = np.float32) -> np.ndarray:
        a = self.arrays.get(name)
        if a is None or a.shape != shape or a.dtype != dtype:
            a = self.arrays[name] = np.empty(shape, dtype)
        return a

    def grid(self, h: int, w: int) -> np.ndarray:
        """Pixel coordinates (x, y) of an h x w image, as one two-channel map."""
        g = self.arrays.get(f"grid{h}x{w}")
        if g is None:
            gx, gy = np.meshgrid(np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32))
            g = self.arrays[f"grid{h}x{w}"] = np.dstack([gx, gy])
        return g

    def remap(self, img: np.ndarray, flow: np.ndarray, interpolation: int, name: str) -> np.ndarray:
        """`img` warped along `flow` (where each pixel came from) into the buffer `name`."""
        h, w = flow.shape[:2]
        where = np.add(self.grid(h, w), flow, out=self.get(f"{name}-map", (h, w, 2)))
        return cv2.remap(img, where, None, interpolation, dst=self.get(name, img.shape, img.dtype),
                         borderMode=cv2.BORDER_REPLICATE)


SMOOTH = TaskFraction("--smooth", DEFAULT_STRENGTH)
check_strength, strength_for = SMOOTH.check, SMOOTH.for_task


class TemporalSmoother:
    """Stateful: feed frames in stream order, `smooth(input, output)` -> the output to show."""

    def __init__(self, strength: float) -> None:
        if not 0.0 <= strength < 1.0:
            raise ValueError(f"temporal smoothing strength must be in [0, 1), not {strength}")
        self.strength = strength
        self.flow = cv2.DISOpticalFlow_create(FLOW_PRESET)
        self.flow.setFinestScale(FLOW_FINEST_SCALE)
        self.buffers = _Buffers()
        self.prev_grey: np.ndarray | None = None  # the previous input, grey, at the flow's size
        self.prev_out: np.ndarray | None = None  # the previous output shown, float32
        self.prev_key: object = None  # what made the previous output (a switched stream's model)
        self.resets = 0  # cuts and switches seen (the first frame not counted)

    def reset(self) -> None:
        self.prev_grey = self.prev_out = None

    def smooth(self, frame_in: np.ndarray, frame_out: np.ndarray, key: object = None) -> np.ndarray:
        """frame_in: the model's input (BGR uint8); frame_out: its output (any size, BGR uint8);
        key: what made it (another key than the previous frame's starts afresh: a model switch)."""
        if self.strength == 0.0:
            return frame_out
        if key != self.prev_key:
            self.prev_key = key
            self.reset()
        h, w = frame_in.shape[:2]
        side = min(h, w)
        scale = min(side, max(FLOW_ROWS[0], min(FLOW_ROWS[1], side // 2))) / side
        grey = _grey(frame_in, (max(8, round(w * scale)), max(8, round(h * scale))))
        prev_grey, prev_out = self.prev_grey, self.prev_out
        buf = self.buffers
        # the output is kept in one of two buffers, in turn: the other holds the previous one
        fresh = buf.get("out-a" if prev_out is not buf.arrays.get("out-a") else "out-b", frame_out.shape)
        np.copyto(fresh, frame_out)
        self.prev_grey, self.prev_out = grey, fresh
        if prev_grey is None or prev_out is None or prev_grey.shape != grey.shape or prev_out.shape != fresh.shape:
            return frame_out
        back = self.flow.calc(grey, prev_grey, None)  # where each pixel of t was in t-1
        in_err = cv2.absdiff(grey, buf.remap(prev_grey, back, cv2.INTER_LINEAR, "grey")).astype(np.float32)
        weight = cv2.GaussianBlur(self.strength * np.clip(1.0 - in_err / TOLERANCE, 0.0, 1.0), (0, 0), 1.0)
        oh, ow = fresh.shape[:2]
        if (oh, ow) != back.shape[:2]:  # the output's size (an SR net's is larger again)
            sx, sy = ow / back.shape[1], oh / back.shape[0]
            back = cv2.resize(back, (ow, oh), dst=buf.get("flow", (oh, ow, 2)), interpolation=cv2.INTER_LINEAR)
            cv2.multiply(back, (sx, sy, 0.0, 0.0), dst=back)  # per channel (numpy's broadcast over 2 took 3 ms)
            weight = cv2.resize(weight, (ow, oh), dst=buf.get("weight", (oh, ow)), interpolation=cv2.INTER_LINEAR)
        warped = buf.remap(prev_out, back, cv2.INTER_CUBIC, "warped")
        sample = weight[::4, ::4]  # a sample is enough to tell a cut
        seen = np.abs(warped[::4, ::4] - fresh[::4, ::4]) * (sample[..., None] if fresh.ndim == 3 else sample)
        if float(seen.sum()) > CUT * max(float(sample.sum()) * (seen.size // sample.size), 1e-6):
            self.resets += 1  # another model or another scene: the previous output is not this one's past
            return frame_out
        # one OpenCV pass for w * warped + (1 - w) * fresh (numpy's took three, 4x the time), into the kept output
        keep = cv2.subtract(1.0, weight, dst=buf.get("keep", weight.shape))
        blended = cv2.blendLinear(warped, fresh, weight, keep, dst=fresh)
        # bicubic warps overshoot below 0: clipped for the frame shown, kept in the state
        return cv2.convertScaleAbs(cv2.threshold(blended, 0.0, 0.0, cv2.THRESH_TOZERO, dst=warped)[1])
