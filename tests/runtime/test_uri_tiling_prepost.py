"""Pure parts of the runtime: URI parsing, tiling arithmetic, frame <-> tensor conversion."""

from __future__ import annotations

import numpy as np
import pytest

from vgx.convert import bgr_to_nchw as to_tensor
from vgx.convert import nchw_to_bgr as to_frames
from vgx.errors import VgxError
from vgx.metrics import psnr
from vgx.runtime.tiling import ramp, run_tiled, starts
from vgx.runtime.uri import OUTPUT_SCHEMES, host_port, parse


def test_uri_parsing() -> None:
    assert parse("clip.mp4").scheme == "file" and parse("clip.mp4").location == "clip.mp4"
    assert parse("camera://1").location == "1"
    u = parse("demo://?frames=10&width=320")
    assert u.scheme == "demo" and u.options == {"frames": "10", "width": "320"}
    assert str(parse("rtsp://cam.local:554/live?x=1")) == "rtsp://cam.local:554/live?x=1"
    assert parse("null://", OUTPUT_SCHEMES).scheme == "null"
    with pytest.raises(VgxError, match="unknown scheme 'ftp'"):
        parse("ftp://x")
    with pytest.raises(VgxError, match="unknown scheme 'camera'"):
        parse("camera://0", OUTPUT_SCHEMES)


def test_host_port() -> None:
    assert host_port("127.0.0.1:8090") == ("127.0.0.1", 8090)
    assert host_port(":9000") == ("127.0.0.1", 9000)
    with pytest.raises(VgxError, match="bad port"):
        host_port("localhost:http")
    with pytest.raises(VgxError, match="out of range"):
        host_port("localhost:70000")


def test_tile_starts_cover_every_pixel() -> None:
    for length, tile, overlap in [(100, 32, 8), (64, 64, 8), (50, 64, 8), (1000, 256, 16), (33, 16, 15)]:
        s = starts(length, tile, overlap)
        covered = np.zeros(length, bool)
        for a in s:
            covered[a : a + tile] = True
        assert covered.all() and s[-1] + min(tile, length) == length


def test_ramp_is_one_at_image_borders_and_fades_between_tiles() -> None:
    w = ramp(10, 4, at_start=True, at_end=False)
    assert w[0] == 1 and w[-1] < 0.2 and np.all(np.diff(w[-4:]) < 0)


def test_tiling_a_local_operator_matches_untiled() -> None:
    """A 3x3 blur then nearest x2 (receptive field 3) tiled with overlap 8 equals untiled."""
    import cv2

    def model(x: np.ndarray) -> np.ndarray:
        blurred = np.stack([[cv2.blur(c, (3, 3), borderType=cv2.BORDER_REFLECT) for c in n] for n in x])
        return blurred.repeat(2, axis=2).repeat(2, axis=3)

    x = np.random.default_rng(0).random((1, 3, 90, 130), dtype=np.float32)
    full = model(x)
    tiled = run_tiled(x, model, tile=40, overlap=8, scale=2)
    inner = (slice(None), slice(None), slice(2, -2), slice(2, -2))  # image-border handling differs
    assert psnr(full[inner], tiled[inner], peak=1.0) > 60


def test_frames_round_trip_exactly() -> None:
    frames = [np.random.default_rng(i).integers(0, 256, (36, 52, 3), dtype=np.uint8) for i in range(2)]
    x = to_tensor(frames)
    assert x.shape == (2, 3, 36, 52) and x.dtype == np.float32
    assert np.allclose(x[0, 0], frames[0][:, :, 2] / 255.0)  # channel 0 is R (input is BGR)
    back = to_frames(x)
    assert all(np.array_equal(a, b) for a, b in zip(frames, back))
    y = x.copy()
    y[0, 0, 0, 0], y[0, 1, 0, 0] = -0.3, 1.7  # out of range: clamped, not wrapped
    out = to_frames(y)[0]
    assert out[0, 0, 2] == 0 and out[0, 0, 1] == 255
