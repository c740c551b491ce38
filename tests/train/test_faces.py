"""Face generators: shapes, the VAE's maths, real training steps, and vgx generate."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch

from tests.conftest import run_vgx
from vgx.images import demo_images, load_rgb, save_rgb
from vgx.train import zoo
from vgx.train.models.vae import ConvVAE, kl_divergence
from vgx.train.sampling import slerp


def test_generators_map_latents_to_64px_rgb() -> None:
    for name in ("dcgan-faces", "vae-faces"):
        card = zoo.resolve(name).card()
        g = zoo.build(card).eval()
        with torch.no_grad():
            y = g(torch.randn(3, card.arch_kwargs["latent_dim"]))
        assert y.shape == (3, 3, 64, 64) and y.min() >= 0 and y.max() <= 1 and card.task == "generate"


def test_reparameterisation_has_the_posterior_moments() -> None:
    torch.manual_seed(0)
    mu, logvar = torch.full((20000, 2), 1.5), torch.full((20000, 2), np.log(0.25))
    z = ConvVAE.reparameterize(mu, logvar)
    assert z.mean().item() == pytest.approx(1.5, abs=0.02) and z.std().item() == pytest.approx(0.5, abs=0.02)


def test_kl_against_the_closed_form() -> None:
    mu, logvar = torch.tensor([[1.0, -2.0]]), torch.tensor([[0.0, np.log(4.0)]])
    # KL(N(mu, s^2) || N(0,1)) = 0.5 * (s^2 + mu^2 - 1 - ln s^2) per dim
    expected = 0.5 * (1 + 1 - 1 - 0) + 0.5 * (4 + 4 - 1 - np.log(4.0))
    assert kl_divergence(mu, logvar).item() == pytest.approx(expected, rel=1e-6)
    assert kl_divergence(torch.zeros(1, 5), torch.zeros(1, 5)).item() == 0


def test_the_fitted_prior_recovers_a_gaussian_and_old_weights_load_with_the_standard_one() -> None:
    vae = ConvVAE(latent_dim=4, width=8)
    z = torch.randn(2, 4)
    assert torch.allclose(vae(z), vae.decode(z))  # before fitting: N(0, I)
    a = torch.tensor([[2.0, 0, 0, 0], [1.0, 0.5, 0, 0], [0, 0, 1.0, 0], [0, 0, 0.3, 0.1]])
    means = torch.randn(20000, 4, generator=torch.Generator().manual_seed(0)) @ a.T + torch.tensor([1.0, -2, 0, 3])
    vae.fit_prior(means, shrink=0.0)
    assert torch.allclose(vae.prior_mean, torch.tensor([1.0, -2, 0, 3]), atol=0.05)
    assert torch.allclose(vae.prior_scale @ vae.prior_scale.T, a @ a.T, atol=0.08)
    assert torch.allclose(vae(z), vae.decode(vae.prior_mean + z @ vae.prior_scale.T))  # forward = prior_latent + decode
    old = {k: v for k, v in ConvVAE(latent_dim=4, width=8).state_dict().items() if not k.startswith("prior_")}
    fresh = ConvVAE(latent_dim=4, width=8)
    fresh.load_state_dict(old)  # strict: weights saved before the prior existed
    assert torch.equal(fresh.prior_scale, torch.eye(4))


def test_vae_training_refits_the_prior_from_recent_posterior_means() -> None:
    from vgx.card import ModelCard
    from vgx.train.faces import VAERecipe

    vae = ConvVAE(latent_dim=8, width=8)
    recipe = VAERecipe(vae, ModelCard("vae-test", "generate", "vae"), lr=1e-3, beta=0.05)
    recipe.PRIOR_SAMPLES, recipe.PRIOR_EVERY = 64, 5
    x = torch.rand(16, 3, 64, 64, generator=torch.Generator().manual_seed(0))
    for _ in range(10):
        recipe.step(x)
    assert sum(len(m) for m in recipe.recent_means) <= 64 + 16  # a window, not the whole history
    assert not torch.equal(vae.prior_scale, torch.eye(8)) and torch.all(torch.diag(vae.prior_scale) > 0)
    window = torch.cat(recipe.recent_means)  # refitted at step 10 from exactly this window
    assert torch.allclose(vae.prior_mean, window.mean(0), atol=1e-5)


def test_slerp_endpoints_and_norm() -> None:
    a, b = torch.randn(100), torch.randn(100)
    assert torch.allclose(slerp(a, b, 0.0), a, atol=1e-5) and torch.allclose(slerp(a, b, 1.0), b, atol=1e-5)
    mid = slerp(a, b, 0.5)
    assert mid.norm() > 0.9 * min(a.norm(), b.norm())  # no shrinking towards the origin, unlike lerp


@pytest.fixture(scope="module")
def faces(tmp_path_factory) -> Path:
    """20 face-like crops of two sizes (the loader resizes; mismatched sizes must not crash)."""
    root = tmp_path_factory.mktemp("faces")
    img = demo_images()["astronaut"]
    for i in range(20):
        h, w = (112, 92) if i % 2 else (80, 80)
        save_rgb(root / f"f{i:02d}.png", cv2.cvtColor(cv2.cvtColor(img[40 + i : 40 + i + h, 180 : 180 + w],
                                                                    cv2.COLOR_RGB2GRAY), cv2.COLOR_GRAY2RGB))
    return root


@pytest.mark.parametrize("model", ["dcgan", "vae"])
def test_training_steps_are_finite_and_move(faces: Path, tmp_path: Path, model: str) -> None:
    r = run_vgx("train", model, "--data", str(faces), "--steps", "6", "--batch-size", "8", "--val-every", "3",
                "--threads", "1", "--out", str(tmp_path))
    assert r.returncode == 0, r.stderr
    rows = list(csv.DictReader((tmp_path / "train_log.csv").open()))
    losses = [float(x["loss"]) for x in rows]
    assert all(np.isfinite(losses)) and len(set(losses)) > 1
    assert (tmp_path / "samples" / "latest.png").exists()
    ckpt = str(tmp_path / "model.pt")
    g = run_vgx("generate", ckpt, "--n", "6", "--out", str(tmp_path / "grid.png"))
    assert g.returncode == 0, g.stderr
    assert load_rgb(tmp_path / "grid.png").shape[0] == 64 + 2
    w = run_vgx("generate", ckpt, "--interpolate", "--steps", "3", "--out", str(tmp_path / "walk.mp4"))
    assert w.returncode == 0, w.stderr
    cap = cv2.VideoCapture(str(tmp_path / "walk.mp4"))
    assert cap.get(cv2.CAP_PROP_FRAME_COUNT) == 12  # 4 keyframe segments x 3 steps


def test_vae_augmentation_jitters_faces_reproducibly_and_splits_like_the_plain_batch(faces: Path) -> None:
    from vgx.train.faces import FaceSampler

    plain, jittered = FaceSampler([faces]), FaceSampler([faces], augment=True)
    a, = jittered.sample(np.random.default_rng(3), 8)
    b, = jittered.sample(np.random.default_rng(3), 8)
    c, = plain.sample(np.random.default_rng(3), 8)
    assert a.shape == c.shape == (8, 3, 64, 64) and torch.equal(a, b)
    assert 0.01 < float((a - c).abs().mean()) < 0.3  # moved, still the same faces
    # a distributed rank's part of the batch is that part of the whole batch
    halves = [jittered.sample(np.random.default_rng(3), 8, part)[0] for part in (slice(0, 4), slice(4, 8))]
    assert torch.equal(torch.cat(halves), a)


def test_too_few_images_is_a_clear_error(tmp_path: Path) -> None:
    for i in range(3):
        save_rgb(tmp_path / f"{i}.png", demo_images()["chelsea"])
    r = run_vgx("train", "dcgan", "--data", str(tmp_path), "--steps", "1", "--out", str(tmp_path / "o"))
    assert r.returncode != 0 and "at least 16" in r.stderr and "Traceback" not in r.stderr


def test_generate_refuses_a_sr_model(tmp_path: Path) -> None:
    r = run_vgx("generate", "espcn-x3", "--out", str(tmp_path / "x.png"))
    assert r.returncode != 0 and "needs dcgan-faces" in r.stderr


def test_direction_arithmetic_on_a_toy_latent() -> None:
    from vgx.train.edit import direction

    rng = np.random.default_rng(0)
    glasses = np.array([0.0, 3.0, 0.0])
    base = rng.normal(size=(200, 3))
    d = direction(base[:100] + glasses, base[100:])
    assert np.allclose(d, glasses, atol=0.35) and abs(d[1] - 3.0) < 0.35


def test_edit_learns_and_applies_a_direction(faces: Path, tmp_path: Path) -> None:
    r = run_vgx("train", "vae", "--data", str(faces), "--steps", "2", "--batch-size", "8", "--threads", "1",
                "--out", str(tmp_path / "vae"))
    assert r.returncode == 0, r.stderr
    vae, store = str(tmp_path / "vae" / "model.pt"), str(tmp_path / "dirs.json")
    files = sorted(faces.glob("*.png"))
    for sub, part in (("a", files[:10]), ("b", files[10:])):
        (tmp_path / sub).mkdir()
        for f in part:
            (tmp_path / sub / f.name).write_bytes(f.read_bytes())
    r = run_vgx("edit", vae, "--learn", "odd", "--with", str(tmp_path / "a"), "--without", str(tmp_path / "b"),
                "--directions", store)
    assert r.returncode == 0, r.stderr
    r = run_vgx("edit", vae, "--direction", "odd", "--input", str(files[0]), "--directions", store,
                "--out", str(tmp_path / "strip.png"))
    assert r.returncode == 0, r.stderr
    strip = load_rgb(tmp_path / "strip.png")
    assert strip.shape[1] > 6 * 128  # input + 5 strengths, 128 px each
    r = run_vgx("edit", vae, "--direction", "glasses", "--directions", store)
    assert r.returncode != 0 and "unknown direction 'glasses'" in r.stderr and "odd" in r.stderr


def test_labels_parse_and_split_by_person(tmp_path: Path) -> None:
    from vgx.errors import VgxError
    from vgx.train.edit import read_labels, split_people

    csv_path = tmp_path / "labels.csv"
    csv_path.write_text("image,glasses\norl/s1/1.pgm,0\norl/s1/2.pgm,1\norl/s38/1.pgm,0\norl/s7/3.pgm,1\n")
    people = read_labels(csv_path)
    assert people["s1"] == [(tmp_path / "orl/s1/1.pgm", 0), (tmp_path / "orl/s1/2.pgm", 1)]
    train, held = split_people(people)
    assert sorted(train) == ["s1", "s7"] and sorted(held) == ["s38"]
    csv_path.write_text("image,glasses\norl/s1/1.pgm,maybe\n")
    with pytest.raises(VgxError, match="labels.csv:2"):
        read_labels(csv_path)


def test_the_direction_comes_from_training_people_only(faces: Path, tmp_path: Path) -> None:
    """Same-person differences of the training people; held-out people are never encoded."""
    from vgx.train import edit

    files = sorted(faces.glob("*.png"))
    rows = ["image,glasses"] + [f"s1/{f.name},{i % 2}" for i, f in enumerate(files[:6])]
    rows += [f"s39/{f.name},1" for f in files[6:9]]
    for person, part in (("s1", files[:6]), ("s39", files[6:9])):
        (tmp_path / person).mkdir()
        for f in part:
            (tmp_path / person / f.name).write_bytes(f.read_bytes())
    (tmp_path / "labels.csv").write_text("\n".join(rows) + "\n")
    seen: list[Path] = []
    torch.manual_seed(0)
    vae = zoo.build(zoo.resolve("vae-faces").card()).eval()
    real = edit.encode_faces

    def spy(model, paths):
        seen.extend(paths)
        return real(model, paths)

    edit.encode_faces = spy
    try:
        train, _ = edit.split_people(edit.read_labels(tmp_path / "labels.csv"))
        d, used = edit.direction_from_labels(vae, train)
    finally:
        edit.encode_faces = real
    assert used == {"people_with_both": 1, "images": 6} and d.shape == (vae.latent_dim,)
    assert seen and all(p.parent.name == "s1" for p in seen)


def test_edit_out_folder_writes_one_png_per_strength(faces: Path, tmp_path: Path) -> None:
    r = run_vgx("train", "vae", "--data", str(faces), "--steps", "2", "--batch-size", "8", "--threads", "1",
                "--out", str(tmp_path / "vae"))
    assert r.returncode == 0, r.stderr
    vae, store = str(tmp_path / "vae" / "model.pt"), tmp_path / "dirs.json"
    dim = torch.load(vae, weights_only=True)["card"]["arch_kwargs"]["latent_dim"]
    store.write_text(json.dumps({"glasses": [0.1] * dim}))
    files = sorted(faces.glob("*.png"))
    r = run_vgx("edit", vae, "--direction", "glasses", "--input", str(files[0]), "--directions", str(store),
                "--strengths", "-1,0,1,2", "--out", str(tmp_path / "edits"))
    assert r.returncode == 0, r.stderr
    assert sorted(p.name for p in (tmp_path / "edits").iterdir()) == ["+1.png", "+2.png", "-1.png", "recon.png"]


def test_the_shipped_vae_edits_glasses_out_of_the_box(tmp_path: Path) -> None:
    from vgx.train.edit import shipped_directions

    assert len(shipped_directions("vae-faces")["glasses"]) == zoo.resolve("vae-faces").card().arch_kwargs["latent_dim"]
    face = tmp_path / "face.png"
    save_rgb(face, demo_images()["astronaut"][20:240, 170:350])
    r = run_vgx("edit", "vae-faces", "--direction", "glasses", "--input", str(face), "--out", str(tmp_path / "strip.png"))
    assert r.returncode == 0, r.stderr
    assert 6 * 128 <= load_rgb(tmp_path / "strip.png").shape[1] < 7 * 128  # input and five strengths, 128 px each
