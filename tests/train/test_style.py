"""Style transfer: loss terms by hand, the loss networks, real training steps, flicker."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from tests.conftest import run_vgx
from vgx.errors import VgxError
from vgx.flicker import flicker_ratio
from vgx.images import demo_images, save_rgb
from vgx.train import zoo
from vgx.train.lossnet import LossNetwork, load_efficientnet_lite0
from vgx.train.style_losses import content_loss, gram, style_loss, tv_loss


def test_gram_by_hand() -> None:
    f = torch.tensor([[[[1.0, 2.0], [3.0, 4.0]], [[0.0, 1.0], [0.0, 1.0]]]])  # 1 x 2 x 2 x 2
    g = gram(f)
    # rows: channel vectors [1,2,3,4] and [0,1,0,1]; dot products / (C*H*W = 8)
    assert torch.allclose(g, torch.tensor([[[30.0, 6.0], [6.0, 2.0]]]) / 8)


def test_style_and_tv_losses_by_hand() -> None:
    f = {"a": torch.ones(2, 3, 4, 4)}
    target = {"a": gram(2 * torch.ones(1, 3, 4, 4))}
    # gram of ones: every entry 16/48 = 1/3, of twos 4/3; MSE 1, relative to mean(T^2) = 16/9
    assert style_loss(f, target, {"a": 2.0}).item() == pytest.approx(2 * 9 / 16)
    # content: relative squared error, |2 - 1|^2 / 1^2
    assert content_loss({"a": f["a"] * 2}, {"a": f["a"]}, "a").item() == pytest.approx(1.0)
    x = torch.zeros(1, 1, 3, 3)
    x[0, 0, :, 2] = 1.0  # one vertical edge: horizontal diffs |0-1| in one of two columns
    assert tv_loss(x).item() == pytest.approx(0.0 + 0.5)


def test_the_loss_network_loads_offline_and_knows_a_cat() -> None:
    net = load_efficientnet_lite0()
    img = torch.from_numpy(demo_images()["chelsea"].transpose(2, 0, 1).copy()).float().div(255)[None]
    img = torch.nn.functional.interpolate(img, size=(224, 224), mode="bilinear", antialias=True)
    mean, std = torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1), torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1)
    with torch.no_grad():
        top = net((img - mean) / std).argmax().item()
    assert top in (281, 282, 285)  # tabby, tiger cat, Egyptian cat
    feats = LossNetwork().features(img)
    assert set(feats) == {"s2", "s3", "s4", "s5"}
    assert torch.allclose(feats["s3"].mean(1), torch.ones(1, 28, 28), atol=1e-5)  # softmax x C averages 1


def test_slim_style_net_is_at_least_3x_cheaper() -> None:
    from vgx.train.zoo import count_macs

    full = count_macs(zoo.build(zoo.resolve("style-wave").card()))
    slim = count_macs(zoo.build(zoo.resolve("style-wave-slim").card()))
    assert full / slim >= 3


def _shift_error(model: torch.nn.Module, photo: torch.Tensor, shift: int) -> float:
    """|net(moved photo) - moved net(photo)| away from the borders, over the output's own gradient energy."""
    with torch.no_grad():
        a, b = model(photo[:, :, :192, :192]), model(photo[:, :, shift:192 + shift, shift:192 + shift])
    m = 64  # past the net's receptive field
    err = (a[:, :, m + shift:-m, m + shift:-m] - b[:, :, m:-m - shift, m:-m - shift]).abs().mean()
    return float(err / (a[..., 1:] - a[..., :-1]).abs().mean())


def test_the_antialiased_net_takes_the_plain_weights_and_follows_a_subpixel_move() -> None:
    """The same trained weights in both forms: moved by 1 px (under the stride of 4) the plain net repaints,
    the anti-aliased one paints the picture moved; by 4 px (its grid) both nearly agree with themselves."""
    from vgx.train.loading import load_model

    plain, card = load_model("style-udnie-slim")
    card.arch_kwargs["antialias"] = True
    smooth = zoo.build(card).eval()
    smooth.load_state_dict(plain.state_dict())  # no new parameters: the forms share their weights
    torch.set_num_threads(1)
    photo = torch.from_numpy(np.ascontiguousarray(demo_images()["coffee"][100:300, 200:400])).permute(2, 0, 1)[None].float() / 255
    plain_1px = _shift_error(plain, photo, 1)
    assert _shift_error(smooth, photo, 1) < 0.6 * plain_1px
    assert _shift_error(plain, photo, 4) < 0.75 * plain_1px


@pytest.fixture(scope="module")
def style_images(tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("styles")
    art = demo_images()["coffee"]
    paths = {"rgb": root / "art.png", "grey": root / "grey.png", "rgba": root / "rgba.png"}
    save_rgb(paths["rgb"], art)
    import cv2

    cv2.imwrite(str(paths["grey"]), cv2.cvtColor(art, cv2.COLOR_RGB2GRAY))
    cv2.imwrite(str(paths["rgba"]), np.dstack([art[:, :, ::-1], np.full(art.shape[:2], 200, np.uint8)]))
    return paths


@pytest.fixture(scope="module")
def teacher(tmp_path_factory) -> str:
    """An untrained full udnie saved as a checkpoint: a teacher the slim recipes can load."""
    from vgx.train import checkpoint

    card = zoo.resolve("style-udnie").card()
    return str(checkpoint.save(tmp_path_factory.mktemp("teacher") / "t.pt", card, zoo.build(card)))


def vgg_file() -> Path:
    from vgx.train.vgg import default_path

    path = default_path()
    if path is None:
        pytest.skip("the VGG-19 loss network (../shared/data/lossnets) is absent")
    return path


def test_vgg_loss_network_loads_strict_and_names_its_layers() -> None:
    from vgx.train.vgg import VGG19Features

    net = VGG19Features(vgg_file(), ("relu1_1", "relu2_2", "relu3_4"))
    img = torch.from_numpy(demo_images()["chelsea"][:128, :128].transpose(2, 0, 1).copy()).float().div(255)[None]
    feats = net.features(img, octaves=3)
    assert {k: tuple(v.shape[1:]) for k, v in feats.items()} == {
        "relu1_1": (64, 128, 128), "relu2_2": (128, 64, 64), "relu3_4": (256, 32, 32),
        "relu1_1@2": (64, 64, 64), "relu2_2@2": (128, 32, 32), "relu3_4@2": (256, 16, 16),
        "relu1_1@4": (64, 32, 32), "relu2_2@4": (128, 16, 16), "relu3_4@4": (256, 8, 8)}
    assert all(float(v.min()) >= 0 for v in feats.values()) and float(feats["relu3_4"].mean()) > 0.1
    assert len(net.convs) == 8  # conv1_1 .. conv3_4, every weight the file has


def test_vgg_loss_network_refuses_a_wrong_or_missing_file(tmp_path: Path) -> None:
    from vgx.errors import VgxError
    from vgx.train.vgg import VGG19Features

    with pytest.raises(VgxError, match="needs the VGG-19 loss network"):
        VGG19Features(tmp_path / "missing.pth")
    torch.save({"conv1_1.weight": torch.zeros(3)}, tmp_path / "wrong.pth")
    with pytest.raises(VgxError, match="not the VGG-19"):
        VGG19Features(tmp_path / "wrong.pth")


@pytest.mark.parametrize("octaves", [2, 3])
def test_a_few_real_style_steps_move_every_loss_term(image_dir: Path, style_images, octaves: int) -> None:
    from vgx.train.style import ContentSampler, StyleRecipe

    torch.manual_seed(0)
    card = zoo.resolve("style-udnie-slim").card()
    model = zoo.build(card)
    recipe = StyleRecipe(model, card, 2e-3, style_image=str(style_images["rgb"]), style_size=128, lossnet=str(vgg_file()),
                         octaves=octaves)
    assert recipe.style_targets is not None and ("relu3_4@4" in recipe.style_targets) == (octaves == 3)
    assert len(recipe.style_targets) == 4 + 3 * (octaves - 1)
    (x,) = ContentSampler([image_dir], 64).sample(np.random.default_rng(0), 2)
    first = recipe.step(x)
    grads = [p.grad.abs().sum().item() for p in model.parameters() if p.grad is not None]
    assert set(first) == {"loss", "content", "style", "stability"} and all(v.isfinite() for v in first.values())
    assert len(grads) == len(list(model.parameters())) and min(grads) > 0
    for _ in range(4):
        last = recipe.step(x)
    assert last["style"] < first["style"] and last["content"] != first["content"]
    assert last["stability"] != first["stability"]


def test_bf16_autocast_gives_the_fp32_losses_and_gradients(image_dir: Path, style_images) -> None:
    """--bf16 runs the nets' convolutions in bfloat16, the Grams and losses in fp32: the same terms to
    0.5% and the same gradient direction as fp32, on a real content crop."""
    from vgx.train.style import ContentSampler, StyleRecipe
    from vgx.train.style_losses import stability_loss
    from vgx.train.tensors import native_bf16

    if not native_bf16(torch.device("cpu")):
        pytest.skip("this CPU has no native bfloat16 (AVX-512 BF16 / AMX): --bf16 is refused here")
    card = zoo.resolve("style-udnie-slim").card()
    torch.manual_seed(0)
    model = zoo.build(card)
    (x,) = ContentSampler([image_dir], 96).sample(np.random.default_rng(0), 2)
    terms, grads = {}, {}
    for bf16 in (False, True):
        recipe = StyleRecipe(model, card, 1e-3, style_image=str(style_images["rgb"]), style_size=128,
                             lossnet=str(vgg_file()), octaves=3, bf16=bf16)
        assert recipe.bf16 == bf16 and ("bfloat16" in recipe.provenance) == bf16
        torch.manual_seed(1)
        _, theta, moved, relative_to, keep = recipe._next_frame(x, x)
        model.zero_grad()
        out = recipe._forward(model, x)
        assert out.dtype == torch.float32
        parts = recipe.losses(x, out)
        parts["stability"] = stability_loss(recipe._forward(model, moved), out, theta, relative_to, keep)
        sum(parts.values()).backward()
        terms[bf16] = {k: float(v.detach()) for k, v in parts.items()}
        grads[bf16] = torch.cat([p.grad.flatten() for p in model.parameters()])
    for k, v in terms[False].items():
        assert terms[True][k] == pytest.approx(v, rel=5e-3), k
    assert float(torch.nn.functional.cosine_similarity(grads[False], grads[True], dim=0)) > 0.99


def test_bf16_is_refused_where_the_cpu_would_emulate_it(style_images, monkeypatch) -> None:
    from vgx.train import tensors
    from vgx.train.style import StyleRecipe

    monkeypatch.setattr(tensors, "native_bf16", lambda device: False)  # an AVX2-only CPU
    card = zoo.resolve("style-udnie-slim").card()
    with pytest.raises(VgxError, match="no native bfloat16"):
        StyleRecipe(zoo.build(card), card, 1e-3, style_image=str(style_images["rgb"]), style_size=64, bf16=True)


def test_bf16_is_refused_outside_style_training(image_dir: Path, tmp_path: Path) -> None:
    r = run_vgx("train", "espcn-x2", "--data", str(image_dir), "--steps", "1", "--bf16", "--out", str(tmp_path))
    assert r.returncode != 0 and "Traceback" not in r.stderr and "--bf16 is for style training" in r.stderr


def test_distillation_with_the_painting_keeps_the_style_term(image_dir: Path, style_images, teacher: str) -> None:
    from vgx.train.style import ContentSampler, StyleRecipe

    torch.manual_seed(0)
    card = zoo.resolve("style-udnie-slim").card()
    model = zoo.build(card)
    recipe = StyleRecipe(model, card, 2e-3, style_image=str(style_images["rgb"]), style_size=128,
                         lossnet=str(vgg_file()), teacher=teacher)
    (x,) = ContentSampler([image_dir], 64).sample(np.random.default_rng(0), 2)
    first = recipe.step(x)
    assert set(first) == {"loss", "distill", "style", "stability"} and all(v.isfinite() for v in first.values())
    for _ in range(4):
        last = recipe.step(x)
    assert last["style"] < first["style"]


def test_style_training_lowers_the_style_loss(image_dir: Path, style_images, tmp_path: Path) -> None:
    vgg_file()
    r = run_vgx("train", "style", "--style", str(style_images["rgb"]), "--data", str(image_dir), "--slim",
                "--steps", "30", "--batch-size", "2", "--patch-size", "64", "--val-every", "30", "--lr", "5e-3",
                "--threads", "1", "--out", str(tmp_path))
    assert r.returncode == 0, r.stderr
    import csv

    rows = list(csv.DictReader((tmp_path / "train_log.csv").open()))
    style = [float(x["style"]) for x in rows]
    assert np.mean(style[-5:]) < 0.8 * np.mean(style[:5])
    card = torch.load(tmp_path / "model.pt", weights_only=True)["card"]
    assert card["name"] == "style-art-slim" and card["task"] == "style" and card["multiple_of"] == 4
    assert (tmp_path / "samples" / "latest.png").exists()


@pytest.mark.parametrize("kind", ["grey", "rgba"])
def test_grey_and_rgba_style_images_are_converted(image_dir: Path, style_images, tmp_path: Path, kind: str) -> None:
    vgg_file()
    r = run_vgx("train", "style", "--style", str(style_images[kind]), "--data", str(image_dir), "--slim",
                "--steps", "1", "--batch-size", "1", "--patch-size", "64", "--threads", "1", "--out", str(tmp_path))
    assert r.returncode == 0, r.stderr


def test_bad_style_inputs(image_dir: Path, style_images, tmp_path: Path) -> None:
    def err(*args: str) -> str:
        r = run_vgx("train", "style", *args, "--steps", "1", "--out", str(tmp_path / "o"))
        assert r.returncode != 0 and "Traceback" not in r.stderr, r.stderr
        return r.stderr

    assert "needs --style" in err("--data", str(image_dir))
    assert "needs the VGG-19 loss network" in err("--style", str(style_images["rgb"]), "--data", str(image_dir),
                                                  "--lossnet", str(tmp_path / "no-such.pth"))
    vgg_file()
    assert "--style-octaves 4: 1, 2 or 3" in err("--style", str(style_images["rgb"]), "--data", str(image_dir),
                                                 "--style-octaves", "4")
    assert "image not found" in err("--style", str(tmp_path / "missing.jpg"), "--data", str(image_dir))
    bad = tmp_path / "bad.jpg"
    bad.write_text("not an image")
    assert "not a readable image" in err("--style", str(bad), "--data", str(image_dir))
    empty = tmp_path / "empty"
    empty.mkdir()
    assert "no images" in err("--style", str(style_images["rgb"]), "--data", str(empty))


def _pan(n: int = 6) -> list[np.ndarray]:
    img = demo_images()["astronaut"][:, :, ::-1]
    return [np.ascontiguousarray(img[100:228, 40 + 3 * i : 40 + 3 * i + 160]) for i in range(n)]


def test_flicker_of_the_identity_style_is_one() -> None:
    frames = _pan()
    assert flicker_ratio(frames, frames) == pytest.approx(1.0)


def test_flicker_rises_with_per_frame_noise() -> None:
    frames = _pan()
    rng = np.random.default_rng(0)
    noisy = [np.clip(f.astype(int) + rng.integers(-6, 7, f.shape), 0, 255).astype(np.uint8) for f in frames]
    assert flicker_ratio(frames, noisy) > 1.5


def test_stability_loss_is_zero_for_a_motion_equivariant_net_and_not_for_a_fixed_pattern() -> None:
    from vgx.train.style_losses import random_motion, stability_loss, warp

    torch.manual_seed(0)
    x = torch.nn.functional.avg_pool2d(torch.rand(2, 3, 64, 64), 5, 1, 2)  # smooth, so resampling is exact-ish
    theta = random_motion(2, 4.0, (64, 64))
    moved, mask = warp(x, theta)
    assert 0.8 < float(mask.mean()) < 1.0  # the border that came from outside the frame is left out
    colour = lambda t: 0.5 * t + 0.25  # noqa: E731 - per-pixel: moves with the content
    assert stability_loss(colour(moved), colour(x), theta).item() < 1e-4
    grid = torch.zeros(1, 3, 64, 64)
    grid[..., ::4, :] = 1.0  # a pattern fixed to the frame: the flicker the loss must punish
    assert stability_loss(colour(moved) + grid, colour(x) + grid, theta).item() > 1e-2


def test_the_relative_stability_term_charges_amplification_at_every_size_of_change() -> None:
    from vgx.train.style_losses import random_motion, stability_loss, warp

    torch.manual_seed(0)
    x = torch.nn.functional.avg_pool2d(torch.rand(2, 3, 64, 64), 5, 1, 2) * 0.5 + 0.25
    theta = random_motion(2, 4.0, (64, 64))
    moved, _ = warp(x, theta)
    for gain in (0.5, 2.0):
        net = lambda t, g=gain: g * (t - 0.5) + 0.5  # noqa: E731 - per pixel: moves with the content, scales changes by g
        figures = []
        for std in (0.04, 0.004):  # ten levels of change, and under one
            nxt = moved + std * torch.randn_like(moved)
            figures.append((stability_loss(net(nxt), net(x), theta, (nxt, moved)).item(),
                            stability_loss(net(nxt), net(x), theta).item()))
        (rel_big, mse_big), (rel_small, mse_small) = figures
        assert rel_big == pytest.approx(gain, rel=0.05) and rel_small == pytest.approx(gain, rel=0.05)
        assert mse_small < mse_big / 50  # the MSE lets the small changes through at any gain
    assert stability_loss(x, x, torch.eye(2, 3).expand(2, 2, 3), (x, x)).item() < 1e-3  # no change in, none out


def test_the_per_detail_stability_term_is_not_lowered_by_flattening_the_output() -> None:
    from vgx.train.style_losses import random_motion, stability_loss, warp

    torch.manual_seed(0)
    x = torch.nn.functional.avg_pool2d(torch.rand(2, 3, 64, 64), 3, 1, 1) * 0.5 + 0.25
    theta = random_motion(2, 4.0, (64, 64))
    moved, _ = warp(x, theta)
    nxt = moved + 0.04 * torch.randn_like(moved)
    for contrast in (1.0, 0.25):  # the strokes at full strength, and flattened to a quarter
        net = lambda t, a=contrast: a * (t - 0.5) + 0.5  # noqa: E731 - per pixel, follows the noise with gain a
        plain = stability_loss(net(nxt), net(x), theta).item()
        per_detail = stability_loss(net(nxt), net(x), theta, per_detail=True).item()
        if contrast == 1.0:
            full = (plain, per_detail)
    assert plain == pytest.approx(full[0] / 16, rel=1e-3)  # the plain MSE pays for flattening: a^2
    assert per_detail == pytest.approx(full[1], rel=1e-3) and per_detail > 0.1  # this one does not
    still = lambda t: t  # noqa: E731 - a motion-equivariant net shown the noiseless move
    assert stability_loss(still(moved), still(x), theta, per_detail=True).item() < 1e-3
    flat = torch.full_like(x, 0.5)  # no strokes at all: the floor keeps the ratio finite
    assert stability_loss(flat, flat, theta, per_detail=True).item() < 1e-6


def test_a_detail_ceiling_stops_stronger_strokes_from_lowering_the_per_detail_term() -> None:
    from vgx.train.style_losses import detail, random_motion, stability_loss, warp

    torch.manual_seed(0)
    x = torch.nn.functional.avg_pool2d(torch.rand(2, 3, 64, 64), 3, 1, 1) * 0.5 + 0.25
    theta = random_motion(2, 4.0, (64, 64))
    noise = 0.02 * torch.randn(2, 3, 64, 64)  # the same flicker whatever the strokes' contrast

    def pair(contrast: float) -> tuple[torch.Tensor, torch.Tensor]:
        out = contrast * (x - 0.5) + 0.5  # strokes that move with the content, at a contrast
        return warp(out, theta)[0] + noise, out

    # under the contrast-1 strokes' energy (the term measures it on the moved output, which the warp softens)
    ceiling = 0.3 * detail(pair(1.0)[1]).square().mean().item()
    plain = {a: stability_loss(*pair(a), theta, per_detail=True).item() for a in (1.0, 3.0)}
    capped = {a: stability_loss(*pair(a), theta, per_detail=True, detail_ceiling=ceiling).item() for a in (1.0, 3.0)}
    assert plain[3.0] < plain[1.0] / 5  # uncapped, three times the contrast cuts the term ~9x with the same flicker
    assert capped[3.0] == pytest.approx(capped[1.0], rel=0.15)  # capped, it does not
    flat = {a: stability_loss(warp(a * (x - 0.5) + 0.5, theta)[0] + a * noise, a * (x - 0.5) + 0.5, theta,
                              per_detail=True, detail_ceiling=ceiling).item() for a in (0.25, 0.5)}
    assert flat[0.25] == pytest.approx(flat[0.5], rel=1e-3)  # and under it, flattening (strokes and flicker) still does not


def test_the_windowed_per_detail_term_is_not_lowered_by_flattening_part_of_the_output() -> None:
    from vgx.train.style_losses import random_motion, stability_loss, warp

    torch.manual_seed(0)
    x = torch.nn.functional.avg_pool2d(torch.rand(2, 3, 64, 64), 3, 1, 1) * 0.5 + 0.25
    theta = random_motion(2, 4.0, (64, 64))
    moved, _ = warp(x, theta)
    noisy_left = torch.full((1, 1, 64, 64), 0.01)
    noisy_left[..., :32] = 0.08  # the left half changes most between the frames (a flickering sky)
    nxt = moved + noisy_left * torch.randn_like(moved)
    half = torch.ones(1, 1, 64, 64)
    half[..., :32] = 0.25  # the left half's strokes (and the noise they follow) flattened to a quarter
    figures = {}
    for name, gain in (("whole", torch.ones(1, 1, 64, 64)), ("left flat", half)):
        net = lambda t, g=gain: g * (t - 0.5) + 0.5  # noqa: E731 - per pixel: follows the noise with gain g
        figures[name] = (stability_loss(net(nxt), net(x), theta, per_detail=True).item(),
                         stability_loss(net(nxt), net(x), theta, per_detail=True, detail_window=9).item())
    (whole_crop, window), (whole_crop_flat, window_flat) = figures["whole"], figures["left flat"]
    assert whole_crop_flat < 0.7 * whole_crop  # over the whole crop, a flatter half pays
    assert window_flat == pytest.approx(window, rel=0.1)  # per window it does not (but at the halves' seam)


def test_per_detail_options_that_do_not_go_together_are_refused(teacher: str) -> None:
    from vgx.train.style import StyleRecipe

    card = zoo.resolve("style-udnie-slim").card()
    with pytest.raises(VgxError, match="pick one"):
        StyleRecipe(zoo.build(card), card, 1e-3, teacher=teacher, relative_stability=True, per_detail=True)
    with pytest.raises(VgxError, match="add that"):
        StyleRecipe(zoo.build(card), card, 1e-3, teacher=teacher, detail_window=9)
    with pytest.raises(VgxError, match="odd number"):
        StyleRecipe(zoo.build(card), card, 1e-3, teacher=teacher, per_detail=True, detail_window=8)
    with pytest.raises(VgxError, match="caps the energy"):
        StyleRecipe(zoo.build(card), card, 1e-3, teacher=teacher, detail_ceiling=0.002)
    with pytest.raises(VgxError, match="mean squared detail"):
        StyleRecipe(zoo.build(card), card, 1e-3, teacher=teacher, per_detail=True, detail_ceiling=2.0)


def test_the_context_move_brings_in_real_content_and_moves_the_crop_as_the_plain_warp_does() -> None:
    from vgx.train.style import CONTEXT_MARGIN, StyleRecipe
    from vgx.train.style_losses import random_motion, stability_loss, warp

    torch.manual_seed(0)
    m = CONTEXT_MARGIN
    around = torch.nn.functional.avg_pool2d(torch.rand(4, 3, 64 + 2 * m, 64 + 2 * m), 5, 1, 2) * 0.5 + 0.25
    crop = around[..., m:-m, m:-m]
    theta = random_motion(4, 4.0, (64, 64))
    plain, inside = warp(crop, theta)
    moved = StyleRecipe._moved_in_context(around, theta, m)
    assert float(plain.min()) == 0 and float(moved.min()) > 0.2  # black comes in, or the content around the crop
    diff = (moved - plain).abs() * inside  # the same move where the crop had the pixels (the mask lets
    assert float(diff.max()) < 1e-3 and float(diff.mean()) < 1e-6  # 0.1% of a border pixel come from the padding)
    colour = lambda t: 0.5 * t + 0.25  # noqa: E731 - per pixel: moves with the content
    assert stability_loss(colour(moved), colour(crop), theta).item() < 1e-8


def test_a_crossing_object_is_pasted_into_the_frames_and_left_out_of_the_stability_term() -> None:
    from vgx.train.style import OCCLUDER_PX, StyleRecipe
    from vgx.train.style_losses import random_motion, stability_loss, warp

    torch.manual_seed(0)
    x = torch.nn.functional.avg_pool2d(torch.rand(6, 3, 256, 256), 5, 1, 2) * 0.5 + 0.25
    x[::2] = 0.0  # a black crop and a grey one take turns: the object, from the other crop, shows
    x[1::2] = 0.5
    theta = random_motion(6, 4.0, (256, 256))
    moved = warp(x, theta)[0]
    first, nxt, keep = StyleRecipe._object_crossing(x, moved)
    changed = [(first[i] != x[i]).any(0) | (nxt[i] != moved[i]).any(0) for i in range(6)]
    for i in range(6):
        area = int(changed[i].sum())
        assert OCCLUDER_PX[0] ** 2 <= area <= 2 * OCCLUDER_PX[1] ** 2  # one square, in one frame or both
        assert float(keep[i, 0][changed[i]].max()) == 0  # never charged where the object is
        assert 0.3 < float(keep[i].mean()) < 1.0  # a 256 px training crop keeps most of its frame
    # a net that only keeps colour (per pixel) changes nothing outside the object: no charge; a net whose
    # whole picture follows the frame's mean (as InstanceNorm statistics make it) is charged
    colour = lambda t: 0.5 * t + 0.25  # noqa: E731
    global_mean = lambda t: t + t.mean((1, 2, 3), keepdim=True)  # noqa: E731
    assert stability_loss(colour(nxt), colour(first), theta, keep=keep).item() < 1e-8
    assert stability_loss(global_mean(nxt), global_mean(first), theta, keep=keep).item() > 1e-4
    assert stability_loss(colour(nxt), colour(first), theta).item() > 1e-3  # unmasked, the object itself counts


def test_the_carried_stability_term_sees_the_next_frame_with_the_first_frames_norm_statistics(teacher: str) -> None:
    from vgx.train.style import StyleRecipe

    card = zoo.resolve("style-udnie-slim").card()
    torch.manual_seed(0)
    recipe = StyleRecipe(zoo.build(card), card, 1e-3, teacher=teacher, carried=True)
    x = torch.nn.functional.avg_pool2d(torch.rand(1, 3, 64, 64), 5, 1, 2) * 0.5 + 0.25
    nxt = x.clone()
    nxt[..., :24, :24] = 1.0  # a bright object enters a corner: every norm's statistics move
    with torch.no_grad():
        plain = recipe._forward(recipe.model, x)
        own, stats = recipe._forward_carried(x, None)
        assert torch.allclose(own, plain, atol=1e-4)  # with its own statistics the twin is the net
        far = (..., slice(40, None), slice(40, None))  # away from the object (the net's reach: ~20 px)
        change_plain = (recipe._forward(recipe.model, nxt) - plain)[far].abs().mean().item()
        change_carried = (recipe._forward_carried(nxt, stats)[0] - plain)[far].abs().mean().item()
    assert change_carried < 0.2 * change_plain  # the plain net's whole picture follows the statistics
    before = [p.detach().clone() for p in recipe.model.parameters()]
    parts = recipe.step(x.expand(2, -1, -1, -1).contiguous())
    assert parts["stability"].item() > 0
    moved = [not torch.equal(b, p) for b, p in zip(before, recipe.model.parameters())]
    assert all(moved)  # the twin's gradients reach the net's own parameters


def test_loss_network_names_its_layers_and_refuses_unknown_ones() -> None:
    from vgx.errors import VgxError

    net = LossNetwork(("stem", "e1", "e5", "s3"), temperature=None)
    feats = net.raw_features(torch.rand(1, 3, 64, 64))
    assert {k: tuple(v.shape[1:]) for k, v in feats.items()} == {
        "stem": (32, 32, 32), "e1": (96, 32, 32), "e5": (240, 8, 8), "s3": (40, 8, 8)}
    assert min(float(feats[k].min()) for k in ("stem", "e1", "e5")) >= 0  # post-ReLU6
    with pytest.raises(VgxError, match="unknown loss-network layer"):
        LossNetwork(("relu3_3",))


def test_a_slim_style_distils_from_a_trained_full_one_without_the_loss_network(image_dir: Path, tmp_path: Path) -> None:
    r = run_vgx("train", "style-udnie-slim", "--teacher", "style-udnie", "--data", str(image_dir), "--steps", "12",
                "--batch-size", "2", "--patch-size", "64", "--lr", "5e-3", "--val-every", "12", "--threads", "1",
                "--stability-weight", "0", "--lossnet", str(tmp_path / "absent.pth"), "--out", str(tmp_path / "d"))
    assert r.returncode == 0, r.stderr
    import csv

    rows = list(csv.DictReader((tmp_path / "d" / "train_log.csv").open()))
    distill = [float(x["distill"]) for x in rows]
    assert np.mean(distill[-4:]) < 0.7 * np.mean(distill[:4])
    card = torch.load(tmp_path / "d" / "model.pt", weights_only=True)["card"]
    assert card["name"] == "style-udnie-slim" and "distilled from style-udnie" in card["trained_on"]


def test_the_recipe_moves_everything_it_holds_to_the_training_device(style_images, teacher: str) -> None:
    # `vgx train --device cuda` moves the recipe after building it; the meta device shows here, with
    # no GPU, that nothing the recipe holds (loss network, teacher, the painting's Grams) stays behind
    from vgx.train.style import StyleRecipe

    card = zoo.resolve("style-udnie-slim").card()
    model = zoo.build(card)
    recipe = StyleRecipe(model, card, 1e-3, style_image=str(style_images["rgb"]), style_size=64,
                         lossnet=str(vgg_file()), teacher=teacher)
    meta = torch.device("meta")
    model.to(meta)
    recipe.to(meta)
    held = [*recipe.lossnet.parameters(), *recipe.lossnet.buffers(), *recipe.teacher.parameters(),
            *recipe.style_targets.values()]
    assert held and all(t.device == meta for t in held)


def test_the_stability_noise_can_span_a_range_and_a_bad_range_is_refused(teacher: str) -> None:
    from vgx.train.style import StyleRecipe

    card = zoo.resolve("style-udnie-slim").card()
    fixed = StyleRecipe(zoo.build(card), card, 1e-3, teacher=teacher)
    assert fixed._noise_std(torch.zeros(4, 3, 8, 8)) == 0.04  # the shipped recipe: one std
    spread = StyleRecipe(zoo.build(card), card, 1e-3, teacher=teacher, noise_std=0.04, noise_min=0.002)
    std = spread._noise_std(torch.zeros(512, 3, 8, 8)).flatten()
    assert 0.002 <= float(std.min()) < 0.003 and 0.03 < float(std.max()) <= 0.04
    assert 0.3 < float((std < 0.009).float().mean()) < 0.7  # log-uniform: the geometric middle splits it
    with pytest.raises(VgxError, match="stability-noise-min"):
        StyleRecipe(zoo.build(card), card, 1e-3, teacher=teacher, noise_std=0.01, noise_min=0.02)


def test_the_camera_perturbation_correlates_the_noise_and_blocks_some_frames(teacher: str) -> None:
    from vgx.train.style import StyleRecipe

    card = zoo.resolve("style-udnie-slim").card()
    torch.manual_seed(0)
    x = torch.nn.functional.avg_pool2d(torch.rand(64, 3, 32, 32), 5, 1, 2)

    def neighbour_correlation(d: torch.Tensor) -> torch.Tensor:  # per sample, of the change with its right neighbour
        a, b = d[..., :-1].flatten(1), d[..., 1:].flatten(1)
        a, b = a - a.mean(1, keepdim=True), b - b.mean(1, keepdim=True)
        return (a * b).sum(1) / (a.norm(dim=1) * b.norm(dim=1))

    pixel = StyleRecipe(zoo.build(card), card, 1e-3, teacher=teacher)._perturbed(x) - x
    camera = StyleRecipe(zoo.build(card), card, 1e-3, teacher=teacher, perturb="camera")._perturbed(x) - x
    assert float(neighbour_correlation(pixel).abs().max()) < 0.1  # fresh noise per pixel
    corr = neighbour_correlation(camera)
    assert float((corr > 0.5).float().mean()) > 0.5  # most samples: noise blurred over 1-4 px
    assert float((corr < 0.1).float().mean()) > 0.1  # some: per pixel, as before
    assert 0.035 < float(camera.std()) < 0.06  # the same level (JPEG adds a little)
    with pytest.raises(VgxError, match="stability-perturb"):
        StyleRecipe(zoo.build(card), card, 1e-3, teacher=teacher, perturb="film")


def test_the_codec_perturbation_sends_both_frames_through_one_h264_stream(teacher: str) -> None:
    from vgx.train.style import StyleRecipe
    from vgx.train.style_losses import random_motion

    card = zoo.resolve("style-udnie-slim").card()
    recipe = StyleRecipe(zoo.build(card), card, 1e-3, teacher=teacher, perturb="codec", noise_std=0.008)
    x = torch.nn.functional.avg_pool2d(torch.rand(8, 3, 64, 64, generator=torch.Generator().manual_seed(1)), 9, 1, 4)

    def pair(seed: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        torch.manual_seed(seed)
        theta = random_motion(8, 4.0, (64, 64))
        return (*recipe._codec_pair(x, theta), theta)

    first, second, theta = pair(0)
    again = pair(0)
    assert torch.equal(first, again[0]) and torch.equal(second, again[1])  # torch's seed decides it all: resumable
    still = (theta == torch.eye(2, 3)).flatten(1).all(1)
    assert 0 < int(still.sum()) < 8  # some pairs still (a near-still clip), some moving
    mse = (first - x).square().mean().item()
    assert 0 < mse < 1e-3  # each frame is the crop after noise and a lossy encode, close to it
    change = (second[still] - first[still]).abs()
    assert 0 < float(change.mean()) < 0.02  # still: the frames differ only by the noise and the encoder
    parts = recipe.step(x)
    assert float(parts["stability"]) > 0 and float(parts["distill"]) > 0
