"""Turn a finished training run into shipped weights: measured, small, weights-only.

Scores the run on Set5 and Set14 (the literature's protocol), stores the weights as fp16
when that changes neither score by more than 0.005 dB (else fp32), writes the figures
into the model card, and saves `train/weights/NAME.pt`.
"""

from __future__ import annotations

from pathlib import Path

from vgx.card import ModelCard

from . import checkpoint, zoo
from .evaluate import evaluate
from .loading import load_model

FP16_TOLERANCE_DB = 0.005


def ship(run_weights: str | Path, sets: dict[str, Path], dest: Path = zoo.WEIGHTS_DIR,
         log=print) -> ModelCard:
    model, card = load_model(str(run_weights))
    card.default_tile = zoo.resolve(card.name).card().default_tile  # runtime settings follow the zoo
    scores = {}
    for set_name, folder in sets.items():
        m = evaluate(model, card.name, card.scale, folder).mean
        scores[set_name] = m
        card.quality[f"{set_name}_psnr_y"] = round(m["psnr_y"], 3)
        card.quality[f"{set_name}_ssim"] = round(m["ssim"], 4)
        card.quality[f"{set_name}_bicubic_psnr_y"] = round(m["bicubic_psnr_y"], 3)
    dest.mkdir(parents=True, exist_ok=True)
    target = dest / f"{card.name}.pt"
    checkpoint.save(target, card, model, half=True)
    half_model, _ = load_model(str(target))
    worst = max(abs(evaluate(half_model, card.name, card.scale, folder).mean["psnr_y"] - scores[s]["psnr_y"])
                for s, folder in sets.items())
    if worst > FP16_TOLERANCE_DB:
        checkpoint.save(target, card, model, half=False)
        log(f"{card.name}: fp16 storage moved PSNR-Y by {worst:.4f} dB; shipped fp32")
    else:
        log(f"{card.name}: fp16 storage moved PSNR-Y by {worst:.4f} dB; shipped fp16")
    log(f"{card.name}: " + ", ".join(f"{k} {v}" for k, v in card.quality.items()) + f" -> {target}")
    return card
