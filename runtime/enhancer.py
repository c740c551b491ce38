"""The Python API: `Enhancer` turns BGR frames into enhanced BGR frames.

    from vgx.runtime import Enhancer
    with Enhancer("espcn-x2") as enh:
        out = enh(frame)            # BGR uint8 in, BGR uint8 out (x2 for SR)

Manifest -> backend runner (auto: TensorRT, ORT TensorRT/CUDA, ORT CPU) + pre/post +
padding to the card's `multiple_of` + tiling with blended overlap for large frames.

On GPU providers, frames that need neither padding nor tiling go through the precision's
uint8 frame-I/O twin (`model.*.frames.onnx`): the host only stacks bytes. Others take the
float path with host pre/post. The stream pipeline calls the three steps separately
(`prepare`, `run`, `finish`) so each gets its own thread.
"""

from __future__ import annotations

from pathlib import Path
from types import TracebackType
from typing import Callable, Optional

import cv2
import numpy as np

from vgx import manifest as mf
from vgx.convert import bgr_to_nchw, nchw_to_bgr
from vgx.errors import VgxError

from .model import ArtifactModel
from .norm_carry import STATE_OUTPUT, NormCarry
from .runner import Runner, infer_one
from .tiling import run_tiled

DEFAULT_MODEL = "espcn-x2"
# (uint8 frames?, the batch, output size (h, w) to crop uint8 results to): carried through the
# pipeline's three steps so no per-call state lives on the Enhancer (they run in three threads)
Batch = tuple[bool, np.ndarray, Optional[tuple[int, int]]]
# backends that take the uint8 frame-I/O twin: on a GPU the conversion is free inside the
# engine and the copies shrink 4x. On ORT's CPU provider the twin's Cast/Transpose/Gather
# cost 2.5 ms per 1280x720 frame in + out, on the inference thread, against 1.2 ms for the
# host's numpy/OpenCV path, which the stream runs on its own threads beside inference
# (quiet 2-core machine, python -c "from vgx.benchmarks.prepost_cost import prepost_cost;
# print(prepost_cost())"; with other work on the cores the twin's ops slowed to 21 ms).
FRAME_IO_BACKENDS = ("ort-cuda", "ort-trt")
ORT_BACKENDS = ("ort-cpu", "ort-cuda", "ort-trt")


class Enhancer(ArtifactModel):
    def __init__(self, model: str | Path = DEFAULT_MODEL, precision: str = "fp32", backend: str = "auto",
                 tile: int | None = None, overlap: int = 16, threads: int | None = None,
                 log: Callable[[str], None] = lambda s: None) -> None:
        super().__init__(model, precision, backend, threads, log)
        self.tile = tile or self.card.default_tile
        self.overlap = overlap
        self.frame_runner: Runner | None = None
        self.carry: NormCarry | None = None  # carried norm statistics (carry_norms), streams only
        twin = self.manifest["precisions"].get(self.choice.precision, {}).get("frame_io")
        if twin and self.choice.backend in FRAME_IO_BACKENDS:
            from .ort_runner import ORTRunner

            self.frame_runner = ORTRunner(mf.verified_path(self.folder, self.manifest, twin["file"]),
                                          self.choice.backend, threads=threads)

    def carry_norms(self, keep: float) -> str | None:
        """Run frames through the artifact's carried-norm graph with `keep` (runtime/norm_carry.py),
        frames in stream order from now on; None when it does, else why it cannot (per-frame norms).
        Asked again, the new keep replaces the old; 0 turns it off."""
        if self.carry is not None:
            self.carry.runner.__exit__(None, None, None)
            self.carry = None
        if keep <= 0.0:
            return None
        if self.choice.backend not in (*ORT_BACKENDS, "trt", "triton"):
            return f"carried norms run on ONNX Runtime, TensorRT and Triton, not {self.choice.backend}: per-frame norms"
        entry = self.manifest["precisions"].get(self.choice.precision, {}).get("carried")
        if entry is None:
            if self.card.task != "style":
                return f"{self.card.name} has no InstanceNorm to carry: per-frame"
            return (f"{self.folder} has no {self.choice.precision} carried-norm graph (exported before they were added): "
                    f"re-export it (`vgx export {self.card.name} --fp16 --int8`) for carried norms; per-frame norms now")
        runner: Runner
        frames = False  # on GPU providers the carried graph's uint8 frame-I/O twin, as for the plain graph
        if self.remote:  # the server runs the carried twin; the state stays here, with the stream
            from .triton_runner import TritonRunner, carried_model

            if "frame_io" not in entry:
                return f"{self.folder}'s {self.choice.precision} carried-norm graph has no uint8 twin to serve: per-frame norms"
            sha = self.manifest["files"][entry["frame_io"]["file"]]["sha256"]
            remote = TritonRunner(self.runner.uri, carried_model(self.card.name), sha, self.card.scale,  # type: ignore[attr-defined]
                                  outputs=(STATE_OUTPUT,))
            try:
                remote.__enter__()
            except VgxError as e:
                remote.__exit__(None, None, None)
                return f"{e}; per-frame norms now"
            self.carry = NormCarry(remote, keep, entry["state_size"], frames=True)
            return None
        if self.choice.backend == "trt":
            from .engine_files import pick_engine
            from .trt_runner import TensorRTRunner

            try:
                runner = TensorRTRunner(pick_engine(self.folder, self.manifest, self.choice.precision, carried=True))
            except VgxError as e:
                return f"{e}; per-frame norms now"
        else:
            from .ort_runner import ORTRunner

            frames = self.choice.backend in FRAME_IO_BACKENDS and "frame_io" in entry
            file = entry["frame_io"]["file"] if frames else entry["file"]
            runner = ORTRunner(mf.verified_path(self.folder, self.manifest, file), self.choice.backend, threads=self.threads)
        self.carry = NormCarry(runner.__enter__(), keep, entry["state_size"], frames=frames)
        return None

    @property
    def scale(self) -> int:
        return self.card.scale

    def __enter__(self) -> Enhancer:
        super().__enter__()
        if self.frame_runner is not None:
            self.frame_runner.__enter__()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        super().__exit__(exc_type, exc, tb)
        if self.carry is not None:
            self.carry.runner.__exit__(exc_type, exc, tb)
        if self.frame_runner is not None:
            self.frame_runner.__exit__(exc_type, exc, tb)

    def __call__(self, frame: np.ndarray) -> np.ndarray:
        return self.enhance_batch([frame])[0]

    # -- the three pipeline steps ----------------------------------------------------------
    @property
    def remote(self) -> bool:
        """A Triton server runs the model: it takes uint8 frames only (padded here, not tiled)."""
        return self.choice.backend == "triton"

    def _baked(self, shape: tuple[int, ...]) -> bool:
        h, w = shape[:2]
        m = max(1, self.card.multiple_of)
        twin = self.carry.frames if self.carry is not None else self.frame_runner is not None
        return twin and h % m == 0 and w % m == 0 and max(h, w) <= self.tile

    def prepare(self, frames: list[np.ndarray]) -> Batch:
        """Host-side input work: stack bytes (frame-I/O graph) or convert to float NCHW."""
        h, w = frames[0].shape[:2]
        if self.remote or self._baked(frames[0].shape):
            x = frames[0][None] if len(frames) == 1 else np.stack(frames)
            m = max(1, self.card.multiple_of)
            ph, pw = (-h) % m, (-w) % m  # only the remote path can get here unaligned
            if ph or pw:
                x = np.pad(x, ((0, 0), (0, ph), (0, pw), (0, 0)), mode="reflect")
            return True, x, (h * self.scale, w * self.scale)
        return False, bgr_to_nchw(frames), None

    def run(self, batch: Batch) -> Batch:
        baked, x, size = batch
        if baked:  # uint8 frames: to the server (remote) or the local frame-I/O twin, carried or not
            plain = self.runner if self.remote else self.frame_runner
            return True, self.carry.infer(x) if self.carry is not None else infer_one(plain, x), size
        return False, self.infer_tensor(x), size

    def finish(self, result: Batch) -> list[np.ndarray]:
        """Host-side output work: split the uint8 batch (cropped to the frame), or convert float NCHW."""
        baked, y, size = result
        if not baked:
            return nchw_to_bgr(y)
        h, w = size
        return [f if f.shape[:2] == (h, w) else np.ascontiguousarray(f[:h, :w]) for f in y]

    def infer_tensor(self, x: np.ndarray) -> np.ndarray:
        """N3HW float -> N3(sH)(sW): pads to multiple_of, tiles above `tile`, crops back."""
        n, c, h, w = x.shape
        m = max(1, self.card.multiple_of)
        ph, pw = (-h) % m, (-w) % m
        if ph or pw:  # reflect-pad to the multiple the model needs; cropped off below
            x = np.pad(x, ((0, 0), (0, 0), (0, ph), (0, pw)), mode="reflect")
        if max(x.shape[2], x.shape[3]) > self.tile:  # tiles are per-frame (each tile would need its own state)
            y = run_tiled(x, self._infer, self.tile, self.overlap, self.scale, m)
        else:
            # the carried graph where it takes float frames (its uint8 twin takes only aligned frames: per-frame here)
            y = self.carry.infer(x) if self.carry is not None and not self.carry.frames else self._infer(x)
        s = self.scale
        return y[:, :, : h * s, : w * s]

    def _infer(self, x: np.ndarray) -> np.ndarray:
        return infer_one(self.runner, x)

    def enhance_batch(self, frames: list[np.ndarray]) -> list[np.ndarray]:
        """BGR uint8 frames (one size) -> enhanced BGR uint8 frames."""
        return self.finish(self.run(self.prepare(frames)))


class TensorModel:
    """The pipeline steps around a plain float function (N3HW -> N3H'W'), for tests and tools."""

    def __init__(self, fn: Callable[[np.ndarray], np.ndarray]) -> None:
        self.fn = fn

    def prepare(self, frames: list[np.ndarray]) -> np.ndarray:
        return bgr_to_nchw(frames)

    def run(self, x: np.ndarray) -> np.ndarray:
        return self.fn(x)

    def finish(self, y: np.ndarray) -> list[np.ndarray]:
        return nchw_to_bgr(y)


def side_by_side(before: np.ndarray, after: np.ndarray) -> np.ndarray:
    """Before (resized to the output size, nearest) | after, split down the middle."""
    h, w = after.shape[:2]
    if before.shape[:2] != (h, w):
        before = cv2.resize(before, (w, h), interpolation=cv2.INTER_CUBIC)
    out = after.copy()
    out[:, : w // 2] = before[:, : w // 2]
    out[:, w // 2 - 1 : w // 2 + 1] = (255, 255, 255)
    return out

