"""The CLI answers --help without torch, and turns bad input into one line + non-zero exit."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.conftest import run_vgx

COMMANDS = ["train", "eval", "models", "upscale", "doctor", "export", "verify", "stream", "bench", "generate", "edit"]


@pytest.mark.parametrize("cmd", [None, *COMMANDS])
def test_help_does_not_import_torch(cmd: str | None) -> None:
    code = (
        "import sys; from vgx.cli import app\n"
        "try:\n"
        f"    app({[cmd, '--help'] if cmd else ['--help']!r}, standalone_mode=False)\n"
        "except SystemExit: pass\n"
        "assert 'torch' not in sys.modules, 'torch imported'\n"
        "assert 'cv2' not in sys.modules, 'cv2 imported'\n"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert "Usage" in r.stdout


def _one_line_error(r: subprocess.CompletedProcess[str], *needles: str) -> None:
    assert r.returncode != 0
    assert "Traceback" not in r.stderr
    lines = [line for line in r.stderr.strip().splitlines() if line.startswith("vgx: error:")]
    assert len(lines) == 1, r.stderr
    assert r.stderr.strip().endswith(lines[0]), r.stderr
    for n in needles:
        assert n in lines[0]


def test_unknown_model_name(tmp_path) -> None:
    _one_line_error(run_vgx("train", "nosuchnet", "--data", str(tmp_path)), "unknown model", "espcn-x2")


def test_unsupported_scale(image_dir) -> None:
    _one_line_error(run_vgx("train", "srresnet", "--scale", "3", "--data", str(image_dir)), "scale 3", "x4")


def test_missing_data_folder(tmp_path) -> None:
    _one_line_error(run_vgx("train", "espcn-x2", "--data", str(tmp_path / "nope")), "folder not found")


def test_empty_data_folder(tmp_path) -> None:
    _one_line_error(run_vgx("train", "espcn-x2", "--data", str(tmp_path)), "no images")


def test_non_image_files_only(tmp_path) -> None:
    (tmp_path / "notes.txt").write_text("hello")
    (tmp_path / "data.csv").write_text("1,2")
    _one_line_error(run_vgx("train", "espcn-x2", "--data", str(tmp_path)), "no images")


def test_corrupt_image_named_png(tmp_path) -> None:
    (tmp_path / "fake.png").write_text("this is not a png")
    _one_line_error(run_vgx("train", "espcn-x2", "--data", str(tmp_path)), "not a readable image", "fake.png")


def test_images_smaller_than_a_patch(tmp_path) -> None:
    from vgx.images import demo_images, save_rgb

    save_rgb(tmp_path / "tiny.png", demo_images()["astronaut"][:20, :20])
    _one_line_error(run_vgx("train", "espcn-x2", "--data", str(tmp_path), "--patch-size", "32"), "patch")


def test_eval_unknown_checkpoint(tmp_path) -> None:
    bad = tmp_path / "model.pt"
    bad.write_bytes(b"garbage")
    _one_line_error(run_vgx("eval", str(bad), "--data", str(tmp_path)), "not a loadable vgx checkpoint")


def test_models_table_lists_the_zoo() -> None:
    r = run_vgx("models", env={"COLUMNS": "120"})
    assert r.returncode == 0, r.stderr
    for name in ["espcn-x2", "espcn-x3", "espcn-x4", "fsrcnn-x2", "fsrcnn-x4", "compact-x2", "compact-x4",
                 "srresnet-x4", "srgan-x4"]:
        assert name in r.stdout
    assert "GMACs" in r.stdout and "Set5" in r.stdout


def test_a_long_caption_shrinks_into_its_own_panel() -> None:
    import numpy as np

    from vgx.images import caption

    panels = np.zeros((10, 100 + 4 + 100, 3), np.uint8)
    out = caption(panels, ["runs/gpu/style-composition-vii-slim-distill-style/model.pt", ""], [100, 100])
    strip = out[:22]
    assert (strip[:, :100] < 128).any()  # the label is drawn
    assert (strip[:, 104:] == 255).all()  # and stops at its panel's edge
