"""Real-world degradations: each stage does what it says on a constructed image, the whole
pipeline is reproducible from its seed, and `--degrade` specs parse or fail in one line."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tests.conftest import run_vgx
from vgx.errors import VgxError
from vgx.images import demo_images
from vgx.metrics import psnr
from vgx.train.codec import codec_round_trip
from vgx.train.degrade import (
    RESTORE,
    DegradeConfig,
    add_noise,
    config_for,
    degrade,
    gaussian_kernel,
    jpeg,
    parse_spec,
    sinc_kernel,
)

GREY = np.full((96, 96, 3), 0.5, np.float32)


def photo(size: int = 128) -> np.ndarray:
    return np.ascontiguousarray(demo_images()["astronaut"][:size, 100 : 100 + size])


def test_gaussian_noise_has_the_drawn_std() -> None:
    cfg = DegradeConfig(poisson_prob=0.0, grey_noise_prob=0.0, noise_sigma=(8.0, 8.0))
    noisy = add_noise(GREY, np.random.default_rng(0), cfg)
    assert (noisy - GREY).std() * 255 == pytest.approx(8.0, rel=0.05)
    assert abs(np.corrcoef((noisy - GREY)[..., 0].ravel(), (noisy - GREY)[..., 1].ravel())[0, 1]) < 0.05  # colour


def test_grey_noise_is_the_same_in_every_channel_and_poisson_grows_with_the_signal() -> None:
    noisy = add_noise(GREY, np.random.default_rng(0), DegradeConfig(poisson_prob=0.0, grey_noise_prob=1.0))
    d = noisy - GREY
    assert np.allclose(d[..., 0], d[..., 1]) and d.std() > 0
    ramp = np.repeat(np.linspace(0.05, 0.95, 96, dtype=np.float32)[None, :, None], 96, 0).repeat(3, 2)
    shot = add_noise(ramp, np.random.default_rng(1), DegradeConfig(poisson_prob=1.0, poisson_scale=(1.0, 1.0)))
    dark, bright = (shot - ramp)[:, :20].std(), (shot - ramp)[:, -20:].std()
    assert bright > 2 * dark


def blockiness(img: np.ndarray) -> float:
    """Mean jump across 8x8 block borders over the mean jump inside blocks (1 = no blocks)."""
    g = img.astype(np.float32).mean(2)
    d = np.abs(np.diff(g, axis=1))
    at = d[:, 7::8].mean()
    inside = np.delete(d, np.s_[7::8], axis=1).mean()
    return float(at / inside)


def test_jpeg_at_low_quality_makes_blocks() -> None:
    img = photo()
    assert blockiness(img) < 1.1 and blockiness(jpeg(img, 50)) > 1.3 and blockiness(jpeg(img, 10)) > 2.0
    assert psnr(jpeg(img, 95), img) > psnr(jpeg(img, 20), img) + 5


@pytest.mark.parametrize("codec", ["libx264", "libx265"])
def test_video_codec_round_trip_keeps_the_frame_and_loses_more_at_higher_crf(codec: str) -> None:
    img = photo(100)  # not a multiple of 16: padded and cropped back
    good = codec_round_trip(img, codec, 18, "medium", np.random.default_rng(0))
    bad = codec_round_trip(img, codec, 40, "medium", np.random.default_rng(0))
    assert good.shape == img.shape == bad.shape and good.dtype == np.uint8
    assert psnr(good, img) > 30 and psnr(good, img) > psnr(bad, img) + 3
    assert np.array_equal(bad, codec_round_trip(img, codec, 40, "medium", np.random.default_rng(0)))  # same seed, same bits


def test_x265_gives_the_same_bits_on_a_training_sized_patch() -> None:
    # a frame of one 64 px coding tree made libx265 differ run to run (a noise patch did every time)
    img = (np.random.default_rng(3).random((64, 64, 3)) * 255).astype(np.uint8)
    outs = [codec_round_trip(img, "libx265", 30, "medium", np.random.default_rng(1)) for _ in range(4)]
    assert all(np.array_equal(outs[0], o) for o in outs[1:])


def test_blur_kernels_are_normalised_and_shaped() -> None:
    k = gaussian_kernel(15, 3.0, 1.0, 0.0)
    assert k.sum() == pytest.approx(1.0, abs=1e-5) and k[7, :].std() > k[:, 7].std()  # wider along x
    s = sinc_kernel(11, 0.4)
    assert s.sum() == pytest.approx(1.0, abs=1e-5) and s.min() < 0  # ringing: negative lobes


def test_the_pipeline_is_reproducible_from_its_seed_and_has_the_lr_size() -> None:
    hr = photo(128)
    a = degrade(hr, 2, np.random.default_rng(7))
    b = degrade(hr, 2, np.random.default_rng(7))
    c = degrade(hr, 2, np.random.default_rng(8))
    assert a.shape == (64, 64, 3) and np.array_equal(a, b) and not np.array_equal(a, c)
    assert degrade(hr, 4, np.random.default_rng(0)).shape == (32, 32, 3)
    assert degrade(hr, 1, np.random.default_rng(0)).shape == hr.shape


def test_restoration_pairs_keep_the_frame_sharp_and_its_size() -> None:
    # x1 (restore) trains on noise and blocks at full resolution: no resize stage, whose
    # down-and-up trip would be a blur the target frame does not have
    assert config_for(1) is RESTORE and "resize" not in RESTORE.stages and config_for(2) == DegradeConfig()
    hr = photo()
    quiet = DegradeConfig(blur_prob=0.0, noise_prob=0.0, jpeg_quality=(95, 95), video_prob=0.0, clean_prob=0.0,
                          stages=RESTORE.stages)
    assert psnr(degrade(hr, 1, np.random.default_rng(0), quiet), hr) > 38
    resized = DegradeConfig(blur_prob=0.0, noise_prob=0.0, jpeg_quality=(95, 95), video_prob=0.0, clean_prob=0.0)
    assert psnr(degrade(hr, 1, np.random.default_rng(0), resized), hr) < psnr(degrade(hr, 1, np.random.default_rng(0), quiet), hr)
    outs = [degrade(hr, 1, np.random.default_rng(s)) for s in range(8)]
    assert all(o.shape == hr.shape for o in outs)


def test_eval_specs_parse_and_are_seeded_per_image() -> None:
    mild = parse_spec("mild")
    lr = photo(64)
    assert np.array_equal(mild(lr, 3), mild(lr, 3)) and not np.array_equal(mild(lr, 3), mild(lr, 4))
    assert psnr(mild(lr, 0), lr) < 40
    assert parse_spec("noise=5,jpeg=40,seed=2").steps == (("noise", (5.0, 5.0)), ("jpeg", (40.0, 40.0)))
    assert parse_spec("h264=28-35").steps == (("h264", (28.0, 35.0)),)
    for bad, msg in [("fog=3", "not KEY=VALUE"), ("noise=abc", "not a number"), ("jpeg=0-200", "within"),
                     ("seed=1", "names no degradation"), ("noise=", "not KEY=VALUE")]:
        with pytest.raises(VgxError, match=msg):
            parse_spec(bad)


def test_eval_degrade_on_the_command_line(image_dir: Path) -> None:
    r = run_vgx("eval", "espcn-x2", "--data", str(image_dir), "--degrade", "noise=5,jpeg=50")
    assert r.returncode == 0, r.stderr
    assert "LR degraded" in r.stdout and "mean" in r.stdout
    r = run_vgx("eval", "espcn-x2", "--data", str(image_dir), "--degrade", "snow=3")
    assert r.returncode == 2 and "Traceback" not in r.stderr and len(r.stderr.strip().splitlines()) == 1


def test_the_camera_config_downscales_once_straight_to_the_lr_size() -> None:
    from dataclasses import replace

    from vgx.errors import VgxError
    from vgx.train.degrade import CAMERA, STREAM, downscale

    assert config_for(2, "camera") is CAMERA and config_for(2, "restore") is RESTORE and config_for(4, None) == DegradeConfig()
    # stream: the camera pairs, only with a codec round trip more often
    assert config_for(2, "stream") is STREAM
    assert replace(STREAM, video_prob=CAMERA.video_prob, video_crf=CAMERA.video_crf) == CAMERA
    assert STREAM.video_prob > CAMERA.video_prob
    with pytest.raises(VgxError, match="--degradations 'film'"):
        config_for(2, "film")
    # with nothing but the resize stage left, a camera pair is one plain downscale of the HR
    # (area, bilinear or bicubic), never a down-and-up trip: close to the protocol's bicubic LR
    hr = photo()
    only_resize = replace(CAMERA, blur_prob=0.0, noise_prob=0.0, jpeg_quality=(100, 100), video_prob=0.0, clean_prob=0.0,
                          second_order=0.0, stages=("resize",))
    for seed in range(4):
        lr = degrade(hr, 2, np.random.default_rng(seed), only_resize)
        assert lr.shape == (hr.shape[0] // 2, hr.shape[1] // 2, 3)
        assert np.abs(lr.astype(int) - downscale(hr, 2).astype(int)).mean() < 4.0
