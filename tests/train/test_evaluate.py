"""The evaluation protocol against hand-computed figures, and the eval/upscale commands."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import torch
from torch import nn

from tests.conftest import run_vgx
from vgx.images import downscale, list_images, load_rgb, mod_crop
from vgx.metrics import psnr, rgb_to_y, ssim
from vgx.train import checkpoint, zoo
from vgx.train.evaluate import evaluate


def test_luma_of_black_and_white() -> None:
    assert rgb_to_y(np.zeros((1, 1, 3), np.uint8))[0, 0] == pytest.approx(16.0)
    assert rgb_to_y(np.full((1, 1, 3), 255, np.uint8))[0, 0] == pytest.approx(235.0)


def test_psnr_by_hand() -> None:
    a = np.zeros((8, 8))
    b = np.full((8, 8), 16.0)  # mse = 256
    assert psnr(a, b) == pytest.approx(10 * math.log10(255**2 / 256))
    b[0, :] = 255.0  # damage only the border: shaving 1 pixel ignores it
    assert psnr(a, b, shave=1) == pytest.approx(10 * math.log10(255**2 / 256))
    assert psnr(a, a) == math.inf


def test_ssim_matches_the_reference_implementation() -> None:
    """Wang et al.'s Gaussian SSIM as scikit-image computes it (sigma 1.5, population covariance)."""
    from skimage.metrics import structural_similarity

    from vgx.images import demo_images

    img = rgb_to_y(demo_images()["chelsea"])
    noisy = img + np.random.default_rng(0).normal(0, 10, img.shape)
    assert ssim(img, img) == pytest.approx(1.0)
    expected = structural_similarity(img, noisy, data_range=255, gaussian_weights=True, sigma=1.5,
                                     use_sample_covariance=False)
    assert ssim(img, noisy) == pytest.approx(expected, abs=1e-6)


class Nearest(nn.Module):
    def __init__(self, scale: int) -> None:
        super().__init__()
        self.scale = scale

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.nn.functional.interpolate(x, scale_factor=self.scale, mode="nearest")


def test_evaluate_matches_a_hand_computed_psnr_y(image_dir) -> None:
    """Nearest upscaling scored by evaluate() equals the protocol written out in numpy."""
    report = evaluate(Nearest(3), "nearest", 3, image_dir)
    for f, score in zip(list_images(image_dir), report.images):
        hr = mod_crop(load_rgb(f), 3)
        sr = np.repeat(np.repeat(downscale(hr, 3), 3, axis=0), 3, axis=1)
        y_sr, y_hr = rgb_to_y(sr)[3:-3, 3:-3], rgb_to_y(hr)[3:-3, 3:-3]
        expected = 10 * np.log10(255**2 / np.mean((y_sr - y_hr) ** 2))
        assert score.psnr_y == pytest.approx(expected, abs=1e-9)
        assert score.bicubic_psnr_y > score.psnr_y  # bicubic beats nearest on real images
    assert report.mean["psnr_y"] == pytest.approx(np.mean([s.psnr_y for s in report.images]))


@pytest.fixture(scope="module")
def espcn_ckpt(tmp_path_factory) -> str:
    card = zoo.resolve("espcn-x2").card()
    torch.manual_seed(0)
    return str(checkpoint.save(tmp_path_factory.mktemp("ckpt") / "espcn.pt", card, zoo.build(card)))


def test_eval_command_writes_json(image_dir, espcn_ckpt, tmp_path) -> None:
    out = tmp_path / "report.json"
    r = run_vgx("eval", espcn_ckpt, "--data", str(image_dir), "--json", str(out))
    assert r.returncode == 0, r.stderr
    report = json.loads(out.read_text())
    assert report["model"] == "espcn-x2" and report["scale"] == 2
    assert set(report["mean"]) == {"psnr_y", "ssim", "bicubic_psnr_y", "bicubic_ssim"}
    assert len(report["images"]) == len(list_images(image_dir))
    assert {"name", "psnr_y", "ssim", "bicubic_psnr_y", "bicubic_ssim"} <= set(report["images"][0])
    assert "mean" in r.stdout


def test_upscale_command_writes_before_after(image_dir, espcn_ckpt, tmp_path) -> None:
    src = list_images(image_dir)[0]
    r = run_vgx("upscale", str(src), "--model", espcn_ckpt, "--out", str(tmp_path))
    assert r.returncode == 0, r.stderr
    sr, cmp = load_rgb(tmp_path / f"{src.stem}_sr.png"), load_rgb(tmp_path / f"{src.stem}_compare.png")
    h, w = load_rgb(src).shape[:2]
    assert sr.shape == (2 * h, 2 * w, 3) and cmp.shape[0] == 2 * h and cmp.shape[1] > 4 * w


def test_shipped_weights_meet_their_cards(shared_data) -> None:
    """Every shipped model scores on Set5 what its card (and README) claims."""
    from vgx.train.loading import load_model

    shipped = [n for n, e in zoo.ZOO.items() if e.task == "sr" and zoo.shipped_weights(n)]
    if not shipped:
        pytest.skip("no shipped weights yet")
    for name in shipped:
        model, card = load_model(name)
        if card.scale == 4 and card.arch == "srresnet":
            continue  # 511 GMACs per 640x360: too slow for the test run; measured by scripts/
        report = evaluate(model, name, card.scale, shared_data / "sr" / "Set5")
        assert report.mean["psnr_y"] == pytest.approx(card.quality["set5_psnr_y"], abs=0.01), name
