"""Turn a finished training run into shipped weights: measured, small, weights-only.

SR runs are scored on Set5 and Set14 (the literature's protocol); style and generator runs
carry figures measured by their reports (flicker, face rate, ...). Each is stored in the
smallest of int8 / fp16 weights (checkpoint.STORAGES) that loses nothing measurable: SR when
neither score moves by more than 0.002 dB (the card then holds the stored weights' scores),
the others when the outputs agree with fp32's to at least 50 dB PSNR on the verification
inputs (int8 style weights: 51-61 dB; 8-bit output levels differ below ~48). The figures go
into the model card, saved as `train/weights/NAME.pt`.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from torch import nn

from vgx.card import ModelCard
from vgx.metrics import agreement, worst
from vgx.samples import verification_inputs

from . import checkpoint, zoo
from .evaluate import evaluate
from .loading import load_model

STORAGE_TOLERANCE_DB = 0.002  # SR: largest change in Set5/Set14 PSNR-Y (tables print two decimals)
STORAGE_AGREEMENT_DB = 50.0  # others: least PSNR between the stored weights' and fp32's outputs


def ship(run_weights: str | Path, sets: dict[str, Path] | None = None, quality: dict[str, float] | None = None,
         dest: Path = zoo.WEIGHTS_DIR, log=print) -> ModelCard:
    """SR: pass `sets` ({"set5": folder, ...}); style / generate: pass the measured `quality`."""
    model, card = load_model(str(run_weights))
    card.default_tile = zoo.resolve(card.name).card().default_tile  # runtime settings follow the zoo
    means = _sr_means(model, card, sets) if sets else {}
    _record(card, means)
    card.quality.update(quality or {})
    dest.mkdir(parents=True, exist_ok=True)
    target = dest / f"{card.name}.pt"
    for storage in ("int8", "fp16"):  # smallest first; fp32 where neither holds
        # each candidate is measured from a file of its own: the shipped file is written once, at
        # the end, and a run stopped midway leaves the weights shipped before untouched
        candidate = checkpoint.save(dest / f".{card.name}.{storage}.candidate.pt", card, model, storage=storage)
        try:
            stored, _ = load_model(str(candidate))
        finally:
            candidate.unlink(missing_ok=True)
        if sets:
            stored_means = _sr_means(stored, card, sets)
            drift = max(abs(stored_means[k]["psnr_y"] - means[k]["psnr_y"]) for k in means)
            ok, what = drift <= STORAGE_TOLERANCE_DB, f"moved PSNR-Y by {drift:.4f} dB"
            if ok:  # the card states what the shipped weights score
                _record(card, stored_means)
        else:
            agree = _output_agreement(model, stored, card)
            ok, what = agree >= STORAGE_AGREEMENT_DB, f"outputs agree with fp32 to {agree:.1f} dB"
        log(f"{card.name}: {storage} storage {what}")
        if ok:
            break
    else:
        storage = "fp32"
    checkpoint.save(target, card, model, storage=storage)
    log(f"{card.name}: shipped {storage}")
    log(f"{card.name}: " + ", ".join(f"{k} {v}" for k, v in card.quality.items()) + f" -> {target}")
    if dest == zoo.WEIGHTS_DIR:
        from .zoo_index import write_index

        write_index()  # `vgx models` reads the zoo from it (no torch needed)
    return card


def _record(card: ModelCard, means: dict[str, dict[str, float]]) -> None:
    for set_name, m in means.items():
        card.quality[f"{set_name}_psnr_y"] = round(m["psnr_y"], 3)
        card.quality[f"{set_name}_ssim"] = round(m["ssim"], 4)
        if card.scale > 1:  # at x1 the clean frame is its own "bicubic": infinite PSNR, no figure
            card.quality[f"{set_name}_bicubic_psnr_y"] = round(m["bicubic_psnr_y"], 3)


def _sr_means(model: nn.Module, card: ModelCard, sets: dict[str, Path]) -> dict[str, dict[str, float]]:
    return {set_name: evaluate(model, card.name, card.scale, folder).mean for set_name, folder in sets.items()}


@torch.no_grad()
def _output_agreement(model: nn.Module, other: nn.Module, card: ModelCard) -> float:
    model.eval()
    other.eval()
    figures = []
    for x in verification_inputs(card):
        t = torch.from_numpy(np.ascontiguousarray(x))
        figures.append(agreement(model(t).numpy(), other(t).float().numpy()))
    return worst(figures)["psnr"]
