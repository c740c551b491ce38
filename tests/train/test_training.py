"""Real training steps on small real images: learning, exact resume, DDP, NaN guard."""

from __future__ import annotations

import csv
import os
import subprocess
import sys

import pytest
import torch

from tests.conftest import REPO
from vgx.errors import VgxError
from vgx.train import recipes
from vgx.train.loop import RECIPE_DEFAULTS, TrainConfig, lr_factor, train, with_defaults


def _cfg(image_dir, out, **kw) -> TrainConfig:
    base = dict(model="espcn-x2", data=[str(image_dir)], out=str(out), val=str(image_dir), steps=6, batch_size=4,
                patch_size=16, lr=1e-3, warmup=2, val_every=1000, ckpt_every=3, threads=1, seed=1)
    return TrainConfig(**{**base, **kw})


def _weights(path) -> dict[str, torch.Tensor]:
    return torch.load(path, weights_only=True)["model"]


def _losses(out) -> list[float]:
    with open(out / "train_log.csv") as f:
        return [float(r["loss"]) for r in csv.DictReader(f)]


def test_unset_options_take_the_recipe_s_shipped_settings_and_given_ones_win() -> None:
    style = with_defaults(TrainConfig(model="style-x", data=[]), "style")
    assert (style.steps, style.batch_size, style.patch_size) == (2000, 2, 256)  # the second wave's first stage
    sr = with_defaults(TrainConfig(model="espcn-x2", data=[], batch_size=4), "psnr")
    assert (sr.steps, sr.batch_size, sr.patch_size, sr.lr) == (10_000, 4, 32, 1e-3)
    assert with_defaults(TrainConfig(model="m", data=[]), "no-such-recipe").steps == RECIPE_DEFAULTS["psnr"][0]


def test_loss_goes_down_and_artifacts_are_written(image_dir, tmp_path) -> None:
    final = train(_cfg(image_dir, tmp_path, steps=80, batch_size=8, val_every=40, warmup=5))
    losses = _losses(tmp_path)
    assert len(losses) == 80
    assert sum(losses[-10:]) < 0.7 * sum(losses[:10])
    assert final.exists() and (tmp_path / "last.pt").exists()
    assert (tmp_path / "samples" / "step_0000080.png").exists()
    payload = torch.load(final, weights_only=True)
    assert payload["card"]["train_steps"] == 80 and "val_psnr_y" in payload["card"]["quality"]
    assert "train_state" not in payload


def test_resume_continues_exactly(image_dir, tmp_path) -> None:
    train(_cfg(image_dir, tmp_path / "straight"))
    train(_cfg(image_dir, tmp_path / "split", stop_at=3))
    assert not (tmp_path / "split" / "model.pt").exists()
    train(_cfg(image_dir, tmp_path / "split", resume=str(tmp_path / "split" / "last.pt")))
    a, b = _weights(tmp_path / "straight" / "model.pt"), _weights(tmp_path / "split" / "model.pt")
    for k in a:
        assert torch.equal(a[k], b[k]), k
    assert _losses(tmp_path / "straight") == _losses(tmp_path / "split")


def test_weight_average_is_what_model_pt_holds_and_resumes_exactly(image_dir, tmp_path) -> None:
    decay = 0.5
    train(_cfg(image_dir, tmp_path / "straight", ema=decay))
    train(_cfg(image_dir, tmp_path / "split", ema=decay, stop_at=3))
    train(_cfg(image_dir, tmp_path / "split", ema=decay, resume=str(tmp_path / "split" / "last.pt")))
    averaged, split = _weights(tmp_path / "straight" / "model.pt"), _weights(tmp_path / "split" / "model.pt")
    for k in averaged:
        assert torch.equal(averaged[k], split[k]), k
    last = torch.load(tmp_path / "straight" / "last.pt", weights_only=True)
    # the last iterate and its average differ, and the average is what the run kept of it
    assert any(not torch.equal(averaged[k], last["model"][k]) for k in averaged)
    for k in averaged:
        assert torch.equal(averaged[k], last["train_state"]["ema"][k]), k
    # the last step by hand: the 6th iterate pulls the 5th step's average half way
    train(_cfg(image_dir, tmp_path / "five", ema=decay, stop_at=5))
    fifth = torch.load(tmp_path / "five" / "last.pt", weights_only=True)["train_state"]["ema"]
    for k in averaged:
        assert torch.allclose(averaged[k], fifth[k] + (last["model"][k] - fifth[k]) * (1 - decay), atol=1e-7), k
    plain = _weights(train(_cfg(image_dir, tmp_path / "plain")))
    for k in plain:
        assert torch.equal(plain[k], last["model"][k]), k  # averaging does not change the training itself
    assert "EMA 0.5" in torch.load(tmp_path / "straight" / "model.pt", weights_only=True)["card"]["trained_on"]
    with pytest.raises(VgxError, match="--ema 1.0"):
        train(_cfg(image_dir, tmp_path / "bad", ema=1.0))


def test_resume_refuses_another_models_checkpoint(image_dir, tmp_path) -> None:
    train(_cfg(image_dir, tmp_path / "a", steps=2))
    with pytest.raises(VgxError, match="not a training checkpoint of fsrcnn-x2"):
        train(_cfg(image_dir, tmp_path / "b", model="fsrcnn-x2", resume=str(tmp_path / "a" / "last.pt")))


def test_nan_loss_stops_and_keeps_last_good_checkpoint(image_dir, tmp_path, monkeypatch) -> None:
    calls = {"n": 0}
    real = recipes.PSNRRecipe.pixel_loss

    def poisoned(self, sr, hr):  # a real loss until step 5, then nan (as a diverging run)
        calls["n"] += 1
        loss = real(self, sr, hr)
        return loss * float("nan") if calls["n"] >= 5 else loss

    monkeypatch.setattr(recipes.PSNRRecipe, "pixel_loss", poisoned)
    with pytest.raises(VgxError, match="loss became .*step 5.*last good checkpoint"):
        train(_cfg(image_dir, tmp_path, steps=10, ckpt_every=2))
    state = torch.load(tmp_path / "last.pt", weights_only=True)["train_state"]
    assert state["step"] == 4
    assert all(torch.isfinite(v).all() for v in _weights(tmp_path / "last.pt").values())


def test_l2_pixel_loss_is_psnr_s_error_and_only_for_psnr_nets(image_dir, tmp_path) -> None:
    from vgx.train import zoo

    card = zoo.resolve("espcn-x2").card()
    sr, hr = torch.rand(1, 3, 8, 8), torch.rand(1, 3, 8, 8)
    l2 = recipes.PSNRRecipe(zoo.build(card), card, 1e-3, pixel_loss="l2")
    y = recipes.rgb_to_y
    assert l2.pixel_loss(sr, hr).item() == pytest.approx(((y(sr) - y(hr)) ** 2).mean().item())
    with pytest.raises(VgxError, match="--pixel-loss must be one of l1, l2"):
        recipes.PSNRRecipe(zoo.build(card), card, 1e-3, pixel_loss="huber")
    final = train(_cfg(image_dir, tmp_path / "l2", extra={"pixel_loss": "l2"}))
    assert "(L2 loss)" in torch.load(final, weights_only=True)["card"]["trained_on"]
    with pytest.raises(VgxError, match="--pixel-loss is for the PSNR-trained SR nets"):
        train(_cfg(image_dir, tmp_path / "gan", model="srgan", steps=1, extra={"pixel_loss": "l2"}))


def test_lr_schedule_warms_up_then_decays() -> None:
    assert lr_factor(0, 100, 10, 0.01) == pytest.approx(0.1)
    assert lr_factor(10, 100, 10, 0.01) == pytest.approx(1.0)
    assert lr_factor(100, 100, 10, 0.01) == pytest.approx(0.01)


def test_gan_recipe_trains_the_generator(image_dir, tmp_path) -> None:
    from vgx.train import checkpoint, zoo

    card = zoo.resolve("srresnet-x4").card()
    card.train_steps = 7  # the fine-tune's card counts the steps it started from
    init = checkpoint.save(tmp_path / "pre.pt", card, zoo.build(card))
    cfg = _cfg(image_dir, tmp_path / "gan", model="srgan", steps=2, batch_size=2, patch_size=12, init=str(init), lr=1e-4)
    final = train(cfg)
    with open(tmp_path / "gan" / "train_log.csv") as f:
        rows = list(csv.DictReader(f))
    assert {"pix", "feat", "adv", "loss_d"} <= set(rows[0])
    assert all(float(r[k]) == float(r[k]) for r in rows for k in ("pix", "feat", "adv", "loss_d"))
    before, after = _weights(init), _weights(final)
    assert any(not torch.equal(before[k], after[k]) for k in before)
    assert checkpoint.card_of(checkpoint.load(final)).init_steps == 7


def test_resumed_fine_tune_keeps_the_steps_it_started_from(image_dir, tmp_path) -> None:
    from vgx.train import checkpoint

    train(_cfg(image_dir, tmp_path / "pre", steps=2))
    out = tmp_path / "tune"
    train(_cfg(image_dir, out, steps=4, stop_at=2, init=str(tmp_path / "pre" / "model.pt")))
    final = train(_cfg(image_dir, out, steps=4, resume=str(out / "last.pt")))  # a later session: no --init
    card = checkpoint.card_of(checkpoint.load(final))
    assert (card.init_steps, card.train_steps) == (2, 4)
    assert card.lineage == [f"espcn-x2: 2 steps on {image_dir.name}"]
    again = train(_cfg(image_dir, tmp_path / "again", steps=1, init=str(final)))  # a second slice on top
    lineage = checkpoint.card_of(checkpoint.load(again)).lineage
    assert lineage == [f"espcn-x2: 2 steps on {image_dir.name}", f"espcn-x2: 4 steps on {image_dir.name}"]


@pytest.mark.parametrize("form", ["module", "script"])
def test_ddp_two_processes_match_one_with_double_batch(image_dir, tmp_path, form) -> None:
    args = ["train", "espcn-x2", "--data", str(image_dir), "--val", str(image_dir), "--steps", "4",
            "--patch-size", "16", "--val-every", "100", "--threads", "1", "--seed", "3"]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    single = subprocess.run([sys.executable, "-m", "vgx", *args, "--batch-size", "8", "--out", str(tmp_path / "one")],
                            capture_output=True, text=True, env=env, cwd=REPO, timeout=300)
    assert single.returncode == 0, single.stderr
    target = ["-m", "vgx"] if form == "module" else [str(REPO / "vgx" / "__main__.py")]
    ddp = subprocess.run([sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2",
                          *target, *args, "--batch-size", "4", "--out", str(tmp_path / "two")],
                         capture_output=True, text=True, env=env, cwd=REPO, timeout=300)
    assert ddp.returncode == 0, ddp.stderr[-2000:]
    a, b = _weights(tmp_path / "one" / "model.pt"), _weights(tmp_path / "two" / "model.pt")
    for k in a:
        torch.testing.assert_close(a[k], b[k], rtol=1e-4, atol=1e-5)


def test_device_choice_is_checked_before_any_work() -> None:
    from vgx.train.loop import resolve_device

    assert resolve_device("cpu") == torch.device("cpu")
    assert resolve_device("auto").type == ("cuda" if torch.cuda.is_available() else "cpu")
    with pytest.raises(VgxError, match="not a device"):
        resolve_device("gpu0")
    with pytest.raises(VgxError, match="vgx trains on cpu or cuda"):
        resolve_device("meta")
    if not torch.cuda.is_available():
        with pytest.raises(VgxError, match="sees no CUDA GPU"):
            resolve_device("cuda")


def test_degradations_are_for_real_models_and_named(image_dir, tmp_path) -> None:
    with pytest.raises(VgxError, match="for the -real models"):
        train(_cfg(image_dir, tmp_path, degradations="camera"))
    with pytest.raises(VgxError, match="--degradations 'film'"):
        train(_cfg(image_dir, tmp_path, model="espcn-x2-real", degradations="film"))


def test_rescales_add_smaller_copies_of_each_image_and_train(image_dir, tmp_path) -> None:
    from vgx.train.data import PatchSampler

    plain = PatchSampler([image_dir], 2, 16)
    more = PatchSampler([image_dir], 2, 16, rescales=(0.8, 0.6))
    assert len(more) == 3 * len(plain)  # the test images are large enough at 0.6 for a 32 px patch
    big, small = more.pairs[0], more.pairs[2]
    assert small.hr.shape[0] == pytest.approx(0.6 * big.hr.shape[0], abs=2)
    assert small.lr.shape[0] * 2 == small.hr.shape[0]  # LR made from the smaller copy, as the protocol makes it
    train(_cfg(image_dir, tmp_path / "r", rescales=(0.8,)))
    assert (tmp_path / "r" / "model.pt").exists()
    with pytest.raises(VgxError, match="--rescales 1.5"):
        PatchSampler([image_dir], 2, 16, rescales=(1.5,))
    with pytest.raises(VgxError, match="clean SR models"):
        train(_cfg(image_dir, tmp_path, model="espcn-x2-real", rescales=(0.8,)))


class _Grey(torch.nn.Module):
    """An x2 'teacher' whose output is mid-grey everywhere: the blend is then plain arithmetic."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.full((x.shape[0], 3, 2 * x.shape[2], 2 * x.shape[3]), 0.5)


def test_a_teacher_blends_its_output_into_the_targets_and_trains(image_dir, tmp_path) -> None:
    from vgx.train.data import PatchSampler

    plain = PatchSampler([image_dir], 2, 16)
    taught = PatchSampler([image_dir], 2, 16, teacher=(_Grey(), 0.25))
    for a, b in zip(plain.pairs, taught.pairs):
        assert (a.lr == b.lr).all()  # inputs untouched
        expected = 0.75 * a.hr.astype(float) + 0.25 * 127.5
        assert abs(b.hr.astype(float) - expected).max() <= 1.0  # one uint8 rounding
    alone = PatchSampler([image_dir], 2, 16, teacher=(_Grey(), 1.0))
    assert all((p.hr == 128).all() for p in alone.pairs)
    with pytest.raises(VgxError, match="--teacher-weight 0"):
        PatchSampler([image_dir], 2, 16, teacher=(_Grey(), 0.0))
    # a real run with a shipped teacher of the same scale; its card says where the targets came from
    final = train(_cfg(image_dir, tmp_path / "t", teacher="compact-x2", teacher_weight=0.5))
    assert "compact-x2's output" in torch.load(final, weights_only=True)["card"]["trained_on"]


def test_antialias_is_refused_outside_style_nets(image_dir, tmp_path) -> None:
    with pytest.raises(VgxError, match="--antialias is for style nets; not for espcn-x2"):
        train(_cfg(image_dir, tmp_path, antialias=True))


def test_a_teacher_of_another_scale_or_for_a_real_model_is_refused(image_dir, tmp_path) -> None:
    with pytest.raises(VgxError, match="--teacher espcn-x4 is a sr model of scale 4"):
        train(_cfg(image_dir, tmp_path, teacher="espcn-x4"))
    with pytest.raises(VgxError, match="--teacher is for style nets and the clean SR"):
        train(_cfg(image_dir, tmp_path, model="espcn-x2-real", teacher="compact-x2"))
