"""Shipping a run: measured figures in the card, int8 / fp16 storage only where it loses nothing."""

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


def test_style_run_keeps_given_figures_and_falls_back_to_fp16_where_int8_moves_its_output(tmp_path: Path) -> None:
    lines: list[str] = []
    card = ship(_run(tmp_path, "style-wave-slim"), quality={"flicker_max": 1.2}, dest=tmp_path / "w", log=lines.append)
    shipped = torch.load(tmp_path / "w" / "style-wave-slim.pt", weights_only=True)
    assert shipped["card"]["quality"]["flicker_max"] == card.quality["flicker_max"] == 1.2
    # an untrained net's int8 weights move its output (~44 dB against fp32): measured, refused
    assert "int8 storage outputs agree with fp32 to" in lines[0] and lines[2].endswith("shipped fp16"), lines
    assert all(v.dtype == torch.float16 for v in shipped["model"].values() if v.is_floating_point())


def test_trained_style_weights_ship_as_int8_a_quarter_of_fp32(tmp_path: Path) -> None:
    from vgx.metrics import agreement
    from vgx.samples import verification_inputs
    from vgx.train.loading import load_model

    source = zoo.WEIGHTS_DIR / "style-wave-slim.pt"
    lines: list[str] = []
    card = ship(source, dest=tmp_path / "w", log=lines.append)
    path = tmp_path / "w" / "style-wave-slim.pt"
    shipped = torch.load(path, weights_only=True)
    assert lines[1].endswith("shipped int8"), lines
    assert shipped["version"] == 2 and any(v.dtype == torch.int8 for v in shipped["model"].values())
    n = sum(v.numel() for v in shipped["model"].values())
    assert path.stat().st_size < 0.32 * 4 * n  # int8 convs, fp16 rest, the card
    (model, _), (stored, _) = load_model(str(source)), load_model(str(path))
    for x in verification_inputs(card):
        t = torch.from_numpy(x)
        with torch.no_grad():
            assert agreement(model.eval()(t).numpy(), stored.eval()(t).numpy())["psnr"] >= 50


def test_the_shipped_index_is_strict_json() -> None:
    # Infinity (a bicubic 'baseline' at x1 once) is not JSON: other tools' parsers refuse the file
    import json

    def refuse(constant: str) -> None:
        raise AssertionError(f"index.json holds {constant}")

    json.loads((zoo.WEIGHTS_DIR / "index.json").read_text(), parse_constant=refuse)


def test_a_shipment_stopped_midway_leaves_the_shipped_weights_untouched(tmp_path: Path, monkeypatch) -> None:
    import pytest

    from vgx.train import ship as ship_module

    dest = tmp_path / "w"
    ship(_run(tmp_path, "style-wave-slim"), quality={"flicker_max": 1.2}, dest=dest, log=lambda *_: None)
    before = (dest / "style-wave-slim.pt").read_bytes()

    def interrupted(*_args):
        raise KeyboardInterrupt

    monkeypatch.setattr(ship_module, "_output_agreement", interrupted)
    torch.manual_seed(1)
    with pytest.raises(KeyboardInterrupt):
        ship(_run(tmp_path / "other", "style-wave-slim"), quality={"flicker_max": 0.9}, dest=dest, log=lambda *_: None)
    assert (dest / "style-wave-slim.pt").read_bytes() == before
    assert sorted(p.name for p in dest.iterdir()) == ["style-wave-slim.pt"]  # no candidate left behind
