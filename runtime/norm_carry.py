"""Carried norm statistics: a style stream's InstanceNorms see the frames before this one too.

A style net normalises every feature map by its frame's own mean and variance, so whatever
enters or leaves the picture (a bus roof moving through a street) changes the whole output
a little every frame. The artifact's carried-norm graph (export/carried.py) takes the
statistics as an input; this class feeds it, frame after frame:

    used_t = keep * used_{t-1} + (1 - keep) * this frame's statistics

keep = 0 is the plain net. A new scene (the input changes wholesale), a new frame size or a
pause (the previous frame is older than STALE_S: another stream, a model switch back) starts
afresh from the frame's own statistics, so a cut never shows the previous scene's tones.
Frames of one batch share the state before them (they run together); the last one's
statistics go on. numpy only (runtime/ rule).
"""

from __future__ import annotations

import time

import numpy as np

from .options import TaskFraction
from .runner import Runner

STATE_INPUT, KEEP_INPUT, STATE_OUTPUT = "norm_state", "norm_keep", "norm_state_out"  # the carried graph's names
# the keep a stream or batch job gets by its model's task when none is asked for
DEFAULT_KEEP = {"style": 0.97}
CUT = 0.12  # mean change of a 1/8-size grey thumbnail (0..1) that means another scene
VERIFY_KEEP = 0.9  # export's and verify's test sequence carry (any value in (0, 1) exercises the mixing)
STALE_S = 1.0  # an idle gap this long (s) between two frames' inference starts afresh


CARRY = TaskFraction("--carry-norms", DEFAULT_KEEP)
check_keep, keep_for = CARRY.check, CARRY.for_task


class NormCarry:
    """Stateful: `infer(x)` runs N3HW float frames, in stream order, through a carried-norm runner."""

    def __init__(self, runner: Runner, keep: float, state_size: int, frames: bool = False) -> None:
        """`frames`: the runner is the uint8 frame-I/O twin (N x H x W x 3 BGR in, export/frame_io.py)."""
        if not 0.0 <= keep < 1.0:
            raise ValueError(f"keep must be in [0, 1), not {keep}")
        self.runner, self.keep, self.size, self.frames = runner, keep, state_size, frames
        self.state: np.ndarray | None = None  # 1 x S: the statistics the last frame used
        self.thumb: np.ndarray | None = None
        self.shape: tuple[int, ...] = ()
        self.last = 0.0
        self.resets = 0  # fresh starts after the first frame (cuts, size changes, pauses)

    def reset(self) -> None:
        self.state = None

    def _fresh(self, x: np.ndarray) -> bool:
        thumb = x[0, ::8, ::8].mean(axis=-1) / 255.0 if self.frames else x[0, :, ::8, ::8].mean(axis=0)
        shape = x.shape[1:3] if self.frames else x.shape[2:]
        now = time.monotonic()
        fresh = (self.state is None or shape != self.shape or now - self.last > STALE_S
                 or self.thumb is None or float(np.abs(thumb - self.thumb).mean()) > CUT)
        if fresh and self.state is not None:
            self.resets += 1
        self.thumb, self.shape = thumb, shape
        return fresh

    def infer(self, x: np.ndarray) -> np.ndarray:
        n = x.shape[0]
        fresh = self._fresh(x)
        state = np.zeros((n, self.size), np.float32) if fresh or self.state is None else np.repeat(self.state, n, axis=0)
        out = self.runner.infer({self.runner.input_names[0]: x, STATE_INPUT: state,
                                 KEEP_INPUT: np.float32([0.0 if fresh else self.keep])})
        self.state = np.ascontiguousarray(out[STATE_OUTPUT][-1:], dtype=np.float32)
        self.last = time.monotonic()  # a pause is counted from the end of the last frame, not its start
        return next(v for k, v in out.items() if k != STATE_OUTPUT)


def run_sequence(runner: Runner, frames: list[np.ndarray], keep: float, state_size: int) -> list[np.ndarray]:
    """A carried-norm graph's outputs for `frames` (N3HW) in order at a fixed `keep`, the state fed back,
    the first frame from its own statistics; no cut detection (export and verify use it on set sequences)."""
    state, outs = np.zeros((frames[0].shape[0], state_size), np.float32), []
    for i, x in enumerate(frames):
        out = runner.infer({runner.input_names[0]: x, STATE_INPUT: state, KEEP_INPUT: np.float32([keep if i else 0.0])})
        state = out.pop(STATE_OUTPUT)
        outs.append(next(iter(out.values())))
    return outs


def verification_sequence(x: np.ndarray) -> list[np.ndarray]:
    """Three frames from one verification input (N3HW): itself, moved 3 px, upside down."""
    return [x, np.ascontiguousarray(np.roll(x, 3, axis=3)), np.ascontiguousarray(x[:, :, ::-1])]
