"""Shipping a run: measured figures in the card, fp16 storage only where it loses nothing."""

from __future__ import annotations

from pathlib import Path

import torch

from vgx.train import checkpoint, zoo
from vgx.train.ship import ship


def _run(tmp_path: Path, name: str) -> Path:
    card = zoo.resolve(name).card()
    torch.manual_seed(0)
    path = tmp_path / f"{name}-run.pt"
    checkpoint.save(path, card, zoo.build(card))
    return path


def test_sr_run_is_scored_and_shipped(tmp_path: Path, image_dir: Path) -> None:
    card = ship(_run(tmp_path, "espcn-x2"), {"demo": image_dir}, dest=tmp_path / "weights", log=lambda *_: None)
    shipped = torch.load(tmp_path / "weights" / "espcn-x2.pt", weights_only=True)
    assert shipped["card"]["quality"]["demo_psnr_y"] == card.quality["demo_psnr_y"] > 10
    assert card.quality["demo_bicubic_psnr_y"] > 10


def test_style_run_keeps_given_figures_and_halves_its_weights(tmp_path: Path) -> None:
    lines: list[str] = []
    card = ship(_run(tmp_path, "style-wave-slim"), quality={"flicker_max": 1.2}, dest=tmp_path / "w", log=lines.append)
    shipped = torch.load(tmp_path / "w" / "style-wave-slim.pt", weights_only=True)
    assert shipped["card"]["quality"]["flicker_max"] == card.quality["flicker_max"] == 1.2
    assert "shipped fp16" in lines[0], lines
    assert all(v.dtype == torch.float16 for v in shipped["model"].values() if v.is_floating_point())


def test_the_shipped_index_is_strict_json() -> None:
    # Infinity (a bicubic 'baseline' at x1 once) is not JSON: other tools' parsers refuse the file
    import json

    def refuse(constant: str) -> None:
        raise AssertionError(f"index.json holds {constant}")

    json.loads((zoo.WEIGHTS_DIR / "index.json").read_text(), parse_constant=refuse)
