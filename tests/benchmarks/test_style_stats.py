"""The style-quality statistics on constructed cases: the photo scores 1, the painting 0, a
blur loses gradient energy, a colour cast moves the colour figure and not the texture."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from vgx.benchmarks.style_stats import EFFNET_LAYERS, StyleMeter, colour_distance, gabor_energy, lab_moments
from vgx.images import demo_images


@pytest.fixture(scope="module")
def meter() -> StyleMeter:
    return StyleMeter()


@pytest.fixture(scope="module")
def photo_and_painting() -> tuple[np.ndarray, np.ndarray]:
    imgs = demo_images()
    return np.ascontiguousarray(imgs["astronaut"][:384, :384]), np.ascontiguousarray(imgs["coffee"][:384, :384])


def test_the_photo_scores_one_and_the_painting_zero(meter, photo_and_painting) -> None:
    photo, painting = photo_and_painting
    p, a = meter.stats(photo), meter.stats(painting)
    same = meter.ratios(p, p, a)
    layers = {f"texture@{k}" for k in EFFNET_LAYERS}
    assert same == pytest.approx({"texture": 1.0, "gabor": 1.0, "colour": 1.0, "gradient": 1.0, **dict.fromkeys(layers, 1.0)})
    it = meter.ratios(p, a, a)
    assert it["texture"] == pytest.approx(0.0, abs=1e-9) and it["colour"] == pytest.approx(0.0, abs=1e-6)
    assert all(it[k] == pytest.approx(0.0, abs=1e-9) for k in layers)
    # the study's per-layer table reads them back, and leaves out rows measured before it had them
    from vgx.benchmarks.studies.style_quality import layers_markdown

    table = layers_markdown([{"model": "photo", **same}, {"model": "painting", **it}, {"model": "old", "texture": 0.5}])
    assert "| photo | 1.00 | 1.00 | 1.00 | 1.00 |" in table and "| painting | 0.00 |" in table and "old" not in table
    assert it["gabor"] == pytest.approx(0.0, abs=1e-9)


def test_a_blur_has_less_gradient_and_a_halfway_blend_sits_between(meter, photo_and_painting) -> None:
    photo, painting = photo_and_painting
    p, a = meter.stats(photo), meter.stats(painting)
    blurred = meter.ratios(p, meter.stats(cv2.GaussianBlur(photo, (0, 0), 3)), a)
    assert blurred["gradient"] < 0.5
    half = cv2.addWeighted(photo, 0.5, painting, 0.5, 0)
    mixed = meter.ratios(p, meter.stats(half), a)
    assert 0.2 < mixed["colour"] < 0.9 and 0.1 < mixed["texture"] < 1.0
    # every layer, fine grain to large strokes, sees the blend between the photo and the painting
    assert all(0.2 < mixed[f"texture@{k}"] < 0.9 for k in EFFNET_LAYERS)


def test_a_colour_cast_moves_colour_not_texture(meter, photo_and_painting) -> None:
    photo, painting = photo_and_painting
    p, a = meter.stats(photo), meter.stats(painting)
    cast = np.clip(photo.astype(int) + [40, 0, -40], 0, 255).astype(np.uint8)
    r = meter.ratios(p, meter.stats(cast), a)
    assert abs(r["gradient"] - 1) < 0.1 and colour_distance(lab_moments(cast), lab_moments(photo)) > 10


def test_gabor_energy_sees_orientation() -> None:
    stripes = np.zeros((128, 128, 3), np.uint8)
    stripes[:, ::8] = 255  # vertical lines: energy in the 0-degree filters, none in the 90-degree ones
    e = gabor_energy(stripes).reshape(3, 4, 2)[..., 0]  # wavelengths x angles, mean magnitude
    assert e[1, 0] > 5 * e[1, 2]


def test_the_flicker_ratio_charges_edges_a_stable_filter_adds_and_credits_a_blur() -> None:
    # why the style study has --controls: filters with no flicker of their own (each frame alone,
    # shift-equivariant) score above 1 when they add edges, since the warp error of a sub-pixel
    # accurate flow grows with the output's gradients, and below 1 when they remove them
    from vgx.benchmarks.studies.style_quality import control_stylizers, synthetic_clip
    from vgx.flicker import flicker_ratio

    frames = synthetic_clip(demo_images()["astronaut"], "pan", 8, size=(192, 144))
    sharpen, blur = control_stylizers().values()
    bgr = [f[:, :, ::-1] for f in frames]
    ratio = {name: flicker_ratio(bgr, [f(x)[:, :, ::-1] for x in frames]) for name, f in (("sharpen", sharpen), ("blur", blur))}
    assert ratio["sharpen"] > 1.3 and ratio["blur"] < 0.8, ratio


def test_the_study_s_smoothing_figures_and_table() -> None:
    # --smooth: the stream's smoothing on a pan whose outputs carry a flicker of their own; the
    # table reads the figures back (worst clip raw -> smoothed, gradient kept, Farneback check)
    import numpy as np

    from vgx.benchmarks.studies.style_quality import smoothed_clip, smoothing_figures, smoothing_markdown, synthetic_clip
    from vgx.metrics import psnr

    frames = [np.ascontiguousarray(f[:, :, ::-1]) for f in synthetic_clip(demo_images()["astronaut"], "pan", 8,
                                                                             size=(192, 144))]
    rng = np.random.default_rng(0)
    outs = [np.clip(f + rng.normal(0, 8, f.shape), 0, 255).astype(np.uint8) for f in frames]
    fig = smoothing_figures(frames, outs, 0.8)
    # the noise goes, the picture's edges stay (kept near 1: no blur, no added sharpening)
    assert fig["resets"] == 0 and 0.9 < fig["gradient_kept"] < 1.05
    assert fig["farneback_after"] < 0.8 * fig["farneback_before"]
    smoothed, _ = smoothed_clip(frames, outs, 0.8)
    assert psnr(smoothed[-1], frames[-1]) > psnr(outs[-1], frames[-1]) + 3
    row = {"model": "m", "flicker": {"pan": 3.0}, "flicker_max": 3.0,
           "smoothed": [{"strength": 0.8, "clips": {"pan": fig}, "flicker_max": fig["flicker"]}]}
    table = smoothing_markdown([row])
    assert "temporal smoothing at 0.8" in table and f"| 3.00 -> {fig['flicker']:.2f} |" in table


def test_the_loss_gap_study_scores_the_photo_zero_content_and_the_painting_less_style(shared_data) -> None:
    """style_loss_gap evaluates the training objective: the photo as its own output has no content
    error; the painting (as every output) is nearer the painting's Grams than the photo is."""
    from vgx.benchmarks.studies.style_loss_gap import loss_terms, markdown
    from vgx.images import load_rgb

    painting = load_rgb(shared_data / "style/style-images/udnie.jpg")[:256, :256]
    photo = np.ascontiguousarray(demo_images()["astronaut"][:256, :256])
    itself = loss_terms(lambda rgb: rgb, [photo], "udnie", 3)
    painted = loss_terms(lambda rgb: painting, [photo], "udnie", 3)
    assert itself["content"] == pytest.approx(0.0, abs=1e-9) and painted["content"] > 0.1
    assert len(itself) == 2 + 10 and itself["style"] == pytest.approx(sum(v for k, v in itself.items()
                                                                         if k not in ("content", "style")))
    assert painted["style"] < 0.5 * itself["style"]
    table = markdown([{"model": "photo", "terms": itself}, {"model": "painting", "terms": painted}], 3)
    assert "| photo | 0.000 |" in table and "relu3_4@4" in table


def test_the_flicker_map_finds_flicker_on_what_moves() -> None:
    # flicker_map: a still scene with a textured square sliding across it; the "model" adds noise of
    # its own on the square only (strokes that swim with an object), so the ratio on what moves is
    # above 1, what stands still stays near it, and most of the output's change is on the square
    from vgx.benchmarks.studies.flicker_map import flicker_map, heat, split_figures

    rng = np.random.default_rng(0)
    scene = cv2.GaussianBlur(rng.integers(0, 256, (120, 160, 3)).astype(np.uint8), (0, 0), 2)
    patch = cv2.GaussianBlur(rng.integers(0, 256, (40, 40, 3)).astype(np.uint8), (0, 0), 1.5)
    frames, outs = [], []
    for t in range(8):
        f = scene.copy()
        f[40:80, 20 + 6 * t:60 + 6 * t] = patch  # 6 px a frame
        noisy = np.clip(f + rng.normal(0, 1.0, f.shape), 0, 255).astype(np.uint8)  # the camera's own noise
        frames.append(noisy)
        out = noisy.astype(np.float32)
        out[40:80, 20 + 6 * t:60 + 6 * t] += rng.normal(0, 12, (40, 40, 3))
        outs.append(np.clip(out, 0, 255).astype(np.uint8))
    sums = flicker_map(frames, outs)
    fig = split_figures(sums)
    assert fig["on what moves"] > 2.0 and fig["on what stands still"] < 1.5, fig
    assert fig["share of the change on what moves"] > 0.5 and 0.05 < fig["pixels moving"] < 0.6, fig
    assert heat(sums["out"]).shape == (120, 160, 3)
    same = split_figures(flicker_map(frames, frames))  # the identity: 1 everywhere
    assert same["flicker"] == pytest.approx(1.0, abs=1e-6) and same["on what moves"] == pytest.approx(1.0, abs=1e-6)


def test_style_quality_names_each_model_by_its_label_or_itself() -> None:
    from vgx.benchmarks.studies.style_quality import labelled

    assert labelled("shipped", ["style-wave"]) == [("style-wave", "style-wave")]
    assert labelled("style-udnie,runs/a=b/model.pt=udnie free", []) == [
        ("style-udnie", "style-udnie"), ("runs/a=b/model.pt", "udnie free")]
