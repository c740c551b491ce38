"""Registry, model cards, checkpoints: every zoo model builds, runs and round-trips."""

from __future__ import annotations

import io
import pickle
from dataclasses import replace

import pytest
import torch

from vgx.card import ModelCard
from vgx.errors import VgxError
from vgx.train import checkpoint, zoo
from vgx.train.loading import load_model


@pytest.mark.parametrize("name", [n for n, e in zoo.ZOO.items() if e.task != "generate"])
def test_zoo_model_maps_rgb_to_rgb(name: str) -> None:  # generators: tests/train/test_faces.py
    card = zoo.resolve(name).card()
    model = zoo.build(card).eval()
    with torch.no_grad():
        y = model(torch.rand(1, 3, 12, 16))
    assert y.shape == (1, 3, 12 * card.scale, 16 * card.scale)
    assert card.task in ("sr", "style") and card.channels == 3 and card.color_order == "RGB"
    assert 12 % card.multiple_of == 0 and 16 % card.multiple_of == 0


def test_aliases_and_family_scale() -> None:
    assert zoo.resolve("srgan").name == "srgan-x4"
    assert zoo.resolve("espcn", 3).name == "espcn-x3"
    assert zoo.resolve("FSRCNN-X2").name == "fsrcnn-x2"
    with pytest.raises(VgxError, match="does not support scale 5"):
        zoo.resolve("espcn", 5)
    with pytest.raises(VgxError, match="unknown model"):
        zoo.resolve("espcnn")


def test_card_round_trip() -> None:
    card = zoo.resolve("compact-x4").card()
    card.quality = {"set5_psnr_y": 30.1}
    again = ModelCard.from_dict(card.to_dict())
    assert again == card


def test_checkpoint_is_weights_only_and_round_trips(tmp_path) -> None:
    card = zoo.resolve("espcn-x2").card()
    model = zoo.build(card)
    path = checkpoint.save(tmp_path / "m.pt", card, model, train_state={"step": 3, "rng": torch.get_rng_state()})
    payload = torch.load(path, weights_only=True)  # the contract: plain weights-only loading works
    assert payload["train_state"]["step"] == 3
    loaded, loaded_card = load_model(str(path))
    assert loaded_card == card
    for a, b in zip(model.state_dict().values(), loaded.state_dict().values()):
        assert torch.equal(a, b)


def test_half_precision_storage_loads_into_fp32(tmp_path) -> None:
    card = zoo.resolve("fsrcnn-x3").card()
    model = zoo.build(card)
    path = checkpoint.save(tmp_path / "h.pt", card, model, storage="fp16")
    assert all(v.dtype == torch.float16 for v in torch.load(path, weights_only=True)["model"].values() if v.is_floating_point())
    loaded, _ = load_model(str(path))
    assert next(loaded.parameters()).dtype == torch.float32


def test_int8_storage_loads_into_fp32_within_half_a_step_per_channel(tmp_path) -> None:
    card = zoo.resolve("compact-x2").card()
    model = zoo.build(card)
    path = checkpoint.save(tmp_path / "q.pt", card, model, storage="int8")
    raw = torch.load(path, weights_only=True)  # still plain weights-only loading
    big = [k for k, v in model.state_dict().items() if v.dim() >= 2 and v.numel() >= checkpoint.INT8_MIN_VALUES]
    assert big and all(raw["model"][k].dtype == torch.int8 for k in big) and set(raw["int8_scales"]) == set(big)
    loaded, _ = load_model(str(path))
    for k, v in loaded.state_dict().items():
        ref = model.state_dict()[k]
        assert v.dtype == ref.dtype == torch.float32
        if k in big:  # symmetric per output channel: off by at most half a step of that channel's scale
            step = ref.abs().flatten(1).amax(1) / 127
            assert ((v - ref).abs().flatten(1).amax(1) <= step * 0.5 + 1e-3 * step + 1e-6).all(), k
        else:
            assert torch.allclose(v, ref, atol=1e-3, rtol=1e-3), k
    with pytest.raises(ValueError, match="storage"):
        checkpoint.save(tmp_path / "x.pt", card, model, storage="int4")


class _Evil:
    def __reduce__(self):
        return (print, ("pwned",))


def test_pickle_with_code_is_refused(tmp_path) -> None:
    path = tmp_path / "evil.pt"
    buf = io.BytesIO()
    torch.save({"format": "vgx-checkpoint", "payload": _Evil()}, buf)
    path.write_bytes(buf.getvalue())
    with pytest.raises(VgxError, match="weights-only"):
        checkpoint.load(path)
    assert pickle  # imported for clarity of intent: plain pickle would run the payload


def test_checkpoint_of_another_model_is_refused(tmp_path) -> None:
    card = zoo.resolve("espcn-x2").card()
    path = checkpoint.save(tmp_path / "m.pt", card, zoo.build(card))
    payload = checkpoint.load(path)
    with pytest.raises(VgxError, match="does not fit"):
        checkpoint.load_weights(zoo.build(zoo.resolve("fsrcnn-x2").card()), payload)


@pytest.mark.parametrize("scale", [2, 3, 4])
def test_deconv_rewrite_is_the_same_function(scale: int) -> None:
    from vgx.train.models.fsrcnn import subpixel_from_deconv

    torch.manual_seed(scale)
    deconv = torch.nn.ConvTranspose2d(7, 2, 9, stride=scale, padding=4, output_padding=scale - 1)
    x = torch.randn(2, 7, 11, 13)
    with torch.no_grad():
        torch.testing.assert_close(subpixel_from_deconv(deconv)(x), deconv(x), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("mode", ["nearest", "bilinear", "bicubic"])
@pytest.mark.parametrize("scale", [2, 3, 4])
def test_phase_upsample_is_exactly_interpolate(mode: str, scale: int) -> None:
    from vgx.train.models.upsample import Interpolate, PhaseUpsample

    x = torch.rand(2, 3, 13, 21)
    assert torch.allclose(PhaseUpsample(3, scale, mode)(x), Interpolate(3, scale, mode)(x), atol=5e-6)


@pytest.mark.parametrize("f", [2, 3, 4])
def test_space_to_depth_conv_is_the_same_function(f: int) -> None:
    from vgx.train.models.export_form import space_to_depth_conv

    torch.manual_seed(f)
    k = 2 * f + 1 if f != 3 else 7  # (k - 1) % f == 0
    conv = torch.nn.Conv2d(5, 3, k)
    x = torch.randn(2, 5, 4 * f + k - 1, 6 * f + k - 1)
    with torch.no_grad():
        torch.testing.assert_close(space_to_depth_conv(conv, f)(x), conv(x), rtol=1e-5, atol=1e-5)
    with pytest.raises(ValueError):
        space_to_depth_conv(torch.nn.Conv2d(5, 3, k, padding=1), f)


@pytest.mark.parametrize("name", [n for n, e in zoo.ZOO.items() if e.task == "sr"]
                         + ["style-wave", "style-wave-slim", "style-wave-slim+antialias"])
def test_export_form_computes_the_same_function(name: str) -> None:
    torch.manual_seed(0)
    card = zoo.resolve(name.split("+")[0]).card()
    if name.endswith("+antialias"):
        card.arch_kwargs["antialias"] = True
    model = zoo.build(card).eval()
    x = torch.rand(1, 3, 20, 28)
    with torch.no_grad():
        assert torch.allclose(model.for_export()(x), model(x), atol=1e-5)


@pytest.mark.parametrize("name", ["fsrcnn-x2", "compact-x2"])
def test_per_channel_slopes_start_a_one_slope_model_at_their_mean(name: str, tmp_path) -> None:
    entry = zoo.resolve(name)
    per_channel = dict(entry.card().arch_kwargs, slopes="channel")
    old_card = replace(entry.card(), arch_kwargs=per_channel)
    old = zoo.build(old_card)
    payload = checkpoint.load(checkpoint.save(tmp_path / "old.pt", old_card, old))
    new = zoo.build(entry.card())
    with pytest.raises(VgxError, match="does not fit"):  # a plain load (resume) stays strict
        checkpoint.load_weights(new, payload)
    checkpoint.load_weights(new, payload, adapt=True)
    slopes_old = [m.weight for m in old.modules() if isinstance(m, torch.nn.PReLU)]
    slopes_new = [m.weight for m in new.modules() if isinstance(m, torch.nn.PReLU)]
    assert slopes_new and all(n.numel() == 1 for n in slopes_new)
    for o, n in zip(slopes_old, slopes_new):
        assert float(n.detach()) == pytest.approx(float(o.detach().mean()))
    leaky = [m for m in new.for_export().modules() if isinstance(m, torch.nn.LeakyReLU)]
    assert len(leaky) == len(slopes_new) and not any(isinstance(m, torch.nn.PReLU) for m in new.for_export().modules())


@pytest.mark.parametrize("src, dst", [("compact-x2-real", "compact-x1-real"), ("compact-x4", "compact-x2"),
                                      ("compact-x4-real", "compact-x1-real")])
def test_a_larger_scale_head_starts_a_smaller_one_at_its_phase_mean(src: str, dst: str, tmp_path) -> None:
    # compact-x1-real starts from compact-x2-real: the x1 net must then output the x2 net's
    # output box-averaged to x1's grid (its residual's local mean), exactly
    torch.manual_seed(0)
    src_card, dst_card = zoo.resolve(src).card(), zoo.resolve(dst).card()
    source = zoo.build(src_card).eval()
    payload = checkpoint.load(checkpoint.save(tmp_path / "src.pt", src_card, source))
    target = zoo.build(dst_card).eval()
    with pytest.raises(VgxError, match="does not fit"):
        checkpoint.load_weights(target, payload)  # resume stays strict
    checkpoint.load_weights(target, payload, adapt=True)
    x = torch.rand(1, 3, 12, 16)
    with torch.no_grad():
        box = torch.nn.functional.avg_pool2d(source(x), src_card.scale // dst_card.scale)
        assert torch.allclose(target(x), box, atol=1e-5)
